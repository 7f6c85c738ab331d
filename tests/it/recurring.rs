//! Recurring procedures and runbook instances through the binary: seed 003 over 30
//! simulated days (`--at`), an incident and a change with its committee's approval, the
//! evidence pack's exact counts, signing, and the hostile cases.

use serde_json::Value;

use crate::support::{Sandbox, run_sql, seed};

const CONFIG: &str = r#"
[recurring]
tz = "Europe/Paris"

[recurring.sections."Maintenance Quotidienne"]
at = "09:00"

[recurring.sections."Procédure de Changement"]
approvals = ["Comité de changement"]
"#;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn golive(sandbox: &Sandbox, args: &[&str]) -> Run {
    let output = sandbox.golive().args(args).output().unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn ok(sandbox: &Sandbox, args: &[&str]) -> String {
    let run = golive(sandbox, args);
    assert_eq!(run.code, Some(0), "{args:?}: {}{}", run.stdout, run.stderr);
    run.stdout
}

fn json(sandbox: &Sandbox, args: &[&str]) -> (Option<i32>, Value) {
    let run = golive(sandbox, args);
    let value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}{}", run.stdout, run.stderr));
    (run.code, value)
}

fn tick(sandbox: &Sandbox, item: &str, at: &str) {
    ok(
        sandbox,
        &["tick", "ops.md", item, "--at", at, "--by", "ana"],
    );
}

fn ops() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.copy(&seed(3), "ops.md");
    sandbox.write("golive.toml", CONFIG);
    sandbox
}

/// Seed 003 through November 2026 in Paris, as the test's numbers below expect.
fn november(sandbox: &Sandbox) {
    for day in 1..=30 {
        if day == 5 || day == 12 {
            continue;
        }
        tick(sandbox, "logs d'erreur", &format!("2026-11-{day:02}T08:30"));
        let time = if day == 20 { "10:30" } else { "08:30" };
        tick(
            sandbox,
            "espace disque",
            &format!("2026-11-{day:02}T{time}"),
        );
    }
    for day in ["03", "10", "24"] {
        tick(sandbox, "certificats SSL", &format!("2026-11-{day}T15:00"));
    }
    tick(sandbox, "Audit de sécurité", "2026-11-28T11:00");
}

