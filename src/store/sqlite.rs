//! The SQLite backend: one file, write-ahead logging, writers taking turns by `BEGIN IMMEDIATE`.
//!
//! Why these settings:
//! - **WAL**: a commit is an append to the log, so a process killed at any moment leaves the
//!   database consistent (the next open keeps every committed transaction and drops the torn
//!   tail), and readers never wait for the writer.
//! - **`synchronous = FULL`**: WAL with `NORMAL` also survives a killed process, but may lose
//!   the last commits on power loss or an OS crash. An audit log must not lose events it has
//!   acknowledged, so every commit pays one fsync (milliseconds; golive appends rarely).
//! - **`BEGIN IMMEDIATE`** for every write: the write lock is taken before the last event is
//!   read. A deferred transaction that reads first holds a snapshot, and if another process
//!   commits before it writes, SQLite must refuse the upgrade with `SQLITE_BUSY` at once,
//!   without waiting out `busy_timeout` (waiting could not help: its snapshot is stale). That
//!   is the "database is locked" golive must never show. `BEGIN IMMEDIATE` holds nothing while
//!   it waits, so SQLite lets it wait its turn for up to `busy_timeout`.
//! - **Switching a new file to WAL** needs an exclusive lock that SQLite cannot wait for with
//!   `busy_timeout` either (which is why sqlx does not set it on connect), so [`open`] does it
//!   itself, retrying while another process holds the file. The mode is then stored in the
//!   file: every later connection uses WAL without asking.
//! - **Migrations inside `BEGIN IMMEDIATE`**: two processes creating the same new file would
//!   otherwise both find no tables and both try to create them.

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteError, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::event::{Event, NewEvent};
use super::{LOCK_TIMEOUT, Row, StoreError, migrate_error, query_error};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/store/migrations/sqlite");

/// Opens (creating the file and its directory) and migrates the database at `path`.
pub(super) async fn open(path: &Path, shown: &str) -> Result<SqlitePool, StoreError> {
    if path.as_os_str().is_empty() {
        // SQLite would open a temporary database, and every event would vanish on exit.
        return Err(StoreError::EmptyPath);
    }
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|cause| StoreError::CreateDir {
                path: dir.display().to_string(),
                cause,
            })?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(LOCK_TIMEOUT);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .acquire_timeout(LOCK_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(|cause| open_error(shown, cause))?;
    use_wal(&pool, shown).await?;
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(|cause| query_error(shown, cause))?;
    // Tables but none of golive's bookkeeping: another application's database, which golive
    // must not add its tables to.
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&mut *tx)
            .await
            .map_err(|cause| query_error(shown, cause))?;
    if !tables.is_empty() && !tables.iter().any(|name| name == "_sqlx_migrations") {
        return Err(StoreError::NotAStore {
            location: shown.to_string(),
            what: "it holds another application's tables",
        });
    }
    MIGRATOR
        .run_direct(&mut *tx)
        .await
        .map_err(|cause| migrate_error(shown, cause))?;
    tx.commit()
        .await
        .map_err(|cause| query_error(shown, cause))?;
    Ok(pool)
}

