//! The store: an append-only, hash-chained event log in SQLite (default, `.golive/state.db`
//! beside the checklist) or PostgreSQL (`--store postgres://…`), behind one interface.
//!
//! Architecture invariant: only this module knows SQL. Events are never updated or deleted;
//! current state is a fold over them ([`state::State`]).

pub mod event;
pub mod identity;
mod location;
pub mod monitor;
mod postgres;
pub mod recurring;
pub mod sign;
mod sqlite;
pub mod state;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;
use sqlx::migrate::MigrateError;

use event::{Event, NewEvent};
pub use identity::checklist_key;
use identity::{Identity, Owner as _};
pub use location::Location;
use state::State;

/// How long a writer waits for another one (in this or another process) before giving up.
/// Appends hold the lock for milliseconds; reaching this means a writer is stuck.
const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything that can go wrong with a store. Each message names the store (passwords
/// redacted) and carries its cause in the text rather than as a `source`, so that the CLI's
/// `{:#}` does not print the cause twice.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the directory `{path}` for the database: {cause}")]
    CreateDir { path: String, cause: std::io::Error },
    #[error("the store's location is empty: give a SQLite file path or a postgres:// URL")]
    EmptyPath,
    #[error("cannot open or create the database at `{location}`: {cause}")]
    Open {
        location: String,
        cause: sqlx::Error,
    },
    #[error(
        "the database at `{location}` cannot use write-ahead logging (journal mode stays \
         `{mode}`); is it on a network file system? keep it on a local disk"
    )]
    NoWal { location: String, mode: String },
    #[error("`{url}` is not a usable PostgreSQL URL: {cause}")]
    BadUrl { url: String, cause: sqlx::Error },
    #[error(
        "cannot connect to PostgreSQL at `{url}`: {cause} (is it running, and are the host, \
         port, user and password right?)"
    )]
    Connect { url: String, cause: sqlx::Error },
    #[error(
        "the database at `{location}` has migrations this golive does not know ({cause}): it \
         was written by a newer golive, or belongs to another application; give golive a \
         database (or PostgreSQL schema) of its own"
    )]
    Foreign {
        location: String,
        cause: MigrateError,
    },
    #[error("cannot set up the tables in the database at `{location}`: {cause}")]
    Migrate {
        location: String,
        cause: MigrateError,
    },
    #[error(
        "the database at `{location}` is locked by another writer (waited up to {}s): {cause}; \
         check for a stuck golive process and try again",
        LOCK_TIMEOUT.as_secs()
    )]
    Busy {
        location: String,
        cause: sqlx::Error,
    },
    #[error(
        "the store `{location}` cannot be written by this user (a read-only file, folder or \
         file system): fix its permissions (SQLite also writes `-wal` and `-shm` files beside \
         it, so the folder must be writable too), or record elsewhere with `--store PATH`"
    )]
    ReadOnly { location: String },
    #[error(
        "cannot open the store `{location}`: its folder is missing or this user may not read \
         it; check the path and its permissions, or give another with `--store PATH`"
    )]
    CannotOpen { location: String },
    #[error(
        "`{location}` is not a readable golive store ({what}): restore it from a backup, or \
         give another with `--store PATH`"
    )]
    NotAStore {
        location: String,
        what: &'static str,
    },
    #[error("query failed on the database at `{location}`: {cause}")]
    Query {
        location: String,
        cause: sqlx::Error,
    },
}

/// An open store: a connection pool to SQLite or PostgreSQL. Cheap to clone (the pool is
/// shared); every method commits before it returns.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    /// [`Location::display`], for messages.
    shown: Arc<str>,
}

/// The one place that chooses a backend; the SQL of each lives in its own file.
#[derive(Debug, Clone)]
enum Backend {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Store {
    /// Opens (creating the file and its `.golive/` directory for SQLite) and migrates.
    pub async fn open(location: &Location) -> Result<Store, StoreError> {
        let shown: Arc<str> = location.display().into();
        let backend = match location {
            Location::Sqlite(path) => Backend::Sqlite(sqlite::open(path, &shown).await?),
            Location::Postgres(url) => Backend::Postgres(postgres::open(url, &shown).await?),
        };
        Ok(Store { backend, shown })
    }

