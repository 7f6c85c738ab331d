//! A small builder around the real binary, run in a temporary directory.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use golive::checklist::toml::{self, Fields};
use golive::expr::{Condition, Verdict};
use golive::probe::Outcome;

pub(crate) const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/seeds");

/// The seed checklists, by number: `seed(4)` is `004_….txt`.
pub(crate) fn seed(number: usize) -> PathBuf {
    let prefix = format!("{number:03}_");
    std::fs::read_dir(SEEDS)
        .expect("the seeds live in ../shared/seeds")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        })
        .unwrap_or_else(|| panic!("no seed {prefix}* in {SEEDS}"))
}

/// A temporary directory holding files for one test.
pub(crate) struct Sandbox {
    pub(crate) dir: tempfile::TempDir,
}

impl Sandbox {
    pub(crate) fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub(crate) fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write a fixture");
        path
    }

    pub(crate) fn copy(&self, from: &Path, name: &str) -> PathBuf {
        self.write(name, std::fs::read(from).expect("read the original"))
    }

    pub(crate) fn golive(&self) -> Command {
        let mut command = Command::cargo_bin("golive").expect("the golive binary");
        command
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("COLUMNS");
        command
    }
}

/// `golive status FILE --format json`, parsed.
pub(crate) fn status_json(path: &Path) -> serde_json::Value {
    let output = Command::cargo_bin("golive")
        .expect("the golive binary")
        .args(["status", "--format", "json"])
        .arg(path)
        .output()
        .expect("run golive");
    assert!(
        output.status.success(),
        "status failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("status prints JSON")
}

/// The keys of one `[[check]]` holding `keys`, as `golive.toml` hands them to a probe.
pub(crate) fn check_fields(keys: &str) -> Fields {
    toml::parse(&format!("[[check]]\n{keys}\n"))
        .expect("valid TOML")
        .checks
        .remove(0)
}

/// What `condition` says of what a probe observed.
pub(crate) fn verdict(outcome: &Outcome, condition: &str) -> Verdict {
    Condition::parse(condition)
        .expect("a valid condition")
        .evaluate(&outcome.observed)
}

/// Fails the test, with what the probe observed, unless `condition` holds.
pub(crate) fn assert_holds(outcome: &Outcome, condition: &str) {
    let verdict = verdict(outcome, condition);
    assert!(
        verdict.is_pass(),
        "`{condition}` should hold: {verdict:?}\nproblem: {:?}\nobserved: {:?}",
        outcome.problem,
        outcome.observed
    );
}

/// [`assert_holds`] for each of `conditions`.
pub(crate) fn assert_all_hold(outcome: &Outcome, conditions: &[&str]) {
    for condition in conditions {
        assert_holds(outcome, condition);
    }
}

/// Fails the test unless `condition` fails.
pub(crate) fn assert_fails(outcome: &Outcome, condition: &str) {
    let verdict = verdict(outcome, condition);
    assert!(
        !verdict.is_pass(),
        "`{condition}` should fail; observed: {:?}",
        outcome.observed
    );
}

/// Serves `router` on a fresh loopback port for the rest of the test: its address.
pub(crate) async fn serve(router: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let address = listener.local_addr().expect("a local address");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    address
}

/// Runs `sql` on the SQLite store at `path`, around golive, as someone with write access to
/// the file could. For a `SELECT`, returns the first column of the first row as text (empty
/// when there is none).
pub(crate) fn run_sql(path: &Path, sql: &str) -> String {
    use sqlx::Row as _;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
        let pool = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("open the store");
        let text = if sql.trim_start().to_ascii_uppercase().starts_with("SELECT") {
            let row = sqlx::query(sql)
                .fetch_optional(&pool)
                .await
                .expect("select");
            row.map(|row| {
                row.try_get::<i64, _>(0)
                    .map(|n| n.to_string())
                    .or_else(|_| row.try_get::<String, _>(0))
                    .expect("an integer or text column")
            })
            .unwrap_or_default()
        } else {
            sqlx::raw_sql(sql).execute(&pool).await.expect("execute");
            String::new()
        };
        pool.close().await;
        text
    })
}

/// Every event of the SQLite store at `path`, in `seq` order, as stored.
pub(crate) fn select_events(path: &Path) -> Vec<golive::store::event::Event> {
    use sqlx::Row as _;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
        let pool = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("open the store");
        let rows = sqlx::query(
            "SELECT seq, at, checklist, kind, item, actor, payload, prev_hash, hash FROM events ORDER BY seq",
        )
        .fetch_all(&pool)
        .await
        .expect("select events");
        pool.close().await;
        rows.iter()
            .map(|row| golive::store::event::Event {
                seq: row.get("seq"),
                at: row.get("at"),
                checklist: row.get("checklist"),
                kind: row.get("kind"),
                item: row.get("item"),
                actor: row.get("actor"),
                payload: serde_json::from_str(row.get::<&str, _>("payload")).expect("JSON"),
                prev_hash: row.get("prev_hash"),
                hash: row.get("hash"),
            })
            .collect()
    })
}