/// Opens the database at `path` read-only, if it exists; see
/// [`Store::open_existing`](super::Store::open_existing).
///
/// Reading a WAL database needs its `-shm` file: SQLite opens an existing one read-only, or
/// creates it when the folder is writable. In a read-only folder where it does not exist
/// (the last writer closed cleanly and removed it), the file is read as immutable instead:
/// nobody can be writing to it there without that file, so there is nothing to miss.
pub(super) async fn open_existing(
    path: &Path,
    shown: &str,
) -> Result<Option<SqlitePool>, StoreError> {
    if path.as_os_str().is_empty() {
        return Err(StoreError::EmptyPath);
    }
    match std::fs::metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Ok(meta) if meta.is_dir() => {
            return Err(StoreError::NotAStore {
                location: shown.to_string(),
                what: "it is a directory",
            });
        }
        _ => {}
    }
    let connect = |immutable: bool| {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .immutable(immutable)
            .create_if_missing(false)
            .busy_timeout(LOCK_TIMEOUT);
        SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(LOCK_TIMEOUT)
            .connect_with(options)
    };
    let check = |pool: SqlitePool| async move {
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
            .fetch_all(&pool)
            .await?;
        Ok::<_, sqlx::Error>((pool, applied))
    };
    let first = match connect(false).await {
        Ok(pool) => check(pool).await,
        Err(error) => Err(error),
    };
    let (pool, applied) = match first {
        Ok(found) => found,
        Err(cause)
            if code(&cause)
                .is_some_and(|code| code == SQLITE_CANTOPEN || code == SQLITE_READONLY) =>
        {
            let pool = connect(true)
                .await
                .map_err(|cause| open_error(shown, cause))?;
            check(pool)
                .await
                .map_err(|cause| open_error(shown, cause))?
        }
        Err(cause) => return Err(open_error(shown, cause)),
    };
    if let Some(unknown) = applied
        .iter()
        .find(|version| !MIGRATOR.iter().any(|known| known.version == **version))
    {
        return Err(StoreError::Foreign {
            location: shown.to_string(),
            cause: sqlx::migrate::MigrateError::VersionMissing(*unknown),
        });
    }
    Ok(Some(pool))
}

const SQLITE_PERM: i32 = 3;
const SQLITE_READONLY: i32 = 8;
const SQLITE_CORRUPT: i32 = 11;
const SQLITE_CANTOPEN: i32 = 14;
const SQLITE_NOTADB: i32 = 26;

/// SQLite's primary result code of a failed call, if it is one.
fn code(error: &sqlx::Error) -> Option<i32> {
    let sqlx::Error::Database(error) = error else {
        return None;
    };
    error.try_downcast_ref::<SqliteError>()?;
    error
        .code()
        .and_then(|code| code.parse::<i32>().ok())
        .map(|code| code & 0xff)
}

/// The errors a person meets on a store they cannot use (permissions, not a database), as
/// one line that says what to do, not as SQLite's `(code: 14) unable to open database file`.
pub(super) fn plain_error(location: &str, error: &sqlx::Error) -> Option<StoreError> {
    let location = location.to_string();
    if let sqlx::Error::Database(database) = error
        && database.message().contains("no such table")
    {
        return Some(StoreError::NotAStore {
            location,
            what: "it has no golive tables",
        });
    }
    Some(match code(error)? {
        SQLITE_READONLY | SQLITE_PERM => StoreError::ReadOnly { location },
        SQLITE_CANTOPEN => StoreError::CannotOpen { location },
        SQLITE_NOTADB => StoreError::NotAStore {
            location,
            what: "the file is not a SQLite database",
        },
        SQLITE_CORRUPT => StoreError::NotAStore {
            location,
            what: "the database file is corrupt",
        },
        _ => return None,
    })
}

fn open_error(shown: &str, cause: sqlx::Error) -> StoreError {
    plain_error(shown, &cause).unwrap_or_else(|| StoreError::Open {
        location: shown.to_string(),
        cause,
    })
}

/// Puts the file in WAL mode, waiting (up to [`LOCK_TIMEOUT`]) while other processes hold it.
/// A no-op, with no lock, once the file is in WAL mode.
async fn use_wal(pool: &SqlitePool, shown: &str) -> Result<(), StoreError> {
    let deadline = Instant::now() + LOCK_TIMEOUT;
    loop {
        let mode = sqlx::query_scalar::<_, String>("PRAGMA journal_mode = WAL")
            .fetch_one(pool)
            .await;
        match mode {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(mode) => {
                return Err(StoreError::NoWal {
                    location: shown.to_string(),
                    mode,
                });
            }
            Err(cause) if is_busy(&cause) && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(cause) if is_busy(&cause) => return Err(query_error(shown, cause)),
            Err(cause) => return Err(open_error(shown, cause)),
        }
    }
}

