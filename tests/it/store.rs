//! The store, through its public API, on both backends: every scenario below runs once on
//! SQLite (a temporary directory) and once on PostgreSQL (`GOLIVE_TEST_POSTGRES`, default the
//! `test` database on 127.0.0.1:5432). PostgreSQL being down fails its half: CI runs it.
//!
//! Each PostgreSQL fixture gets a schema of its own, reached through the URL
//! (`options=-csearch_path%3D…`), rather than a database of its own: `CREATE SCHEMA` is cheap
//! and runs concurrently, while `CREATE DATABASE` is slow and fails when another session is
//! copying the template at the same moment. Going through the URL is also the path a user's
//! own URL takes. The schema is dropped when the fixture is, even when the test panics.
//!
//! Scenarios take the [`Fixture`] rather than a `Store`: they open stores themselves (several,
//! or again after closing) and tamper with the database directly, as someone with write
//! access to it could.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use golive::store::event::{Broken, Event, GENESIS, Kind, NewEvent};
use golive::store::identity::Identity;
use golive::store::state::State;
use golive::store::{Location, Store, StoreError, checklist_key};
use serde_json::{Value as Json, json};
use sqlx::Connection as _;

const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

struct Fixture {
    location: Location,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL schema to drop, and how to reach the database to drop it.
    schema: Option<(String, String)>,
}

