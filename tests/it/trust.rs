//! Issue 9, item 2: the gate trusts nothing it has not verified. Forgeries are made as
//! someone with write access to the store would make them: SQL on the SQLite file, and a
//! whole chain re-sealed with golive's own (public) hashing scheme.

use std::path::Path;

use golive::store::event::{Event, GENESIS, Kind, NewEvent};
use serde_json::{Value, json};

use crate::support::{Sandbox, run_sql, select_events};

const LIST: &str = "# Launch

## Infrastructure

- [x] **Health checks** return 200

## Sign-off

| Role              | Name | Approval |
| ----------------- | ---- | -------- |
| **Security Lead** | Ana  | [ ]      |
| **Tech Lead**     | Bob  | [ ]      |
";

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

fn ok(sandbox: &Sandbox, args: &[&str]) -> String {
    let run = golive(sandbox, args);
    assert_eq!(
        run.code,
        Some(0),
        "golive {args:?}\nstdout: {}\nstderr: {}",
        run.stdout,
        run.stderr
    );
    run.stdout
}

fn gate(sandbox: &Sandbox, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["gate", "launch.md", "--format", "json"];
    args.extend_from_slice(extra);
    let run = golive(sandbox, &args);
    let json = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|_| panic!("gate JSON: {}\n{}", run.stdout, run.stderr));
    (run.code, json)
}

/// `(kind, role or item)` of every reason.
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