    /// Opens an existing store for reading only: never creates a file or a table, never
    /// migrates, never writes (so it works on a read-only file, folder or file system).
    /// `None` when there is no store yet: a SQLite file that does not exist, or a PostgreSQL
    /// database without golive's table. Nothing has been recorded there, so the history is
    /// empty.
    pub async fn open_existing(location: &Location) -> Result<Option<Store>, StoreError> {
        let shown: Arc<str> = location.display().into();
        let backend = match location {
            Location::Sqlite(path) => sqlite::open_existing(path, &shown)
                .await?
                .map(Backend::Sqlite),
            Location::Postgres(url) => postgres::open_existing(url, &shown)
                .await?
                .map(Backend::Postgres),
        };
        Ok(backend.map(|backend| Store { backend, shown }))
    }

    /// Appends events atomically, in order, extending the hash chain, and returns them as
    /// stored. Writers, in this process or others, take turns: each reads the last event and
    /// inserts after it under an exclusive write lock, so the chain never forks and nobody
    /// sees "database is locked" (up to a 30 s wait).
    pub async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<Event>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::append(pool, events).await,
            Backend::Postgres(pool) => postgres::append(pool, events).await,
        }
        .map_err(|cause| self.error(cause))
    }

    /// All events (of one checklist, or all when `None`), in `seq` order.
    pub async fn events(&self, checklist: Option<&str>) -> Result<Vec<Event>, StoreError> {
        let rows = self.rows(checklist).await?;
        Ok(rows
            .into_iter()
            .map(|row| row.into_event(Read::Lenient))
            .collect())
    }

    /// What `checklist`'s events add up to now. Reads every event but the results of runs
    /// before the latest, which [`State::from_events`] skips anyway: a store's history grows
    /// by thousands of results a run, and they need not all be fetched and parsed again.
    pub async fn state(&self, checklist: &Identity) -> Result<State, StoreError> {
        let mut events = Vec::new();
        for key in keys(checklist) {
            let rows = match &self.backend {
                Backend::Sqlite(pool) => sqlite::state_rows(pool, key).await,
                Backend::Postgres(pool) => postgres::state_rows(pool, key).await,
            }
            .map_err(|cause| self.error(cause))?;
            events.extend(rows.into_iter().map(|row| row.into_event(Read::Lenient)));
        }
        events.retain(|event| checklist.owns(event));
        events.sort_by_key(|event| event.seq);
        let last_run = events
            .iter()
            .filter(|event| event.kind() == Some(event::Kind::Run))
            .map(|event| event.seq)
            .max();
        let state = State::from_events(checklist, &events);
        if state.latest_run.as_ref().map(|run| run.seq) == last_run {
            return Ok(state);
        }
        // The last run event cannot be read, so the latest run is an earlier one, whose
        // results were not fetched: fold the whole history.
        let events = self.events_of(checklist).await?;
        Ok(State::from_events(checklist, &events))
    }

    /// Every event of `checklist`, adopted ones included, in `seq` order.
    pub async fn events_of(&self, checklist: &Identity) -> Result<Vec<Event>, StoreError> {
        let mut events = Vec::new();
        for key in keys(checklist) {
            events.extend(self.events(Some(key)).await?);
        }
        events.retain(|event| checklist.owns(event));
        events.sort_by_key(|event| event.seq);
        Ok(events)
    }

    /// Every `adopt` event of the store, in `seq` order: what [`identity::decide`] reads.
    pub async fn adopt_events(&self) -> Result<Vec<Event>, StoreError> {
        let kind = event::Kind::Adopt.as_str();
        let rows = match &self.backend {
            Backend::Sqlite(pool) => sqlite::kind_rows(pool, kind).await,
            Backend::Postgres(pool) => postgres::kind_rows(pool, kind).await,
        }
        .map_err(|cause| self.error(cause))?;
        Ok(rows
            .into_iter()
            .map(|row| row.into_event(Read::Lenient))
            .collect())
    }

    /// Whether any event is stored under `checklist` (a key, not an identity).
    pub async fn has_events(&self, checklist: &str) -> Result<bool, StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::has_rows(pool, checklist).await,
            Backend::Postgres(pool) => postgres::has_rows(pool, checklist).await,
        }
        .map_err(|cause| self.error(cause))
    }

    /// `checklist`'s state folded from exactly the events the chain verification read, in
    /// one read: what the gate decides on is what was verified, even with writers appending
    /// meanwhile. Verifying needs every event of the store anyway (the chain is global), so
    /// this reads the whole history, where [`Store::state`] skips past results.
    pub async fn verified_state(
        &self,
        checklist: &Identity,
        anchors: &[event::Anchor],
    ) -> Result<(State, event::Verification), StoreError> {
        let rows = self.rows(None).await?;
        let events: Vec<Event> = rows
            .into_iter()
            .map(|row| row.into_event(Read::Strict))
            .collect();
        let verification = event::verify_anchored(&events, anchors);
        Ok((State::from_events(checklist, &events), verification))
    }

    /// Every event of the store, read once, and what verifying their chain found: the
    /// evidence pack reports exactly the events whose chain it checked.
    pub async fn verified_events(
        &self,
        anchors: &[event::Anchor],
    ) -> Result<(Vec<Event>, event::Verification), StoreError> {
        let rows = self.rows(None).await?;
        let events: Vec<Event> = rows
            .into_iter()
            .map(|row| row.into_event(Read::Strict))
            .collect();
        let verification = event::verify_anchored(&events, anchors);
        Ok((events, verification))
    }

    /// The store's last event, as an anchor for `audit verify --anchor`; `None` when empty.
    pub async fn head(&self) -> Result<Option<event::Anchor>, StoreError> {
        let head = match &self.backend {
            Backend::Sqlite(pool) => sqlite::head(pool).await,
            Backend::Postgres(pool) => postgres::head(pool).await,
        }
        .map_err(|cause| self.error(cause))?;
        Ok(head.map(|(seq, hash)| event::Anchor { seq, hash }))
    }

    /// `checklist`'s latest event of `kind`, if any, adopted ones included.
    pub async fn latest(
        &self,
        checklist: &Identity,
        kind: event::Kind,
    ) -> Result<Option<Event>, StoreError> {
        let mut latest: Option<Event> = None;
        for key in keys(checklist) {
            let row = match &self.backend {
                Backend::Sqlite(pool) => sqlite::latest_row(pool, key, kind.as_str()).await,
                Backend::Postgres(pool) => postgres::latest_row(pool, key, kind.as_str()).await,
            }
            .map_err(|cause| self.error(cause))?;
            let mut found = row.map(|row| row.into_event(Read::Lenient));
            if found.as_ref().is_some_and(|event| !checklist.owns(event)) {
                // Written under the adopted name after the adoption (only a golive that
                // ignores migrations could): look further back, rarely.
                found = self
                    .events_of(checklist)
                    .await?
                    .into_iter()
                    .rev()
                    .find(|event| event.checklist == key && event.kind() == Some(kind));
            }
            if let Some(event) = found
                && latest.as_ref().is_none_or(|best| best.seq < event.seq)
            {
                latest = Some(event);
            }
        }
        Ok(latest)
    }

    /// [`event::verify`] over the whole table in `seq` order: the chain is global to the
    /// store, not per checklist.
    pub async fn verify(&self) -> Result<event::Verification, StoreError> {
        self.verify_anchored(&[]).await
    }

    /// [`Store::verify`], and every anchor (an earlier head) must still be in the chain.
    pub async fn verify_anchored(
        &self,
        anchors: &[event::Anchor],
    ) -> Result<event::Verification, StoreError> {
        let rows = self.rows(None).await?;
        let events: Vec<Event> = rows
            .into_iter()
            .map(|row| row.into_event(Read::Strict))
            .collect();
        Ok(event::verify_anchored(&events, anchors))
    }

    /// Closes the pool, waiting for connections to finish (for SQLite this also checkpoints
    /// the write-ahead log). Dropping a store without closing it is safe, only less tidy.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(pool) => {
                // The pool's connections may outlive the process's last await, so the log is
                // folded into the database file here rather than left to SQLite's last close.
                // A read-only store cannot be checkpointed, and needs not be.
                let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(pool)
                    .await;
                pool.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    async fn rows(&self, checklist: Option<&str>) -> Result<Vec<Row>, StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::rows(pool, checklist).await,
            Backend::Postgres(pool) => postgres::rows(pool, checklist).await,
        }
        .map_err(|cause| self.error(cause))
    }

    fn error(&self, cause: sqlx::Error) -> StoreError {
        query_error(&self.shown, cause)
    }
}

