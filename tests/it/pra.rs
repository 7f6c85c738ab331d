//! Seed 001 end to end: `examples/pra/` copied as a checkout leaves it, run against a database
//! of 110,000 rows made for the test (dropped after): the checks, the gate, the report and the
//! audit trail.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

use crate::support::{Sandbox, seed};

use crate::drill::psql;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/pra");

/// 10,000 clients and 100,000 invoices in a database of its own, dropped when the test ends.
struct Database(String);

impl Database {
    fn new() -> Database {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("pra_{}_{nanos}", std::process::id());
        psql("postgres", &format!("create database {name}"));
        let database = Database(name);
        psql(
            &database.0,
            "create table clients(id serial primary key, nom text not null, email text not null); \
             insert into clients(nom, email) select 'client ' || g, md5(g::text) || '@example.test' \
               from generate_series(1, 10000) g; \
             create table factures(id bigserial primary key, client_id int not null references clients, \
               montant numeric(12,2) not null, reference text not null, emise_le timestamptz not null); \
             insert into factures(client_id, montant, reference, emise_le) \
               select 1 + g % 10000, (g % 100000) / 100.0, md5(g::text), now() - g * interval '1 minute' \
               from generate_series(1, 100000) g",
        );
        database
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.0)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc"])
            .arg(format!("drop database if exists {} with (force)", self.0))
            .output();
    }
}

/// The example's files with the modes a git checkout gives them: 0755 scripts, 0644 the rest.
fn checkout(into: &Path) {
    for entry in std::fs::read_dir(EXAMPLE).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let to = into.join(path.file_name().unwrap());
        std::fs::copy(&path, &to).unwrap();
        // env.sh is sourced by the scripts, not run.
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mode = if name.ends_with(".sh") && name != "env.sh" {
            0o755
        } else {
            0o644
        };
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

fn golive(sandbox: &Sandbox, database: &Database, args: &[&str]) -> std::process::Output {
    sandbox
        .golive()
        .env("DATABASE_URL", database.url())
        .args(args)
        .output()
        .unwrap()
}

fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "not JSON: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn result<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no check `{name}` in {report:#}"))
}

