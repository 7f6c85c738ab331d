//! The gate end to end on a real seed, and the store under SIGKILL and concurrent writers.

use std::collections::BTreeSet;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Sandbox, seed, status_json};

fn golive(sandbox: &Sandbox, args: &[&str]) -> (Option<i32>, String, String) {
    let output = sandbox.golive().args(args).output().expect("run golive");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

fn ok(sandbox: &Sandbox, args: &[&str]) -> String {
    let (code, stdout, stderr) = golive(sandbox, args);
    assert_eq!(
        code,
        Some(0),
        "golive {args:?}\nstdout: {stdout}\nstderr: {stderr}"
    );
    stdout
}

fn gate(sandbox: &Sandbox) -> (Option<i32>, Value) {
    let (code, stdout, stderr) = golive(sandbox, &["gate", "saas.md", "--format", "json"]);
    let json =
        serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("gate JSON: {stdout}\n{stderr}"));
    (code, json)
}

fn reasons(json: &Value) -> Vec<(String, String)> {
    json["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|r| {
            let what = r["item"]
                .as_str()
                .or(r["role"].as_str())
                .unwrap_or_default()
                .to_string();
            (r["kind"].as_str().unwrap_or_default().to_string(), what)
        })
        .collect()
}

const ROLES: [&str; 6] = [
    "Engineering Manager",
    "Security Lead",
    "QA Lead",
    "Operations Lead",
    "Product Manager",
    "VP Engineering",
];

