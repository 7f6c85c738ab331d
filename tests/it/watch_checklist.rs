//! `watch` reading the checklist: levels from its threshold table (and edits to it), rollback
//! criteria as triggers with a bounded action, hypercare from the GO the gate recorded.

use std::time::{Duration, Instant};

use crate::support::Sandbox;
use crate::watch_support::{Receiver, Target, Watch, api_status, events, state_is, wait_status};

const THRESHOLDS: &str = "# Lancement\n\n## Surveillance\n\n- [ ] API répond\n\n### Seuils d'Alerte\n\n| Métrique | Seuil Warning | Seuil Critique |\n|----------|---------------|----------------|\n| Temps réponse | > 0.3 sec | > 10 sec |\n| Taux d'erreur | > 5% | > 10% |\n\n## Plan de Rollback\n\n### Critères de Rollback\n\nDéclencher un rollback si :\n- [ ] Erreurs serveur en production\n";

#[test]
fn levels_come_from_the_checklists_threshold_row_and_follow_its_edits() {
    let sandbox = Sandbox::new();
    let target = Target::start();
    target.delay(Duration::from_millis(500));
    let checklist = sandbox.write("launch.md", THRESHOLDS);
    sandbox.write(
        "golive.toml",
        format!("[[check]]\nitem = \"api-repond\"\nname = \"api\"\nprobe = \"http\"\nurl = \"{}\"\nrow = \"Temps réponse\"\nmetric = \"latency\"\nevery = \"1s\"\n", target.url()),
    );
    let mut watch = Watch::start(
        sandbox.dir.path(),
        &["launch.md", "--listen", "127.0.0.1:0"],
    );
    watch.wait_log(
        "unmonitored threshold: `Taux d'erreur` (checklist line 12)",
        Duration::from_secs(30),
    );
    let addr = watch.listening();
    let status = wait_status(addr, Duration::from_secs(20), |s| {
        s["monitors"][0]["level"] == "warn"
    });
    let monitor = &status["monitors"][0];
    assert_eq!(monitor["warn"][0], "latency <= 0.3s");
    assert_eq!(monitor["crit"][0], "latency <= 10s");
    assert_eq!(monitor["threshold"], "Temps réponse (line 11)");
    assert_eq!(status["unmonitored"][0]["name"], "Taux d'erreur");
    assert_eq!(status["unmonitored"][0]["warn"], "> 5%");

    // The team raises the warning level in the checklist: the monitor follows.
    std::fs::write(&checklist, THRESHOLDS.replace("> 0.3 sec", "> 2 sec")).unwrap();
    let status = wait_status(addr, Duration::from_secs(20), |s| {
        s["monitors"][0]["level"] == "ok"
    });
    assert_eq!(status["monitors"][0]["warn"][0], "latency <= 2s");
    watch.wait_log("configuration changed: reloaded", Duration::from_secs(5));

    // A broken edit keeps the running configuration and says why.
    std::fs::write(sandbox.dir.path().join("golive.toml"), "[[check]]\nitem = \"api-repond\"\nprobe = \"http\"\nurl = \"http://127.0.0.1:1/\"\nrow = \"Temps de reponse\"\nmetric = \"latency\"\n").unwrap();
    watch.wait_log(
        "cannot be loaded; still running the previous one",
        Duration::from_secs(10),
    );
    assert!(
        watch.log().contains("no threshold row `Temps de reponse`"),
        "{}",
        watch.log()
    );
    assert_eq!(api_status(addr)["monitors"][0]["name"], "api");
    assert!(watch.stop().success());
}

