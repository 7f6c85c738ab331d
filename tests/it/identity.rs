//! Issue 9, item 3: one checklist, one history. A checklist is keyed by its path from the
//! repository (or store) root, so two `launch.md` sharing a store keep apart; a store an
//! earlier golive wrote, keyed by bare file names, keeps its history after the upgrade.
//!
//! The old-format stores are built in each test: the current binary records under the bare
//! file name (`GOLIVE_CHECKLIST_ID=launch.md`, exactly the key earlier versions wrote), then
//! migration 0003's record and index are removed with SQL, which leaves the schema earlier
//! versions made (0001, 0002 and 0005, whose files are unchanged, so their checksums match).

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::{Sandbox, run_sql};

const LIST: &str = "# Launch

## Infrastructure

- [ ] **Health checks** return 200
- [ ] **Backups** restored once
- [ ] **CDN** in front of the service (if applicable)

## Sign-off

| Role          | Name | Approval |
| ------------- | ---- | -------- |
| **Tech Lead** | Bob  | [ ]      |
";

/// golive in the sandbox with `env` (name, value; an empty value removes it).
fn golive(sandbox: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = sandbox.golive();
    command
        .env_remove("GOLIVE_STORE")
        .env_remove("GOLIVE_CHECKLIST_ID");
    for (name, value) in env {
        command.env(name, value);
    }
    command.args(args).output().expect("run golive")
}

fn text(output: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn ok(sandbox: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> Output {
    let output = golive(sandbox, env, args);
    assert_eq!(output.status.code(), Some(0), "{args:?}\n{}", text(&output));
    output
}

/// Ticks, waives, marks n/a and approves (signed) `file`: the gate says GO.
fn settle(sandbox: &Sandbox, env: &[(&str, &str)], file: &str) {
    ok(sandbox, env, &["tick", file, "Health"]);
    ok(
        sandbox,
        env,
        &[
            "waive",
            file,
            "Backups",
            "--reason",
            "restore drill in January",
            "--role",
            "Tech Lead",
        ],
    );
    ok(
        sandbox,
        env,
        &["na", file, "CDN", "--reason", "no CDN here"],
    );
    if !sandbox.dir.path().join("bob.key").exists() {
        ok(sandbox, &[], &["keys", "new", "--out", "bob.key"]);
    }
    ok(
        sandbox,
        env,
        &[
            "approve",
            file,
            "--role",
            "Tech Lead",
            "--by",
            "bob",
            "--go",
            "--sign",
            "bob.key",
        ],
    );
}

fn gate(sandbox: &Sandbox, env: &[(&str, &str)], file: &str) -> (Option<i32>, Value) {
    let output = golive(sandbox, env, &["gate", file, "--format", "json"]);
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("gate JSON\n{}", text(&output)));
    (output.status.code(), json)
}

/// `(kind, item or role)` of every reason.
fn reasons(json: &Value) -> Vec<(String, String)> {
    json["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|r| {
            let what = r["role"].as_str().or(r["item"].as_str()).unwrap_or("");
            (r["kind"].as_str().unwrap_or("").to_string(), what.into())
        })
        .collect()
}

/// `(checklist, kind)` of every event `audit log` shows for `file`.
fn log(sandbox: &Sandbox, env: &[(&str, &str)], file: &str) -> Vec<(String, String)> {
    let output = ok(sandbox, env, &["audit", "log", file, "--format", "json"]);
    let json: Value = serde_json::from_slice(&output.stdout).expect("log JSON");
    json["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            let field = |name: &str| e[name].as_str().unwrap_or("").to_string();
            (field("checklist"), field("kind"))
        })
        .collect()
}

fn verify(sandbox: &Sandbox, env: &[(&str, &str)], file: &str) {
    let output = ok(sandbox, env, &["audit", "verify", file]);
    assert!(text(&output).contains("intact"), "{}", text(&output));
}

fn git_init(dir: &Path) {
    let status = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir)
        .status()
        .expect("run git");
    assert!(status.success());
}

