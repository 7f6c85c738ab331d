//! `golive drill`: backups and restores run alone against a throwaway cluster, drills people
//! time, the `drill` events they leave in the audit log and the report's drills section.

use std::path::{Path, PathBuf};

use crate::cluster::Cluster;
use crate::support::{Sandbox, select_events};

/// A cluster holding database `shop` with 1,000 orders.
fn shop() -> Cluster {
    let cluster = Cluster::start();
    cluster.psql("postgres", "create database shop");
    cluster.psql(
        "shop",
        "create table orders(id serial primary key, v text); \
         insert into orders(v) select 'x' || g from generate_series(1, 1000) g",
    );
    cluster
}

const LIST: &str = "# Plan\n- [ ] Backup done\n- [ ] Restore verified\n";

fn sandbox(url: &str, restore_extra: &str) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write("list.md", LIST);
    sandbox.write(
        "golive.toml",
        format!(
            "[[check]]\nitem = \"backup-done\"\nname = \"backup\"\nprobe = \"drill\"\naction = \"backup\"\ndatabase = \"{url}\"\n\n\
             [[check]]\nitem = \"restore-verified\"\nname = \"restore\"\nprobe = \"drill\"\naction = \"restore\"\nafter = [\"backup\"]\n\
             database = \"{url}\"\nrto = \"30m\"\nrpo = \"1h\"\n{restore_extra}\n"
        ),
    );
    sandbox
}

/// `golive ARGS`: exit code, stdout, stderr.
fn golive(sandbox: &Sandbox, args: &[&str]) -> (i32, String, String) {
    let output = sandbox.golive().args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

fn store(sandbox: &Sandbox) -> PathBuf {
    sandbox.dir.path().join(".golive/state.db")
}

fn drill_events(sandbox: &Sandbox) -> Vec<serde_json::Value> {
    select_events(&store(sandbox))
        .into_iter()
        .filter(|event| event.kind == "drill")
        .map(|event| event.payload)
        .collect()
}

fn dumps(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "dump"))
        .collect();
    found.sort();
    found
}

