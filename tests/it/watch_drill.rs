//! Seed 001's alert drill: "kill -9 postgres → alert received → restore → resolution
//! received", against a throwaway PostgreSQL cluster on a free port (never the shared one).
//!
//! The monitor is the `postgres` probe running a query, so the alert means "the database does
//! not answer", not merely "the port is closed".

use std::path::Path;
use std::time::{Duration, Instant};

use crate::cluster::Cluster;
use crate::support::Sandbox;
use crate::watch_support::{Receiver, Watch, events, state_is};

fn wait_file_gone(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while path.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn seed_001_alert_drill_kill_9_postgres_alert_restore_resolution() {
    let cluster = Cluster::start();
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    sandbox.write(
        "pra.md",
        "# PRA\n\n## Monitoring\n\n- [ ] PostgreSQL up (monitoring every 5 minutes)\n",
    );
    sandbox.write(
        "golive.toml",
        format!(
            "[[check]]\nitem = \"title:PostgreSQL up*\"\nname = \"postgres\"\nprobe = \"postgres\"\nurl = \"postgres://postgres@127.0.0.1:{}/postgres\"\nquery = \"select 1\"\nexpect = [\"value == 1\"]\ntimeout = \"1s\"\nevery = \"1s\"\nfailures_before_alert = 2\n\n[[notifier]]\nname = \"oncall\"\ntype = \"webhook\"\nurl = \"{}\"\n",
            cluster.port,
            receiver.url("oncall")
        ),
    );
    let mut watch = Watch::start(sandbox.dir.path(), &["pra.md"]);
    watch.wait_log("postgres: UNKNOWN → OK", Duration::from_secs(30));

    let killed = Instant::now();
    cluster.kill9();
    let (alerted, alert) =
        receiver.wait_for("the alert after kill -9", Duration::from_secs(30), |b| {
            state_is(b, "firing")
        });
    let to_alert = alerted - killed;
    // Within the interval (1 s) times the failure count (2), plus a probe timeout and delivery.
    assert!(to_alert < Duration::from_secs(5), "alert took {to_alert:?}");
    assert_eq!(alert["level"], "crit");
    assert!(
        alert["reasons"][0]
            .as_str()
            .unwrap()
            .contains("cannot connect"),
        "{alert:#}"
    );

    wait_file_gone(&cluster.data().join("postmaster.pid.lock"));
    let restored = Instant::now();
    cluster.pg_ctl_start();
    let (resolved_at, resolved) = receiver.wait_for(
        "the resolution after the restart",
        Duration::from_secs(30),
        |b| state_is(b, "resolved"),
    );
    assert_eq!(resolved["incident"], alert["incident"]);
    let to_resolve = resolved_at - restored;
    assert!(
        to_resolve < Duration::from_secs(10),
        "resolution took {to_resolve:?}"
    );
    assert!(watch.stop().success());

    // Both times are in the evidence: the alert events, hash-chained, with their times.
    let alerts = events(sandbox.dir.path(), "pra.md", "alert");
    assert_eq!(alerts.len(), 2);
    let at = |event: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(event["at"].as_str().unwrap()).unwrap()
    };
    assert_eq!(alerts[0]["payload"]["state"], "firing");
    assert_eq!(alerts[1]["payload"]["state"], "resolved");
    assert!(at(&alerts[1]) > at(&alerts[0]));
    let deliveries = events(sandbox.dir.path(), "pra.md", "delivery");
    assert!(deliveries.iter().all(|d| d["payload"]["ok"] == true) && deliveries.len() == 2);
    eprintln!("drill: alert {to_alert:?} after kill -9, resolution {to_resolve:?} after restart");
}
