//! Reading never writes (issue 9, items 7 and 9): read-only commands on a missing file exit 2
//! and create nothing; a read-only checkout or store is read as it is; a store that cannot be
//! used is one line saying what to do. Tests run as root, which ignores file modes, so the
//! read-only cases run golive as `nobody` through `setpriv`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use crate::support::Sandbox;

const CHECKLIST: &str = "# Launch\n- [ ] deploy\n- [x] backups\n";

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// golive as the unprivileged `nobody`, in `dir`.
fn as_nobody(dir: &Path, args: &[&str]) -> Output {
    Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(assert_cmd::cargo::cargo_bin("golive"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GOLIVE_STORE")
        .output()
        .expect("run setpriv")
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn read_only_commands_on_a_missing_file_exit_2_and_create_nothing() {
    let sandbox = Sandbox::new();
    let commands: [&[&str]; 6] = [
        &["audit", "verify", "missing.md"],
        &["audit", "log", "missing.md"],
        &["status", "missing.md"],
        &["gate", "missing.md"],
        &["report", "missing.md", "--format", "md", "-o", "-"],
        &["audit", "verify", "missing.md", "--format", "json"],
    ];
    for args in commands {
        let output = sandbox.golive().args(args).output().expect("run golive");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains("no such file"), "{args:?}");
        assert!(
            names(sandbox.dir.path()).is_empty(),
            "{args:?} created files"
        );
    }
}

#[test]
fn reading_a_checklist_without_a_store_creates_none() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", CHECKLIST);
    for args in [
        &["audit", "verify", "launch.md"][..],
        &["audit", "log", "launch.md"],
        &["status", "launch.md"],
        &["gate", "launch.md"],
    ] {
        let output = sandbox.golive().args(args).output().expect("run golive");
        assert_ne!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(names(sandbox.dir.path()), ["launch.md"], "{args:?}");
    }
}

#[test]
fn the_gate_works_in_a_read_only_checkout_without_a_store() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", CHECKLIST.replace("[ ]", "[x]"));
    chmod(sandbox.dir.path(), 0o555);
    let output = as_nobody(sandbox.dir.path(), &["gate", "launch.md"]);
    chmod(sandbox.dir.path(), 0o755);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("GO"));
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
    assert_eq!(names(sandbox.dir.path()), ["launch.md"]);
}

#[test]
fn a_read_only_store_is_read_and_refuses_writes_in_one_line() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", CHECKLIST);
    let ticked = sandbox
        .golive()
        .args(["tick", "launch.md", "deploy"])
        .output()
        .expect("run golive");
    assert!(ticked.status.success(), "{}", stderr(&ticked));
    let store = sandbox.dir.path().join(".golive");
    // Both with the WAL's files left and without them (a clean close removes them).
    for clean in [false, true] {
        if clean {
            for entry in names(&store) {
                if entry != "state.db" {
                    std::fs::remove_file(store.join(entry)).expect("remove");
                }
            }
        }
        for name in names(&store) {
            chmod(&store.join(name), 0o444);
        }
        chmod(&store, 0o555);
        chmod(sandbox.dir.path(), 0o777);
        let gate = as_nobody(sandbox.dir.path(), &["gate", "launch.md"]);
        let status = as_nobody(
            sandbox.dir.path(),
            &["status", "launch.md", "--format", "json"],
        );
        let verify = as_nobody(sandbox.dir.path(), &["audit", "verify", "launch.md"]);
        let waive = as_nobody(
            sandbox.dir.path(),
            &[
                "approve",
                "launch.md",
                "--role",
                "CTO",
                "--extra-role",
                "--go",
            ],
        );
        chmod(&store, 0o755);
        chmod(sandbox.dir.path(), 0o755);
        // The tick is read: every item done, GO; recording the GO is only a warning.
        assert_eq!(
            gate.status.code(),
            Some(0),
            "clean {clean}: {}",
            stderr(&gate)
        );
        assert!(
            stderr(&gate).contains("could not be recorded"),
            "{}",
            stderr(&gate)
        );
        assert!(
            status.status.success(),
            "clean {clean}: {}",
            stderr(&status)
        );
        assert!(
            verify.status.success(),
            "clean {clean}: {}",
            stderr(&verify)
        );
        assert!(
            String::from_utf8_lossy(&verify.stdout).contains("intact"),
            "{}",
            String::from_utf8_lossy(&verify.stdout)
        );
        let error = stderr(&waive);
        assert_eq!(waive.status.code(), Some(2), "{error}");
        assert_eq!(error.lines().count(), 1, "{error}");
        assert!(error.contains(".golive/state.db"), "{error}");
        assert!(
            error.contains("permissions") && error.contains("--store"),
            "{error}"
        );
        assert!(!error.contains("code:"), "{error}");
    }
}