#[test]
fn backup_and_restore_run_alone_are_audited_and_reported() {
    let cluster = shop();
    let sandbox = sandbox(&cluster.url("shop"), "");
    let (code, out, err) = golive(&sandbox, &["drill", "backup", "list.md"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 check: 1 passed"), "{out}");
    // A second backup with more rows: `--backup` picks the first, the default the newest.
    cluster.psql("shop", "insert into orders(v) values ('late')");
    assert_eq!(
        golive(&sandbox, &["drill", "backup", "list.md", "backup"]).0,
        0
    );
    let backups = dumps(&sandbox.dir.path().join("backups"));
    assert_eq!(backups.len(), 2, "{backups:?}");

    let (code, out, err) = golive(
        &sandbox,
        &["drill", "restore", "list.md", "--format", "json"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let report = json(&out);
    assert_eq!(
        report["summary"]["checks"], 1,
        "only the restore drill runs"
    );
    let observed = &report["results"][0]["observed"];
    assert_eq!(observed["verdict"], "verified");
    assert_eq!(observed["rows_verified"], 1001);

    let first = backups[0].strip_prefix(sandbox.dir.path()).unwrap();
    let (code, out, err) = golive(
        &sandbox,
        &[
            "drill",
            "restore",
            "list.md",
            "--backup",
            first.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json(&out)["results"][0]["observed"]["rows_verified"], 1000);

    // Four drills, four events, each with its evidence; no run, so no item changed.
    let events = drill_events(&sandbox);
    assert_eq!(events.len(), 4, "{events:#?}");
    assert_eq!(events[0]["action"], "backup");
    assert_eq!(events[2]["action"], "restore");
    assert_eq!(events[2]["verdict"], "verified");
    assert_eq!(events[2]["rto_objective_ms"], 1_800_000);
    assert!(events[2]["rto_ms"].as_u64().unwrap() > 0);
    let evidence: Vec<&str> = events[3]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(evidence.contains(&"rows_verified 1000"), "{evidence:?}");
    let kinds: Vec<String> = select_events(&store(&sandbox))
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        !kinds.iter().any(|k| k == "run" || k == "result"),
        "{kinds:?}"
    );
    assert_eq!(golive(&sandbox, &["audit", "verify", "list.md"]).0, 0);

    let (code, report, err) = golive(
        &sandbox,
        &["report", "list.md", "--format", "md", "-o", "-"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(report.contains("## Drills"), "{report}");
    assert!(report.contains("### restore (restore)"), "{report}");
    assert!(report.contains("**RTO MET "), "{report}");
    assert!(report.contains(" < 30m · RPO MET "), "{report}");
    let (_, gate, _) = golive(&sandbox, &["gate", "list.md"]);
    assert!(
        gate.contains("Drills") && gate.contains("RTO MET"),
        "{gate}"
    );
    let (_, html, _) = golive(
        &sandbox,
        &["report", "list.md", "--format", "html", "-o", "-"],
    );
    assert!(html.contains("<h2>Drills</h2>"), "{html}");
    let (_, gate_json, _) = golive(&sandbox, &["gate", "list.md", "--format", "json"]);
    let drills = &json(&gate_json)["drills"];
    assert_eq!(drills[1]["drill"], "restore");
    assert_eq!(drills[1]["history"].as_array().unwrap().len(), 2);
}

#[test]
fn drill_usage_errors_exit_2() {
    let sandbox = sandbox("postgres://postgres@127.0.0.1:1/none", "");
    let (code, _, err) = golive(&sandbox, &["drill", "restore", "list.md", "nightly"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "no restore drill named `nightly` in golive.toml; its restore drills: restore"
        ),
        "{err}"
    );
    sandbox.write(
        "golive.toml",
        "[[check]]\nitem = \"backup-done\"\nprobe = \"file\"\npath = \"list.md\"\n",
    );
    let (code, _, err) = golive(&sandbox, &["drill", "backup", "list.md"]);
    assert_eq!(code, 2);
    assert!(err.contains("has no backup drill"), "{err}");
    assert_eq!(golive(&sandbox, &["drill", "restore"]).0, 2);
}

#[test]
fn a_restore_with_no_backup_is_unknown_and_exits_1() {
    let cluster = shop();
    let sandbox = sandbox(&cluster.url("shop"), "");
    let (code, out, _) = golive(
        &sandbox,
        &["drill", "restore", "list.md", "--format", "json"],
    );
    assert_eq!(code, 1);
    let result = &json(&out)["results"][0];
    assert_eq!(result["observed"]["verdict"], "unknown");
    assert!(
        result["problem"]
            .as_str()
            .unwrap()
            .contains("run `golive drill backup` first"),
        "{result}"
    );
    let events = drill_events(&sandbox);
    assert_eq!(events[0]["verdict"], "unknown");
    assert!(
        events[0]["evidence"].to_string().contains("no backup"),
        "{events:?}"
    );
}

#[test]
fn a_restore_slower_than_its_rto_fails_with_the_measured_time() {
    let cluster = shop();
    let sandbox = sandbox(&cluster.url("shop"), "");
    let toml = std::fs::read_to_string(sandbox.dir.path().join("golive.toml")).unwrap();
    sandbox.write(
        "golive.toml",
        toml.replace("rto = \"30m\"", "rto = \"1ms\""),
    );
    assert_eq!(golive(&sandbox, &["drill", "backup", "list.md"]).0, 0);
    let (code, out, _) = golive(
        &sandbox,
        &["drill", "restore", "list.md", "--format", "json"],
    );
    assert_eq!(code, 1, "{out}");
    let result = &json(&out)["results"][0];
    // Verified, and still too slow: the objective is what fails.
    assert_eq!(result["observed"]["verdict"], "verified");
    let failures = result["failures"].to_string();
    let rto = regex::Regex::new(r"rto [0-9.]+m?s > 1ms").unwrap();
    assert!(rto.is_match(&failures), "{failures}");
    let events = drill_events(&sandbox);
    let restore = events.last().unwrap();
    assert!(restore["rto_ms"].as_u64().unwrap() >= 1);
    assert!(rto.is_match(&restore["evidence"].to_string()), "{restore}");
    let (_, report, _) = golive(
        &sandbox,
        &["report", "list.md", "--format", "md", "-o", "-"],
    );
    assert!(report.contains("**RTO MISSED "), "{report}");
    assert!(report.contains(" >= 1ms"), "{report}");
}

#[test]
fn an_empty_database_restores_to_unknown_not_verified() {
    let cluster = Cluster::start();
    cluster.psql("postgres", "create database hollow");
    let sandbox = sandbox(&cluster.url("hollow"), "");
    let (code, out, _) = golive(
        &sandbox,
        &["check", "list.md", "--format", "json", "--quiet"],
    );
    assert_eq!(code, 1, "{out}");
    let report = json(&out);
    assert_eq!(
        report["results"][0]["passed"], true,
        "the backup itself is made"
    );
    let restore = &report["results"][1];
    assert_eq!(restore["passed"], false);
    assert_eq!(restore["observed"]["verdict"], "unknown");
    assert!(restore["observed"]["rto"].is_null());
    assert!(
        restore["problem"]
            .as_str()
            .unwrap()
            .contains("holds no table and no sequence, so restoring it proves nothing"),
        "{restore}"
    );
    // The scratch database went with the drill.
    let left = cluster.psql(
        "postgres",
        "select count(*) from pg_database where datname like 'golive_drill_%'",
    );
    assert_eq!(left, "0");
    // `check` records its drills too.
    assert_eq!(drill_events(&sandbox).len(), 2);
}

const HUMAN: &str =
    "# PRA\n- [ ] Drill P1: Team mobilisée en < 5 min\n- [ ] Drill P2: Database restaurée\n";

#[test]
fn a_drill_people_time_is_met_or_missed_against_the_item_text() {
    let sandbox = Sandbox::new();
    sandbox.write("pra.md", HUMAN);
    let at = |time: &str| format!("2026-12-02T{time}:00Z");
    let (code, out, err) = golive(
        &sandbox,
        &[
            "drill",
            "start",
            "pra.md",
            "Team mobilisée",
            "--by",
            "ana",
            "--at",
            &at("10:00"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("objective < 5m"), "{out}");
    // Started once: a second start is refused, naming who started it.
    let (code, _, err) = golive(&sandbox, &["drill", "start", "pra.md", "Team mobilisée"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("already running") && err.contains("by ana"),
        "{err}"
    );
    let (code, out, _) = golive(
        &sandbox,
        &[
            "drill",
            "stop",
            "pra.md",
            "Team mobilisée",
            "--by",
            "bob",
            "--at",
            &at("10:04"),
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("took 4m: MET (4m < 5m)"), "{out}");

    golive(
        &sandbox,
        &["drill", "start", "pra.md", "P1", "--at", &at("11:00")],
    );
    let (code, out, _) = golive(
        &sandbox,
        &["drill", "stop", "pra.md", "P1", "--at", &at("11:07")],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("took 7m: MISSED (7m >= 5m)"), "{out}");

    let (code, _, err) = golive(&sandbox, &["drill", "stop", "pra.md", "P1"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not running"), "{err}");
    let (code, _, err) = golive(&sandbox, &["drill", "start", "pra.md", "P2"]);
    assert_eq!(code, 2);
    assert!(err.contains("states no objective"), "{err}");

    let events = select_events(&store(&sandbox));
    let drills: Vec<_> = events.iter().filter(|e| e.kind == "drill").collect();
    assert_eq!(drills.len(), 4);
    assert_eq!(drills[0].actor, "ana");
    assert_eq!(drills[1].actor, "bob");
    assert_eq!(drills[1].payload["verdict"], "met");
    assert_eq!(drills[1].payload["rto_ms"], 240_000);
    assert_eq!(drills[1].payload["started_at"], "2026-12-02T10:00:00.000Z");
    assert_eq!(drills[3].payload["verdict"], "missed");
    assert_eq!(
        drills[3].item.as_deref(),
        Some("drill-p1-team-mobilisee-en-5-min")
    );
    let (_, gate, _) = golive(&sandbox, &["gate", "pra.md"]);
    assert!(gate.contains("TIME MISSED 7m >= 5m"), "{gate}");

    // Ticked, the item still holds the gate back while its latest timing is MISSED.
    sandbox.write(
        "pra.md",
        "# PRA\n- [ ] Drill P1: Team mobilisée en < 5 min\n",
    );
    assert_eq!(golive(&sandbox, &["tick", "pra.md", "P1"]).0, 0);
    let missed = |sandbox: &Sandbox| {
        let (code, out, _) = golive(sandbox, &["gate", "pra.md", "--format", "json"]);
        let gate = json(&out);
        let reasons: Vec<String> = gate["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == "missed-drill")
            .map(|r| r["message"].as_str().unwrap().to_owned())
            .collect();
        (code, reasons)
    };
    let (code, reasons) = missed(&sandbox);
    assert_eq!(code, 1);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].contains("TIME MISSED 7m >= 5m (stopped by ")
            && reasons[0].contains("at 2026-12-02T11:07:00.000Z"),
        "{reasons:?}"
    );
    golive(
        &sandbox,
        &["drill", "start", "pra.md", "P1", "--at", &at("12:00")],
    );
    golive(
        &sandbox,
        &["drill", "stop", "pra.md", "P1", "--at", &at("12:03")],
    );
    assert_eq!(missed(&sandbox), (0, Vec::new()));
}

#[test]
fn a_human_drill_check_takes_its_objective_from_golive_toml_and_gates() {
    let sandbox = Sandbox::new();
    sandbox.write("pra.md", "# PRA\n- [ ] Drill P2: Database restaurée\n");
    sandbox.write(
        "golive.toml",
        "[[check]]\nitem = \"drill-p2-database-restauree\"\nname = \"p2\"\nprobe = \"drill\"\naction = \"human\"\nrto = \"30m\"\n",
    );
    // Never timed: unknown, and the item fails.
    let (code, out, _) = golive(
        &sandbox,
        &["check", "pra.md", "--format", "json", "--quiet"],
    );
    assert_eq!(code, 1);
    let result = &json(&out)["results"][0];
    assert!(
        result["problem"].as_str().unwrap().contains("never timed"),
        "{result}"
    );

    golive(
        &sandbox,
        &[
            "drill",
            "start",
            "pra.md",
            "p2",
            "--at",
            "2026-12-02T10:00:00Z",
        ],
    );
    let (code, out, _) = golive(
        &sandbox,
        &["check", "pra.md", "--format", "json", "--quiet"],
    );
    assert_eq!(code, 1);
    assert!(out.contains("not stopped yet"), "{out}");
    let (code, out, _) = golive(
        &sandbox,
        &[
            "drill",
            "stop",
            "pra.md",
            "p2",
            "--at",
            "2026-12-02T10:45:00Z",
        ],
    );
    assert_eq!(code, 1);
    assert!(out.contains("MISSED (45m >= 30m)"), "{out}");
    let (code, out, _) = golive(
        &sandbox,
        &["check", "pra.md", "--format", "json", "--quiet"],
    );
    assert_eq!(code, 1);
    let result = &json(&out)["results"][0];
    assert_eq!(result["observed"]["rto"], "45m");
    assert!(
        result["failures"].to_string().contains("rto 45m > 30m"),
        "{result}"
    );
    let (code, gate, _) = golive(&sandbox, &["gate", "pra.md"]);
    assert_eq!(code, 1, "{gate}");
    assert!(gate.contains("TIME MISSED 45m >= 30m"), "{gate}");

    // The item's title names the drill as well as the check's name does.
    golive(
        &sandbox,
        &[
            "drill",
            "start",
            "pra.md",
            "Database restaurée",
            "--at",
            "2026-12-02T11:00:00Z",
        ],
    );
    let (code, out, _) = golive(
        &sandbox,
        &[
            "drill",
            "stop",
            "pra.md",
            "p2",
            "--at",
            "2026-12-02T11:20:00Z",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(golive(&sandbox, &["check", "pra.md", "--quiet"]).0, 0);
    let (code, gate, _) = golive(&sandbox, &["gate", "pra.md"]);
    assert_eq!(code, 0, "{gate}");
    assert!(gate.contains("TIME MET 20m < 30m"), "{gate}");
}

/// Drill events as the store keeps them, for a report that does not depend on timings.
fn record(
    drill: &str,
    action: &str,
    verdict: &str,
    rto: Option<u64>,
    evidence: &[&str],
) -> serde_json::Value {
    let mut record = serde_json::json!({
        "drill": drill,
        "action": action,
        "verdict": verdict,
        "evidence": evidence,
    });
    if let Some(rto) = rto {
        record["rto_ms"] = rto.into();
    }
    if action == "restore" {
        record["rto_objective_ms"] = 30_000.into();
        record["rpo_ms"] = 600_000.into();
        record["rpo_objective_ms"] = 3_600_000.into();
    }
    if action == "human" {
        record["rto_objective_ms"] = 300_000.into();
        record["started_at"] = "2026-12-02T10:00:00.000Z".into();
    }
    record
}

#[test]
fn the_report_drills_section_snapshot() {
    let sandbox = Sandbox::new();
    let list = sandbox.write("list.md", LIST);
    let payloads = [
        record(
            "backup",
            "backup",
            "verified",
            None,
            &["size 4.4KB", "duration 700ms"],
        ),
        record(
            "restore",
            "restore",
            "verified",
            Some(10_000),
            &["rows_verified 1000", "mismatches 0"],
        ),
        record(
            "restore",
            "restore",
            "failed",
            None,
            &["table public.orders: 1000 rows restored, the manifest says 1001"],
        ),
        record(
            "restore",
            "restore",
            "verified",
            Some(25_000),
            &["rows_verified 1000"],
        ),
        record(
            "restore",
            "restore",
            "verified",
            Some(27_000),
            &["rows_verified 1000"],
        ),
        record(
            "restore",
            "restore",
            "verified",
            Some(26_000),
            &["rows_verified 1000"],
        ),
        record(
            "p1",
            "human",
            "missed",
            Some(420_000),
            &[
                "started by ana at 2026-12-02T10:00:00.000Z",
                "took 7m: MISSED (7m >= 5m)",
            ],
        ),
        record("p1", "human", "started", None, &["started by bob"]),
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let location = golive::store::Location::beside(&list);
        let store = golive::store::Store::open(&location).await.unwrap();
        let key = golive::store::checklist_key(&list, &location);
        let events = payloads
            .iter()
            .map(|payload| golive::store::event::NewEvent {
                checklist: key.clone(),
                kind: golive::store::event::Kind::Drill,
                item: Some("restore-verified".into()),
                actor: "ci".into(),
                payload: payload.clone(),
            })
            .collect();
        store.append(events).await.unwrap();
        store.close().await;
    });
    let (code, report, err) = golive(
        &sandbox,
        &["report", "list.md", "--format", "md", "-o", "-"],
    );
    assert_eq!(code, 0, "{err}");
    let start = report.find("## Drills").expect("a drills section");
    let end = report.find("## Checklist").unwrap();
    let section = &report[start..end];
    insta::with_settings!({filters => vec![(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "[TIME]")]}, {
        insta::assert_snapshot!(section);
    });
}

/// A drill that `watch` runs on its schedule is audited as one `check` runs: each run is a
/// `drill` event with its verdict and evidence (before, watch ran drills and kept no trace of
/// them in the audit log).
#[test]
fn drills_run_by_watch_are_audited_like_those_run_by_check() {
    let cluster = shop();
    let sandbox = Sandbox::new();
    sandbox.write("list.md", LIST);
    sandbox.write(
        "golive.toml",
        format!(
            "[[check]]\nitem = \"backup-done\"\nname = \"nightly\"\nprobe = \"drill\"\naction = \"backup\"\n\
             database = \"{}\"\nevery = \"1s\"\n",
            cluster.url("shop")
        ),
    );
    let (code, _, stderr) = golive(&sandbox, &["watch", "list.md", "--for", "4s"]);
    assert_eq!(code, 0, "{stderr}");
    let drills = drill_events(&sandbox);
    assert!(!drills.is_empty(), "no drill event after watch: {stderr}");
    for drill in &drills {
        assert_eq!(drill["drill"], "nightly", "{drill:#}");
        assert_eq!(drill["action"], "backup", "{drill:#}");
        assert_eq!(drill["verdict"], "verified", "{drill:#}");
        assert!(
            drill["evidence"].as_array().is_some_and(|lines| lines
                .iter()
                .any(|l| l.as_str().is_some_and(|l| l.starts_with("file ")))),
            "{drill:#}"
        );
    }
    let (code, _, stderr) = golive(&sandbox, &["audit", "verify", "list.md"]);
    assert_eq!(code, 0, "{stderr}");
}