#[test]
fn a_rollback_criterion_that_holds_raises_a_crit_alert_and_runs_its_bounded_action() {
    let sandbox = Sandbox::new();
    let target = Target::start();
    let receiver = Receiver::start();
    sandbox.write("launch.md", THRESHOLDS);
    sandbox.write(
        "golive.toml",
        format!(
            "[[check]]\nitem = \"api-repond\"\nname = \"api\"\nprobe = \"http\"\nurl = \"{}\"\nevery = \"1s\"\n\n[[trigger]]\nname = \"rollback\"\nitem = \"erreurs-serveur-en-production\"\nmonitor = \"api\"\nwhen = [\"status >= 500\"]\naction = \"echo rolled back > rollback.txt\"\ntimeout = \"10s\"\n\n[[trigger]]\nname = \"stuck\"\nmonitor = \"api\"\nwhen = [\"status >= 500\"]\naction = \"sleep 60\"\ntimeout = \"1s\"\nnotify = []\n\n[[notifier]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"{}\"\n",
            target.url(),
            receiver.url("hook")
        ),
    );
    let mut watch = Watch::start(
        sandbox.dir.path(),
        &["launch.md", "--listen", "127.0.0.1:0"],
    );
    let addr = watch.listening();
    wait_status(addr, Duration::from_secs(20), |s| {
        s["triggers"][0]["holding"] == false && s["monitors"][0]["level"] == "ok"
    });
    assert_eq!(
        api_status(addr)["triggers"][0]["criterion"],
        "Erreurs serveur en production"
    );
    target.answer(502);
    let (_, alert) = receiver.wait_for("the rollback alert", Duration::from_secs(20), |b| {
        state_is(b, "firing") && b["criterion"].is_string()
    });
    assert_eq!(alert["level"], "crit");
    assert_eq!(alert["monitor"], "trigger:rollback");
    assert_eq!(alert["criterion"], "Erreurs serveur en production");
    assert!(
        alert["summary"]
            .as_str()
            .unwrap()
            .contains("rollback criterion holds: Erreurs serveur en production")
    );
    let rollback = sandbox.dir.path().join("rollback.txt");
    let deadline = Instant::now() + Duration::from_secs(15);
    while !rollback.exists() {
        assert!(
            Instant::now() < deadline,
            "the action did not run:\n{}",
            watch.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(std::fs::read_to_string(&rollback).unwrap(), "rolled back\n");
    // Both actions are recorded; the one that hung was killed at its timeout.
    let deadline = Instant::now() + Duration::from_secs(15);
    let actions = loop {
        let actions = events(sandbox.dir.path(), "launch.md", "action");
        if actions.len() == 2 {
            break actions;
        }
        assert!(
            Instant::now() < deadline,
            "actions not recorded: {actions:#?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let done = actions
        .iter()
        .find(|a| a["payload"]["trigger"] == "rollback")
        .unwrap();
    assert_eq!(done["payload"]["exit_code"], 0.0);
    let stuck = actions
        .iter()
        .find(|a| a["payload"]["trigger"] == "stuck")
        .unwrap();
    assert_eq!(stuck["payload"]["timed_out"], true);
    assert!(stuck["payload"]["duration_ms"].as_u64().unwrap() < 10_000);
    // Once only, though the criterion keeps holding.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(events(sandbox.dir.path(), "launch.md", "action").len(), 2);
    target.answer(200);
    receiver.wait_for("the criterion's resolution", Duration::from_secs(20), |b| {
        state_is(b, "resolved") && b["monitor"] == "trigger:rollback"
    });
    assert!(watch.stop().success());
}

const HYPERCARE: &str = "# Launch\n\n## Go/No-Go\n\n- [ ] Tests pass\n\n## Post Go-Live\n\n### Immediate (First 24 Hours)\n\n- [ ] Watch latency metrics\n\n### First Week\n\n- [ ] Daily metrics review\n";

#[test]
fn hypercare_starts_at_the_gates_go_and_status_shows_the_day() {
    let sandbox = Sandbox::new();
    let target = Target::start();
    sandbox.write("launch.md", HYPERCARE);
    sandbox.write(
        "golive.toml",
        format!("[[check]]\nitem = \"watch-latency-metrics\"\nprobe = \"http\"\nurl = \"{}\"\nexpect = [\"latency < 2s\"]\n", target.url()),
    );
    // Before any GO: no hypercare.
    let before = sandbox
        .golive()
        .args(["status", "launch.md"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&before.stdout).contains("hypercare"));
    assert!(
        !sandbox.dir.path().join(".golive").exists(),
        "status created a store"
    );
    let tick = sandbox
        .golive()
        .args(["tick", "launch.md", "tests-pass"])
        .output()
        .unwrap();
    assert!(
        tick.status.success(),
        "{}",
        String::from_utf8_lossy(&tick.stderr)
    );
    let gate = sandbox
        .golive()
        .args(["gate", "launch.md"])
        .output()
        .unwrap();
    assert!(
        gate.status.success(),
        "{}",
        String::from_utf8_lossy(&gate.stdout)
    );
    // A second GO does not move the start.
    sandbox
        .golive()
        .args(["gate", "launch.md"])
        .output()
        .unwrap();
    assert_eq!(events(sandbox.dir.path(), "launch.md", "golive").len(), 1);
    let status = sandbox
        .golive()
        .args(["status", "launch.md"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("hypercare day 1 of 7 (GO on "), "{text}");
    let json = sandbox
        .golive()
        .args(["status", "launch.md", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let items = json["hypercare"]["items"].as_array().unwrap();
    let windows: Vec<(String, u64)> = items
        .iter()
        .map(|i| {
            (
                i["title"].as_str().unwrap().to_string(),
                i["window_days"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        windows,
        [
            ("Watch latency metrics".to_string(), 1),
            ("Daily metrics review".to_string(), 7)
        ]
    );
    assert!(items.iter().all(|i| i["overdue"] == false));
    // The check on a post item runs in `watch` (every 5 minutes by default: the first run is at once).
    let mut watch = Watch::start(
        sandbox.dir.path(),
        &["launch.md", "--listen", "127.0.0.1:0"],
    );
    let addr = watch.listening();
    let status = wait_status(addr, Duration::from_secs(20), |s| {
        s["monitors"][0]["level"] == "ok"
    });
    assert_eq!(status["monitors"][0]["schedule"], "every 5m");
    assert_eq!(status["hypercare"]["day"], 1);
    assert!(watch.stop().success());
}

/// Checks on recurring items run once per period in `watch`, not on every tick of their
/// schedule (`every` is how often a failing one is retried), and a pass records the period in
/// the store, never in the file.
#[test]
fn checks_on_recurring_items_run_once_per_period_and_record_it() {
    let sandbox = Sandbox::new();
    let list =
        "# Ops\n\n## Daily maintenance\n\n- [ ] Disk space checked\n- [ ] Backups verified\n";
    let checklist = sandbox.write("ops.md", list);
    sandbox.write(
        "golive.toml",
        "[[check]]\nitem = \"disk-space-checked\"\nname = \"disk\"\nprobe = \"command\"\nrun = \"echo run >> disk.log\"\nevery = \"1s\"\n\n[[check]]\nitem = \"backups-verified\"\nname = \"backups\"\nprobe = \"command\"\nrun = \"echo run >> backups.log; test -f ready\"\nevery = \"1s\"\n",
    );
    let lines = |name: &str| {
        std::fs::read_to_string(sandbox.dir.path().join(name))
            .map(|text| text.lines().count())
            .unwrap_or(0)
    };
    let wait = |what: &str, done: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !done() {
            assert!(Instant::now() < deadline, "waited 30 s for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let mut watch = Watch::start(sandbox.dir.path(), &["ops.md"]);
    wait("two failed backup checks", &|| lines("backups.log") >= 2);
    sandbox.write("ready", "");
    wait("both periods recorded", &|| {
        events(sandbox.dir.path(), "ops.md", "period").len() == 2
    });
    let backups = lines("backups.log");
    // Three more ticks of the 1 s schedule: nothing runs, the periods are done.
    std::thread::sleep(Duration::from_millis(3500));
    assert_eq!(lines("disk.log"), 1, "{}", watch.log());
    assert_eq!(lines("backups.log"), backups, "{}", watch.log());
    assert!(watch.stop().success());

    let periods = events(sandbox.dir.path(), "ops.md", "period");
    let mut recorded: Vec<(String, String)> = periods
        .iter()
        .map(|e| {
            assert_eq!(e["payload"]["source"], "check", "{e}");
            assert_eq!(e["payload"]["every"], "day", "{e}");
            (
                e["item"].as_str().unwrap().to_string(),
                e["payload"]["evidence"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    recorded.sort();
    assert_eq!(
        recorded,
        [
            (
                "backups-verified".to_string(),
                "check `backups` passed".to_string()
            ),
            (
                "disk-space-checked".to_string(),
                "check `disk` passed".to_string()
            ),
        ]
    );
    assert_eq!(std::fs::read_to_string(&checklist).unwrap(), list);

    // A restart finds the periods done in the store: nothing runs again today.
    let mut watch = Watch::start(sandbox.dir.path(), &["ops.md", "--for", "3s"]);
    std::thread::sleep(Duration::from_secs(4));
    assert!(watch.stop().success(), "{}", watch.log());
    assert_eq!(lines("disk.log"), 1, "{}", watch.log());
    assert_eq!(lines("backups.log"), backups);
    assert_eq!(events(sandbox.dir.path(), "ops.md", "period").len(), 2);
}
