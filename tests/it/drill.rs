//! Restore drills against the local PostgreSQL (127.0.0.1:5432, trust): each test makes its
//! own source database and drops it after; golive makes and drops its scratch databases.

use std::process::Command;

use crate::support::Sandbox;

const ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// `psql -Atqc sql` on `db` of the local server (127.0.0.1:5432); its output, trimmed.
pub(crate) fn psql(db: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", db, "-Atqc", sql])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A source database with 1,000 orders, dropped when the test ends.
struct Source(String);

impl Source {
    fn new(tag: &str) -> Source {
        let name = format!("i11_{tag}_{}", std::process::id());
        psql("postgres", &format!("drop database if exists {name}"));
        psql("postgres", &format!("create database {name}"));
        psql(
            &name,
            "create table orders(id serial primary key, v text); \
             insert into orders(v) select 'x' || g from generate_series(1, 1000) g",
        );
        Source(name)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.0)
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc"])
            .arg(format!("drop database if exists {} with (force)", self.0))
            .output();
    }
}

fn sandbox(url: &str, restore_extra: &str) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write(
        "list.md",
        "# Plan\n- [ ] Backup done\n- [ ] Restore verified\n",
    );
    sandbox.write(
        "golive.toml",
        format!(
            "[[check]]\nitem = \"backup-done\"\nname = \"backup\"\nprobe = \"drill\"\naction = \"backup\"\ndatabase = \"{url}\"\n\n\
             [[check]]\nitem = \"restore-verified\"\nname = \"restore\"\nprobe = \"drill\"\naction = \"restore\"\nafter = [\"backup\"]\n\
             database = \"{url}\"\nrto = \"30m\"\n{restore_extra}\n"
        ),
    );
    sandbox
}

fn check(sandbox: &Sandbox) -> serde_json::Value {
    let output = sandbox
        .golive()
        .args(["check", "list.md", "--format", "json", "--quiet"])
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "not JSON: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn scratch_databases() -> String {
    psql(
        "postgres",
        "select string_agg(datname, ',') from pg_database where datname like 'golive_drill_%'",
    )
}

#[test]
fn a_backup_restores_verified_and_leaves_no_scratch_database() {
    let source = Source::new("ok");
    let sandbox = sandbox(
        &source.url(),
        "verify = [{ query = \"select count(*) from orders\", expect = \"value == 1000\" }]\n\
         then = [{ probe = \"postgres\", url = \"{{scratch_url}}\", query = \"select max(id) from orders\", expect = \"value == 1000\" }]",
    );
    let report = check(&sandbox);
    assert_eq!(report["summary"]["failed"], 0, "{report:#}");
    let restore = &report["results"][1]["observed"];
    assert_eq!(restore["verdict"], "verified");
    assert_eq!(restore["rows_verified"], 1000);
    assert!(restore["rto"].is_string(), "{restore}");
    let backups = sandbox.dir.path().join("backups");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&backups).unwrap().permissions().mode() & 0o777,
        0o700
    );
    for entry in std::fs::read_dir(&backups).unwrap() {
        let mode = entry.unwrap().metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert!(!scratch_databases().contains(&*restore["scratch"].as_str().unwrap().to_owned()));
}

#[test]
fn a_truncated_dump_fails_its_checksum_and_is_not_restored() {
    let source = Source::new("trunc");
    let sandbox = sandbox(&source.url(), "");
    assert_eq!(check(&sandbox)["summary"]["failed"], 0);
    // Only the restore this time, on the damaged dump.
    let toml = std::fs::read_to_string(sandbox.dir.path().join("golive.toml")).unwrap();
    let restore_only = toml
        .split("\n\n")
        .nth(1)
        .unwrap()
        .replace("after = [\"backup\"]\n", "");
    sandbox.write("golive.toml", restore_only);
    let dump = std::fs::read_dir(sandbox.dir.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "dump"))
        .unwrap();
    let bytes = std::fs::read(&dump).unwrap();
    std::fs::write(&dump, &bytes[..bytes.len() - 5]).unwrap();
    let report = check(&sandbox);
    let result = &report["results"][0];
    assert_eq!(result["passed"], false);
    assert_eq!(result["observed"]["verdict"], "failed");
    assert!(
        result["problem"].as_str().unwrap().contains("checksum"),
        "{result}"
    );
}

#[test]
fn data_changed_after_the_manifest_is_a_mismatch() {
    let source = Source::new("changed");
    let sandbox = sandbox(&source.url(), "");
    assert_eq!(check(&sandbox)["summary"]["failed"], 0);
    let manifest = std::fs::read_dir(sandbox.dir.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".manifest.json"))
        .unwrap();
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("\"public.orders\": 1000", "\"public.orders\": 1001"),
    )
    .unwrap();
    let toml = std::fs::read_to_string(sandbox.dir.path().join("golive.toml")).unwrap();
    sandbox.write(
        "golive.toml",
        toml.split("\n\n")
            .nth(1)
            .unwrap()
            .replace("after = [\"backup\"]\n", ""),
    );
    let report = check(&sandbox);
    let result = &report["results"][0];
    assert_eq!(result["passed"], false);
    assert!(
        result["problem"]
            .as_str()
            .unwrap()
            .contains("public.orders: 1000 rows restored, the manifest says 1001"),
        "{result}"
    );
}

#[test]
fn an_existing_scratch_name_is_refused_and_kept() {
    let source = Source::new("exists");
    let taken = format!("i11_taken_{}", std::process::id());
    psql("postgres", &format!("drop database if exists {taken}"));
    psql("postgres", &format!("create database {taken}"));
    let sandbox = sandbox(&source.url(), &format!("scratch = \"{taken}\""));
    let report = check(&sandbox);
    let result = &report["results"][1];
    assert_eq!(result["passed"], false);
    assert!(
        result["problem"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{result}"
    );
    assert_eq!(
        psql(
            "postgres",
            &format!("select count(*) from pg_database where datname = '{taken}'")
        ),
        "1"
    );
    psql("postgres", &format!("drop database {taken}"));
}

#[test]
fn a_then_check_never_green_leaves_the_rto_unknown() {
    let source = Source::new("then");
    let sandbox = sandbox(
        &source.url(),
        "then = [{ probe = \"postgres\", url = \"{{scratch_url}}\", query = \"select count(*) from orders\", expect = \"value == 5\", retries = 1, interval = \"100ms\" }]",
    );
    let report = check(&sandbox);
    let result = &report["results"][1];
    assert_eq!(result["passed"], false);
    assert_eq!(result["observed"]["verdict"], "unknown");
    assert!(result["observed"]["rto"].is_null());
    assert!(
        result["problem"]
            .as_str()
            .unwrap()
            .contains("never passed in 2 attempts"),
        "{result}"
    );
    assert!(!scratch_databases().contains(result["observed"]["scratch"].as_str().unwrap()));
}

#[test]
fn a_missing_database_fails_with_the_reason() {
    let sandbox = sandbox(
        "postgres://postgres@127.0.0.1:5432/i11_no_such_database",
        "",
    );
    let report = check(&sandbox);
    assert_eq!(report["summary"]["failed"], 2);
    let problem = report["results"][0]["problem"].as_str().unwrap();
    assert!(problem.contains("i11_no_such_database"), "{problem}");
    let _ = ADMIN;
}
