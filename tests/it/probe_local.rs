//! The `command` and `file` probes on real processes and files, and the engine around them
//! (retries, ordering, timeouts, redaction, configuration errors) through the real binary.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use golive::expr::Value;
use golive::probe::command::CommandSpec;
use golive::probe::file::FileSpec;
use serde_json::Value as Json;

use crate::support::{Sandbox, check_fields, verdict};

fn command(snippet: &str) -> CommandSpec {
    CommandSpec::from_fields(&mut check_fields(snippet)).expect("valid command check")
}

fn holds(condition: &str, outcome: &golive::probe::Outcome) -> Result<(), String> {
    match verdict(outcome, condition).message() {
        None => Ok(()),
        Some(message) => Err(message.to_string()),
    }
}

#[tokio::test]
async fn command_reports_exit_code_output_and_duration() {
    let outcome = command("run = \"echo out; echo err >&2; exit 3\"")
        .run(Duration::from_secs(5))
        .await;
    assert_eq!(outcome.problem, None);
    assert_eq!(holds("exit_code == 3", &outcome), Ok(()));
    assert_eq!(holds("stdout == \"out\"", &outcome), Ok(()));
    assert_eq!(holds("stderr contains \"err\"", &outcome), Ok(()));
    assert_eq!(holds("duration < 2s", &outcome), Ok(()));
    assert_eq!(
        holds("exit_code == 0", &outcome),
        Err("exit_code 3 != 0".to_string())
    );
}

#[tokio::test]
async fn command_runs_in_cwd_with_env() {
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.path().display();
    let spec = command(&format!(
        "run = \"pwd; echo $GREETING\"\ncwd = \"{dir}\"\nenv = {{ GREETING = \"bonjour\" }}"
    ));
    let outcome = spec.run(Duration::from_secs(5)).await;
    let Some(Value::Text(stdout)) = outcome.observed.get("stdout") else {
        panic!("{outcome:?}")
    };
    let canonical = sandbox.dir.path().canonicalize().expect("canonical");
    assert_eq!(stdout, &format!("{}\nbonjour", canonical.display()));
}

/// A timeout kills the whole process group: the grandchild `sleep` must be gone too.
#[tokio::test]
async fn command_timeout_kills_the_process_group() {
    let sandbox = Sandbox::new();
    let pid_file = sandbox.dir.path().join("grandchild.pid");
    let spec = command(&format!(
        "run = \"sleep 30 & echo $! > {}; wait\"",
        pid_file.display()
    ));
    let started = Instant::now();
    let outcome = spec.run(Duration::from_millis(300)).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        outcome
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("timed out after 300ms")),
        "{outcome:?}"
    );
    assert!(outcome.observed.get("exit_code").is_none());
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .expect("pid file")
        .trim()
        .parse()
        .expect("a pid");
    // Give the kernel a moment to reap it, then the process must not exist.
    let mut alive = true;
    for _ in 0..50 {
        alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|stat| stat.contains(") Z "));
        if !alive {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive, "grandchild {pid} survived the timeout");
}

#[tokio::test]
async fn command_output_is_capped_without_blocking() {
    let outcome = command("run = \"head -c 5000000 /dev/zero | tr '\\\\0' a\"")
        .run(Duration::from_secs(10))
        .await;
    assert_eq!(holds("exit_code == 0", &outcome), Ok(()));
    let Some(Value::Text(stdout)) = outcome.observed.get("stdout") else {
        panic!("{outcome:?}")
    };
    assert_eq!(stdout.len(), golive::probe::command::OUTPUT_CAP);
}

#[tokio::test]
async fn command_that_backgrounds_a_process_still_finishes() {
    let started = Instant::now();
    let outcome = command("run = \"sleep 20 & echo started\"")
        .run(Duration::from_secs(1))
        .await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(holds("exit_code == 0", &outcome), Ok(()));
    assert_eq!(holds("stdout == \"started\"", &outcome), Ok(()));
}

fn file(snippet: &str) -> FileSpec {
    FileSpec::from_fields(&mut check_fields(snippet)).expect("valid file check")
}

#[tokio::test]
async fn file_reports_mode_size_age_and_owner() {
    let sandbox = Sandbox::new();
    let path = sandbox.write(".env", "SECRET=1\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let outcome = file(&format!("path = \"{}\"", path.display())).run().await;
    assert_eq!(holds("exists == true", &outcome), Ok(()));
    assert_eq!(holds("mode == 0o640", &outcome), Ok(()));
    assert_eq!(
        holds("mode == 0o600", &outcome),
        Err("mode 0o640 != 0o600".to_string())
    );
    assert_eq!(holds("size == 9B", &outcome), Ok(()));
    assert_eq!(holds("age < 1m", &outcome), Ok(()));
    let me = nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .expect("a user");
    assert_eq!(holds(&format!("owner == \"{me}\""), &outcome), Ok(()));
}