/// A failed query, as a [`StoreError`]: waiting too long for a lock (SQLite's `busy_timeout`,
/// or every pooled connection in use) gets a message of its own.
fn query_error(shown: &str, cause: sqlx::Error) -> StoreError {
    let location = shown.to_string();
    if let Some(error) = sqlite::plain_error(&location, &cause) {
        error
    } else if waited_too_long(&cause) {
        StoreError::Busy { location, cause }
    } else {
        StoreError::Query { location, cause }
    }
}

/// A failed migration, as a [`StoreError`]: applied migrations that golive does not have
/// mean the database is not (only) golive's.
fn migrate_error(shown: &str, cause: MigrateError) -> StoreError {
    let location = shown.to_string();
    match cause {
        MigrateError::VersionMissing(_) | MigrateError::VersionMismatch(_) => {
            StoreError::Foreign { location, cause }
        }
        MigrateError::Execute(cause) => match sqlite::plain_error(&location, &cause) {
            Some(error) => error,
            None if waited_too_long(&cause) => StoreError::Busy { location, cause },
            None => StoreError::Migrate {
                location,
                cause: MigrateError::Execute(cause),
            },
        },
        cause => StoreError::Migrate { location, cause },
    }
}

fn waited_too_long(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::PoolTimedOut) || sqlite::is_busy(error)
}