#[test]
fn a_corrupt_or_foreign_store_is_one_line_naming_it() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", CHECKLIST);
    sandbox.write(
        "garbage.db",
        "this is not a database, just text long enough to matter\n",
    );
    let sqlite = sandbox.write("other.db", "");
    let made = Command::new("sqlite3")
        .arg(&sqlite)
        .arg("CREATE TABLE t (x);")
        .status();
    for store in ["garbage.db", "other.db"] {
        if store == "other.db" && !made.as_ref().is_ok_and(|s| s.success()) {
            continue;
        }
        for args in [
            &["gate", "launch.md", "--store", store][..],
            &["tick", "launch.md", "deploy", "--store", store],
            &["audit", "verify", "launch.md", "--store", store],
        ] {
            let output = sandbox.golive().args(args).output().expect("run golive");
            let error = stderr(&output);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {error}");
            assert_eq!(error.lines().count(), 1, "{error}");
            assert!(
                error.contains(store) && error.contains("--store"),
                "{error}"
            );
            assert!(!error.contains("code:"), "{error}");
        }
    }
    // The failed tick changed nothing.
    assert_eq!(
        std::fs::read_to_string(sandbox.dir.path().join("launch.md")).expect("read"),
        CHECKLIST
    );
}

#[test]
fn a_store_whose_folder_cannot_be_made_is_one_line() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", CHECKLIST);
    chmod(sandbox.dir.path(), 0o555);
    let output = as_nobody(sandbox.dir.path(), &["tick", "launch.md", "deploy"]);
    chmod(sandbox.dir.path(), 0o755);
    let error = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{error}");
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(!error.contains("code:"), "{error}");
    assert_eq!(
        std::fs::read_to_string(sandbox.dir.path().join("launch.md")).expect("read"),
        CHECKLIST
    );
}

#[test]
fn utf16_without_a_bom_is_reported_as_utf16() {
    let sandbox = Sandbox::new();
    let le: Vec<u8> = CHECKLIST
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    sandbox.write("launch.md", le);
    let output = sandbox
        .golive()
        .args(["status", "launch.md"])
        .output()
        .expect("run golive");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("UTF-16"), "{}", stderr(&output));
}

#[test]
fn a_finished_command_leaves_one_self_contained_store_file() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", CHECKLIST);
    for round in 0..6 {
        let undo = if round % 2 == 1 {
            &["--undo"][..]
        } else {
            &[][..]
        };
        let ticked = sandbox
            .golive()
            .args(["tick", "launch.md", "deploy"])
            .args(undo)
            .output()
            .expect("run golive");
        assert!(ticked.status.success(), "{}", stderr(&ticked));
        let store = sandbox.dir.path().join(".golive");
        // SQLite may leave the log's files beside the database, but empty: everything is in
        // `state.db` itself.
        let wal = std::fs::metadata(store.join("state.db-wal")).map_or(0, |meta| meta.len());
        assert_eq!(wal, 0, "round {round}: the history is left in the WAL");
    }
}