fn approvals(json: &Value) -> Vec<(String, String)> {
    json["approvals"]
        .as_array()
        .expect("approvals")
        .iter()
        .map(|a| {
            (
                a["role"].as_str().unwrap_or("").to_string(),
                a["signature"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// A launch checklist whose two roles said GO: the gate says GO.
fn approved() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", LIST);
    for role in ["Security Lead", "Tech Lead"] {
        ok(
            &sandbox,
            &[
                "approve",
                "launch.md",
                "--role",
                role,
                "--by",
                "ana",
                "--go",
            ],
        );
    }
    let (code, json) = gate(&sandbox, &[]);
    assert_eq!((code, &json["decision"]), (Some(0), &json!("GO")), "{json}");
    sandbox
}

fn store(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox.dir.path().join(".golive/state.db")
}

/// Today an approval edited in SQLite counts as GO while `audit verify` says BROKEN.
#[test]
fn an_approval_edited_in_sqlite_is_no_go_naming_the_event() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", LIST);
    ok(
        &sandbox,
        &[
            "approve",
            "launch.md",
            "--role",
            "Security Lead",
            "--by",
            "ana",
            "--no-go",
            "--comment",
            "pen test pending",
        ],
    );
    ok(
        &sandbox,
        &["approve", "launch.md", "--role", "Tech Lead", "--go"],
    );
    let (code, _) = gate(&sandbox, &[]);
    assert_eq!(code, Some(1));
    let seq: i64 = run_sql(
        &store(&sandbox),
        "SELECT seq FROM events WHERE kind = 'approve' AND payload LIKE '%no-go%'",
    )
    .parse()
    .expect("the NO-GO's seq");
    run_sql(
        &store(&sandbox),
        &format!(
            "UPDATE events SET payload = replace(payload, '\"no-go\"', '\"go\"') WHERE seq = {seq}"
        ),
    );

    let verify = golive(&sandbox, &["audit", "verify", "launch.md"]);
    assert_eq!(verify.code, Some(1), "{}", verify.stdout);

    let (code, json) = gate(&sandbox, &[]);
    assert_eq!(code, Some(1), "a tampered store is NO-GO: {json}");
    assert_eq!(json["decision"], "NO-GO");
    let first = &json["reasons"][0];
    assert_eq!(first["kind"], "broken-chain", "{json}");
    assert_eq!(first["event"], seq);
    let message = first["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("event {seq}")) && message.contains("edited"),
        "{message}"
    );
    assert_eq!(json["audit"]["first_bad"]["seq"], seq);
    assert_eq!(json["audit_head"], Value::Null);

    // The terminal and every report say so too.
    let table = golive(&sandbox, &["gate", "launch.md"]);
    assert_eq!(table.code, Some(1));
    assert!(table.stdout.contains(message), "{}", table.stdout);
    for format in ["md", "html", "json", "junit"] {
        let report = golive(
            &sandbox,
            &["report", "launch.md", "--format", format, "-o", "-"],
        );
        assert_eq!(report.code, Some(0), "{format}: {}", report.stderr);
        assert!(
            report.stdout.contains(&format!("event {seq}")) && report.stdout.contains("broken"),
            "the {format} report does not name the broken event:\n{}",
            report.stdout
        );
    }
}

/// Every event rebuilt after `edit`, each re-hashed onto the one before: a valid chain.
pub(crate) fn reseal(path: &Path, edit: impl Fn(&mut Event)) {
    let mut events = select_events(path);
    let mut prev = GENESIS.to_string();
    let mut statements = vec!["DELETE FROM events".to_string()];
    for event in &mut events {
        edit(event);
        let new = NewEvent {
            checklist: event.checklist.clone(),
            kind: Kind::parse(&event.kind).expect("a known kind"),
            item: event.item.clone(),
            actor: event.actor.clone(),
            payload: event.payload.clone(),
        };
        let (sealed, payload) = Event::seal_encoded(new, event.seq, event.at.clone(), prev);
        prev = sealed.hash.clone();
        let quote = |text: &str| format!("'{}'", text.replace('\'', "''"));
        statements.push(format!(
            "INSERT INTO events (seq, at, checklist, kind, item, actor, payload, prev_hash, hash) \
             VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})",
            sealed.seq,
            quote(&sealed.at),
            quote(&sealed.checklist),
            quote(&sealed.kind),
            sealed.item.as_deref().map_or("NULL".into(), quote),
            quote(&sealed.actor),
            quote(&payload),
            quote(&sealed.prev_hash),
            quote(&sealed.hash),
        ));
    }
    run_sql(path, &statements.join(";\n"));
}

/// A forger who re-seals the whole chain passes `audit verify`; an anchor kept from before
/// catches it, and so does the gate given that anchor.
#[test]
fn a_resealed_chain_fails_the_anchor_given_to_the_gate() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", LIST);
    ok(
        &sandbox,
        &["approve", "launch.md", "--role", "Security Lead", "--no-go"],
    );
    ok(
        &sandbox,
        &["approve", "launch.md", "--role", "Tech Lead", "--go"],
    );
    let (code, json) = gate(&sandbox, &[]);
    assert_eq!(code, Some(1));
    let anchor = json["audit_head"].as_str().expect("a head").to_string();
    // The anchor as given back holds.
    let (code, json) = gate(&sandbox, &["--anchor", &anchor]);
    assert_eq!(code, Some(1));
    assert!(
        !reasons(&json)
            .iter()
            .any(|(kind, _)| kind == "anchor-mismatch"),
        "{json}"
    );

    reseal(&store(&sandbox), |event| {
        if let Some(decision) = event.payload.get_mut("decision") {
            *decision = json!("go");
        }
    });
    ok(&sandbox, &["audit", "verify", "launch.md"]);
    // Without an anchor, a re-sealed chain of unsigned approvals cannot be told from a real one.
    let (code, _) = gate(&sandbox, &[]);
    assert_eq!(code, Some(0));
    let (code, json) = gate(&sandbox, &["--anchor", &anchor]);
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(
        reasons(&json)[0],
        ("anchor-mismatch".to_string(), String::new())
    );
    let message = json["reasons"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("rewritten"), "{message}");
    let report = golive(
        &sandbox,
        &[
            "report",
            "launch.md",
            "--format",
            "md",
            "-o",
            "-",
            "--anchor",
            &anchor,
        ],
    );
    assert!(report.stdout.contains("rewritten"), "{}", report.stdout);
}

/// Events cut off the end of the log: the chain still verifies, the anchor does not.
#[test]
fn a_truncated_log_fails_the_anchor() {
    let sandbox = approved();
    let (_, json) = gate(&sandbox, &[]);
    let anchor = json["audit_head"].as_str().expect("a head").to_string();
    ok(
        &sandbox,
        &["approve", "launch.md", "--role", "Tech Lead", "--no-go"],
    );
    let (code, json) = gate(&sandbox, &[]);
    assert_eq!(code, Some(1));
    let later = json["audit_head"].as_str().expect("a head").to_string();
    run_sql(
        &store(&sandbox),
        "DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)",
    );
    let (code, _) = gate(&sandbox, &["--anchor", &anchor]);
    assert_eq!(code, Some(0), "the earlier anchor still holds");
    let (code, json) = gate(&sandbox, &["--anchor", &anchor, "--anchor", &later]);
    assert_eq!(code, Some(1));
    assert_eq!(reasons(&json)[0].0, "anchor-mismatch");
    let message = json["reasons"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("deleted from its end"), "{message}");
    let bad = golive(&sandbox, &["gate", "launch.md", "--anchor", "nope"]);
    assert_eq!(bad.code, Some(2));
    assert!(bad.stderr.contains("expected SEQ:HASH"), "{}", bad.stderr);
}

/// Today `--sign ana.key.pub` records "signed" and the gate shows "signature valid".
#[test]
fn approve_refuses_a_public_key_and_anything_not_a_golive_secret_key() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", LIST);
    ok(&sandbox, &["keys", "new", "--out", "keys/ana.key"]);
    let approve = |key: &str| {
        golive(
            &sandbox,
            &[
                "approve",
                "launch.md",
                "--role",
                "Security Lead",
                "--go",
                "--sign",
                key,
            ],
        )
    };
    let refused = approve("keys/ana.key.pub");
    assert_eq!(refused.code, Some(2), "{}", refused.stdout);
    assert!(
        refused.stderr.contains("public key") && refused.stderr.contains("`keys/ana.key`"),
        "{}",
        refused.stderr
    );
    // A copy of the public key elsewhere, with no secret beside it.
    std::fs::copy(
        sandbox.dir.path().join("keys/ana.key.pub"),
        sandbox.dir.path().join("ana-copy"),
    )
    .unwrap();
    let refused = approve("ana-copy");
    assert_eq!(refused.code, Some(2));
    assert!(refused.stderr.contains("public key"), "{}", refused.stderr);

    // Keys as earlier versions wrote them: bare hex, the same shape for both halves.
    let public_hex = {
        let text = std::fs::read_to_string(sandbox.dir.path().join("keys/ana.key.pub")).unwrap();
        text.trim().trim_start_matches("ed25519:").to_string()
    };
    sandbox.write("old-public", format!("{public_hex}\n"));
    let refused = approve("old-public");
    assert_eq!(refused.code, Some(2));
    assert!(
        refused.stderr.contains("cannot tell") || refused.stderr.contains("public key"),
        "{}",
        refused.stderr
    );

    sandbox.write("empty.key", "");
    sandbox.write(
        "ssh.key",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n",
    );
    sandbox.write("huge.key", vec![b'a'; 50 << 20]);
    std::fs::create_dir(sandbox.dir.path().join("a-dir")).unwrap();
    for key in ["empty.key", "ssh.key", "huge.key", "a-dir", "missing.key"] {
        let refused = approve(key);
        assert_eq!(refused.code, Some(2), "{key}: {}", refused.stdout);
        assert!(
            refused.stderr.contains(&format!("`{key}`")) && refused.stderr.contains("keys new"),
            "{key}: {}",
            refused.stderr
        );
    }
    // Nothing was recorded by any refused approval.
    let (_, json) = gate(&sandbox, &[]);
    assert_eq!(json["approvals"][0]["decision"], Value::Null, "{json}");

    let signed = approve("keys/ana.key");
    assert_eq!(signed.code, Some(0), "{}", signed.stderr);
    let (_, json) = gate(&sandbox, &[]);
    assert_eq!(
        approvals(&json)[0],
        ("Security Lead".to_string(), "valid".to_string())
    );
}

fn public_key(sandbox: &Sandbox, path: &str) -> String {
    std::fs::read_to_string(sandbox.dir.path().join(path))
        .unwrap()
        .trim()
        .to_string()
}

/// Today any freshly made key is "valid" for any role.
#[test]
fn pinned_roles_count_only_approvals_signed_by_their_keys() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", LIST);
    ok(&sandbox, &["keys", "new", "--out", "keys/ana.key"]);
    ok(&sandbox, &["keys", "new", "--out", "keys/bob.key"]);
    ok(&sandbox, &["keys", "new", "--out", "mallory.key"]);
    let bob = public_key(&sandbox, "keys/bob.key.pub");
    // Pins are written as the team types them: another case, no accents needed.
    sandbox.write(
        "golive.toml",
        format!(
            "[roles.\"security lead\"]\nkeys = [\"keys/ana.key.pub\"]\n\n[roles.\"TECH LEAD\"]\nkeys = [\"{bob}\"]\n"
        ),
    );
    let approve = |role: &str, extra: &[&str]| {
        let mut args = vec!["approve", "launch.md", "--role", role, "--go"];
        args.extend_from_slice(extra);
        golive(&sandbox, &args)
    };

    // Unsigned, and signed by someone else's key: approve refuses what would not count.
    let unsigned = approve("Security Lead", &[]);
    assert_eq!(unsigned.code, Some(2), "{}", unsigned.stdout);
    assert!(
        unsigned.stderr.contains("pinned") && unsigned.stderr.contains("--sign"),
        "{}",
        unsigned.stderr
    );
    let other = approve("Security Lead", &["--sign", "keys/bob.key"]);
    assert_eq!(other.code, Some(2));
    assert!(
        other.stderr.contains("not pinned for `Security Lead`"),
        "{}",
        other.stderr
    );
    ok(
        &sandbox,
        &["approve", "launch.md", "--role", "Tech Lead", "--no-go"],
    );

    // What approve refuses, a forger records anyway: an unsigned GO and one signed by another
    // key, written before the pins, or by an older golive.
    let pins = std::fs::read_to_string(sandbox.dir.path().join("golive.toml")).unwrap();
    std::fs::remove_file(sandbox.dir.path().join("golive.toml")).unwrap();
    ok(
        &sandbox,
        &["approve", "launch.md", "--role", "Security Lead", "--go"],
    );
    ok(
        &sandbox,
        &[
            "approve",
            "launch.md",
            "--role",
            "Tech Lead",
            "--go",
            "--sign",
            "mallory.key",
        ],
    );
    sandbox.write("golive.toml", &pins);
    let (code, json) = gate(&sandbox, &[]);
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(
        reasons(&json),
        [
            ("unsigned-approval".to_string(), "Security Lead".to_string()),
            ("unknown-key".to_string(), "Tech Lead".to_string()),
        ]
    );
    assert_eq!(
        approvals(&json),
        [
            ("Security Lead".to_string(), "unsigned".to_string()),
            ("Tech Lead".to_string(), "unknown-key".to_string()),
        ]
    );
    assert_eq!(json["approvals"][0]["pinned"], true);
    let table = golive(&sandbox, &["gate", "launch.md"]);
    assert!(
        table.stdout.contains("not signed") && table.stdout.contains("not pinned"),
        "{}",
        table.stdout
    );

    // A pinned role signed by another role's pinned key does not count either.
    ok(
        &sandbox,
        &[
            "approve",
            "launch.md",
            "--role",
            "Tech Lead",
            "--go",
            "--sign",
            "keys/bob.key",
        ],
    );
    std::fs::remove_file(sandbox.dir.path().join("golive.toml")).unwrap();
    ok(
        &sandbox,
        &[
            "approve",
            "launch.md",
            "--role",
            "Security Lead",
            "--go",
            "--sign",
            "keys/bob.key",
        ],
    );
    sandbox.write("golive.toml", &pins);
    let (code, json) = gate(&sandbox, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        reasons(&json),
        [("unknown-key".to_string(), "Security Lead".to_string())]
    );

    // Signed by the pinned keys: GO.
    ok(
        &sandbox,
        &[
            "approve",
            "launch.md",
            "--role",
            "sécurity lead",
            "--go",
            "--sign",
            "keys/ana.key",
        ],
    );
    let (code, json) = gate(&sandbox, &[]);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(
        approvals(&json),
        [
            ("Security Lead".to_string(), "valid".to_string()),
            ("Tech Lead".to_string(), "valid".to_string()),
        ]
    );

    // A forged signature (signed message edited, chain re-sealed) is invalid, and NO-GO.
    reseal(&store(&sandbox), |event| {
        if event.kind == "approve" && event.payload["comment"].is_null() {
            event.payload["comment"] = json!("forged");
        }
    });
    let (code, json) = gate(&sandbox, &[]);
    assert_eq!(code, Some(1));
    assert!(
        reasons(&json)
            .iter()
            .all(|(kind, _)| kind == "invalid-signature"),
        "{json}"
    );
}

