//! Seed 001's alert drill: "kill -9 postgres → alert received → restore → resolution
//! received", against a throwaway PostgreSQL cluster on a free port (never the shared one).
//!
//! The monitor is the `postgres` probe running a query, so the alert means "the database does
//! not answer", not merely "the port is closed".

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::Sandbox;
use crate::watch_support::{Receiver, Watch, events, state_is};

const BIN: &str = "/usr/lib/postgresql/15/bin";

/// A cluster in a temporary directory, run by the `postgres` user when the tests run as root
/// (PostgreSQL refuses to run as root). Stopped (or its directory removed) when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
}

fn as_postgres(program: &str) -> Command {
    if nix::unistd::Uid::effective().is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

impl Cluster {
    fn start() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        if nix::unistd::Uid::effective().is_root() {
            let user = nix::unistd::User::from_name("postgres")
                .unwrap()
                .expect("a postgres user");
            nix::unistd::chown(dir.path(), Some(user.uid), Some(user.gid)).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = dir.path().join("data");
        let init = as_postgres(&format!("{BIN}/initdb"))
            .args(["-D"])
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync"])
            .output()
            .unwrap();
        assert!(
            init.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        let cluster = Cluster { dir, port };
        cluster.pg_ctl_start();
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let start = as_postgres(&format!("{BIN}/pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-o", &options, "-l"])
            .arg(self.dir.path().join("log"))
            .args(["-w", "-t", "60", "start"])
            .output()
            .unwrap();
        assert!(
            start.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&start.stdout),
            String::from_utf8_lossy(&start.stderr)
        );
    }

    fn postmaster_pid(&self) -> i32 {
        let text = std::fs::read_to_string(self.data().join("postmaster.pid")).unwrap();
        text.lines().next().unwrap().trim().parse().unwrap()
    }

    fn kill9(&self) {
        let pid = nix::unistd::Pid::from_raw(self.postmaster_pid());
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
        // Its children notice the postmaster is gone and exit; then the port is free.
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(
                Instant::now() < deadline,
                "the cluster still answers after kill -9"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres(&format!("{BIN}/pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

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
