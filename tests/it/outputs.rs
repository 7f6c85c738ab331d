//! Issue 9, items 7 and 11 (gate, report, check): nothing decided from a file that is not a
//! checklist, no input overwritten by a report, and output that reads right in a CI log.

use std::path::Path;

use crate::support::Sandbox;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn golive(sandbox: &Sandbox, args: &[&str]) -> Run {
    let output = sandbox.golive().args(args).output().expect("run golive");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Today `gate` on a file with no items says GO.
#[test]
fn a_file_with_no_items_is_not_a_checklist() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "notes.md",
        "# Meeting notes\n\nWe talked about the launch.\n\n- no boxes here\n",
    );
    // Sign-offs alone do not make a checklist either.
    sandbox.write(
        "signoffs.md",
        "# Launch\n\n## Sign-off\n\n| Role | Approval |\n| --- | --- |\n| **CTO** | [x] |\n",
    );
    for file in ["notes.md", "signoffs.md"] {
        for args in [
            vec!["gate", file],
            vec!["gate", file, "--format", "json"],
            vec!["report", file, "--format", "md", "-o", "out.md"],
        ] {
            let run = golive(&sandbox, &args);
            assert_eq!(run.code, Some(2), "{args:?}: {}", run.stdout);
            assert!(
                run.stderr.contains(&format!("`{file}`"))
                    && run.stderr.contains("no items: is this a checklist?"),
                "{args:?}: {}",
                run.stderr
            );
            assert_eq!(run.stdout, "", "{args:?}");
        }
    }
    assert!(!sandbox.dir.path().join("out.md").exists());
}

const LIST: &str = "# Launch\n\n- [x] Health checks\n\n## Sign-off\n\n| Role | Approval |\n| --- | --- |\n| **CTO** | [ ] |\n";

/// The bytes of every input, to show that a refused report changed none of them.
fn snapshot(paths: &[&Path]) -> Vec<Option<Vec<u8>>> {
    paths.iter().map(|path| std::fs::read(path).ok()).collect()
}

#[test]
fn report_never_overwrites_an_input() {
    let sandbox = Sandbox::new();
    let list = sandbox.write("launch.md", LIST);
    let dir = sandbox.dir.path();
    let ok = golive(&sandbox, &["keys", "new", "--out", "keys/cto.key"]);
    assert_eq!(ok.code, Some(0), "{}", ok.stderr);
    let config = sandbox.write(
        "golive.toml",
        "[roles.CTO]\nkeys = [\"keys/cto.key.pub\"]\n",
    );
    let approve = golive(
        &sandbox,
        &[
            "approve",
            "launch.md",
            "--role",
            "cto",
            "--go",
            "--sign",
            "keys/cto.key",
        ],
    );
    assert_eq!(approve.code, Some(0), "{}", approve.stderr);
    let store = dir.join(".golive/state.db");
    std::os::unix::fs::symlink(&list, dir.join("link.md")).unwrap();
    std::fs::hard_link(&list, dir.join("hard.md")).unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::os::unix::fs::symlink(dir, dir.join("sub/up")).unwrap();
    let inputs = [
        list.as_path(),
        config.as_path(),
        store.as_path(),
        &dir.join("keys/cto.key.pub"),
        &dir.join("keys/cto.key"),
    ];
    // Reading the store once folds SQLite's write-ahead log into its file (until reads open
    // it read-only): that is not the report's doing, so the bytes are taken after it.
    assert_eq!(golive(&sandbox, &["gate", "launch.md"]).code, Some(0));
    let before = snapshot(&inputs);
    let other_store = dir.join("other.db");
    for (out, extra) in [
        ("launch.md", None),
        ("./launch.md", None),
        ("sub/../launch.md", None),
        ("link.md", None),
        ("hard.md", None),
        ("sub/up/launch.md", None),
        ("golive.toml", None),
        (".golive/state.db", None),
        ("keys/cto.key.pub", None),
        ("keys/cto.key", None),
        ("other.db", Some(other_store.to_str().unwrap())),
    ] {
        let mut args = vec!["report", "launch.md", "--format", "md", "-o", out];
        if let Some(store) = extra {
            args.extend(["--store", store]);
        }
        let run = golive(&sandbox, &args);
        assert_eq!(run.code, Some(2), "-o {out}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("`{out}`")) && run.stderr.contains("input"),
            "-o {out}: {}",
            run.stderr
        );
    }
    for ((input, before), after) in inputs.iter().zip(&before).zip(snapshot(&inputs)) {
        assert!(
            *before == after,
            "a refused report changed `{}`",
            input.display()
        );
    }
    // A store that does not exist yet is an input too: it would be created there next time.
    assert!(!other_store.exists());

    // Anywhere else is fine, and an earlier report is replaced.
    for _ in 0..2 {
        let run = golive(
            &sandbox,
            &[
                "report",
                "launch.md",
                "--format",
                "md",
                "-o",
                "launch.report.md",
            ],
        );
        assert_eq!(run.code, Some(0), "{}", run.stderr);
    }
    let dir_out = golive(
        &sandbox,
        &["report", "launch.md", "--format", "md", "-o", "sub"],
    );
    assert_eq!(dir_out.code, Some(2));
    assert!(
        dir_out.stderr.contains("is a directory"),
        "{}",
        dir_out.stderr
    );
}

const CHECKED: &str = "# Launch\n\n- [ ] Runbook exists\n";
const ONE_CHECK: &str =
    "[[check]]\nitem = \"runbook-exists\"\nprobe = \"file\"\npath = \"launch.md\"\n";

/// Today, on a pipe, `check` prints progress lines on stderr and then the table on stdout:
/// every result twice. "1 checks" too.
#[test]
fn check_prints_each_result_once_in_a_log() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", CHECKED);
    sandbox.write("golive.toml", ONE_CHECK);
    let run = golive(&sandbox, &["check", "launch.md"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stderr, "", "nothing but the results, on stdout");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("runbook-exists"))
            .count(),
        1,
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("1 check: 1 passed, 0 failed"),
        "{}",
        run.stdout
    );
    let dry = golive(&sandbox, &["check", "launch.md", "--dry-run"]);
    assert!(dry.stdout.contains("1 check would run"), "{}", dry.stdout);
    let json = golive(&sandbox, &["check", "launch.md", "--format", "json"]);
    assert_eq!(json.stderr, "");
}

/// "latest run #20" named an event number as if it were a run number.
#[test]
fn the_gate_names_the_run_by_its_time_not_an_event_number() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", CHECKED);
    sandbox.write("golive.toml", ONE_CHECK);
    for _ in 0..3 {
        assert_eq!(
            golive(&sandbox, &["check", "launch.md", "--by", "ci"]).code,
            Some(0)
        );
    }
    let run = golive(&sandbox, &["gate", "launch.md"]);
    let line = run
        .stdout
        .lines()
        .find(|line| line.contains("latest run"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(!line.contains('#'), "{line}");
    assert!(line.contains("by ci") && line.contains("(event "), "{line}");
    let md = golive(
        &sandbox,
        &["report", "launch.md", "--format", "md", "-o", "-"],
    );
    assert!(!md.stdout.contains("run #"), "{}", md.stdout);
    let html = golive(
        &sandbox,
        &["report", "launch.md", "--format", "html", "-o", "-"],
    );
    assert!(!html.stdout.contains("run #"), "{}", html.stdout);
}