/// See [`Store::append`](super::Store::append).
pub(super) async fn append(
    pool: &SqlitePool,
    events: Vec<NewEvent>,
) -> Result<Vec<Event>, sqlx::Error> {
    // Dropping `tx` on any error below rolls back: nothing of a failed batch is kept.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let last = head(&mut *tx).await?;
    let stored = super::seal_after(last, events);
    // Many rows per statement (900 parameters, far below SQLite's limit): one statement per
    // hundred events, not per event.
    for chunk in stored.chunks(100) {
        let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
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
    executor: impl sqlx::SqliteExecutor<'_>,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
        .fetch_optional(executor)
        .await
}

/// The last row of one checklist and kind.
pub(super) async fn latest_row(
    pool: &SqlitePool,
    checklist: &str,
    kind: &str,
) -> Result<Option<Row>, sqlx::Error> {
    const LATEST: &str = "SELECT seq, at, checklist, kind, item, actor, payload, prev_hash, hash \
                          FROM events WHERE checklist = ?1 AND kind = ?2 \
                          ORDER BY seq DESC LIMIT 1";
    sqlx::query_as(LATEST)
        .bind(checklist)
        .bind(kind)
        .fetch_optional(pool)
        .await
}

/// Rows of one checklist in `seq` order, but for the results of runs before its last run
/// event. One statement: one consistent snapshot.
pub(super) async fn state_rows(
    pool: &SqlitePool,
    checklist: &str,
) -> Result<Vec<Row>, sqlx::Error> {
    const STATE: &str = "SELECT seq, at, checklist, kind, item, actor, payload, prev_hash, hash \
                         FROM events WHERE checklist = ?1 AND kind <> 'result' \
                         UNION ALL \
                         SELECT seq, at, checklist, kind, item, actor, payload, prev_hash, hash \
                         FROM events WHERE checklist = ?1 AND kind = 'result' AND seq > \
                         (SELECT coalesce(max(seq), 0) FROM events \
                          WHERE checklist = ?1 AND kind = 'run') \
                         ORDER BY seq";
    sqlx::query_as(STATE).bind(checklist).fetch_all(pool).await
}

/// Every row of one kind, in `seq` order (the store's `adopt` events are few).
pub(super) async fn kind_rows(pool: &SqlitePool, kind: &str) -> Result<Vec<Row>, sqlx::Error> {
    const KIND: &str = "SELECT seq, at, checklist, kind, item, actor, payload, prev_hash, hash \
                        FROM events WHERE kind = ?1 ORDER BY seq";
    sqlx::query_as(KIND).bind(kind).fetch_all(pool).await
}

/// Whether any event is stored under `checklist`.
pub(super) async fn has_rows(pool: &SqlitePool, checklist: &str) -> Result<bool, sqlx::Error> {
    const ANY: &str = "SELECT seq FROM events WHERE checklist = ?1 LIMIT 1";
    let found: Option<i64> = sqlx::query_scalar(ANY)
        .bind(checklist)
        .fetch_optional(pool)
        .await?;
    Ok(found.is_some())
}

/// Rows of one checklist, or all, in `seq` order. One statement: one consistent snapshot.
pub(super) async fn rows(
    pool: &SqlitePool,
    checklist: Option<&str>,
) -> Result<Vec<Row>, sqlx::Error> {
    const ALL: &str = "SELECT seq, at, checklist, kind, item, actor, payload, prev_hash, hash \
                       FROM events ORDER BY seq";
    const ONE: &str = "SELECT seq, at, checklist, kind, item, actor, payload, prev_hash, hash \
                       FROM events WHERE checklist = ?1 ORDER BY seq";
    match checklist {
        Some(checklist) => sqlx::query_as(ONE).bind(checklist).fetch_all(pool).await,
        None => sqlx::query_as(ALL).fetch_all(pool).await,
    }
}

/// `SQLITE_BUSY` in any of its extended forms: another connection holds the lock.
pub(super) fn is_busy(error: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    let sqlx::Error::Database(error) = error else {
        return false;
    };
    error.try_downcast_ref::<SqliteError>().is_some()
        && error
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| code & 0xff == SQLITE_BUSY)
}
