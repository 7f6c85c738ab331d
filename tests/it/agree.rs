//! Issue 9, item 5: `status`, `gate` and `report` give one answer. After `check`, `waive`,
//! `na` and `approve`, each item has the same status in all three, the totals are the same,
//! and so are the approvals: they share one resolution path (`decision::resolve`/`decide`).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::support::Sandbox;

const LIST: &str = "# Launch

## Infrastructure

- [ ] **Runbook** exists
- [ ] **Backup** taken in the last hour
- [x] **Secrets** in the vault
- [ ] **CDN** cache rules (if applicable)
- [ ] **Pen test** booked
- [ ] **Criteria**
  - [x] Rollback plan tested

## Go/No-Go

- [ ] On-call coverage confirmed

## Sign-off

| Role              | Name | Approval |
| ----------------- | ---- | -------- |
| **Tech Lead**     | Ana  | [x]      |
| **Sécurité**      |      | [ ]      |
";

const CHECKS: &str = r#"
[[check]]
item = "runbook"
probe = "file"
path = "launch.md"
expect = ["exists == true"]

[[check]]
item = "title:Backup*"
probe = "file"
newest = "backups/*.dump"
expect = ["age < 1h"]

[[check]]
item = "secrets"
probe = "file"
path = "missing-vault-marker"
"#;

fn run(sandbox: &Sandbox, args: &[&str]) -> (Option<i32>, String) {
    let output = sandbox.golive().args(args).output().expect("run golive");
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "golive {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn json_of(sandbox: &Sandbox, args: &[&str]) -> Value {
    let (_, stdout) = run(sandbox, args);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}\n{stdout}"))
}

