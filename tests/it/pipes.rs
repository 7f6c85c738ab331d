//! A reader that goes away (`golive gate FILE | head -1`) must never turn what golive found
//! into success: the exit code is the command's verdict whether or not anyone read it all.

use std::io::Read;
use std::process::{Command, Stdio};

use crate::support::Sandbox;

/// How often each case runs: the race between golive's writes and the reader's exit is
/// what failed before, 20 times out of 20.
const ROUNDS: usize = 20;

/// A NO-GO checklist whose output is larger than a pipe's buffer in every format.
fn no_go_checklist(sandbox: &Sandbox) {
    let mut markdown = String::from("# Launch\n## Items\n");
    for n in 0..2000 {
        markdown.push_str(&format!(
            "- [ ] open item number {n} with a long enough title\n"
        ));
    }
    markdown.push_str("## Dup\n- [ ] Same\n- [ ] same\n");
    sandbox.write("launch.md", markdown);
}

/// Runs golive with `args`; the reader takes `keep` bytes (none: closes at once) and goes
/// away. Returns golive's exit code.
fn exit_code_when_reader_leaves(sandbox: &Sandbox, args: &[&str], keep: usize) -> Option<i32> {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("golive"))
        .current_dir(sandbox.dir.path())
        .env("NO_COLOR", "1")
        .env_remove("GOLIVE_STORE")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("golive starts");
    let mut stdout = child.stdout.take().expect("a stdout pipe");
    // Up to `keep` bytes: a short output may end first.
    let mut start = Vec::new();
    (&mut stdout)
        .take(keep as u64)
        .read_to_end(&mut start)
        .expect("read the output");
    drop(stdout);
    let output = child.wait_with_output().expect("golive ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "golive {args:?} must end quietly when its reader leaves: {stderr}"
    );
    output.status.code()
}

fn assert_verdict_survives(sandbox: &Sandbox, args: &[&str], expected: i32) {
    for round in 0..ROUNDS {
        for keep in [0, 1, 200] {
            assert_eq!(
                exit_code_when_reader_leaves(sandbox, args, keep),
                Some(expected),
                "golive {args:?}, reader gone after {keep} bytes (round {round})"
            );
        }
    }
}

#[test]
fn a_no_go_stays_a_no_go_in_every_format() {
    let sandbox = Sandbox::new();
    no_go_checklist(&sandbox);
    assert_verdict_survives(&sandbox, &["gate", "launch.md"], 1);
    assert_verdict_survives(&sandbox, &["gate", "launch.md", "--format", "json"], 1);
}

#[test]
fn lint_findings_survive_a_closed_pipe() {
    let sandbox = Sandbox::new();
    no_go_checklist(&sandbox);
    assert_verdict_survives(&sandbox, &["lint", "launch.md"], 1);
    assert_verdict_survives(&sandbox, &["lint", "launch.md", "--format", "json"], 1);
}

#[test]
fn failed_checks_survive_a_closed_pipe() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", "# Launch\n- [ ] **Env file** private\n");
    sandbox.write(".env", "A=1\n");
    std::fs::set_permissions(
        sandbox.dir.path().join(".env"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .expect("chmod");
    sandbox.write(
        "golive.toml",
        "[[check]]\nitem = \"env-file\"\nprobe = \"file\"\npath = \".env\"\nexpect = [\"mode == 0o600\"]\n",
    );
    for args in [
        &["check", "launch.md", "--quiet"][..],
        &["check", "launch.md", "--quiet", "--format", "json"][..],
    ] {
        for keep in [0, 1] {
            assert_eq!(
                exit_code_when_reader_leaves(&sandbox, args, keep),
                Some(1),
                "golive {args:?}, reader gone after {keep} bytes"
            );
        }
    }
}

#[test]
fn a_broken_audit_trail_survives_a_closed_pipe() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", "# Launch\n- [ ] one\n- [ ] two\n");
    for item in ["one", "two"] {
        sandbox
            .golive()
            .args(["tick", "launch.md", item, "--by", "ana"])
            .assert()
            .success();
    }
    let db = sandbox.dir.path().join(".golive/state.db");
    tokio::runtime::Runtime::new()
        .expect("a runtime")
        .block_on(async {
            use sqlx::Connection as _;
            let url = format!("sqlite://{}", db.display());
            let mut connection = sqlx::SqliteConnection::connect(&url)
                .await
                .expect("open the store");
            sqlx::query("UPDATE events SET actor = 'mallory' WHERE seq = 2")
                .execute(&mut connection)
                .await
                .expect("tamper with an event");
        });
    assert_verdict_survives(&sandbox, &["audit", "verify", "launch.md"], 1);
    assert_verdict_survives(
        &sandbox,
        &["audit", "verify", "launch.md", "--format", "json"],
        1,
    );
}