/// Writes `file` and records its history as golive before path keys did (under the bare
/// name), in `store` or the default store, then takes migration 0003 out of that store.
fn old_store(sandbox: &Sandbox, file: &str, store: Option<&str>) -> PathBuf {
    let path = sandbox.dir.path().join(file);
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
    std::fs::write(&path, LIST).expect("write");
    let mut env = vec![("GOLIVE_CHECKLIST_ID", "launch.md")];
    if let Some(store) = store {
        env.push(("GOLIVE_STORE", store));
    }
    settle(sandbox, &env, file);
    let (code, json) = gate(sandbox, &env, file);
    assert_eq!(code, Some(0), "the old history is GO: {json}");
    let db = match store {
        Some(store) => sandbox.dir.path().join(store),
        None => path.with_file_name(".golive").join("state.db"),
    };
    run_sql(&db, "DELETE FROM _sqlx_migrations WHERE version = 3");
    run_sql(&db, "DROP INDEX events_kind");
    run_sql(&db, "PRAGMA wal_checkpoint(TRUNCATE)");
    assert_eq!(
        run_sql(&db, "SELECT group_concat(version) FROM _sqlx_migrations"),
        "1,2,5"
    );
    assert_eq!(
        run_sql(
            &db,
            "SELECT count(*) FROM events WHERE checklist <> 'launch.md'"
        ),
        "0"
    );
    db
}

#[test]
fn two_launch_md_sharing_a_store_keep_separate_histories() {
    let sandbox = Sandbox::new();
    for folder in ["a", "b"] {
        std::fs::create_dir(sandbox.dir.path().join(folder)).expect("mkdir");
        sandbox.write(&format!("{folder}/launch.md"), LIST);
    }
    let store = sandbox.dir.path().join("shared/state.db");
    let env = [("GOLIVE_STORE", store.to_str().expect("a UTF-8 path"))];
    settle(&sandbox, &env, "a/launch.md");

    let (code, a) = gate(&sandbox, &env, "a/launch.md");
    assert_eq!((code, &a["decision"]), (Some(0), &Value::from("GO")), "{a}");
    let (code, b) = gate(&sandbox, &env, "b/launch.md");
    assert_eq!(code, Some(1), "{b}");
    // Not ticked, not waived, not n/a, not approved: a's history is not b's.
    let reasons = reasons(&b);
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    let b_approvals = b["approvals"].as_array().expect("approvals");
    assert!(
        b_approvals
            .iter()
            .all(|a| a["decision"] != "go" && a["by"] != "bob"),
        "{b}"
    );
    assert!(
        log(&sandbox, &env, "b/launch.md").is_empty(),
        "b has no history yet"
    );
    let a_log = log(&sandbox, &env, "a/launch.md");
    assert!(
        a_log
            .iter()
            .all(|(checklist, _)| checklist == "../a/launch.md"),
        "{a_log:?}"
    );
    for kind in ["tick", "waive", "na", "approve"] {
        assert!(a_log.iter().any(|(_, k)| k == kind), "{kind} in {a_log:?}");
    }
    // In a repository the keys are paths from its root, and still apart.
    git_init(sandbox.dir.path());
    settle(&sandbox, &env, "b/launch.md");
    let b_log = log(&sandbox, &env, "b/launch.md");
    assert!(
        b_log
            .iter()
            .all(|(checklist, _)| checklist == "b/launch.md"),
        "{b_log:?}"
    );
    let (code, _) = gate(&sandbox, &env, "b/launch.md");
    assert_eq!(code, Some(0));
    verify(&sandbox, &env, "a/launch.md");
}

