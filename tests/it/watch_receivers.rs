//! `watch` against real receivers and readers, each started by the test on loopback:
//! Prometheus scraping `/metrics`, Alertmanager receiving alerts and their resolution, an
//! SMTP server (aiosmtpd), PagerDuty and Slack payloads checked against their documented
//! shapes, and the status page opened in headless Chromium.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Sandbox;
use crate::watch_support::{Receiver, Target, Watch, get_text, state_is, wait_status};

const CHECKLIST: &str = "# Launch\n\n## Post Go-Live\n\n- [ ] API healthy\n";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process the test started; killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(program: &str, args: &[String], log: &Path) -> Server {
    let file = std::fs::File::create(log).unwrap();
    let err = file.try_clone().unwrap();
    Server(
        Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program} (scripts/test installs it): {e}")),
    )
}

fn wait_until<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn try_get(url: &str) -> Option<(u16, String)> {
    let host = url.strip_prefix("http://")?.split('/').next()?;
    std::net::TcpStream::connect(host).ok()?;
    Some(get_text(url))
}

fn monitor(target: &Target) -> String {
    format!(
        "[[check]]\nitem = \"api-healthy\"\nname = \"api\"\nprobe = \"http\"\nurl = \"{}\"\nexpect = [\"status == 200\"]\nevery = \"1s\"\ntimeout = \"2s\"\n",
        target.url()
    )
}