#[test]
fn seed_003_over_thirty_days_gives_exact_due_gate_and_pack_counts() {
    let sandbox = ops();
    november(&sandbox);
    let at = "2026-11-30T20:00";

    // Recurring items never gate the go-live; the file is never edited.
    let before = std::fs::read(sandbox.dir.path().join("ops.md")).unwrap();
    let (_, status) = json(&sandbox, &["status", "ops.md", "--format", "json"]);
    let items = status["items"].as_array().unwrap();
    let recurring = items
        .iter()
        .filter(|i| i.get("recurrence").is_some())
        .count();
    let runbook = items.iter().filter(|i| i.get("runbook").is_some()).count();
    assert_eq!((recurring, runbook), (12, 14));
    let (_, gate) = json(&sandbox, &["gate", "ops.md", "--format", "json"]);
    let gating_recurring = gate["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["gating"] == true && (i.get("recurrence").is_some() || i.get("runbook").is_some())
        })
        .count();
    assert_eq!(gating_recurring, 0);

    // due: 3 done, 4 due, 5 overdue (two dailies past 09:00, three weeklies that missed W48).
    let (code, due) = json(&sandbox, &["due", "ops.md", "--at", at, "--format", "json"]);
    assert_eq!(code, Some(1), "something is overdue: {due}");
    assert_eq!(
        (
            due["done"].as_u64(),
            due["due"].as_u64(),
            due["overdue"].as_u64()
        ),
        (Some(3), Some(4), Some(5)),
        "{due:#}"
    );
    let ssl = due["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "verification-des-certificats-ssl")
        .unwrap();
    assert_eq!(ssl["state"], "due");
    assert_eq!(ssl["period"], "2026-W49");
    assert_eq!(ssl["last_done"]["at"], "2026-11-24T14:00:00.000Z");
    let (code, mine) = json(
        &sandbox,
        &[
            "due", "ops.md", "--at", at, "--owner", "DevOps", "--format", "json",
        ],
    );
    assert_eq!(
        (code, mine["items"].as_array().unwrap().len()),
        (Some(0), 0)
    );

    // An incident: five steps over twenty hours, no approvals needed.
    ok(
        &sandbox,
        &[
            "start",
            "ops.md",
            "--section",
            "Checklist Incident",
            "--name",
            "INC-42",
            "--at",
            "2026-11-10T14:00",
        ],
    );
    for (step, time) in [
        ("Incident documenté", "2026-11-10T14:05"),
        ("Équipe mobilisée", "2026-11-10T14:20"),
        ("Communication initiée", "2026-11-10T14:30"),
        ("Solution appliquée", "2026-11-10T16:00"),
    ] {
        ok(
            &sandbox,
            &["tick", "ops.md", step, "--instance", "INC-42", "--at", time],
        );
    }
    assert_eq!(
        golive(&sandbox, &["gate", "ops.md", "--instance", "INC-42"]).code,
        Some(1)
    );
    ok(
        &sandbox,
        &[
            "tick",
            "ops.md",
            "Post-mortem",
            "--instance",
            "INC-42",
            "--at",
            "2026-11-11T10:00",
        ],
    );
    ok(&sandbox, &["gate", "ops.md", "--instance", "INC-42"]);

    // A change: all steps done, but NO-GO until the change committee says GO.
    ok(
        &sandbox,
        &[
            "start",
            "ops.md",
            "--section",
            "Procédure de Changement",
            "--name",
            "CHG-7",
            "--at",
            "2026-11-15T09:00",
        ],
    );
    for step in [
        "Analyse d'impact",
        "Plan de rollback",
        "Tests de validation",
        "Communication équipe",
    ] {
        ok(
            &sandbox,
            &[
                "tick",
                "ops.md",
                step,
                "--instance",
                "CHG-7",
                "--at",
                "2026-11-15T09:30",
            ],
        );
    }
    let (code, change) = json(
        &sandbox,
        &["gate", "ops.md", "--instance", "CHG-7", "--format", "json"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        change["reasons"][0],
        "no GO from `Comité de changement` yet"
    );
    ok(
        &sandbox,
        &[
            "approve",
            "ops.md",
            "--instance",
            "CHG-7",
            "--role",
            "comité de changement",
            "--go",
            "--by",
            "board",
            "--at",
            "2026-11-15T10:00",
        ],
    );
    let (code, change) = json(
        &sandbox,
        &["gate", "ops.md", "--instance", "CHG-7", "--format", "json"],
    );
    assert_eq!(
        (code, &change["decision"]),
        (Some(0), &Value::from("GO")),
        "{change:#}"
    );

    let (_, instances) = json(&sandbox, &["instances", "ops.md", "--format", "json"]);
    let states: Vec<(&str, &str)> = instances
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap(), i["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [("CHG-7", "closed"), ("INC-42", "closed")]);

    // The pack: 144 periods, 59 done, 1 late, 75 missed, 9 open; both instances.
    let (_, pack) = json(
        &sandbox,
        &[
            "report",
            "ops.md",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-30",
            "--at",
            at,
            "--format",
            "json",
            "-o",
            "-",
        ],
    );
    let totals = &pack["totals"];
    assert_eq!(
        [
            &totals["periods"],
            &totals["done"],
            &totals["late"],
            &totals["missed"],
            &totals["open"]
        ]
        .map(|v| v.as_u64().unwrap()),
        [144, 59, 1, 75, 9],
        "{totals}"
    );
    let incident = pack["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "INC-42")
        .unwrap();
    assert_eq!(incident["duration_s"], 20 * 3600);
    assert_eq!(
        incident["steps"][1]["after_start_s"],
        20 * 60,
        "time to mobilise"
    );
    assert_eq!(pack["audit"]["first_bad"], Value::Null);
    assert!(pack["audit"]["head"].as_str().is_some());

    // Missed periods stand out in HTML; CSV has one row per item and period.
    let html = ok(
        &sandbox,
        &[
            "report",
            "ops.md",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-30",
            "--at",
            at,
            "--format",
            "html",
            "-o",
            "-",
        ],
    );
    assert_eq!(html.matches("<tr class=\"missed\">").count(), 75);
    let csv = ok(
        &sandbox,
        &[
            "report",
            "ops.md",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-30",
            "--at",
            at,
            "--format",
            "csv",
            "-o",
            "-",
        ],
    );
    assert_eq!(csv.lines().count(), 1 + 144);

    ok(&sandbox, &["audit", "verify", "ops.md"]);
    assert_eq!(
        std::fs::read(sandbox.dir.path().join("ops.md")).unwrap(),
        before,
        "the file is never edited"
    );
}

#[test]
fn a_signed_pack_verifies_and_any_edit_is_caught() {
    let sandbox = ops();
    tick(&sandbox, "logs d'erreur", "2026-11-02T08:00");
    ok(&sandbox, &["keys", "new", "--out", "auditor.key"]);
    for format in ["md", "html", "csv", "json"] {
        let out = format!("pack.{format}");
        ok(
            &sandbox,
            &[
                "report",
                "ops.md",
                "--since",
                "2026-11-01",
                "--until",
                "2026-11-03",
                "--format",
                format,
                "-o",
                &out,
                "--sign",
                "auditor.key",
            ],
        );
        let verified = ok(
            &sandbox,
            &["audit", "verify-report", &out, "--key", "auditor.key.pub"],
        );
        assert!(verified.contains("signature valid"), "{verified}");
        let path = sandbox.dir.path().join(&out);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("missed", "done", 1)).unwrap();
        let tampered = golive(&sandbox, &["audit", "verify-report", &out]);
        assert_eq!(tampered.code, Some(1), "{format}: {}", tampered.stdout);
        assert!(
            tampered.stdout.contains("NOT VERIFIED"),
            "{}",
            tampered.stdout
        );
    }
    // Another key's valid signature is not the expected one.
    ok(&sandbox, &["keys", "new", "--out", "other.key"]);
    ok(
        &sandbox,
        &[
            "report",
            "ops.md",
            "--since",
            "2026-11-01",
            "--format",
            "md",
            "-o",
            "other.md",
            "--sign",
            "other.key",
        ],
    );
    assert_eq!(
        golive(
            &sandbox,
            &[
                "audit",
                "verify-report",
                "other.md",
                "--key",
                "auditor.key.pub"
            ]
        )
        .code,
        Some(1)
    );
}

#[test]
fn due_in_the_past_before_any_history_counts_nothing_missed() {
    let sandbox = ops();
    // No store at all: nothing is missed, everything is merely due, and no store is created.
    let (code, due) = json(
        &sandbox,
        &["due", "ops.md", "--at", "2020-01-01", "--format", "json"],
    );
    assert_eq!(
        (code, due["overdue"].as_u64(), due["due"].as_u64()),
        (Some(0), Some(0), Some(12)),
        "{due}"
    );
    assert!(!sandbox.dir.path().join(".golive").exists());
    tick(&sandbox, "logs d'erreur", "2026-11-02T08:00");
    let (code, due) = json(
        &sandbox,
        &[
            "due",
            "ops.md",
            "--at",
            "2020-01-01T12:00",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        (code, due["overdue"].as_u64()),
        (Some(0), Some(0)),
        "before history: {due}"
    );
    let bad = golive(&sandbox, &["due", "ops.md", "--at", "yesterday"]);
    assert_eq!(bad.code, Some(2));
    assert!(bad.stderr.contains("is not a time"), "{}", bad.stderr);
}

#[test]
fn two_ticks_of_the_same_period_at_once_count_once() {
    let sandbox = ops();
    tick(&sandbox, "logs d'erreur", "2026-11-01T08:00");
    let spawn = |who: &str| {
        sandbox
            .golive()
            .args([
                "tick",
                "ops.md",
                "logs d'erreur",
                "--at",
                "2026-11-02T08:00",
                "--by",
                who,
            ])
            .output()
    };
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| spawn("ana"));
        let b = scope.spawn(|| spawn("bob"));
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    assert!(a.status.success() && b.status.success());
    let (_, pack) = json(
        &sandbox,
        &[
            "report",
            "ops.md",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-02",
            "--at",
            "2026-11-03",
            "--format",
            "json",
            "-o",
            "-",
        ],
    );
    let item = pack["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "verification-des-logs-d-erreur")
        .unwrap();
    assert_eq!(item["counts"]["done"], 2, "{item}");
    assert_eq!(item["periods"].as_array().unwrap().len(), 2);
    ok(&sandbox, &["audit", "verify", "ops.md"]);
}

#[test]
fn an_instance_name_with_slash_and_spaces_is_just_a_name() {
    let sandbox = ops();
    let name = "INC 42/../prod db";
    ok(
        &sandbox,
        &[
            "start",
            "ops.md",
            "--section",
            "checklist incident",
            "--name",
            name,
        ],
    );
    ok(
        &sandbox,
        &["tick", "ops.md", "Incident documenté", "--instance", name],
    );
    let (_, list) = json(&sandbox, &["instances", "ops.md", "--format", "json"]);
    assert_eq!(list[0]["name"], name);
    let again = golive(
        &sandbox,
        &[
            "start",
            "ops.md",
            "--section",
            "Checklist Incident",
            "--name",
            name,
        ],
    );
    assert_eq!(again.code, Some(2));
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    let wrong = golive(
        &sandbox,
        &["tick", "ops.md", "Analyse d'impact", "--instance", name],
    );
    assert_eq!(wrong.code, Some(2));
    assert!(
        wrong.stderr.contains("is not a step of"),
        "{}",
        wrong.stderr
    );
    // A runbook step is not ticked in the file.
    let template = golive(&sandbox, &["tick", "ops.md", "Incident documenté"]);
    assert_eq!(template.code, Some(2));
    assert!(
        template.stderr.contains("--instance"),
        "{}",
        template.stderr
    );
    let entries: Vec<_> = std::fs::read_dir(sandbox.dir.path()).unwrap().collect();
    assert_eq!(
        entries.len(),
        3,
        "ops.md, golive.toml, .golive: nothing named after the instance"
    );
}

#[test]
fn a_tampered_period_record_breaks_the_chain_and_shows_in_the_pack() {
    let sandbox = ops();
    tick(&sandbox, "logs d'erreur", "2026-11-01T08:00");
    tick(&sandbox, "logs d'erreur", "2026-11-03T08:00");
    let store = sandbox.dir.path().join(".golive/state.db");
    run_sql(
        &store,
        "UPDATE events SET payload = replace(payload, '2026-11-03', '2026-11-02') WHERE kind = 'period'",
    );
    assert_eq!(
        golive(&sandbox, &["audit", "verify", "ops.md"]).code,
        Some(1)
    );
    let (_, pack) = json(
        &sandbox,
        &[
            "report",
            "ops.md",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-03",
            "--at",
            "2026-11-04",
            "--format",
            "json",
            "-o",
            "-",
        ],
    );
    assert!(pack["audit"]["first_bad"].is_object(), "{}", pack["audit"]);
    let md = ok(
        &sandbox,
        &[
            "report",
            "ops.md",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-03",
            "--at",
            "2026-11-04",
            "--format",
            "md",
            "-o",
            "-",
        ],
    );
    assert!(md.contains("Audit trail: BROKEN"), "{md}");
}

#[test]
fn golive_toml_errors_point_at_the_line() {
    let sandbox = ops();
    sandbox.write("golive.toml", "[recurring]\ntz = \"Mars/Olympus\"\n[recurring.sections.\"Maintenance Quotidiene\"]\nevery = \"fortnight\"\n");
    let run = golive(&sandbox, &["due", "ops.md"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("not a time zone"), "{}", run.stderr);
    assert!(run.stderr.contains("not a period"), "{}", run.stderr);
    sandbox.write(
        "golive.toml",
        "[recurring.sections.\"Maintenance Quotidiene\"]\nevery = \"day\"\n",
    );
    let run = golive(&sandbox, &["due", "ops.md"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("golive.toml:1:"), "{}", run.stderr);
    assert!(
        run.stderr.contains("Maintenance Quotidienne"),
        "did you mean: {}",
        run.stderr
    );
}

const CHANGE_STEPS: [&str; 4] = [
    "Analyse d'impact",
    "Plan de rollback",
    "Tests de validation",
    "Communication équipe",
];

/// A change instance `name` of seed 003 with every step done.
fn change_done(sandbox: &Sandbox, name: &str) {
    ok(
        sandbox,
        &[
            "start",
            "ops.md",
            "--section",
            "Procédure de Changement",
            "--name",
            name,
            "--at",
            "2026-11-15T09:00",
        ],
    );
    for step in CHANGE_STEPS {
        ok(
            sandbox,
            &[
                "tick",
                "ops.md",
                step,
                "--instance",
                name,
                "--at",
                "2026-11-15T09:30",
            ],
        );
    }
}

fn instance_gate(sandbox: &Sandbox, name: &str) -> (Option<i32>, Value) {
    json(
        sandbox,
        &["gate", "ops.md", "--instance", name, "--format", "json"],
    )
}

/// Seed 003 names its change committee in prose ("3. **Approbation** : Comité de
/// changement", under 6.1, beside the 6.2 steps): with no golive.toml, that is the approval a
/// change instance needs; golive.toml's `approvals`, when given, replace it.
#[test]
fn a_change_instance_needs_the_approvals_its_section_names() {
    let sandbox = Sandbox::new();
    sandbox.copy(&seed(3), "ops.md");
    let (_, status) = json(&sandbox, &["status", "ops.md", "--format", "json"]);
    let needs: Vec<(String, Value)> = status["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| {
            let runbook = i.get("runbook")?;
            Some((
                runbook["section"].as_str()?.to_string(),
                runbook.get("approvals").cloned().unwrap_or(Value::Null),
            ))
        })
        .collect();
    let change: Vec<&(String, Value)> = needs
        .iter()
        .filter(|(section, _)| section.contains("Procédure de Changement"))
        .collect();
    assert_eq!(change.len(), 4, "{needs:?}");
    for (_, approvals) in &change {
        assert_eq!(approvals, &serde_json::json!(["Comité de changement"]));
    }
    // The incident checklist names no approver: its instances need none.
    assert!(
        needs
            .iter()
            .filter(|(section, _)| section == "Checklist Incident")
            .all(|(_, approvals)| approvals.is_null()),
        "{needs:?}"
    );

    change_done(&sandbox, "CHG-1");
    let (code, gate) = instance_gate(&sandbox, "CHG-1");
    assert_eq!(code, Some(1), "{gate:#}");
    assert_eq!(
        gate["reasons"],
        serde_json::json!(["no GO from `Comité de changement` yet"])
    );
    ok(
        &sandbox,
        &[
            "approve",
            "ops.md",
            "--instance",
            "CHG-1",
            "--role",
            "COMITE DE CHANGEMENT",
            "--go",
            "--by",
            "board",
        ],
    );
    let (code, gate) = instance_gate(&sandbox, "CHG-1");
    assert_eq!(code, Some(0), "{gate:#}");
    assert_eq!(gate["approvals"][0]["role"], "Comité de changement");

    // Named in golive.toml, the approvals are exactly those.
    sandbox.write(
        "golive.toml",
        "[recurring.sections.\"Procédure de Changement\"]\napprovals = [\"CAB\", \"CTO\"]\n",
    );
    let (code, gate) = instance_gate(&sandbox, "CHG-1");
    assert_eq!(code, Some(1));
    assert_eq!(
        gate["reasons"],
        serde_json::json!(["no GO from `CAB` yet", "no GO from `CTO` yet"])
    );
}

/// `approve --instance --sign` signs as the go-live's approvals are signed, and keys pinned to
/// a role in golive.toml apply to instance approvals as they do to the gate: approve refuses
/// what would not count, and what a forger records anyway does not count, with the reason.
#[test]
fn instance_approvals_are_signed_and_pinned_keys_apply_to_them() {
    let sandbox = Sandbox::new();
    sandbox.copy(&seed(3), "ops.md");
    ok(&sandbox, &["keys", "new", "--out", "keys/board.key"]);
    ok(&sandbox, &["keys", "new", "--out", "mallory.key"]);
    let pins = "[roles.\"Comité de changement\"]\nkeys = [\"keys/board.key.pub\"]\n";
    sandbox.write("golive.toml", pins);
    change_done(&sandbox, "CHG-9");
    let approve = |extra: &[&str]| {
        let mut args = vec![
            "approve",
            "ops.md",
            "--instance",
            "CHG-9",
            "--role",
            "Comité de changement",
            "--go",
            "--by",
            "board",
        ];
        args.extend_from_slice(extra);
        golive(&sandbox, &args)
    };

    let unsigned = approve(&[]);
    assert_eq!(unsigned.code, Some(2), "{}", unsigned.stdout);
    assert!(
        unsigned.stderr.contains("pinned") && unsigned.stderr.contains("--sign"),
        "{}",
        unsigned.stderr
    );
    let other = approve(&["--sign", "mallory.key"]);
    assert_eq!(other.code, Some(2));
    assert!(
        other
            .stderr
            .contains("not pinned for `Comité de changement`"),
        "{}",
        other.stderr
    );
    let public = approve(&["--sign", "keys/board.key.pub"]);
    assert_eq!(public.code, Some(2));
    assert!(public.stderr.contains("public key"), "{}", public.stderr);
    let (code, gate) = instance_gate(&sandbox, "CHG-9");
    assert_eq!(
        (code, &gate["approvals"][0]["decision"]),
        (Some(1), &Value::from("pending")),
        "nothing refused was recorded: {gate:#}"
    );

    // What approve refuses, a forger records anyway (with the pins out of the way).
    std::fs::remove_file(sandbox.dir.path().join("golive.toml")).unwrap();
    assert_eq!(approve(&[]).code, Some(0));
    sandbox.write("golive.toml", pins);
    let (code, gate) = instance_gate(&sandbox, "CHG-9");
    assert_eq!(code, Some(1), "{gate:#}");
    let reason = gate["reasons"][0].as_str().unwrap();
    assert!(reason.contains("is not signed"), "{reason}");
    assert_eq!(gate["approvals"][0]["signature"], "unsigned");
    assert_eq!(gate["approvals"][0]["counts"], false);
    std::fs::remove_file(sandbox.dir.path().join("golive.toml")).unwrap();
    assert_eq!(approve(&["--sign", "mallory.key"]).code, Some(0));
    sandbox.write("golive.toml", pins);
    let (code, gate) = instance_gate(&sandbox, "CHG-9");
    assert_eq!(code, Some(1));
    assert!(
        gate["reasons"][0]
            .as_str()
            .unwrap()
            .contains("signed by a key not pinned"),
        "{gate:#}"
    );

    // Signed with the pinned key: GO, and the pack says so.
    let signed = approve(&["--sign", "keys/board.key", "--comment", "CAB 2026-11-15"]);
    assert_eq!(signed.code, Some(0), "{}", signed.stderr);
    assert!(signed.stdout.contains("signed"), "{}", signed.stdout);
    let (code, gate) = instance_gate(&sandbox, "CHG-9");
    assert_eq!(code, Some(0), "{gate:#}");
    assert_eq!(gate["approvals"][0]["signature"], "valid");

    // The signed approval edited and the chain re-sealed: the chain verifies, the signature
    // does not, and the reason says so.
    crate::trust::reseal(&sandbox.dir.path().join(".golive/state.db"), |event| {
        if event.kind == "instance-approve" && event.payload["comment"] == "CAB 2026-11-15" {
            event.payload["comment"] = Value::from("CAB 2026-11-16");
        }
    });
    assert_eq!(
        golive(&sandbox, &["audit", "verify", "ops.md"]).code,
        Some(0)
    );
    let (code, gate) = instance_gate(&sandbox, "CHG-9");
    assert_eq!(code, Some(1), "{gate:#}");
    assert_eq!(gate["approvals"][0]["signature"], "invalid");
    let reason = gate["reasons"][0].as_str().unwrap();
    assert!(reason.contains("does not verify"), "{reason}");
    assert!(reason.contains("(event "), "{reason}");
}