#[test]
fn an_old_store_keeps_its_history_after_the_upgrade_and_verifies() {
    let sandbox = Sandbox::new();
    let db = old_store(&sandbox, "ops/launch.md", None);
    // Outside a repository the default store's key is the file name: nothing to adopt.
    let (code, json) = gate(&sandbox, &[], "ops/launch.md");
    assert_eq!(code, Some(0), "{json}");
    // Now the folder is a repository's subfolder: the key is `ops/launch.md`, and the bare
    // name's history, in the store beside it, is adopted.
    git_init(sandbox.dir.path());
    let before = std::fs::read(&db).expect("read the store");
    let status = ok(
        &sandbox,
        &[],
        &["status", "ops/launch.md", "--format", "json"],
    );
    let status: Value = serde_json::from_slice(&status.stdout).expect("status JSON");
    assert_eq!(status["summary"]["done"], 1, "{status}");
    assert_eq!(
        std::fs::read(&db).expect("read"),
        before,
        "status wrote to the store"
    );
    let (code, json) = gate(&sandbox, &[], "ops/launch.md");
    assert_eq!(code, Some(0), "the adopted history is GO: {json}");
    assert_eq!(json["approvals"][0]["signature"], "valid", "{json}");
    // The first command that writes records the adoption, and the upgrade.
    ok(&sandbox, &[], &["tick", "ops/launch.md", "Backups"]);
    assert_eq!(
        run_sql(&db, "SELECT group_concat(version) FROM _sqlx_migrations"),
        "1,2,3,5"
    );
    let log = log(&sandbox, &[], "ops/launch.md");
    let adopt = log
        .iter()
        .position(|(_, kind)| kind == "adopt")
        .expect("an adopt event");
    assert!(
        log[..adopt].iter().all(|(key, _)| key == "launch.md"),
        "{log:?}"
    );
    assert!(
        log[adopt..].iter().all(|(key, _)| key == "ops/launch.md"),
        "{log:?}"
    );
    assert_eq!(log.iter().filter(|(_, kind)| kind == "adopt").count(), 1);
    let (code, json) = gate(&sandbox, &[], "ops/launch.md");
    assert_eq!(code, Some(0), "{json}");
    verify(&sandbox, &[], "ops/launch.md");

    // Moved, store and all, into another repository's subfolder: adopted there too? No:
    // the name's history is adopted once; its new key's history came along with the store.
    let repo = sandbox.dir.path().join("elsewhere");
    std::fs::create_dir_all(repo.join("tools")).expect("mkdir");
    git_init(&repo);
    std::fs::rename(sandbox.dir.path().join("ops"), repo.join("tools/ops")).expect("move");
    let moved = "elsewhere/tools/ops/launch.md";
    let (code, json) = gate(&sandbox, &[], moved);
    assert_eq!(
        code,
        Some(1),
        "a new key in a new repository starts afresh: {json}"
    );
    verify(&sandbox, &[], moved);
}

#[test]
fn a_shared_old_store_asks_whose_the_history_is() {
    let sandbox = Sandbox::new();
    let db = old_store(&sandbox, "a/launch.md", Some("shared/state.db"));
    std::fs::create_dir_all(sandbox.dir.path().join("b")).expect("mkdir");
    sandbox.write("b/launch.md", LIST);
    let store = db.to_str().expect("UTF-8").to_string();
    let env = [("GOLIVE_STORE", store.as_str())];
    // Either `launch.md` may have written it: neither takes it without being told.
    for file in ["a/launch.md", "b/launch.md"] {
        let output = golive(&sandbox, &env, &["gate", file, "--format", "json"]);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("golive store adopt {file}")),
            "{stderr}"
        );
    }
    let adopted = ok(&sandbox, &env, &["store", "adopt", "a/launch.md"]);
    assert!(text(&adopted).contains("adopted"), "{}", text(&adopted));
    let (code, json) = gate(&sandbox, &env, "a/launch.md");
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["approvals"][0]["signature"], "valid", "{json}");
    // b cannot take it too; it can say it is not its own, and is no longer asked.
    let taken = golive(&sandbox, &env, &["store", "adopt", "b/launch.md"]);
    assert_eq!(taken.status.code(), Some(2), "{}", text(&taken));
    assert!(text(&taken).contains("../a/launch.md"), "{}", text(&taken));
    ok(
        &sandbox,
        &env,
        &["store", "adopt", "b/launch.md", "--decline"],
    );
    // a adopted it already: the decline records nothing, and b is no longer asked.
    let output = golive(&sandbox, &env, &["gate", "b/launch.md"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("store adopt"),
        "{}",
        text(&output)
    );
    verify(&sandbox, &env, "a/launch.md");
    assert_eq!(
        run_sql(&db, "SELECT count(*) FROM events WHERE kind = 'adopt'"),
        "1"
    );
}