#[test]
fn prometheus_scrapes_metrics() {
    let sandbox = Sandbox::new();
    let target = Target::start();
    sandbox.write("launch.md", CHECKLIST);
    sandbox.write("golive.toml", monitor(&target));
    let mut watch = Watch::start(
        sandbox.dir.path(),
        &["launch.md", "--listen", "127.0.0.1:0"],
    );
    let addr = watch.listening();
    let port = free_port();
    let config = sandbox.write(
        "prometheus.yml",
        format!("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: golive\n    static_configs:\n      - targets: ['{addr}']\n"),
    );
    let data = sandbox.dir.path().join("prometheus-data");
    let _prometheus = spawn(
        "prometheus",
        &[
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", data.display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ],
        &sandbox.dir.path().join("prometheus.log"),
    );
    let query = format!("http://127.0.0.1:{port}/api/v1/query?query=golive_monitor_up");
    let value = wait_until(
        "Prometheus to have scraped golive_monitor_up",
        Duration::from_secs(90),
        || {
            let (_, body) = try_get(&query)?;
            let json: serde_json::Value = serde_json::from_str(&body).ok()?;
            let result = json["data"]["result"].as_array()?.first()?.clone();
            Some(result)
        },
    );
    assert_eq!(value["metric"]["monitor"], "api");
    assert_eq!(value["metric"]["checklist"], "launch.md");
    assert_eq!(value["value"][1], "1");
    // And the scrape itself was healthy: Prometheus parsed every line.
    let (_, targets) = get_text(&format!("http://127.0.0.1:{port}/api/v1/targets"));
    assert!(targets.contains("\"health\":\"up\""), "{targets}");
    assert!(watch.stop().success());
}

#[test]
fn alertmanager_shows_the_alert_then_its_resolution() {
    let sandbox = Sandbox::new();
    let target = Target::start();
    sandbox.write("launch.md", CHECKLIST);
    let port = free_port();
    let config = sandbox.write(
        "alertmanager.yml",
        "route:\n  receiver: nobody\n  group_wait: 1s\nreceivers:\n  - name: nobody\n",
    );
    let _alertmanager = spawn(
        "prometheus-alertmanager",
        &[
            format!("--config.file={}", config.display()),
            format!(
                "--storage.path={}",
                sandbox.dir.path().join("am-data").display()
            ),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--cluster.listen-address=".into(),
        ],
        &sandbox.dir.path().join("alertmanager.log"),
    );
    let alerts = format!("http://127.0.0.1:{port}/api/v2/alerts");
    wait_until("Alertmanager to start", Duration::from_secs(60), || {
        try_get(&alerts).filter(|(code, _)| *code == 200)
    });
    sandbox.write(
        "golive.toml",
        format!("{}\n[[notifier]]\nname = \"am\"\ntype = \"alertmanager\"\nurl = \"http://127.0.0.1:{port}\"\n", monitor(&target)),
    );
    target.answer(503);
    let mut watch = Watch::start(sandbox.dir.path(), &["launch.md"]);
    let alert = wait_until("the alert in Alertmanager", Duration::from_secs(60), || {
        let (_, body) = try_get(&alerts)?;
        let list: serde_json::Value = serde_json::from_str(&body).ok()?;
        list.as_array()?
            .iter()
            .find(|a| a["labels"]["monitor"] == "api")
            .cloned()
    });
    assert_eq!(alert["status"]["state"], "active", "{alert:#}");
    assert_eq!(
        alert["annotations"]["summary"],
        "api is CRIT: status 503 != 200"
    );
    assert!(
        alert["labels"]["incident"]
            .as_str()
            .unwrap()
            .starts_with("golive/launch.md/api/")
    );
    target.answer(200);
    wait_until(
        "the alert to be resolved in Alertmanager",
        Duration::from_secs(60),
        || {
            let (_, body) = try_get(&alerts)?;
            let list: serde_json::Value = serde_json::from_str(&body).ok()?;
            list.as_array()?
                .iter()
                .all(|a| a["labels"]["monitor"] != "api")
                .then_some(())
        },
    );
    assert!(watch.stop().success(), "{}", watch.log());
}

#[test]
fn email_reaches_a_real_smtp_server() {
    let sandbox = Sandbox::new();
    let target = Target::start();
    sandbox.write("launch.md", CHECKLIST);
    let port = free_port();
    let log = sandbox.dir.path().join("smtp.log");
    let _smtp = spawn(
        "/usr/bin/python3",
        &[
            "-u".into(),
            "-m".into(),
            "aiosmtpd".into(),
            "-n".into(),
            "-l".into(),
            format!("127.0.0.1:{port}"),
            "-c".into(),
            "aiosmtpd.handlers.Debugging".into(),
        ],
        &log,
    );
    wait_until("the SMTP server to listen", Duration::from_secs(30), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    sandbox.write(
        "golive.toml",
        format!(
            "{}\n[[notifier]]\nname = \"mail\"\ntype = \"email\"\nsmtp = \"127.0.0.1:{port}\"\ntls = \"none\"\nfrom = \"golive@example.test\"\nto = [\"oncall@example.test\"]\n",
            monitor(&target)
        ),
    );
    target.answer(500);
    let mut watch = Watch::start(sandbox.dir.path(), &["launch.md"]);
    wait_until("the alert email", Duration::from_secs(30), || {
        std::fs::read_to_string(&log)
            .ok()
            .filter(|t| t.contains("Subject: [golive] api is CRIT: status 500 != 200"))
    });
    target.answer(200);
    let text = wait_until("the resolution email", Duration::from_secs(30), || {
        std::fs::read_to_string(&log)
            .ok()
            .filter(|t| t.contains("Subject: [golive] RESOLVED: api is OK again"))
    });
    assert!(text.contains("oncall@example.test"), "{text}");
    assert!(text.contains("Incident: golive/launch.md/api/"), "{text}");
    assert!(watch.stop().success());
}

#[test]
fn pagerduty_and_slack_payloads_follow_their_documented_shapes() {
    let sandbox = Sandbox::new();
    let target = Target::start();
    let receiver = Receiver::start();
    sandbox.write("launch.md", CHECKLIST);
    sandbox.write(
        "golive.toml",
        format!(
            "{}\n[[notifier]]\nname = \"pd\"\ntype = \"pagerduty\"\nrouting_key = \"${{env:PD_KEY}}\"\nurl = \"{}\"\n\n[[notifier]]\nname = \"slack\"\ntype = \"slack\"\nurl = \"{}\"\n",
            monitor(&target),
            receiver.url("pd"),
            receiver.url("slack")
        ),
    );
    target.answer(503);
    let key = "0123456789abcdef0123456789abcdef";
    let mut watch = Watch::start_with_env(sandbox.dir.path(), &["launch.md"], &[("PD_KEY", key)]);
    let (_, trigger) = receiver.wait_for("the PagerDuty trigger", Duration::from_secs(30), |b| {
        b["event_action"] == "trigger"
    });
    let (_, slack) = receiver.wait_for("the Slack message", Duration::from_secs(30), |b| {
        b.get("blocks").is_some()
    });
    target.answer(200);
    let (_, resolve) = receiver.wait_for("the PagerDuty resolve", Duration::from_secs(30), |b| {
        b["event_action"] == "resolve"
    });
    assert!(watch.stop().success());
    assert_eq!(
        trigger["dedup_key"], resolve["dedup_key"],
        "one dedup_key for trigger and resolve"
    );
    assert_eq!(trigger["routing_key"], key);
    assert_eq!(trigger["payload"]["severity"], "critical");
    // The secret never reaches the log.
    assert!(!watch.log().contains(key));
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/fixtures/pagerduty-events-v2.schema.json"
    );
    for body in [&trigger, &resolve] {
        let file = sandbox.write("event.json", serde_json::to_vec(body).unwrap());
        let validate = Command::new("/usr/bin/python3")
            .args(["-c", "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])), format_checker=jsonschema.FormatChecker())", schema])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            validate.status.success(),
            "{body:#}\n{}",
            String::from_utf8_lossy(&validate.stderr)
        );
    }
    // A payload missing `payload.source` fails the same validation: the check can fail.
    let mut broken = trigger.clone();
    broken["payload"].as_object_mut().unwrap().remove("source");
    let file = sandbox.write("broken.json", serde_json::to_vec(&broken).unwrap());
    let invalid = Command::new("/usr/bin/python3")
        .args(["-c", "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))", schema])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!invalid.status.success());
    // Slack: `text` for notifications, `blocks` with mrkdwn sections and a context.
    assert_eq!(slack["text"], "api is CRIT: status 503 != 200");
    assert_eq!(slack["blocks"][0]["type"], "section");
    assert_eq!(slack["blocks"][0]["text"]["type"], "mrkdwn");
    assert!(
        slack["blocks"][1]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("status 503 != 200")
    );
    assert_eq!(slack["blocks"][2]["type"], "context");
}

