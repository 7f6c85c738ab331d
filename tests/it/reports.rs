//! The gate reports (terminal, JSON, Markdown, HTML, JUnit) on one launch checklist with every
//! kind of evidence: ticks, an active and an expired waiver, n/a, passed and failed checks, a
//! latency histogram, approvals from the file and the store, one signed, one tampered with.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use golive::checklist::{self, Checklist};
use golive::decision::{Pins, Trust};
use golive::report::gate::{self, GateJson, GateView};
use golive::report::{html, junit, markdown};
use golive::store::event::{Anchor, Event, GENESIS, Kind, NewEvent, Verification};
use golive::store::sign;
use golive::store::state::{ApprovalRecord, State};
use serde_json::{Value as Json, json};

const KEY: &str = "launch.md";
const TODAY: &str = "2026-11-21";
const NOW: &str = "2026-11-21T12:00:00.000Z";
/// The store these reports are drawn from verified: the events below are sealed in a chain.
const INTACT: Verification = Verification {
    events: 16,
    head: None,
    first_bad: None,
};
const TRUSTED: Trust<'static> = Trust {
    audit: &INTACT,
    pins: &Pins::NONE,
};

const LAUNCH: &str = r#"# Payments API — Go-Live Checklist

## Infrastructure

| Item                  | Description                                    | Owner    | Status |
| --------------------- | ---------------------------------------------- | -------- | ------ |
| **Health checks**     | `/health` returns 200 on every instance        | Backend  | [ ]    |
| **TLS certificates**  | Valid, not expiring < 30 days                  | Platform | [x]    |
| **CDN**               | Cache rules deployed (if applicable)           | Platform | [ ]    |

## Security

Owner: Security

- [x] **Secrets** stored in the vault (no hardcoded credentials)
- [ ] **Security headers** present
  - [x] HSTS
  - [ ] CSP
- [x] **`<script>alert(1)</script>` banner** removed from the status page
- [ ] **`<b>` tags** escaped in `emails & "quotes"`
- [ ] **Penetration test** completed (optional)

## Operations

Owner: SRE

1. [x] Runbook reviewed with on-call
2. [ ] Restore drill completed in under 30 minutes
3. [ ] Docs updated (advisory)

## Go/No-Go

| Criteria                       | Met | Notes |
| ------------------------------ | --- | ----- |
| Rollback plan tested           | [x] |       |
| On-call coverage confirmed     | [ ] |       |

## Sign-off

| Role             | Name  | Approval | Date       |
| ---------------- | ----- | -------- | ---------- |
| **Tech Lead**    | Ana   | [x]      | 2026-11-20 |
| **Security Lead**|       | [ ]      |            |
| **Product**      |       | [ ]      |            |
| **CTO**          |       | [ ]      |            |

## Post Go-Live

### First 24 hours

- [ ] Error rate below 0.1%
"#;

type Spec = (Kind, Option<&'static str>, &'static str, Json);

/// Sealed events, a minute apart; results belong to the run before them.
fn state(specs: &[Spec]) -> State {
    let mut prev = GENESIS.to_string();
    let mut log = Vec::new();
    let mut run = 0;
    for (index, (kind, item, actor, payload)) in specs.iter().enumerate() {
        let seq = index as i64 + 1;
        let mut payload = payload.clone();
        match kind {
            Kind::Run => run = seq,
            Kind::Result => payload["run"] = json!(run),
            _ => {}
        }
        let new = NewEvent {
            checklist: KEY.into(),
            kind: *kind,
            item: item.map(str::to_string),
            actor: (*actor).into(),
            payload,
        };
        let event = Event::seal(new, seq, format!("2026-11-20T09:{index:02}:00.000Z"), prev);
        prev = event.hash.clone();
        log.push(event);
    }
    let state = State::from_events(KEY, &log);
    assert!(
        state.unreadable.is_empty(),
        "unreadable events {:?}",
        state.unreadable
    );
    state
}