fn statuses(json: &Value) -> BTreeMap<String, String> {
    json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            (
                item["id"].as_str().unwrap_or_default().to_string(),
                item["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn approvals(json: &Value) -> Vec<(String, Value, bool)> {
    json["approvals"]
        .as_array()
        .expect("approvals")
        .iter()
        .map(|a| {
            (
                a["role"].as_str().unwrap_or_default().to_string(),
                a["decision"].clone(),
                a["required"].as_bool().unwrap_or_default(),
            )
        })
        .collect()
}

fn totals(json: &Value) -> Value {
    let summary = &json["summary"];
    json!({
        "items": summary["items"], "done": summary["done"], "open": summary["open"],
        "failed": summary["failed"], "waived": summary["waived"], "na": summary["na"],
        "blocking_open": summary["blocking_open"],
    })
}

/// Today: status says 7 done / 0 failed while gate says 9 done / 1 failed, and Tech Lead GO
/// (the file's cell) while the gate counts the store's NO-GO.
#[test]
fn status_gate_and_report_agree_item_by_item() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", LIST);
    sandbox.write("golive.toml", CHECKS);
    run(&sandbox, &["check", "launch.md", "--by", "ci"]);
    for args in [
        &[
            "waive",
            "launch.md",
            "pen-test",
            "--reason",
            "booked for January",
            "--role",
            "Sécurité",
            "--by",
            "sam",
        ][..],
        &[
            "na",
            "launch.md",
            "cdn",
            "--reason",
            "no CDN",
            "--by",
            "sam",
        ],
        &[
            "approve",
            "launch.md",
            "--role",
            "tech lead",
            "--no-go",
            "--by",
            "ana",
            "--comment",
            "backup first",
        ],
        &[
            "approve",
            "launch.md",
            "--role",
            "securite",
            "--go",
            "--by",
            "sam",
        ],
    ] {
        run(&sandbox, args);
    }
    let status = json_of(&sandbox, &["status", "launch.md", "--format", "json"]);
    let (code, gate_out) = run(&sandbox, &["gate", "launch.md", "--format", "json"]);
    assert_eq!(code, Some(1));
    let gate: Value = serde_json::from_str(&gate_out).unwrap();
    let report = json_of(
        &sandbox,
        &["report", "launch.md", "--format", "json", "-o", "-"],
    );

    let expected: BTreeMap<String, String> = [
        ("runbook", "done"),
        ("backup", "failed"),
        ("secrets", "failed"),
        ("cdn", "na"),
        ("pen-test", "waived"),
        ("criteria", "todo"),
        ("rollback-plan-tested", "done"),
        ("on-call-coverage-confirmed", "todo"),
    ]
    .into_iter()
    .map(|(id, status)| (id.to_string(), status.to_string()))
    .collect();
    assert_eq!(statuses(&gate), expected);
    assert_eq!(statuses(&status), expected, "status: {status}");
    assert_eq!(statuses(&report), expected);

    assert_eq!(totals(&status), totals(&gate));
    assert_eq!(totals(&report), totals(&gate));
    assert_eq!(
        totals(&gate),
        json!({"items": 8, "done": 2, "open": 2, "failed": 2, "waived": 1, "na": 1, "blocking_open": 1})
    );

    let expected_approvals = vec![
        ("Tech Lead".to_string(), json!("no-go"), true),
        ("Sécurité".to_string(), json!("go"), true),
    ];
    assert_eq!(approvals(&gate), expected_approvals);
    assert_eq!(approvals(&status), expected_approvals, "status: {status}");
    assert_eq!(approvals(&report), expected_approvals);

    // Per-section totals agree too.
    let sections = |json: &Value| -> BTreeMap<String, Value> {
        json["sections"]
            .as_array()
            .expect("sections")
            .iter()
            .filter(|s| s["items"].as_u64() > Some(0))
            .map(|s| (s["path"].to_string(), totals(&json!({"summary": s}))))
            .collect()
    };
    assert_eq!(sections(&status), sections(&gate));

    // And the terminal views say the same.
    let (_, table) = run(&sandbox, &["status", "launch.md"]);
    assert!(
        table.contains("8 items: 2 done, 2 open, 2 failed, 1 waived, 1 n/a"),
        "{table}"
    );
    assert!(table.contains("Tech Lead"), "{table}");
    let tech_lead = table
        .lines()
        .find(|line| line.contains("Tech Lead"))
        .unwrap_or_default();
    assert!(tech_lead.contains("NO-GO"), "{table}");
}

/// `status --store` reads the store the others were given, and `status` on a checklist that
/// never had one creates none.
#[test]
fn status_takes_store_like_the_others_and_creates_nothing() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", LIST);
    let status = json_of(&sandbox, &["status", "launch.md", "--format", "json"]);
    assert_eq!(status["summary"]["done"], 2);
    assert!(
        !sandbox.dir.path().join(".golive").exists(),
        "status created a store"
    );
    let elsewhere = sandbox.dir.path().join("elsewhere.db");
    let store = elsewhere.to_str().unwrap();
    run(
        &sandbox,
        &[
            "approve",
            "launch.md",
            "--role",
            "Tech Lead",
            "--no-go",
            "--store",
            store,
        ],
    );
    let status = json_of(
        &sandbox,
        &["status", "launch.md", "--format", "json", "--store", store],
    );
    assert_eq!(status["approvals"][0]["decision"], "no-go", "{status}");
    let without = json_of(&sandbox, &["status", "launch.md", "--format", "json"]);
    assert_eq!(without["approvals"][0]["decision"], "go");
    let from_env = sandbox
        .golive()
        .args(["status", "launch.md", "--format", "json"])
        .env("GOLIVE_STORE", store)
        .output()
        .unwrap();
    let from_env: Value = serde_json::from_slice(&from_env.stdout).unwrap();
    assert_eq!(from_env["approvals"][0]["decision"], "no-go");
}

/// A tampered store is not shown as if it were fine.
#[test]
fn status_says_when_the_audit_trail_is_broken() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", LIST);
    run(
        &sandbox,
        &["approve", "launch.md", "--role", "Tech Lead", "--no-go"],
    );
    crate::support::run_sql(
        &sandbox.dir.path().join(".golive/state.db"),
        "UPDATE events SET payload = replace(payload, '\"no-go\"', '\"go\"') WHERE kind = 'approve'",
    );
    let status = json_of(&sandbox, &["status", "launch.md", "--format", "json"]);
    assert_eq!(
        status["audit"]["first_bad"]["problem"], "edited",
        "{status}"
    );
    let (_, table) = run(&sandbox, &["status", "launch.md"]);
    assert!(table.contains("audit trail BROKEN"), "{table}");
}