/// Issue 4, item 7: import seed 004, tick, waive, approve: NO-GO with exact reasons; approve
/// the rest and close the items: GO; the audit trail verifies.
#[test]
fn seed_004_goes_from_no_go_to_go() {
    let sandbox = Sandbox::new();
    let path = sandbox.copy(&seed(4), "saas.md");
    let status = status_json(&path);
    let items = status["items"].as_array().expect("items").clone();
    let pre: Vec<&Value> = items.iter().filter(|i| i["phase"] == "pre").collect();

    ok(&sandbox, &["tick", "saas.md", "eks-cluster", "--by", "ana"]);
    ok(&sandbox, &["tick", "saas.md", "node-groups", "--by", "ana"]);
    ok(
        &sandbox,
        &[
            "waive",
            "saas.md",
            "pci-dss",
            "--reason",
            "no card data until phase 2",
            "--role",
            "Security Lead",
            "--by",
            "bob",
            "--until",
            "2099-12-31",
        ],
    );
    ok(
        &sandbox,
        &[
            "na",
            "saas.md",
            "hipaa",
            "--reason",
            "no health data",
            "--by",
            "bob",
        ],
    );
    ok(
        &sandbox,
        &[
            "approve",
            "saas.md",
            "--role",
            "Engineering Manager",
            "--by",
            "carol",
            "--go",
        ],
    );
    ok(
        &sandbox,
        &[
            "approve",
            "saas.md",
            "--role",
            "security lead",
            "--by",
            "dan",
            "--no-go",
            "--comment",
            "pen test pending",
        ],
    );

    let (code, json) = gate(&sandbox);
    assert_eq!(code, Some(1));
    assert_eq!(json["decision"], "NO-GO");
    let found: BTreeSet<(String, String)> = reasons(&json).into_iter().collect();
    // Every pre-go-live item still open is a reason, and nothing else about items.
    let settled: BTreeSet<&str> = ["eks-cluster", "node-groups", "pci-dss", "hipaa"].into();
    let expected_items: BTreeSet<(String, String)> = pre
        .iter()
        .filter(|i| !settled.contains(i["id"].as_str().unwrap_or_default()))
        .map(|i| {
            (
                "open-item".to_string(),
                i["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let found_items: BTreeSet<(String, String)> = found
        .iter()
        .filter(|(kind, _)| kind == "open-item")
        .cloned()
        .collect();
    assert_eq!(found_items, expected_items);
    assert!(
        found.contains(&("no-go-approval".to_string(), "Security Lead".to_string())),
        "{found:?}"
    );
    for role in [
        "QA Lead",
        "Operations Lead",
        "Product Manager",
        "VP Engineering",
    ] {
        assert!(
            found.contains(&("missing-approval".to_string(), role.to_string())),
            "{role}: {found:?}"
        );
    }
    assert!(!found.iter().any(|(_, what)| what == "Engineering Manager"));
    assert!(
        !found
            .iter()
            .any(|(_, what)| what.starts_with("immediate") || what == "daily-metrics-review")
    );

    for item in &pre {
        let id = item["id"].as_str().unwrap_or_default();
        if !settled.contains(id) {
            ok(&sandbox, &["tick", "saas.md", id, "--by", "ana"]);
        }
    }
    for role in ROLES {
        ok(
            &sandbox,
            &["approve", "saas.md", "--role", role, "--by", "erin", "--go"],
        );
    }
    let summary_file = sandbox.dir.path().join("summary.md");
    let output = sandbox
        .golive()
        .args(["gate", "saas.md"])
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("GO"));
    let summary = std::fs::read_to_string(&summary_file).expect("the step summary was written");
    assert!(summary.contains("GO"), "{summary}");
    let (code, json) = gate(&sandbox);
    assert_eq!(code, Some(0));
    assert_eq!(json["decision"], "GO");
    assert_eq!(json["reasons"], serde_json::json!([]));
    let verify = ok(&sandbox, &["audit", "verify", "saas.md"]);
    assert!(verify.contains("intact"), "{verify}");

    // The printed head, passed back as an anchor, holds; one past the end does not.
    let head = verify
        .lines()
        .find_map(|line| line.strip_prefix("head: "))
        .expect("the head is printed")
        .to_string();
    assert_eq!(
        json["audit_head"],
        head.as_str(),
        "the gate recorded the same head"
    );
    let anchored = ok(&sandbox, &["audit", "verify", "saas.md", "--anchor", &head]);
    assert!(
        anchored.contains("every anchor is in the chain"),
        "{anchored}"
    );
    let (seq, hash) = head.split_once(':').expect("SEQ:HASH");
    let beyond = format!("{}:{hash}", seq.parse::<i64>().expect("a number") + 1);
    let output = sandbox
        .golive()
        .args(["audit", "verify", "saas.md", "--anchor", &beyond])
        .output()
        .expect("golive runs");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("deleted from its end"), "{stdout}");
    let bad = sandbox
        .golive()
        .args(["audit", "verify", "saas.md", "--anchor", "12"])
        .output()
        .expect("golive runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("expected SEQ:HASH"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

fn checks_sandbox(count: usize, command: &str) -> Sandbox {
    let sandbox = Sandbox::new();
    let mut markdown = String::from("# Many\n## Checks\n");
    let mut config = String::new();
    for n in 0..count {
        markdown.push_str(&format!("- [ ] step {n}\n"));
        config.push_str(&format!(
            "[[check]]\nitem = \"step-{n}\"\nprobe = \"command\"\nrun = \"{command}\"\n\n"
        ));
    }
    sandbox.write("many.md", markdown);
    sandbox.write("golive.toml", config);
    sandbox
}

fn events_recorded(sandbox: &Sandbox) -> Option<usize> {
    let output = sandbox
        .golive()
        .args(["audit", "verify", "many.md", "--format", "json"])
        .output()
        .ok()?;
    let json: Value = serde_json::from_slice(&output.stdout).ok()?;
    assert_eq!(
        json["first_bad"],
        Value::Null,
        "the chain broke while golive was writing: {json}"
    );
    json["events"].as_u64().map(|n| n as usize)
}

fn spawn_check(sandbox: &Sandbox, extra: &[&str]) -> Child {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("golive"));
    command
        .current_dir(sandbox.dir.path())
        .args(["check", "many.md", "-q", "--jobs", "8"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command.spawn().expect("spawn golive")
}

/// Issue 4, item 3: SIGKILL in the middle of a check that records many results, repeatedly:
/// the store opens, the chain verifies, and nothing a reader saw committed is lost.
#[test]
fn sigkill_during_check_loses_no_committed_event() {
    // About 4 s of work at 8 jobs; every kill lands well inside it.
    let sandbox = checks_sandbox(600, "sleep 0.05");
    let mut previous = 0;
    for round in 0..5 {
        let mut child = spawn_check(&sandbox, &[]);
        let started = Instant::now();
        let mut seen = previous;
        // Watch commits land, then kill mid-run at a different moment each round. On a
        // loaded machine golive may take a while to start recording: wait for its first
        // commit (bounded), then for this round's extra delay.
        let mut first_commit = None;
        while first_commit
            .is_none_or(|at: Instant| at.elapsed() < Duration::from_millis(150 * round))
        {
            if let Some(events) = events_recorded(&sandbox) {
                seen = seen.max(events);
            }
            if first_commit.is_none() && seen > previous {
                first_commit = Some(Instant::now());
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "round {round}: golive recorded nothing in 60 s"
            );
        }
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .expect("kill");
        let status = child.wait().expect("wait");
        assert!(
            status.code().is_none(),
            "round {round}: golive finished before it was killed; make the run longer"
        );
        let after = events_recorded(&sandbox).expect("the store opens after SIGKILL");
        assert!(
            after >= seen,
            "round {round}: {seen} events were visible before the kill, {after} after"
        );
        assert!(
            after > previous,
            "round {round}: nothing was recorded before the kill"
        );
        previous = after;
    }
    let verify = ok(&sandbox, &["audit", "verify", "many.md"]);
    assert!(verify.contains("intact"), "{verify}");
}

/// Issue 4, item 3: two golive processes writing to one store at once.
#[test]
fn two_processes_write_one_store() {
    let sandbox = checks_sandbox(150, "true");
    let mut first = spawn_check(&sandbox, &[]);
    let mut second = spawn_check(&sandbox, &[]);
    let (a, b) = (first.wait().expect("wait"), second.wait().expect("wait"));
    assert_eq!(
        (a.code(), b.code()),
        (Some(0), Some(0)),
        "neither may fail (database is locked?)"
    );
    // Per run: one run event and 150 results, plus the file's import, which both processes
    // may record if each read the store before the other wrote.
    let events = events_recorded(&sandbox).expect("events");
    assert!(
        (2 * (1 + 150) + 1..=2 * (1 + 150) + 2).contains(&events),
        "{events} events"
    );
}