/// An approval payload signed with a fresh key made by golive's own key tooling.
fn signed(dir: &Path, role: &str, by: &str, comment: &str) -> Json {
    let path = dir.join(format!("{}.key", role.to_lowercase()));
    sign::new_key_pair(&path).unwrap();
    let key = sign::read_key(&path).unwrap();
    let at = "2026-11-20T08:00:00.000Z";
    let message = ApprovalRecord::signed_message(KEY, role, by, true, Some(comment), at);
    let signature = sign::sign(&key, &message);
    json!({
        "role": role, "decision": "go", "comment": comment, "signed_at": at,
        "signature": {"public_key": signature.public_key, "signature": signature.signature},
    })
}

fn launch_state(dir: &Path) -> State {
    let histogram = json!([
        {"le_ms": 5, "count": 12}, {"le_ms": 10, "count": 240}, {"le_ms": 20, "count": 610},
        {"le_ms": 50, "count": 120}, {"le_ms": 100, "count": 14}, {"le_ms": 250, "count": 4},
    ]);
    let mut tampered = signed(dir, "CTO", "carol", "ship it");
    tampered["comment"] = json!("ship it, skip the pentest");
    state(&[
        (Kind::Tick, Some("secrets"), "ana", json!({"done": true})),
        (
            Kind::Na,
            Some("cdn"),
            "ana",
            json!({"reason": "no CDN in front of the API"}),
        ),
        (
            Kind::Waive,
            Some("csp"),
            "sam",
            json!({"reason": "report-only until the widget ships", "role": "Security Lead", "until": "2026-12-31"}),
        ),
        (
            Kind::Waive,
            Some("penetration-test"),
            "sam",
            json!({"reason": "vendor booked", "role": "CTO", "until": "2026-11-01"}),
        ),
        (
            Kind::Waive,
            Some("restore-drill-completed-in-under-30-minutes"),
            "dana",
            json!({"reason": "drill rescheduled", "role": "CTO", "until": "2026-12-15"}),
        ),
        (Kind::Run, None, "ci", json!({"checks": 4})),
        (
            Kind::Result,
            None,
            "ci",
            json!({"check": "health-checks", "probe": "http", "target": "https://api.example.test/health",
                   "items": ["health-checks"], "passed": true, "failures": [], "observed": {"status": 200}, "duration_ms": 41.5}),
        ),
        (
            Kind::Result,
            None,
            "ci",
            json!({"check": "load", "probe": "load", "target": "https://api.example.test/health",
                   "items": ["health-checks"], "passed": true, "failures": [],
                   "observed": {"p95": "48ms", "histogram": histogram}, "duration_ms": 10002.0}),
        ),
        (
            Kind::Result,
            None,
            "ci",
            json!({"check": "tls-certificates", "probe": "tls", "target": "api.example.test:443",
                   "items": ["tls-certificates"], "passed": false, "failures": ["cert.days_left 9 < 30"],
                   "observed": {"cert.days_left": 9}, "duration_ms": 80.0}),
        ),
        (
            Kind::Result,
            None,
            "ci",
            json!({"check": "restore-drill", "probe": "drill", "target": "payments",
                   "items": ["restore-drill-completed-in-under-30-minutes"], "passed": false,
                   "failures": ["rto 41m > 30m"], "observed": {"rto": "41m"}, "duration_ms": 2460000.0}),
        ),
        (
            Kind::Approve,
            None,
            "sam",
            signed(dir, "Security Lead", "sam", "pentest scheduled, headers ok"),
        ),
        (
            Kind::Approve,
            None,
            "pat",
            json!({"role": "product", "decision": "no-go", "comment": "pricing page <not> ready"}),
        ),
        (Kind::Approve, None, "carol", tampered),
        (
            Kind::Approve,
            None,
            "lee",
            json!({"role": "Legal", "decision": "go"}),
        ),
    ])
}