#[test]
fn the_status_page_opens_in_chromium_with_state_uptime_and_incidents() {
    let sandbox = Sandbox::new();
    let target = Target::start();
    let receiver = Receiver::start();
    sandbox.write("launch.md", CHECKLIST);
    sandbox.write(
        "golive.toml",
        format!(
            "{}\n[[notifier]]\ntype = \"webhook\"\nurl = \"{}\"\n",
            monitor(&target),
            receiver.url("hook")
        ),
    );
    let mut watch = Watch::start(
        sandbox.dir.path(),
        &["launch.md", "--listen", "127.0.0.1:0"],
    );
    let addr = watch.listening();
    target.answer(503);
    receiver.wait_for("the alert", Duration::from_secs(30), |b| {
        state_is(b, "firing")
    });
    target.answer(200);
    receiver.wait_for("the resolution", Duration::from_secs(30), |b| {
        state_is(b, "resolved")
    });
    wait_status(addr, Duration::from_secs(10), |s| {
        s["monitors"][0]["level"] == "ok"
    });
    // Results reach the store once a second.
    std::thread::sleep(Duration::from_millis(1500));
    let (code, html) = get_text(&format!("http://{addr}/"));
    assert_eq!(code, 200);
    for reference in ["src=", "href=", "<link", "<script", "url("] {
        assert!(
            !html.contains(reference),
            "the page loads nothing, but has `{reference}`"
        );
    }
    let page = sandbox.write("status.html", &html);
    let dom = crate::reports::dump_dom(&page, &sandbox.dir.path().join("chromium-profile"));
    let text = crate::reports::visible_text(&dom);
    assert!(text.contains("All systems operational"), "{text}");
    assert!(text.contains("api"), "{text}");
    assert!(text.contains("% uptime over 90 days"), "{text}");
    assert!(
        text.contains("api is CRIT: status 503 != 200"),
        "incidents: {text}"
    );
    assert_eq!(dom.matches("<rect").count(), 90, "90 daily bars");
    assert!(
        dom.contains(" x=\"356\"") && !dom.contains("class=\"none\" x=\"356\""),
        "today's bar has data"
    );
    assert!(watch.stop().success());
}