/// Seals `events` in order after the last stored event (`seq`, `hash`), or after
/// [`event::GENESIS`] in an empty store: the chain logic both backends share, inside their
/// own locked transactions. Each event comes with its payload's canonical JSON, the text the
/// stores keep.
fn seal_after(last: Option<(i64, String)>, events: Vec<NewEvent>) -> Vec<(Event, String)> {
    let (mut seq, mut prev_hash) = last.unwrap_or_else(|| (0, event::GENESIS.to_string()));
    events
        .into_iter()
        .map(|new| {
            seq += 1;
            let sealed =
                Event::seal_encoded(new, seq, event::now(), std::mem::take(&mut prev_hash));
            prev_hash = sealed.0.hash.clone();
            sealed
        })
        .collect()
}

/// The keys an identity's events are stored under: its own, then the one it adopted.
fn keys(checklist: &Identity) -> impl Iterator<Item = &str> {
    std::iter::once(checklist.key.as_str()).chain(
        checklist
            .adopted
            .as_ref()
            .map(|adopted| adopted.from.as_str()),
    )
}

/// An `events` row as both backends select it: `seq, at, checklist, kind, item, actor,
/// payload, prev_hash, hash`, the payload still as the text that was hashed.
#[derive(Debug, sqlx::FromRow)]
struct Row {
    seq: i64,
    at: String,
    checklist: String,
    kind: String,
    item: Option<String>,
    actor: String,
    payload: String,
    prev_hash: String,
    hash: String,
}

/// How to read a payload that is not exactly the canonical JSON that was hashed (it can only
/// get that way by being edited in the database).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// For reading state: keep it (unparsable text as a JSON string), so the fold can flag
    /// the event as unreadable rather than the whole read failing.
    Lenient,
    /// For verifying: the event must fail its hash check. Re-encoding the parsed payload
    /// could hide an edit that changes only bytes (`{"done": true}` for `{"done":true}`),
    /// so the stored text itself is compared, and a mismatch blanks the hash.
    Strict,
}

impl Row {
    fn into_event(self, read: Read) -> Event {
        let (payload, exact) = match serde_json::from_str::<Json>(&self.payload) {
            // Only verifying needs to know whether the text is canonical; re-encoding every
            // payload to find out is most of the cost of reading the state otherwise.
            Ok(value) if read == Read::Lenient => (value, true),
            Ok(value) => {
                let exact = event::canonical_json(&value) == self.payload;
                (value, exact)
            }
            Err(_) => (Json::String(self.payload), false),
        };
        let hash = if exact || read == Read::Lenient {
            self.hash
        } else {
            String::new()
        };
        Event {
            seq: self.seq,
            at: self.at,
            checklist: self.checklist,
            kind: self.kind,
            item: self.item,
            actor: self.actor,
            payload,
            prev_hash: self.prev_hash,
            hash,
        }
    }
}
