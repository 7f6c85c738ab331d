//! The PostgreSQL backend: a team's shared store.
//!
//! Appenders take turns with a transaction-scoped advisory lock rather than `LOCK TABLE`:
//! it needs no privilege beyond the `INSERT` and `SELECT` an appender already has, and it is
//! released by the commit (or by the server when a killed client's connection drops), so a
//! crashed golive never leaves it held. Transactions run at `READ COMMITTED` whatever the
//! server's default, so the read of the last event, made after the lock is granted, sees the
//! previous appender's commit. Under `REPEATABLE READ` the snapshot would date from the lock
//! request, before the wait, and the append would collide with the event it did not see.
//!
//! golive keeps `events` and sqlx's `_sqlx_migrations` in the first schema of the
//! connection's `search_path`, so a shared server should give golive a database of its own, or
//! a schema (`?options=-csearch_path%3Dgolive`).

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions as _, Connection as _};

use super::event::{Event, NewEvent};
use super::{Row, StoreError, migrate_error};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/store/migrations/postgres");

/// The advisory-lock namespace of golive's appenders (`golv` in ASCII). The second key is the
/// OID of the `events` table, so stores in different schemas of one database do not wait for
/// each other.
const LOCK_SPACE: i32 = 0x676f_6c76;

/// How long to wait for a connection: a server that does not answer in this time is down or
/// unreachable, and saying so beats hanging.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Connects to `url` and migrates. Errors name the URL as `shown`, its password redacted.
pub(super) async fn open(url: &str, shown: &str) -> Result<PgPool, StoreError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|cause| StoreError::BadUrl {
            url: shown.to_string(),
            cause,
        })?
        .application_name("golive");
    let connect_error = |cause| StoreError::Connect {
        url: shown.to_string(),
        cause,
    };
    // One plain connection first: the pool retries a refused connection until its timeout,
    // then reports only that it timed out; this fails at once, with the real cause.
    let no_answer = || {
        let text = format!("no answer in {}s", CONNECT_TIMEOUT.as_secs());
        sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, text))
    };
    let probe = tokio::time::timeout(CONNECT_TIMEOUT, options.connect())
        .await
        .map_err(|_| connect_error(no_answer()))?
        .map_err(connect_error)?;
    let _ = probe.close().await;
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(connect_error)?;
    // sqlx serializes concurrent migrators itself, with a session advisory lock.
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|cause| migrate_error(shown, cause))?;
    Ok(pool)
}

/// Connects to `url` without migrating; `None` when golive's table is not there (nothing was
/// ever recorded). See [`Store::open_existing`](super::Store::open_existing).
pub(super) async fn open_existing(url: &str, shown: &str) -> Result<Option<PgPool>, StoreError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|cause| StoreError::BadUrl {
            url: shown.to_string(),
            cause,
        })?
        .application_name("golive");
    let connect_error = |cause| StoreError::Connect {
        url: shown.to_string(),
        cause,
    };
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(connect_error)?;
    let table: Option<String> = sqlx::query_scalar("SELECT to_regclass('events')::text")
        .fetch_one(&pool)
        .await
        .map_err(|cause| super::query_error(shown, cause))?;
    Ok(table.map(|_| pool))
}

/// See [`Store::append`](super::Store::append).
pub(super) async fn append(
    pool: &PgPool,
    events: Vec<NewEvent>,
) -> Result<Vec<Event>, sqlx::Error> {
    // Dropping `tx` on any error below rolls back: nothing of a failed batch is kept.
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
        .await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1, 'events'::regclass::oid::int)")
        .bind(LOCK_SPACE)
        .execute(&mut *tx)
        .await?;
    let last = head(&mut *tx).await?;
    let stored = super::seal_after(last, events);
    // Many rows per statement: one round trip per hundred events, not per event.
    for chunk in stored.chunks(100) {
        let mut insert = sqlx::QueryBuilder::<sqlx::Postgres>::new(
            "INSERT INTO events (seq, at, checklist, kind, item, actor, payload, prev_hash, hash) ",
        );
        insert.push_values(chunk, |mut row, (event, payload)| {
            row.push_bind(event.seq)
                .push_bind(event.at.clone())
                .push_bind(event.checklist.clone())
                .push_bind(event.kind.clone())
                .push_bind(event.item.clone())
                .push_bind(event.actor.clone())
                .push_bind(payload.clone())
                .push_bind(event.prev_hash.clone())
                .push_bind(event.hash.clone());
        });
        insert.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(stored.into_iter().map(|(event, _)| event).collect())
}

