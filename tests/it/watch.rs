//! `golive watch`: levels, alerts with resolution, durability, silences, leases, thresholds
//! from the checklist, triggers. Real HTTP targets and receivers on loopback, real
//! processes, 1 s intervals.

use std::time::{Duration, Instant};

use crate::support::Sandbox;
use crate::watch_support::{
    Receiver, Target, Watch, api_status, events, get_text, state_is, wait_status,
};

const CHECKLIST: &str = "# Launch\n\n## Post Go-Live\n\n- [ ] API healthy\n";

fn config(target: &Target, hook: &str, extra: &str) -> String {
    format!(
        "[[check]]\nitem = \"api-healthy\"\nname = \"api\"\nprobe = \"http\"\nurl = \"{}\"\nexpect = [\"status == 200\"]\nwarn = [\"latency < 400ms\"]\nevery = \"1s\"\ntimeout = \"2s\"\n{extra}\n\n[[notifier]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"{hook}\"\nretries = 1\ntimeout = \"2s\"\n",
        target.url()
    )
}

#[test]
fn a_transition_alerts_once_and_its_resolution_follows() {
    let sandbox = Sandbox::new();
    let target = Target::start();
    let receiver = Receiver::start();
    sandbox.write("launch.md", CHECKLIST);
    sandbox.write(
        "golive.toml",
        config(&target, &receiver.url("hook"), "failures_before_alert = 2"),
    );
    let mut watch = Watch::start(
        sandbox.dir.path(),
        &["launch.md", "--listen", "127.0.0.1:0"],
    );
    let addr = watch.listening();
    wait_status(addr, Duration::from_secs(20), |s| {
        s["monitors"][0]["level"] == "ok"
    });

    // Slow: WARN, from the latency level.
    target.delay(Duration::from_millis(600));
    let (_, warn) = receiver.wait_for("a WARN alert", Duration::from_secs(20), |b| {
        state_is(b, "firing") && b["level"] == "warn"
    });
    assert!(
        warn["summary"]
            .as_str()
            .unwrap()
            .starts_with("api is WARN: latency "),
        "{warn:#}"
    );
    target.delay(Duration::ZERO);

    let down = Instant::now();
    target.answer(503);
    let (at, crit) = receiver.wait_for("a CRIT alert", Duration::from_secs(20), |b| {
        state_is(b, "firing") && b["level"] == "crit"
    });
    // Two failures a second apart, plus a probe and a delivery.
    assert!(
        at - down < Duration::from_secs(6),
        "alerted after {:?}",
        at - down
    );
    assert_eq!(
        crit["incident"], warn["incident"],
        "one incident from WARN to CRIT"
    );
    assert_eq!(crit["reasons"][0], "status 503 != 200");
    let status = api_status(addr);
    assert_eq!(status["monitors"][0]["level"], "crit");
    assert_eq!(status["summary"]["crit"], 1);
    let (code, metrics) = get_text(&format!("http://{addr}/metrics"));
    assert_eq!(code, 200);
    assert!(
        metrics.contains("golive_monitor_level{checklist=\"launch.md\",monitor=\"api\"} 2"),
        "{metrics}"
    );

    // Still down for a few more results: no second notice.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        receiver.count(|b| state_is(b, "firing") && b["level"] == "crit"),
        1,
        "{:#?}",
        receiver.bodies()
    );

    target.answer(200);
    let (_, resolved) = receiver.wait_for("the resolution", Duration::from_secs(20), |b| {
        state_is(b, "resolved")
    });
    assert_eq!(resolved["incident"], crit["incident"]);
    assert_eq!(resolved["level"], "ok");
    assert!(watch.stop().success(), "{}", watch.log());

    // Both times are in the audit log, with each delivery.
    let alerts = events(sandbox.dir.path(), "launch.md", "alert");
    let states: Vec<String> = alerts
        .iter()
        .map(|e| {
            format!(
                "{}/{}",
                e["payload"]["state"].as_str().unwrap(),
                e["payload"]["level"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(states, ["firing/warn", "firing/crit", "resolved/ok"]);
    let deliveries = events(sandbox.dir.path(), "launch.md", "delivery");
    assert_eq!(deliveries.len(), 3);
    assert!(deliveries.iter().all(|d| d["payload"]["ok"] == true));
    let verify = sandbox
        .golive()
        .args(["audit", "verify", "launch.md"])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

#[test]
fn kill_9_while_crit_then_restart_sends_no_duplicate_and_still_resolves() {
    let sandbox = Sandbox::new();
    let target = Target::start();
    let receiver = Receiver::start();
    sandbox.write("launch.md", CHECKLIST);
    sandbox.write("golive.toml", config(&target, &receiver.url("hook"), ""));
    target.answer(500);
    let mut watch = Watch::start(sandbox.dir.path(), &["launch.md"]);
    let (_, firing) = receiver.wait_for("the CRIT alert", Duration::from_secs(30), |b| {
        state_is(b, "firing")
    });
    // Its delivery is recorded before the kill.
    let deadline = Instant::now() + Duration::from_secs(10);
    while events(sandbox.dir.path(), "launch.md", "delivery").is_empty() {
        assert!(Instant::now() < deadline, "no delivery recorded");
        std::thread::sleep(Duration::from_millis(100));
    }
    watch.kill9();

    // Restarted at once: the dead holder's lease is taken over, the CRIT level restored.
    let mut watch = Watch::start(sandbox.dir.path(), &["launch.md"]);
    watch.wait_log("watching 1 monitor", Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        receiver.count(|b| state_is(b, "firing")),
        1,
        "a duplicate alert: {:#?}\n{}",
        receiver.bodies(),
        watch.log()
    );
    target.answer(200);
    let (_, resolved) = receiver.wait_for(
        "the resolution after the restart",
        Duration::from_secs(20),
        |b| state_is(b, "resolved"),
    );
    assert_eq!(resolved["incident"], firing["incident"]);
    assert!(watch.stop().success());
}

#[test]
fn a_second_watch_on_the_same_store_refuses_to_run() {
    let sandbox = Sandbox::new();
    let target = Target::start();
    let receiver = Receiver::start();
    sandbox.write("launch.md", CHECKLIST);
    sandbox.write("golive.toml", config(&target, &receiver.url("hook"), ""));
    let mut first = Watch::start(sandbox.dir.path(), &["launch.md"]);
    first.wait_log("watching 1 monitor", Duration::from_secs(30));
    // Give the first one time to take the lease.
    std::thread::sleep(Duration::from_secs(1));
    let second = sandbox
        .golive()
        .args(["watch", "launch.md", "--for", "5s"])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("another `golive watch`"), "{stderr}");
    assert!(first.stop().success());
    // Stopped cleanly, it gave the lease back: a new watch starts at once.
    let third = sandbox
        .golive()
        .args(["watch", "launch.md", "--for", "2s"])
        .output()
        .unwrap();
    assert!(
        third.status.success(),
        "{}",
        String::from_utf8_lossy(&third.stderr)
    );
}

#[test]
fn a_silenced_monitor_records_but_does_not_send_and_sends_when_the_silence_ends() {
    let sandbox = Sandbox::new();
    let target = Target::start();
    let receiver = Receiver::start();
    sandbox.write("launch.md", CHECKLIST);
    sandbox.write("golive.toml", config(&target, &receiver.url("hook"), ""));
    let silenced = sandbox
        .golive()
        .args([
            "silence",
            "launch.md",
            "api",
            "--for",
            "4s",
            "--reason",
            "planned maintenance / CHG-7",
            "--by",
            "ops",
        ])
        .output()
        .unwrap();
    assert!(
        silenced.status.success(),
        "{}",
        String::from_utf8_lossy(&silenced.stderr)
    );
    let typo = sandbox
        .golive()
        .args([
            "silence",
            "launch.md",
            "apj",
            "--for",
            "1h",
            "--reason",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(typo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("did you mean `api`?"));
    target.answer(503);
    let mut watch = Watch::start(sandbox.dir.path(), &["launch.md"]);
    watch.wait_log("api: UNKNOWN → CRIT", Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(receiver.bodies().len(), 0, "sent while silenced");
    // The silence ends with the incident still open: it is sent then.
    let (_, firing) = receiver.wait_for(
        "the alert after the silence",
        Duration::from_secs(15),
        |b| state_is(b, "firing"),
    );
    assert_eq!(firing["level"], "crit");
    let silences = events(sandbox.dir.path(), "launch.md", "silence");
    assert_eq!(silences[0]["actor"], "ops");
    assert_eq!(
        silences[0]["payload"]["reason"],
        "planned maintenance / CHG-7"
    );
    assert!(watch.stop().success());
}

#[test]
fn a_receiver_that_is_down_or_slow_costs_bounded_time_and_others_still_get_the_alert() {
    let sandbox = Sandbox::new();
    let target = Target::start();
    let receiver = Receiver::start();
    // A port nothing listens on, and a server that accepts but never answers.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let hang = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hang_addr = hang.local_addr().unwrap();
    sandbox.write("launch.md", CHECKLIST);
    let extra = format!(
        "notify = [\"down\", \"slow\", \"hook\"]\n\n[[notifier]]\nname = \"down\"\ntype = \"webhook\"\nurl = \"http://{closed}/x\"\nretries = 2\ntimeout = \"1s\"\n\n[[notifier]]\nname = \"slow\"\ntype = \"slack\"\nurl = \"http://{hang_addr}/x\"\nretries = 1\ntimeout = \"1s\""
    );
    sandbox.write(
        "golive.toml",
        config(&target, &receiver.url("hook"), &extra),
    );
    target.answer(503);
    let started = Instant::now();
    let mut watch = Watch::start(sandbox.dir.path(), &["launch.md"]);
    receiver.wait_for(
        "the alert at the working receiver",
        Duration::from_secs(20),
        |b| state_is(b, "firing"),
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the working receiver waited for the broken ones"
    );
    // Both broken receivers give up after their bounded attempts, and it is recorded.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let failed: Vec<serde_json::Value> = events(sandbox.dir.path(), "launch.md", "delivery")
            .into_iter()
            .filter(|d| d["payload"]["ok"] == false)
            .collect();
        if failed.len() == 2 {
            let down = failed
                .iter()
                .find(|d| d["payload"]["notifier"] == "down")
                .unwrap();
            assert_eq!(down["payload"]["attempts"], 3);
            assert!(
                down["payload"]["error"]
                    .as_str()
                    .unwrap()
                    .contains("cannot connect"),
                "{down:#}"
            );
            let slow = failed
                .iter()
                .find(|d| d["payload"]["notifier"] == "slow")
                .unwrap();
            assert!(
                slow["payload"]["error"]
                    .as_str()
                    .unwrap()
                    .contains("no answer within 1s"),
                "{slow:#}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "failed deliveries not recorded: {failed:#?}\n{}",
            watch.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(hang);
    assert!(watch.stop().success());
}

#[test]
fn a_probe_that_hangs_is_bounded_by_its_timeout_and_is_crit() {
    let sandbox = Sandbox::new();
    let target = Target::start();
    let receiver = Receiver::start();
    sandbox.write("launch.md", CHECKLIST);
    sandbox.write("golive.toml", config(&target, &receiver.url("hook"), ""));
    target.delay(Duration::from_secs(3600));
    let mut watch = Watch::start(
        sandbox.dir.path(),
        &["launch.md", "--listen", "127.0.0.1:0"],
    );
    let addr = watch.listening();
    let (_, firing) = receiver.wait_for(
        "the alert for a hanging target",
        Duration::from_secs(20),
        |b| state_is(b, "firing"),
    );
    assert!(
        firing["reasons"][0].as_str().unwrap().contains("timed out"),
        "{firing:#}"
    );
    // The server still answers while probes hang.
    assert_eq!(api_status(addr)["monitors"][0]["level"], "crit");
    assert!(watch.stop().success());
}

#[test]
fn configuration_errors_point_at_the_line_and_nothing_runs() {
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", CHECKLIST);
    sandbox.write(
        "golive.toml",
        "[[check]]\nitem = \"api-healthy\"\nprobe = \"http\"\nurl = \"http://127.0.0.1:1/\"\nevery = \"1s\"\ncron = \"* * * * *\"\nwarn = [\"p95(latncy, 10m) < 300ms\", \"availability(1h) >= 99.9\"]\nnotify = [\"pager\"]\n",
    );
    let output = sandbox
        .golive()
        .args(["watch", "launch.md"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("golive.toml:6:"), "{stderr}");
    assert!(stderr.contains("`every` or `cron`, not both"), "{stderr}");
    assert!(
        stderr.contains("no metric `latncy`") && stderr.contains("did you mean `latency`?"),
        "{stderr}"
    );
    assert!(stderr.contains("availability is a percentage"), "{stderr}");
    sandbox.write(
        "golive.toml",
        "[[check]]\nitem = \"api-healthy\"\nprobe = \"http\"\nurl = \"http://127.0.0.1:1/\"\nevery = \"1s\"\nnotify = [\"pager\"]\n\n[[notifier]]\nname = \"pagr\"\ntype = \"webhok\"\nurl = \"x\"\n",
    );
    let output = sandbox
        .golive()
        .args(["watch", "launch.md"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown notifier type `webhok`")
            && stderr.contains("did you mean `webhook`?"),
        "{stderr}"
    );
    // `check` accepts the same file's monitor keys (they only matter to `watch`).
    sandbox.write("golive.toml", "[[check]]\nitem = \"api-healthy\"\nprobe = \"tcp\"\nhost = \"127.0.0.1:1\"\nevery = \"1s\"\ncrit = [\"connect_time < 1s\"]\n");
    let dry = sandbox
        .golive()
        .args(["check", "launch.md", "--dry-run"])
        .output()
        .unwrap();
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
}

#[test]
fn the_bundled_example_watches_any_url_with_its_webhook() {
    let target = Target::start();
    let receiver = Receiver::start();
    let sandbox = Sandbox::new();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/watch");
    let checklist = sandbox.copy(&std::path::Path::new(example).join("watch.md"), "watch.md");
    sandbox.copy(
        &std::path::Path::new(example).join("golive.toml"),
        "golive.toml",
    );
    let url = target.url();
    let hook = receiver.url("hook");
    let mut watch = Watch::start_with_env(
        sandbox.dir.path(),
        &[checklist.to_str().unwrap(), "--listen", "127.0.0.1:0"],
        &[
            ("TARGET_URL", url.as_str()),
            ("GOLIVE_WEBHOOK_URL", hook.as_str()),
        ],
    );
    let addr = watch.listening();
    let status = wait_status(addr, Duration::from_secs(20), |s| {
        s["monitors"][0]["level"] == "ok"
    });
    assert_eq!(status["monitors"][0]["warn"][0], "latency <= 300ms");
    assert_eq!(status["unmonitored"][0]["name"], "Error rate");
    target.answer(503);
    let (_, alert) = receiver.wait_for("the example's alert", Duration::from_secs(20), |b| {
        state_is(b, "firing")
    });
    assert_eq!(alert["monitor"], "service");
    assert!(watch.stop().success());
}

#[test]
fn the_example_configuration_validates_against_golive_schema() {
    let sandbox = Sandbox::new();
    let schema = sandbox.golive().arg("schema").output().unwrap();
    assert!(schema.status.success());
    let schema = sandbox.write("schema.json", &schema.stdout);
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/watch/golive.toml");
    let validate = |config: &std::path::Path| {
        std::process::Command::new("/usr/bin/python3")
            .args(["-c", "import json,sys,tomllib,jsonschema; jsonschema.validate(tomllib.load(open(sys.argv[2],'rb')), json.load(open(sys.argv[1])))"])
            .arg(&schema)
            .arg(config)
            .output()
            .unwrap()
    };
    let output = validate(std::path::Path::new(example));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A misspelt notifier key is caught by editors too.
    let typo = sandbox.write(
        "typo.toml",
        std::fs::read_to_string(example)
            .unwrap()
            .replace("type = \"webhook\"", "type = \"webhook\"\nrety = 2"),
    );
    assert!(!validate(&typo).status.success());
}