#[tokio::test]
async fn file_newest_picks_the_latest_match_and_reports_its_age() {
    let sandbox = Sandbox::new();
    let old = sandbox.write("a.dump", "old");
    let new = sandbox.write("b.dump", "newer");
    sandbox.write("c.txt", "not a dump");
    let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .expect("open")
        .set_modified(two_hours_ago)
        .expect("touch");
    let spec = file(&format!(
        "newest = \"{}/*.dump\"",
        sandbox.dir.path().display()
    ));
    let outcome = spec.run().await;
    assert_eq!(
        outcome.observed.get("path"),
        Some(&Value::Text(new.display().to_string()))
    );
    assert_eq!(holds("age < 1h", &outcome), Ok(()));
    std::fs::File::options()
        .write(true)
        .open(&new)
        .expect("open")
        .set_modified(two_hours_ago)
        .expect("touch");
    let outcome = spec.run().await;
    assert!(
        holds("age < 1h", &outcome).is_err_and(|m| m.starts_with("age 2h")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn missing_files_are_outcomes() {
    let outcome = file("path = \"/nonexistent/golive\"").run().await;
    assert_eq!(holds("exists == false", &outcome), Ok(()));
    assert!(outcome.problem.is_some());
    let outcome = file("newest = \"/nonexistent/*.dump\"").run().await;
    assert_eq!(holds("exists == false", &outcome), Ok(()));
}

const CHECKLIST: &str = "# Launch\n## Ops\n- [ ] Backup is fresh\n- [ ] Env file is private\n- [ ] Service answers\n- [ ] Flaky thing settles\n- [ ] Talk to legal\n";

fn check_json(sandbox: &Sandbox, args: &[&str]) -> (Option<i32>, Json, String) {
    let output = sandbox
        .golive()
        .args(["check", "c.md", "--format", "json"])
        .args(args)
        .output()
        .expect("run");
    let stdout: Json = serde_json::from_slice(&output.stdout).unwrap_or(Json::Null);
    (
        output.status.code(),
        stdout,
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[test]
fn check_runs_items_and_reports_json() {
    let sandbox = Sandbox::new();
    sandbox.write("c.md", CHECKLIST);
    sandbox.write("backup.dump", "data");
    let env = sandbox.write(".env", "X=1");
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    sandbox.write(
        "golive.toml",
        r#"
[[check]]
item = "backup-is-fresh"
probe = "file"
newest = "*.dump"
expect = ["age < 1h", "size > 1B"]

[[check]]
item = "title:*private*"
probe = "file"
path = ".env"
expect = ["mode == 0o600"]

[[check]]
item = "service-answers"
probe = "command"
run = "echo ok"
expect = ["stdout == \"ok\""]

[[check]]
item = "flaky-thing-settles"
probe = "command"
run = "n=$(cat n 2>/dev/null || echo 0); echo $((n+1)) > n; test $n -ge 2"
retries = 3
interval = "10ms"
"#,
    );
    let (code, json, _) = check_json(&sandbox, &["-q"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        json["summary"],
        serde_json::json!({"checks": 4, "passed": 3, "failed": 1})
    );
    let results = json["results"].as_array().expect("results");
    assert_eq!(results[1]["item"], "env-file-is-private");
    assert_eq!(
        results[1]["failures"],
        serde_json::json!(["mode 0o644 != 0o600"])
    );
    assert_eq!(results[1]["observed"]["mode"], "0o644");
    assert_eq!(results[3]["passed"], true);
    assert_eq!(results[3]["attempts"], 3);
    assert_eq!(json["manual"], serde_json::json!(["talk-to-legal"]));
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    std::fs::remove_file(sandbox.dir.path().join("n")).expect("reset the flaky counter");
    let (code, json, _) = check_json(&sandbox, &["-q"]);
    assert_eq!(code, Some(0), "{json}");
}

#[test]
fn after_orders_checks_and_jobs_bounds_concurrency() {
    let sandbox = Sandbox::new();
    sandbox.write("c.md", "# L\n- [ ] first\n- [ ] second\n- [ ] third\n");
    sandbox.write(
        "golive.toml",
        r#"
[[check]]
item = "third"
probe = "command"
run = "cat log > seen_by_third"
after = ["second"]

[[check]]
item = "second"
probe = "command"
run = "sleep 0.2; echo second >> log"
after = ["first"]

[[check]]
item = "first"
probe = "command"
run = "sleep 0.2; echo first >> log"
"#,
    );
    let (code, _, stderr) = check_json(&sandbox, &["-j", "4"]);
    assert_eq!(code, Some(0), "{stderr}");
    let seen =
        std::fs::read_to_string(sandbox.dir.path().join("seen_by_third")).expect("third ran");
    assert_eq!(seen, "first\nsecond\n");
    // Off a terminal the JSON on stdout is the whole output: no progress lines besides it.
    assert_eq!(stderr, "", "nothing on stderr off a terminal");
}

#[test]
fn secrets_are_resolved_and_redacted() {
    let sandbox = Sandbox::new();
    sandbox.write("c.md", "# L\n- [ ] token works\n");
    sandbox.write("token.txt", "file-secret-42\n");
    sandbox.write(
        "golive.toml",
        "[[check]]\nitem = \"token-works\"\nprobe = \"command\"\nrun = \"echo ${env:GOLIVE_TEST_TOKEN} ${file:token.txt}; exit 1\"\n",
    );
    let output = sandbox
        .golive()
        .args(["check", "c.md", "--format", "json", "-q"])
        .env("GOLIVE_TEST_TOKEN", "env-secret-17")
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stdout.contains("env-secret-17") && !stdout.contains("file-secret-42"),
        "{stdout}"
    );
    assert!(stdout.contains("[redacted] [redacted]"), "{stdout}");
    let dry = sandbox
        .golive()
        .args(["check", "c.md", "--dry-run"])
        .env("GOLIVE_TEST_TOKEN", "env-secret-17")
        .output()
        .expect("run");
    assert!(!String::from_utf8_lossy(&dry.stdout).contains("secret-"));
    let unset = sandbox
        .golive()
        .args(["check", "c.md"])
        .env_remove("GOLIVE_TEST_TOKEN")
        .output()
        .expect("run");
    assert_eq!(unset.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unset.stderr)
            .contains("environment variable `GOLIVE_TEST_TOKEN` is not set")
    );
}

#[test]
fn configuration_errors_point_at_the_text() {
    let sandbox = Sandbox::new();
    sandbox.write("c.md", CHECKLIST);
    sandbox.write(
        "golive.toml",
        r#"[[check]]
item = "backup-is-fesh"
probe = "file"
paht = "x"

[[check]]
item = "title:*nothing matches*"
probe = "comand"

[[check]]
item = "service-answers"
probe = "command"
run = "true"
expect = ["exit_code => 0", "exitcode == 0"]
timeout = "5 parsecs"
after = ["nobody"]
"#,
    );
    let output = sandbox
        .golive()
        .args(["check", "c.md"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stderr));
    let dry = sandbox
        .golive()
        .args(["check", "c.md", "--dry-run"])
        .output()
        .expect("run");
    assert_eq!(dry.status.code(), Some(2));
}

#[test]
fn missing_configuration_is_explained() {
    let sandbox = Sandbox::new();
    sandbox.write("c.md", CHECKLIST);
    let output = sandbox
        .golive()
        .args(["check", "c.md"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("golive.toml`: no such file") && stderr.lines().count() == 1,
        "{stderr}"
    );
}

#[test]
fn schema_describes_every_probe() {
    let sandbox = Sandbox::new();
    let output = sandbox.golive().arg("schema").output().expect("run");
    assert!(output.status.success());
    let schema: Json = serde_json::from_slice(&output.stdout).expect("JSON");
    let variants = schema["properties"]["check"]["items"]["oneOf"]
        .as_array()
        .expect("variants");
    let probes: Vec<&str> = variants
        .iter()
        .filter_map(|v| v["properties"]["probe"]["const"].as_str())
        .collect();
    assert_eq!(
        probes,
        [
            "http",
            "tls",
            "tcp",
            "dns",
            "command",
            "file",
            "load",
            "postgres",
            "prometheus",
            "drill",
            "drift",
            "model",
            "llm",
            "scan"
        ]
    );
    for variant in variants {
        assert_eq!(variant["additionalProperties"], false);
        assert!(
            variant["required"]
                .as_array()
                .is_some_and(|r| r.contains(&Json::from("item")))
        );
    }
    let command = &variants[4]["properties"];
    assert!(command["run"].is_object() && command["timeout"]["pattern"].is_string());
}

/// DESIGN.md gives dns checks a `name` key for the domain; it must reach the probe.
#[test]
fn dns_checks_keep_their_name_key() {
    let sandbox = Sandbox::new();
    sandbox.write("c.md", "# L\n- [ ] dns answers\n");
    sandbox.write(
        "golive.toml",
        "[[check]]\nitem = \"dns-answers\"\nprobe = \"dns\"\nname = \"api.example.test\"\nserver = \"127.0.0.1:5353\"\n",
    );
    let output = sandbox
        .golive()
        .args(["check", "c.md", "--dry-run", "--format", "json"])
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let plan: Json = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(plan["checks"][0]["name"], "dns-answers");
    assert!(
        plan["checks"][0]["target"]
            .as_str()
            .is_some_and(|t| t.contains("api.example.test"))
    );
}