/// The last event of the whole store: its `seq` and `hash`.
pub(super) async fn head(
    executor: impl sqlx::PgExecutor<'_>,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
        .fetch_optional(executor)
        .await
}

/// The last row of one checklist and kind.
pub(super) async fn latest_row(
    pool: &PgPool,
    checklist: &str,
    kind: &str,
) -> Result<Option<Row>, sqlx::Error> {
    const LATEST: &str = "SELECT seq, at, checklist, kind, item, actor, payload, prev_hash, hash \
                          FROM events WHERE checklist = $1 AND kind = $2 \
                          ORDER BY seq DESC LIMIT 1";
    sqlx::query_as(LATEST)
        .bind(checklist)
        .bind(kind)
        .fetch_optional(pool)
        .await
}

/// Rows of one checklist in `seq` order, but for the results of runs before its last run
/// event. One statement: one consistent snapshot.
pub(super) async fn state_rows(pool: &PgPool, checklist: &str) -> Result<Vec<Row>, sqlx::Error> {
    const STATE: &str = "SELECT seq, at, checklist, kind, item, actor, payload, prev_hash, hash \
                         FROM events WHERE checklist = $1 AND kind <> 'result' \
                         UNION ALL \
                         SELECT seq, at, checklist, kind, item, actor, payload, prev_hash, hash \
                         FROM events WHERE checklist = $1 AND kind = 'result' AND seq > \
                         (SELECT coalesce(max(seq), 0) FROM events \
                          WHERE checklist = $1 AND kind = 'run') \
                         ORDER BY seq";
    sqlx::query_as(STATE).bind(checklist).fetch_all(pool).await
}

/// Every row of one kind, in `seq` order (the store's `adopt` events are few).
pub(super) async fn kind_rows(pool: &PgPool, kind: &str) -> Result<Vec<Row>, sqlx::Error> {
    const KIND: &str = "SELECT seq, at, checklist, kind, item, actor, payload, prev_hash, hash \
                        FROM events WHERE kind = $1 ORDER BY seq";
    sqlx::query_as(KIND).bind(kind).fetch_all(pool).await
}

/// Whether any event is stored under `checklist`.
pub(super) async fn has_rows(pool: &PgPool, checklist: &str) -> Result<bool, sqlx::Error> {
    const ANY: &str = "SELECT seq FROM events WHERE checklist = $1 LIMIT 1";
    let found: Option<i64> = sqlx::query_scalar(ANY)
        .bind(checklist)
        .fetch_optional(pool)
        .await?;
    Ok(found.is_some())
}

/// Rows of one checklist, or all, in `seq` order. One statement: one consistent snapshot.
pub(super) async fn rows(pool: &PgPool, checklist: Option<&str>) -> Result<Vec<Row>, sqlx::Error> {
    const ALL: &str = "SELECT seq, at, checklist, kind, item, actor, payload, prev_hash, hash \
                       FROM events ORDER BY seq";
    const ONE: &str = "SELECT seq, at, checklist, kind, item, actor, payload, prev_hash, hash \
                       FROM events WHERE checklist = $1 ORDER BY seq";
    match checklist {
        Some(checklist) => sqlx::query_as(ONE).bind(checklist).fetch_all(pool).await,
        None => sqlx::query_as(ALL).fetch_all(pool).await,
    }
}