/// golive as the unprivileged `nobody` (tests run as root, which ignores file modes).
fn as_nobody(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(assert_cmd::cargo::cargo_bin("golive"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GOLIVE_STORE")
        .env_remove("GOLIVE_CHECKLIST_ID")
        .output()
        .expect("run setpriv")
}

#[test]
fn a_read_only_old_store_is_read_adopted_and_not_written() {
    use std::os::unix::fs::PermissionsExt;
    let chmod = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    let sandbox = Sandbox::new();
    let db = old_store(&sandbox, "ops/launch.md", None);
    git_init(sandbox.dir.path());
    let folder = db.parent().expect("the store's folder").to_path_buf();
    let files = |folder: &Path| -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(folder)
            .expect("list")
            .map(|entry| {
                let entry = entry.expect("entry");
                let bytes = std::fs::read(entry.path()).expect("read");
                (entry.file_name().to_string_lossy().into_owned(), bytes)
            })
            .collect();
        files.sort();
        files
    };
    let before = files(&folder);
    for (name, _) in &before {
        chmod(&folder.join(name), 0o444);
    }
    chmod(&folder, 0o555);
    chmod(sandbox.dir.path(), 0o777);
    let gate = as_nobody(
        sandbox.dir.path(),
        &["gate", "ops/launch.md", "--format", "json"],
    );
    let verify = as_nobody(sandbox.dir.path(), &["audit", "verify", "ops/launch.md"]);
    let tick = as_nobody(sandbox.dir.path(), &["tick", "ops/launch.md", "Backups"]);
    chmod(&folder, 0o755);
    chmod(sandbox.dir.path(), 0o755);
    assert_eq!(gate.status.code(), Some(0), "{}", text(&gate));
    let json: Value = serde_json::from_slice(&gate.stdout).expect("gate JSON");
    assert_eq!(json["decision"], "GO", "{json}");
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert_eq!(tick.status.code(), Some(2), "{}", text(&tick));
    assert_eq!(files(&folder), before, "the read-only store was written");
    assert_eq!(
        run_sql(&db, "SELECT count(*) FROM events WHERE kind = 'adopt'"),
        "0"
    );
}

/// A `.golive-*` file a killed tick left beside the checklist is nobody's checklist: it is
/// left alone, and ticks go on (issue 9 leftover).
#[test]
fn a_stale_temporary_file_beside_the_checklist_is_ignored() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", LIST);
    let stale = sandbox.write(".golive-AbC123", LIST.replace("[ ]", "[x]"));
    ok(&sandbox, &[], &["tick", "launch.md", "Health"]);
    ok(&sandbox, &[], &["tick", "launch.md", "Backups"]);
    let file = std::fs::read_to_string(sandbox.dir.path().join("launch.md")).expect("read");
    assert_eq!(file.matches("[x]").count(), 2, "{file}");
    assert_eq!(
        std::fs::read_to_string(&stale).expect("read"),
        LIST.replace("[ ]", "[x]")
    );
    let names: Vec<String> = std::fs::read_dir(sandbox.dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".golive-"))
        .collect();
    assert_eq!(
        names,
        [".golive-AbC123"],
        "ticks leave no temporary file of their own"
    );
    let log = log(&sandbox, &[], "launch.md");
    assert!(log.iter().all(|(key, _)| key == "launch.md"), "{log:?}");
}