#[test]
fn seed_001_pra_runs_its_plan_on_110k_rows_and_the_gate_report_and_audit_show_it() {
    let database = Database::new();
    assert_eq!(psql(&database.0, "select count(*) from factures"), "100000");
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.path();
    checkout(dir);
    // The checklist is the seed's, byte for byte.
    let original = std::fs::read(seed(1)).unwrap();
    assert_eq!(std::fs::read(dir.join("CHECKLIST.md")).unwrap(), original);

    // `cp .env.example .env`: 0644, so the `.env → 600` item and status.sh fail.
    std::fs::copy(dir.join(".env.example"), dir.join(".env")).unwrap();
    std::fs::set_permissions(dir.join(".env"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let first = golive(
        &sandbox,
        &database,
        &["check", "CHECKLIST.md", "--format", "json", "--quiet"],
    );
    assert_eq!(first.status.code(), Some(1));
    let first = json(&first);
    let failed: Vec<&str> = first["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["passed"] == false)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        ["env-600-proprietaire-seulement", "executer-status-sh"],
        "{first:#}"
    );
    assert!(
        result(&first, "executer-status-sh")["failures"]
            .to_string()
            .contains("FAIL .env is 600"),
        "{first:#}"
    );

    std::fs::set_permissions(dir.join(".env"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let second = golive(
        &sandbox,
        &database,
        &["check", "CHECKLIST.md", "--format", "json", "--quiet"],
    );
    let second_text = String::from_utf8_lossy(&second.stdout).into_owned();
    assert_eq!(second.status.code(), Some(0), "{second_text}");
    let second = json(&second);
    assert_eq!(second["summary"]["failed"], 0);
    assert_eq!(second["summary"]["passed"], 19);

    let script = &result(&second, "backup-script")["observed"];
    assert_eq!(script["verdict"], "verified");
    let backup = &result(&second, "backup")["observed"];
    assert_eq!(backup["rows"], 110_000);
    let restore = &result(&second, "restore")["observed"];
    assert_eq!(restore["verdict"], "verified", "{restore:#}");
    assert_eq!(restore["rows_verified"], 110_000);
    assert_eq!(restore["mismatches"], 0);
    let rto = golive::expr::parse_duration(restore["rto"].as_str().unwrap()).unwrap();
    assert!(rto < std::time::Duration::from_secs(30 * 60), "{rto:?}");
    let rpo = golive::expr::parse_duration(restore["rpo"].as_str().unwrap()).unwrap();
    assert!(rpo < std::time::Duration::from_secs(3600), "{rpo:?}");
    let scratch = restore["scratch"].as_str().unwrap();
    assert_eq!(
        psql(
            "postgres",
            &format!("select count(*) from pg_database where datname = '{scratch}'")
        ),
        "0",
        "the scratch database was dropped"
    );
    // The database URL came from the environment: it is redacted wherever it would show.
    assert!(!second_text.contains(&database.url()), "{second_text}");
    use std::os::unix::fs::MetadataExt as _;
    assert_eq!(
        std::fs::metadata(dir.join("backups")).unwrap().mode() & 0o777,
        0o700
    );

    // The gate: NO-GO on the manual items only; every item a check verified is done.
    let gate = golive(
        &sandbox,
        &database,
        &["gate", "CHECKLIST.md", "--format", "json"],
    );
    assert_eq!(gate.status.code(), Some(1));
    let gate = json(&gate);
    assert_eq!(gate["decision"], "NO-GO");
    let verified: Vec<String> = second["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["items"].as_array().unwrap().iter())
        .map(|i| i.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(verified.len(), 36);
    let reasons = gate["reasons"].as_array().unwrap();
    for reason in reasons {
        let kind = reason["kind"].as_str().unwrap();
        assert!(
            kind == "open-item" || kind == "missing-approval",
            "{reason}"
        );
        if let Some(item) = reason["item"].as_str() {
            assert!(!verified.iter().any(|v| v == item), "{item} was verified");
        }
    }
    assert!(
        reasons
            .iter()
            .any(|r| r["message"] == "no GO from `CTO` yet")
    );
    for item in gate["items"].as_array().unwrap() {
        if verified.iter().any(|v| v == &item["id"]) {
            assert_eq!(item["status"], "done", "{item:#}");
        }
    }
    assert_eq!(gate["summary"]["done"], 36);
    assert_eq!(gate["summary"]["failed"], 0);

    // The report shows the drill's items done.
    let report = golive(
        &sandbox,
        &database,
        &["report", "CHECKLIST.md", "--format", "md", "-o", "-"],
    );
    assert!(report.status.success());
    let report = String::from_utf8_lossy(&report.stdout);
    for line in [
        "- [x] ✅ **RTO < 30min: ✓ Conforme** · done · `rto-30min-conforme`",
        "- [x] ✅ **RPO < 1h: ✓ Conforme** · done · `rpo-1h-conforme`",
        "- [x] ✅ **Drill P1: Database restaurée en < 30 min** · done",
    ] {
        assert!(report.contains(line), "{line} not in\n{report}");
    }
    // …and the drills section proves the objectives: RTO and RPO MET, with the measured value
    // against the objective.
    assert!(
        report.contains("\n## Drills\n"),
        "no drills section in\n{report}"
    );
    let drills = &report[report.find("\n## Drills\n").unwrap()..];
    assert!(drills.contains("RTO MET"), "{drills}");
    assert!(drills.contains("< 30m"), "{drills}");
    assert!(drills.contains("RPO MET"), "{drills}");
    assert!(drills.contains("< 1h"), "{drills}");
    assert!(!drills.contains("MISSED"), "{drills}");

    // The audit trail holds the drill's evidence and chains intact.
    let log = golive(
        &sandbox,
        &database,
        &["audit", "log", "CHECKLIST.md", "--format", "json"],
    );
    let log = json(&log);
    let evidence = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["kind"] == "result" && e["payload"]["check"] == "restore")
        .unwrap()
        .clone();
    assert_eq!(evidence["payload"]["observed"]["rows_verified"], 110_000);
    assert_eq!(evidence["payload"]["observed"]["rto"], restore["rto"]);
    let verify = golive(&sandbox, &database, &["audit", "verify", "CHECKLIST.md"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("audit trail intact"));

    // And golive never rewrote the checklist.
    assert_eq!(std::fs::read(dir.join("CHECKLIST.md")).unwrap(), original);
}