impl Fixture {
    fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::beside(&dir.path().join("launch.md"));
        Fixture {
            location,
            _dir: Some(dir),
            schema: None,
        }
    }

    async fn postgres() -> Fixture {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let admin = std::env::var("GOLIVE_TEST_POSTGRES").unwrap_or_else(|_| POSTGRES.into());
        let nanos = std::time::UNIX_EPOCH.elapsed().unwrap().as_nanos();
        let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
        let schema = format!("golive_test_{}_{nanos}_{counter}", std::process::id());
        // One connection, not a pool: a pool would retry a refused connection for 30 s.
        let mut admin_connection = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|error| panic!("PostgreSQL must be running at {admin}: {error}"));
        sqlx::raw_sql(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin_connection)
            .await
            .unwrap();
        admin_connection.close().await.unwrap();
        let separator = if admin.contains('?') { '&' } else { '?' };
        let url = format!("{admin}{separator}options=-csearch_path%3D{schema}");
        Fixture {
            location: Location::Postgres(url),
            _dir: None,
            schema: Some((schema, admin)),
        }
    }

    async fn open(&self) -> Store {
        Store::open(&self.location).await.unwrap()
    }

    /// Runs `sql` directly on the database, around the store.
    async fn tamper(&self, sql: &str) {
        match &self.location {
            Location::Sqlite(path) => {
                let pool = sqlx::SqlitePool::connect_with(
                    sqlx::sqlite::SqliteConnectOptions::new().filename(path),
                )
                .await
                .unwrap();
                sqlx::raw_sql(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
            Location::Postgres(url) => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                sqlx::raw_sql(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let Some((schema, admin)) = self.schema.take() else {
            return;
        };
        // Drop can't await, and may run inside the test's runtime: use a runtime of its own.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            runtime.unwrap().block_on(async {
                if let Ok(mut connection) = sqlx::PgConnection::connect(&admin).await {
                    let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                    let _ = sqlx::raw_sql(&drop).execute(&mut connection).await;
                    let _ = connection.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// Runs each scenario `name` of the calling module `m` as `m::sqlite::name` and
/// `m::postgres::name`.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $scenario() {
                    super::$scenario(&crate::store::Fixture::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $scenario() {
                    super::$scenario(&crate::store::Fixture::postgres().await).await;
                }
            )*
        }
    };
}

on_both_backends!(
    append_assigns_seq_and_chains_hashes,
    events_filter_by_checklist,
    payloads_round_trip_byte_exact_after_reopening,
    failed_batch_leaves_nothing_behind,
    concurrent_appenders_through_separate_pools_serialize,
    state_reads_only_the_latest_run_and_matches_a_full_fold,
    state_survives_an_unreadable_last_run_event,
);

// After the macro: they use it.
mod processes;
mod tamper;

fn tick(checklist: &str, item: &str, payload: Json) -> NewEvent {
    NewEvent {
        checklist: checklist.into(),
        kind: Kind::Tick,
        item: Some(item.into()),
        actor: "ana".into(),
        payload,
    }
}

/// Five ticks (`item-1` … `item-5`, payload `{"done":true,"n":N}`), returned as stored.
async fn five(store: &Store) -> Vec<Event> {
    let batch = (1..=5).map(|n| {
        tick(
            "launch.md",
            &format!("item-{n}"),
            json!({"done": true, "n": n}),
        )
    });
    store.append(batch.collect()).await.unwrap()
}

async fn first_bad(store: &Store) -> Option<Broken> {
    store.verify().await.unwrap().first_bad
}

async fn append_assigns_seq_and_chains_hashes(fixture: &Fixture) {
    let store = fixture.open().await;
    assert!(store.append(Vec::new()).await.unwrap().is_empty());
    let mut stored = five(&store).await;
    stored.extend(
        store
            .append(vec![tick("launch.md", "x", json!({}))])
            .await
            .unwrap(),
    );
    let seqs: Vec<i64> = stored.iter().map(|event| event.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
    assert_eq!(stored[0].prev_hash, GENESIS);
    for pair in stored.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
        assert!(pair[0].at <= pair[1].at, "times follow the chain");
    }
    for event in &stored {
        assert_eq!(event.hash, event.compute_hash());
        assert!(
            chrono::DateTime::parse_from_rfc3339(&event.at).is_ok(),
            "{}",
            event.at
        );
    }
    assert_eq!(store.events(None).await.unwrap(), stored);
    let verification = store.verify().await.unwrap();
    assert_eq!((verification.events, verification.first_bad), (6, None));
}

async fn events_filter_by_checklist(fixture: &Fixture) {
    let store = fixture.open().await;
    let batch = ["a.md", "b.md", "a.md", "b.md", "a.md"]
        .iter()
        .enumerate()
        .map(|(n, checklist)| tick(checklist, &format!("item-{n}"), json!({"done": true})));
    store.append(batch.collect()).await.unwrap();
    let seqs = |events: Vec<Event>| events.iter().map(|event| event.seq).collect::<Vec<_>>();
    assert_eq!(seqs(store.events(Some("a.md")).await.unwrap()), [1, 3, 5]);
    assert_eq!(seqs(store.events(Some("b.md")).await.unwrap()), [2, 4]);
    assert!(store.events(Some("c.md")).await.unwrap().is_empty());
    assert!(
        store.events(Some("A.MD")).await.unwrap().is_empty(),
        "keys are exact"
    );
    assert_eq!(first_bad(&store).await, None, "the chain spans checklists");
}

async fn payloads_round_trip_byte_exact_after_reopening(fixture: &Fixture) {
    let payload = json!({
        "zeta": [1, -2, 3.5, 1e-7, 18446744073709551615u64, -9223372036854775808i64, null, true],
        "ålpha": {"nested": {"deeper": [{}, [], "", {"b": 1, "a": 2}]}},
        "text": "naïve café — 日本語 🚀 \"quoted\" back\\slash\ttab\nnewline \u{1} nul\u{0}",
        "": "empty key",
    });
    let events = vec![
        NewEvent {
            checklist: "lancement été.md".into(),
            kind: Kind::Result,
            item: Some("dns ✓".into()),
            actor: "José Ñúñez".into(),
            payload: payload.clone(),
        },
        NewEvent {
            checklist: "launch.md".into(),
            kind: Kind::Run,
            item: None,
            actor: "ci".into(),
            payload: json!({"checks": 0}),
        },
    ];
    let store = fixture.open().await;
    let stored = store.append(events).await.unwrap();
    assert_eq!(stored[0].payload, payload);
    store.close().await;
    drop(store);

    let reopened = fixture.open().await;
    assert_eq!(reopened.events(None).await.unwrap(), stored);
    assert_eq!(
        reopened.events(Some("lancement été.md")).await.unwrap(),
        stored[..1]
    );
    assert_eq!(first_bad(&reopened).await, None);
}

async fn failed_batch_leaves_nothing_behind(fixture: &Fixture) {
    let store = fixture.open().await;
    store
        .append(vec![tick("launch.md", "a", json!({}))])
        .await
        .unwrap();
    // Make the database refuse item `c`, so that a batch fails after its first insert.
    fixture
        .tamper(match fixture.location {
            Location::Sqlite(_) => {
                "CREATE TRIGGER reject_c BEFORE INSERT ON events WHEN NEW.item = 'c' \
                 BEGIN SELECT RAISE(ABORT, 'rejected'); END"
            }
            Location::Postgres(_) => {
                "ALTER TABLE events ADD CONSTRAINT reject_c CHECK (item <> 'c')"
            }
        })
        .await;
    let batch = vec![
        tick("launch.md", "b", json!({})),
        tick("launch.md", "c", json!({})),
    ];
    let error = store.append(batch).await.unwrap_err();
    assert!(matches!(error, StoreError::Query { .. }), "{error}");
    let seqs = |events: Vec<Event>| events.iter().map(|event| event.seq).collect::<Vec<_>>();
    assert_eq!(seqs(store.events(None).await.unwrap()), [1]);
    let next = store
        .append(vec![tick("launch.md", "b", json!({}))])
        .await
        .unwrap();
    assert_eq!(seqs(next), [2], "the failed batch left no gap");
    assert_eq!(first_bad(&store).await, None);
}

/// 8 writers, each with its own pool (as separate processes would have), all opening the
/// store for the first time at once, then appending 50 events one at a time.
async fn concurrent_appenders_through_separate_pools_serialize(fixture: &Fixture) {
    const WRITERS: usize = 8;
    const EACH: usize = 50;
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let location = fixture.location.clone();
        tasks.spawn(async move {
            let store = Store::open(&location).await?;
            let mut seqs = Vec::new();
            for n in 0..EACH {
                let new = tick(
                    "launch.md",
                    &format!("w{writer}"),
                    json!({"writer": writer, "n": n}),
                );
                seqs.push(store.append(vec![new]).await?[0].seq);
            }
            Ok::<_, StoreError>(seqs)
        });
    }
    let mut all = BTreeSet::new();
    while let Some(joined) = tasks.join_next().await {
        let seqs = joined
            .unwrap()
            .unwrap_or_else(|error| panic!("a writer failed: {error}"));
        assert!(seqs.is_sorted(), "a writer's events keep its order");
        all.extend(seqs);
    }
    assert_eq!(all, (1..=(WRITERS * EACH) as i64).collect());
    let store = fixture.open().await;
    let verification = store.verify().await.unwrap();
    assert_eq!(
        (verification.events, verification.first_bad),
        (WRITERS * EACH, None)
    );
}

#[test]
fn locations_parse_postgres_urls_sqlite_urls_and_paths() {
    let postgres = |url: &str| Location::Postgres(url.to_string());
    assert_eq!(
        Location::parse("postgres://db/golive"),
        postgres("postgres://db/golive")
    );
    assert_eq!(
        Location::parse("postgresql://u@db/g"),
        postgres("postgresql://u@db/g")
    );
    assert_eq!(
        Location::parse("POSTGRES://db/golive"),
        postgres("POSTGRES://db/golive")
    );
    let sqlite = |path: &str| Location::Sqlite(PathBuf::from(path));
    assert_eq!(
        Location::parse("sqlite://ops/state.db"),
        sqlite("ops/state.db")
    );
    assert_eq!(
        Location::parse("sqlite:///var/golive.db"),
        sqlite("/var/golive.db")
    );
    assert_eq!(Location::parse("sqlite:state.db"), sqlite("state.db"));
    assert_eq!(Location::parse("../state.db"), sqlite("../state.db"));
    assert_eq!(Location::parse("postgres.db"), sqlite("postgres.db"));
    assert_eq!(
        Location::beside("ops/launch.md".as_ref()),
        sqlite("ops/.golive/state.db")
    );
    assert_eq!(
        Location::beside("launch.md".as_ref()),
        sqlite(".golive/state.db")
    );
}

#[test]
fn locations_display_without_passwords() {
    let shown = |text: &str| Location::parse(text).display();
    assert_eq!(shown("ops/state.db"), "ops/state.db");
    assert_eq!(
        shown("postgres://db:5432/golive"),
        "postgres://db:5432/golive"
    );
    assert_eq!(
        shown("postgres://ana@db/golive"),
        "postgres://ana@db/golive"
    );
    assert_eq!(
        shown("postgres://ana:s3cret@db/golive"),
        "postgres://ana:****@db/golive"
    );
    assert_eq!(
        shown("postgresql://ana:p%40ss@db:5432/g?sslmode=require"),
        "postgresql://ana:****@db:5432/g?sslmode=require"
    );
    // Pasted unencoded: everything up to the last `@` is user info.
    assert_eq!(
        shown("postgres://ana:p@ss/w?rd@db/golive"),
        "postgres://ana:****@db/golive"
    );
    assert_eq!(
        shown("postgres://db/golive?user=ana&password=s3cret"),
        "postgres://db/golive?user=ana&password=****"
    );
}

#[test]
fn checklists_are_keyed_by_path_not_file_name() {
    // `GOLIVE_CHECKLIST_ID` is covered through the binary: tests can't set variables safely.
    // Repositories and shared SQLite stores: `store::identity`'s unit tests, tests/it/identity.rs.
    if std::env::var_os("GOLIVE_CHECKLIST_ID").is_none() {
        let q4 = std::path::Path::new("/srv/q4/launch.md");
        let postgres = Location::parse("postgres://db/golive");
        assert_eq!(checklist_key(q4, &postgres), "/srv/q4/launch.md");
        assert_ne!(
            checklist_key(q4, &postgres),
            checklist_key("/srv/q3/launch.md".as_ref(), &postgres)
        );
        assert_eq!(checklist_key(q4, &Location::beside(q4)), "launch.md");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_postgres_is_named_without_its_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let location = Location::parse(&format!("postgres://golive:s3cret@127.0.0.1:{port}/golive"));
    let error = Store::open(&location).await.unwrap_err().to_string();
    let expected = format!(
        "cannot connect to PostgreSQL at `postgres://golive:****@127.0.0.1:{port}/golive`: "
    );
    assert!(error.starts_with(&expected), "{error}");
    assert!(
        error.contains("refused") && error.contains("is it running") && !error.contains("s3cret"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, "a file, not a directory").unwrap();
    let error = Store::open(&Location::Sqlite(blocker.join("state.db")))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::CreateDir { .. }), "{error}");
    assert!(error.to_string().starts_with(&format!(
        "cannot create the directory `{}`",
        blocker.display()
    )));

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![b'x'; 4096]).unwrap();
    let error = Store::open(&Location::Sqlite(garbage.clone()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(&format!("`{}`", garbage.display())),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_postgres_url_is_named_without_its_password() {
    let location = Location::parse("postgres://ana:s3cret@db:notaport/golive");
    let error = Store::open(&location).await.unwrap_err().to_string();
    let expected = "`postgres://ana:****@db:notaport/golive` is not a usable PostgreSQL URL: ";
    assert!(
        error.starts_with(expected) && !error.contains("s3cret"),
        "{error}"
    );
}

/// The default store is a WAL-mode file in `.golive/` beside the checklist, created on first
/// open; an empty path is refused rather than opened as a throwaway temporary database.
#[tokio::test(flavor = "multi_thread")]
async fn sqlite_store_is_a_wal_file_beside_the_checklist() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Location::beside(&dir.path().join("launch.md")))
        .await
        .unwrap();
    store
        .append(vec![tick("launch.md", "a", json!({}))])
        .await
        .unwrap();
    let path = dir.path().join(".golive/state.db");
    let mut raw = sqlx::SqliteConnection::connect_with(
        &sqlx::sqlite::SqliteConnectOptions::new().filename(&path),
    )
    .await
    .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(mode, "wal");

    let error = Store::open(&Location::parse("")).await.unwrap_err();
    assert!(matches!(error, StoreError::EmptyPath), "{error}");
}

fn event(kind: Kind, item: Option<&str>, payload: Json) -> NewEvent {
    NewEvent {
        checklist: "launch.md".into(),
        kind,
        item: item.map(str::to_string),
        actor: "ana".into(),
        payload,
    }
}

/// Appends a run of `checks` checks, one result per item, and returns the run's `seq`.
async fn run(store: &Store, items: &[&str], passed: bool) -> i64 {
    let started = store
        .append(vec![event(Kind::Run, None, json!({"checks": items.len()}))])
        .await
        .unwrap();
    let seq = started[0].seq;
    let results = items.iter().map(|item| {
        event(
            Kind::Result,
            Some(item),
            json!({"run": seq, "check": item, "items": [item], "passed": passed,
                   "failures": [], "observed": {"status": 200}}),
        )
    });
    store.append(results.collect()).await.unwrap();
    seq
}

/// What the whole history folds to: the state as it was computed before it was read in part.
async fn full_fold(store: &Store) -> State {
    State::from_events("launch.md", &store.events(Some("launch.md")).await.unwrap())
}

async fn state_reads_only_the_latest_run_and_matches_a_full_fold(fixture: &Fixture) {
    let store = fixture.open().await;
    let items = ["a", "b", "c"];
    store
        .append(vec![
            event(Kind::Import, None, json!({"sha256": "00", "items": 3})),
            tick("other.md", "a", json!({"done": true})),
        ])
        .await
        .unwrap();
    let mut last = 0;
    for n in 0..6 {
        last = run(&store, &items, n % 2 == 0).await;
        store
            .append(vec![
                event(Kind::Tick, Some(items[n % 3]), json!({"done": n % 2 == 1})),
                // A result of the previous run arriving late, and an event no one can read.
                event(
                    Kind::Result,
                    Some("a"),
                    json!({"run": last - 1, "check": "late", "items": ["a"], "passed": true}),
                ),
                event(Kind::Na, Some("b"), json!({"no reason": n})),
            ])
            .await
            .unwrap();
    }
    store
        .append(vec![event(
            Kind::Approve,
            None,
            json!({"role": "QA", "decision": "go"}),
        )])
        .await
        .unwrap();
    let state = store.state(&Identity::plain("launch.md")).await.unwrap();
    assert_eq!(state, full_fold(&store).await);
    assert_eq!(state.latest_run.as_ref().map(|run| run.seq), Some(last));
    for item in items {
        let results = &state.items[item].results;
        assert_eq!(results.len(), 1, "{item}: only the latest run's result");
        assert!(!results[0].passed);
    }
    assert_eq!(state.unreadable.len(), 6);
    assert_eq!(state.approvals.len(), 1);
    assert!(store.state(&Identity::plain("nothing.md")).await.unwrap() == State::default());
    let import = store
        .latest(&Identity::plain("launch.md"), Kind::Import)
        .await
        .unwrap();
    assert_eq!(import.map(|event| event.seq), Some(1));
    let latest_run = store
        .latest(&Identity::plain("launch.md"), Kind::Run)
        .await
        .unwrap();
    assert_eq!(latest_run.map(|event| event.seq), Some(last));
    assert_eq!(
        store
            .latest(&Identity::plain("other.md"), Kind::Run)
            .await
            .unwrap(),
        None
    );
}

async fn state_survives_an_unreadable_last_run_event(fixture: &Fixture) {
    let store = fixture.open().await;
    let readable = run(&store, &["a", "b"], true).await;
    let unreadable = store
        .append(vec![event(Kind::Run, None, json!({"checks": "two"}))])
        .await
        .unwrap()[0]
        .seq;
    let state = store.state(&Identity::plain("launch.md")).await.unwrap();
    assert_eq!(state, full_fold(&store).await);
    assert_eq!(state.latest_run.as_ref().map(|run| run.seq), Some(readable));
    assert_eq!(
        state.items["a"].results.len(),
        1,
        "the readable run's results"
    );
    assert_eq!(state.unreadable, [unreadable]);
}