/// A sign-off ticked in the file is not signed: for a pinned role it does not count.
#[test]
fn a_ticked_signoff_cell_does_not_count_for_a_pinned_role() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", LIST.replace("| Ana  | [ ]", "| Ana  | [x]"));
    ok(
        &sandbox,
        &["approve", "launch.md", "--role", "Tech Lead", "--go"],
    );
    let (code, _) = gate(&sandbox, &[]);
    assert_eq!(code, Some(0));
    ok(&sandbox, &["keys", "new", "--out", "ana.key"]);
    sandbox.write(
        "golive.toml",
        "[roles.\"Security Lead\"]\nkeys = [\"ana.key.pub\"]\n",
    );
    let (code, json) = gate(&sandbox, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        reasons(&json),
        [("unsigned-approval".to_string(), "Security Lead".to_string())]
    );
}

#[test]
fn pins_that_cannot_be_verified_are_configuration_errors() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", LIST);
    ok(&sandbox, &["keys", "new", "--out", "ana.key"]);
    let cases = [
        (
            "[roles.\"Securty Lead\"]\nkeys = [\"ana.key.pub\"]\n",
            "did you mean `Security Lead`",
        ),
        (
            "[roles.\"Security Lead\"]\nkeys = [\"ana.key\"]\n",
            "secret key",
        ),
        (
            "[roles.\"Security Lead\"]\nkeys = [\"missing.pub\"]\n",
            "missing.pub",
        ),
        ("[roles.\"Security Lead\"]\nkeys = []\n", "no key"),
        (
            "[roles.\"Security Lead\"]\nkeys = [\"ed25519:abcd\"]\n",
            "ed25519:abcd",
        ),
        (
            "[roles.\"Security Lead\"]\nkey = [\"ana.key.pub\"]\n",
            "did you mean `keys`",
        ),
        (
            "[roles.\"Security Lead\"]\nkeys = [\"ana.key.pub\"]\n[roles.\"security  lead\"]\nkeys = [\"ana.key.pub\"]\n",
            "twice",
        ),
    ];
    for (toml, expected) in cases {
        sandbox.write("golive.toml", toml);
        for command in ["gate", "status"] {
            let run = golive(&sandbox, &[command, "launch.md"]);
            assert_eq!(run.code, Some(2), "{command} with {toml}: {}", run.stdout);
            assert!(
                run.stderr.contains(expected) && run.stderr.contains("golive.toml:"),
                "{command} with {toml}: {}",
                run.stderr
            );
        }
    }
}

#[test]
fn the_schema_documents_pinned_roles() {
    let sandbox = Sandbox::new();
    let schema: Value = serde_json::from_str(&ok(&sandbox, &["schema"])).unwrap();
    let roles = &schema["properties"]["roles"];
    assert_eq!(roles["type"], "object", "{schema}");
    let role = &roles["additionalProperties"];
    assert_eq!(role["required"], json!(["keys"]));
    assert_eq!(role["properties"]["keys"]["type"], "array");
}