fn launch() -> Checklist {
    checklist::import(LAUNCH.as_bytes()).unwrap()
}

/// The view every test below draws from.
fn with_view(check: impl FnOnce(&GateView<'_>)) {
    let dir = tempfile::tempdir().unwrap();
    let (list, state) = (launch(), launch_state(dir.path()));
    let view = GateView::new("launch.md", KEY, &list, &state, TRUSTED, TODAY, NOW);
    check(&view);
}

fn terminal(view: &GateView<'_>) -> String {
    let mut out = Vec::new();
    gate::render(view, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn the_decision_lists_every_reason() {
    with_view(|view| {
        assert!(!view.decision.go);
        let kinds: Vec<String> = view
            .decision
            .reasons
            .iter()
            .map(|r| {
                serde_json::to_value(r.kind)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "failed-check",
                "open-item",
                "open-item",
                "open-item",
                "expired-waiver",
                "open-item",
                "no-go-approval",
                "invalid-signature"
            ]
        );
    });
}

#[test]
fn gate_terminal_snapshot() {
    with_view(|view| {
        let text = terminal(view);
        // Red banner for NO-GO; the writer strips colours for pipes and NO_COLOR.
        assert!(
            text.contains("\u{1b}[1m\u{1b}[37m\u{1b}[41m") || text.contains("41m"),
            "{text:?}"
        );
        insta::assert_snapshot!(anstream::adapter::strip_str(&text).to_string());
    });
}

#[test]
fn gate_json_snapshot() {
    with_view(|view| {
        let json = serde_json::to_string_pretty(&GateJson::new(view)).unwrap();
        let value: Json = serde_json::from_str(&json).unwrap();
        assert_eq!(value["decision"], "NO-GO");
        assert_eq!(value["items"].as_array().unwrap().len(), view.items.len());
        // Each run signs with fresh keys: the signers' keys are the one thing that varies.
        insta::with_settings!({filters => vec![(r"ed25519:[0-9a-f]{64}", "ed25519:[KEY]")]}, {
            insta::assert_snapshot!(json);
        });
    });
}

#[test]
fn markdown_report_snapshot() {
    with_view(|view| insta::assert_snapshot!(markdown::render(view)));
}

#[test]
fn markdown_step_summary_snapshot() {
    with_view(|view| {
        let summary = markdown::summary(view);
        assert!(markdown::render(view).starts_with(&summary));
        insta::assert_snapshot!(summary);
    });
}

#[test]
fn junit_snapshot() {
    with_view(|view| insta::assert_snapshot!(junit::render(view)));
}

#[test]
fn html_snapshot() {
    with_view(|view| insta::assert_snapshot!(html::render(view, &[])));
}

#[test]
fn html_is_self_contained_and_escapes_everything() {
    with_view(|view| {
        let extra = [("k6 import".to_string(), vec![(1.0, 3), (2.0, 5)])];
        let page = html::render(view, &extra);
        for reference in [
            "src=\"http",
            "href=\"http",
            "src='http",
            "href='http",
            "url(http",
            "@import",
        ] {
            assert!(
                !page.contains(reference),
                "external reference `{reference}`"
            );
        }
        assert!(!page.contains("<script"), "no script at all");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("pricing page &lt;not&gt; ready"));
        assert!(page.contains("Latency histogram: <code>load</code>"));
        assert!(page.contains("Latency histogram: <code>k6 import</code>"));
    });
}

/// Headless Chromium, required: the report must open in a real browser. Not skipped when
/// missing, so CI cannot pass without it.
fn chromium() -> PathBuf {
    let in_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("chromium"))
        .find(|path| path.is_file());
    in_path
        .or_else(|| Some(PathBuf::from("/usr/bin/chromium")).filter(|p| p.is_file()))
        .unwrap_or_else(|| {
            panic!(
                "chromium is not installed: install it with `apt-get install -y chromium` (CI does)"
            )
        })
}

/// The DOM Chromium builds from `file`, serialised.
pub(crate) fn dump_dom(file: &Path, profile: &Path) -> String {
    let out_path = profile.with_extension("dom");
    let out = std::fs::File::create(&out_path).unwrap();
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(180) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("chromium did not finish in 180s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "chromium failed: {status}");
    std::fs::read_to_string(out_path).unwrap()
}

/// The text a person sees: tags dropped, entities decoded, whitespace collapsed.
pub(crate) fn visible_text(dom: &str) -> String {
    let body = dom.split("<body>").nth(1).unwrap_or(dom);
    let mut text = String::new();
    let mut in_tag = false;
    for ch in body.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(ch),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace('\u{a0}', " ")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn html_opens_in_headless_chromium() {
    with_view(|view| {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("report.html");
        std::fs::write(&file, html::render(view, &[])).unwrap();
        let dom = dump_dom(&file, &dir.path().join("profile"));
        assert!(
            !dom.contains("<script"),
            "the browser built a script element:\n{dom}"
        );
        let text = visible_text(&dom);
        for expected in [
            "NO-GO",
            "8 reasons",
            "check tls-certificates failed: cert.days_left 9 < 30 (line 8)",
            "blocking item on-call-coverage-confirmed is open (line 36)",
            "<script>alert(1)</script> banner",
            "<b> tags escaped in emails & \"quotes\"",
            "Approvals",
            "Security Lead",
            "valid",
            "CTO",
            "invalid",
            "Product said NO-GO: pricing page <not> ready (pat, 2026-11-20)",
            "Latency histogram: load",
        ] {
            assert!(
                text.contains(expected),
                "`{expected}` not in the page text:\n{text}"
            );
        }
    });
}

#[test]
fn a_settled_checklist_reports_go_everywhere() {
    let list = checklist::import(b"# Small\n\n## Checks\n\n- [x] **Health** ok\n- [ ] **Later** (advisory)\n\n## Sign-off\n\n| Role | Name | Approval |\n| --- | --- | --- |\n| QA | Quinn | [x] |\n").unwrap();
    let state = State::default();
    let view = GateView::new("small.md", "small.md", &list, &state, TRUSTED, TODAY, NOW);
    assert!(view.decision.go);
    let text = terminal(&view);
    assert!(text.contains("\u{1b}[42m"), "green banner: {text:?}");
    insta::assert_snapshot!(anstream::adapter::strip_str(&text).to_string(), @r"
      GO    Small small.md

      Approvals: 1/1 required GO
        QA  GO       Quinn, in the file

      2 items: 1 done, 1 open, 0 failed, 0 waived, 0 n/a
    ");
    assert!(markdown::summary(&view).contains("## ✅ GO"));
    assert!(html::render(&view, &[]).contains("<section class=\"banner go\""));
    assert!(junit::render(&view).contains("failures=\"0\""));
    assert_eq!(
        serde_json::to_value(GateJson::new(&view)).unwrap()["go"],
        true
    );
}

/// The store's head goes wherever the decision goes, ready to be passed back to
/// `golive audit verify --anchor`.
#[test]
fn every_output_carries_the_audit_head() {
    with_view(|view| {
        let mut view = view.clone();
        let hash = "9f".repeat(32);
        let head = Anchor {
            seq: 42,
            hash: hash.clone(),
        };
        view.audit_head = Some(&head);
        let anchor = format!("42:{hash}");
        assert!(
            terminal(&view).contains(&format!("audit head {anchor}")),
            "{}",
            terminal(&view)
        );
        let json = serde_json::to_value(GateJson::new(&view)).unwrap();
        assert_eq!(json["audit_head"], anchor.as_str());
        assert!(markdown::summary(&view).contains(&format!("audit head `{anchor}`")));
        assert!(markdown::render(&view).contains(&anchor));
        assert!(html::render(&view, &[]).contains(&format!("<code>{anchor}</code>")));
    });
}
