//! One test per decision rule, on a small checklist with every kind of item and sign-off.

use ed25519_dalek::SigningKey;
use serde_json::{Value as Json, json};

use super::*;
use crate::store::event::{Anchor, Broken, Event, GENESIS, Kind, NewEvent};

const INTACT: Verification = Verification {
    events: 0,
    head: None,
    first_bad: None,
};
const TRUSTED: Trust<'static> = Trust {
    audit: &INTACT,
    pins: &Pins::NONE,
};

const KEY: &str = "launch.md";
const TODAY: &str = "2026-11-21";

const LAUNCH: &str = "# Launch

## Checks

- [x] **Health** endpoint returns 200
- [ ] **TLS** not expiring
- [ ] **CDN** rules (if applicable)
- [ ] **Docs** updated (advisory)

| Item | Owner | Status |
| --- | --- | --- |
| Vendor review | Legal | waived |
| Fax gateway | Ops | N/A |

## Go/No-Go

- [ ] **Rollback plan tested**

## Release gate

Owner: QA

Criteria:
- Smoke tests green

## Post Go-Live

- [ ] **Error rate** below 0.1%

## Sign-off

| Role | Name | Approval |
| --- | --- | --- |
| Tech Lead | Ana | [x] |
| Security Lead | | [ ] |
| QA Lead | | no-go |
";

fn checklist(markdown: &str) -> Checklist {
    checklist::import(markdown.as_bytes()).unwrap()
}

/// Sealed events by `actor`, one per spec, in order (seq 1, 2, …); results without a `run`
/// belong to the run before them.
fn state(specs: &[(Kind, Option<&str>, &str, Json)]) -> State {
    let mut prev = GENESIS.to_string();
    let mut log = Vec::new();
    let mut run = 0;
    for (index, (kind, item, actor, payload)) in specs.iter().enumerate() {
        let seq = index as i64 + 1;
        let mut payload = payload.clone();
        match kind {
            Kind::Run => run = seq,
            Kind::Result if payload.get("run").is_none() => payload["run"] = json!(run),
            _ => {}
        }
        let new = NewEvent {
            checklist: KEY.into(),
            kind: *kind,
            item: item.map(str::to_string),
            actor: (*actor).into(),
            payload,
        };
        let at = format!("2026-11-20T10:{index:02}:00.000Z");
        let event = Event::seal(new, seq, at, prev.clone());
        prev = event.hash.clone();
        log.push(event);
    }
    State::from_events(KEY, &log)
}

fn run(
    results: &[(&str, &str, bool, &[&str])],
) -> Vec<(Kind, Option<&'static str>, &'static str, Json)> {
    let mut events = vec![(Kind::Run, None, "ci", json!({"checks": results.len()}))];
    for (check, item, passed, failures) in results {
        events.push((
            Kind::Result,
            None,
            "ci",
            json!({"check": check, "items": [item], "passed": passed, "failures": failures}),
        ));
    }
    events
}

fn approve(role: &str, decision: &str, comment: Option<&str>) -> Json {
    json!({"role": role, "decision": decision, "comment": comment})
}

/// The approvals every "otherwise GO" test needs: Security Lead and QA Lead say GO.
fn approvals_go() -> Vec<(Kind, Option<&'static str>, &'static str, Json)> {
    vec![
        (
            Kind::Approve,
            None,
            "sam",
            approve("Security Lead", "go", None),
        ),
        (Kind::Approve, None, "quinn", approve("QA Lead", "go", None)),
    ]
}

/// Every pre-phase item settled by the file or the store, approvals GO.
fn settled_events() -> Vec<(Kind, Option<&'static str>, &'static str, Json)> {
    let mut events = vec![
        (Kind::Na, Some("cdn"), "ana", json!({"reason": "no CDN"})),
        (
            Kind::Waive,
            Some("vendor-review"),
            "ana",
            json!({"reason": "signed last year", "role": "CTO"}),
        ),
        (
            Kind::Waive,
            Some("fax-gateway"),
            "ana",
            json!({"reason": "no fax", "role": "CTO"}),
        ),
        (
            Kind::Tick,
            Some("smoke-tests-green"),
            "ana",
            json!({"done": true}),
        ),
        (
            Kind::Waive,
            Some("rollback-plan-tested"),
            "ana",
            json!({"reason": "blue/green", "role": "CTO", "until": "2026-12-01"}),
        ),
    ];
    events.extend(approvals_go());
    events.extend(run(&[("tls", "tls", true, &[])]));
    events
}

fn kinds(decision: &Decision) -> Vec<(ReasonKind, Option<&str>)> {
    decision
        .reasons
        .iter()
        .map(|r| (r.kind, r.item.as_deref().or(r.role.as_deref())))
        .collect()
}

fn status_of(resolved: &[Resolved<'_>], id: &str) -> Status {
    resolved.iter().find(|r| r.item.id == id).unwrap().status
}

#[test]
fn an_untouched_checklist_is_no_go_with_every_reason() {
    let decision = decide(KEY, &checklist(LAUNCH), &State::default(), TRUSTED, TODAY);
    assert!(!decision.go);
    let messages: Vec<&str> = decision
        .reasons
        .iter()
        .map(|r| r.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "required item `tls` is open (line 6)",
            "required item `cdn` is open (line 7)",
            "required item `vendor-review` is marked waived but no recorded waiver names a role and a reason (line 12)",
            "required item `fax-gateway` is marked n/a but is not conditional (line 13)",
            "blocking item `rollback-plan-tested` is open (line 17)",
            "required item `smoke-tests-green` is open (line 24)",
            "no GO from `Security Lead` yet",
            "`QA Lead` said NO-GO in the file (line 36)",
        ]
    );
    let reason = &decision.reasons[4];
    assert_eq!(
        (reason.kind, reason.item.as_deref(), reason.line),
        (ReasonKind::OpenItem, Some("rollback-plan-tested"), Some(17))
    );
    let reason = &decision.reasons[6];
    assert_eq!(
        (reason.kind, reason.role.as_deref(), reason.line),
        (ReasonKind::MissingApproval, Some("Security Lead"), Some(35))
    );
    assert_eq!(decision.reasons[7].kind, ReasonKind::NoGoApproval);
    assert_eq!(decision.summary.items, 9);
    assert_eq!(decision.summary.blocking_open, 1);
}

#[test]
fn advisory_and_post_items_never_block() {
    let decision = decide(
        KEY,
        &checklist(LAUNCH),
        &state(&settled_events()),
        TRUSTED,
        TODAY,
    );
    assert!(decision.go, "{:?}", decision.reasons);
    let (list, empty) = (checklist(LAUNCH), State::default());
    let resolved = resolve(&list, &empty, TODAY);
    assert_eq!(status_of(&resolved, "docs"), Status::Todo);
    assert_eq!(status_of(&resolved, "error-rate"), Status::Todo);
    // Failed checks on them do not block either.
    let mut events = settled_events();
    events.extend(run(&[
        ("tls", "tls", true, &[]),
        ("docs", "docs", false, &["x"]),
        ("error-rate", "error-rate", false, &["y"]),
    ]));
    let list = checklist(LAUNCH);
    let state = state(&events);
    let resolved = resolve(&list, &state, TODAY);
    assert_eq!(status_of(&resolved, "docs"), Status::Failed);
    assert!(decide(KEY, &list, &state, TRUSTED, TODAY).go);
}

#[test]
fn check_results_decide_the_status_before_the_file() {
    let list = checklist(LAUNCH);
    let mut events = settled_events();
    events.extend(run(&[
        ("tls", "tls", true, &[]),
        (
            "health-200",
            "health",
            false,
            &["status 500 != 200", "latency 412ms >= 300ms"],
        ),
    ]));
    let state = state(&events);
    let resolved = resolve(&list, &state, TODAY);
    // An unticked box whose checks pass is done; a ticked one whose check fails is failed.
    assert_eq!(status_of(&resolved, "tls"), Status::Done);
    assert_eq!(status_of(&resolved, "health"), Status::Failed);
    let decision = decide(KEY, &list, &state, TRUSTED, TODAY);
    assert_eq!(
        kinds(&decision),
        [(ReasonKind::FailedCheck, Some("health"))]
    );
    assert_eq!(
        decision.reasons[0].message,
        "check `health-200` failed: status 500 != 200; latency 412ms >= 300ms (item `health`, line 5)"
    );
}

#[test]
fn only_the_latest_run_counts() {
    let list = checklist(LAUNCH);
    let mut events = settled_events();
    events.extend(run(&[("tls", "tls", false, &["cert.days_left 9 < 30"])]));
    events.extend(run(&[("tls", "tls", true, &[])]));
    assert!(decide(KEY, &list, &state(&events), TRUSTED, TODAY).go);
}

#[test]
fn an_active_waiver_covers_a_failed_check() {
    let list = checklist(LAUNCH);
    let mut events = settled_events();
    events.push((
        Kind::Waive,
        Some("tls"),
        "ana",
        json!({"reason": "renewal booked", "role": "CTO", "until": TODAY}),
    ));
    events.extend(run(&[("tls", "tls", false, &["cert.days_left 9 < 30"])]));
    let state = state(&events);
    assert_eq!(
        status_of(&resolve(&list, &state, TODAY), "tls"),
        Status::Waived
    );
    assert!(decide(KEY, &list, &state, TRUSTED, TODAY).go);
    // The day after its last day it no longer does, and says so.
    let decision = decide(KEY, &list, &state, TRUSTED, "2026-11-22");
    assert_eq!(
        kinds(&decision),
        [
            (ReasonKind::FailedCheck, Some("tls")),
            (ReasonKind::ExpiredWaiver, Some("tls"))
        ]
    );
    assert_eq!(
        decision.reasons[1].message,
        "waiver for `tls` expired on 2026-11-21 (line 6)"
    );
    assert_eq!(
        decision.reasons[0].message,
        "check `tls` failed: cert.days_left 9 < 30 (line 6)"
    );
}

#[test]
fn an_expired_waiver_leaves_the_item_open_and_is_remembered() {
    let list = checklist(LAUNCH);
    let mut events = settled_events();
    events.push((
        Kind::Waive,
        Some("tls"),
        "ana",
        json!({"reason": "r", "role": "CTO", "until": "2026-11-01"}),
    ));
    // A later run without the TLS check: its box decides again.
    events.extend(run(&[]));
    let state = state(&events);
    let resolved = resolve(&list, &state, TODAY);
    let tls = resolved.iter().find(|r| r.item.id == "tls").unwrap();
    assert_eq!((tls.status, tls.waiver.is_none()), (Status::Todo, true));
    assert_eq!(tls.expired_waiver.map(|w| w.role.as_str()), Some("CTO"));
    let decision = decide(KEY, &list, &state, TRUSTED, TODAY);
    assert_eq!(
        kinds(&decision),
        [
            (ReasonKind::OpenItem, Some("tls")),
            (ReasonKind::ExpiredWaiver, Some("tls"))
        ]
    );
}

#[test]
fn na_counts_only_for_conditional_items() {
    let list = checklist(LAUNCH);
    let mut events = settled_events();
    events.push((Kind::Na, Some("tls"), "ana", json!({"reason": "no TLS"})));
    events.extend(run(&[]));
    let state = state(&events);
    let resolved = resolve(&list, &state, TODAY);
    assert_eq!(status_of(&resolved, "cdn"), Status::Na);
    assert_eq!(status_of(&resolved, "tls"), Status::Todo);
    assert_eq!(
        kinds(&decide(KEY, &list, &state, TRUSTED, TODAY)),
        [(ReasonKind::OpenItem, Some("tls"))]
    );
}

#[test]
fn file_cells_marked_waived_or_na_need_a_recorded_waiver() {
    let list = checklist(LAUNCH);
    let mut events = settled_events();
    events.retain(|(kind, item, _, _)| {
        !(*kind == Kind::Waive && matches!(item, Some("vendor-review" | "fax-gateway")))
    });
    let decision = decide(KEY, &list, &state(&events), TRUSTED, TODAY);
    assert_eq!(
        kinds(&decision),
        [
            (ReasonKind::OpenItem, Some("vendor-review")),
            (ReasonKind::OpenItem, Some("fax-gateway"))
        ]
    );
}

#[test]
fn a_failed_file_status_is_a_failed_item() {
    let list = checklist(&LAUNCH.replace(
        "| Vendor review | Legal | waived |",
        "| Vendor review | Legal | FAIL |",
    ));
    let mut events = settled_events();
    events.retain(|(_, item, _, _)| *item != Some("vendor-review"));
    let decision = decide(KEY, &list, &state(&events), TRUSTED, TODAY);
    assert_eq!(
        kinds(&decision),
        [(ReasonKind::FailedItem, Some("vendor-review"))]
    );
    assert_eq!(
        decision.reasons[0].message,
        "required item `vendor-review` failed (line 12)"
    );
}

#[test]
fn a_store_tick_sets_items_without_a_box_only() {
    let list = checklist(LAUNCH);
    let mut events = settled_events();
    events.push((Kind::Tick, Some("tls"), "ana", json!({"done": true})));
    events.push((Kind::Tick, Some("health"), "ana", json!({"done": false})));
    events.extend(run(&[]));
    let state = state(&events);
    let resolved = resolve(&list, &state, TODAY);
    // The file's box is the truth for boxed items; the tick only says who and when.
    assert_eq!(status_of(&resolved, "tls"), Status::Todo);
    assert_eq!(status_of(&resolved, "health"), Status::Done);
    assert_eq!(status_of(&resolved, "smoke-tests-green"), Status::Done);
    let tls = resolved.iter().find(|r| r.item.id == "tls").unwrap();
    assert_eq!(tls.tick.map(|t| t.stamp.by.as_str()), Some("ana"));
    assert_eq!(
        kinds(&decide(KEY, &list, &state, TRUSTED, TODAY)),
        [(ReasonKind::OpenItem, Some("tls"))]
    );
}

#[test]
fn the_stores_latest_word_beats_the_file_and_roles_match_case_insensitively() {
    let list = checklist(LAUNCH);
    let mut events = settled_events();
    events.push((
        Kind::Approve,
        None,
        "ana",
        approve("tech lead", "no-go", Some("flaky login")),
    ));
    let state_ = state(&events);
    let decision = decide(KEY, &list, &state_, TRUSTED, TODAY);
    assert_eq!(
        kinds(&decision),
        [(ReasonKind::NoGoApproval, Some("Tech Lead"))]
    );
    let at = &state_.approvals.last().unwrap().stamp.at;
    assert_eq!(
        decision.reasons[0].message,
        format!("`Tech Lead` said NO-GO: flaky login (ana, {})", &at[..10])
    );
    assert_eq!(decision.reasons[0].line, Some(34));
    events.push((
        Kind::Approve,
        None,
        "ana",
        approve("  TECH LEAD ", "go", None),
    ));
    let decision = decide(KEY, &list, &state(&events), TRUSTED, TODAY);
    assert!(decision.go, "{:?}", decision.reasons);
    let tech = &decision.approvals[0];
    assert_eq!(
        (tech.role.as_str(), tech.source, tech.by.as_deref()),
        ("Tech Lead", Some(ApprovalSource::Store), Some("ana"))
    );
}

#[test]
fn the_files_sign_off_is_the_fallback() {
    let list = checklist(LAUNCH);
    let decision = decide(KEY, &list, &state(&settled_events()), TRUSTED, TODAY);
    let tech = &decision.approvals[0];
    assert_eq!(
        (
            tech.decision,
            tech.source,
            tech.by.as_deref(),
            tech.line,
            tech.signature
        ),
        (
            Some(true),
            Some(ApprovalSource::File),
            Some("Ana"),
            Some(34),
            SignatureStatus::Unsigned
        )
    );
    assert!(decision.go);
}

#[test]
fn approvals_for_unlisted_roles_are_shown_but_never_block() {
    let list = checklist(LAUNCH);
    let mut events = settled_events();
    events.push((
        Kind::Approve,
        None,
        "carol",
        approve("Legal", "no-go", Some("contract")),
    ));
    let decision = decide(KEY, &list, &state(&events), TRUSTED, TODAY);
    assert!(decision.go);
    let legal = decision.approvals.last().unwrap();
    assert_eq!(
        (
            legal.role.as_str(),
            legal.required,
            legal.decision,
            legal.line
        ),
        ("Legal", false, Some(false), None)
    );
    assert_eq!(decision.approvals.len(), 4);
}

#[test]
fn signed_approvals_verify_and_a_tampered_one_counts_as_not_given() {
    let key = SigningKey::from_bytes(&[7; 32]);
    let signed = |role: &str, by: &str, go: bool, comment: Option<&str>| {
        let at = "2026-11-21T09:00:00.000Z";
        let message = ApprovalRecord::signed_message(KEY, role, by, go, comment, at);
        let signature = sign::sign(&key, &message);
        json!({"role": role, "decision": if go { "go" } else { "no-go" }, "comment": comment, "signed_at": at,
               "signature": {"public_key": signature.public_key, "signature": signature.signature}})
    };
    let list = checklist(LAUNCH);
    let mut events: Vec<_> = settled_events()
        .into_iter()
        .filter(|(kind, ..)| *kind != Kind::Approve)
        .collect();
    events.push((
        Kind::Approve,
        None,
        "sam",
        signed("Security Lead", "sam", true, Some("pentest ok")),
    ));
    // Signed by quinn for another comment, then recorded with this one: it does not verify.
    let mut tampered = signed("QA Lead", "quinn", true, Some("all green"));
    tampered["comment"] = json!("all green, trust me");
    events.push((Kind::Approve, None, "quinn", tampered));
    let decision = decide(KEY, &list, &state(&events), TRUSTED, TODAY);
    assert_eq!(decision.approvals[1].signature, SignatureStatus::Valid);
    assert_eq!(decision.approvals[2].signature, SignatureStatus::Invalid);
    assert_eq!(
        kinds(&decision),
        [(ReasonKind::InvalidSignature, Some("QA Lead"))]
    );
    assert_eq!(
        decision.reasons[0].message,
        "signature of `QA Lead`'s approval does not verify"
    );
    // The same approval recorded under another checklist's key does not verify either.
    let mut moved = state(&events);
    for approval in &mut moved.approvals {
        approval.checklist = "other.md".into();
    }
    assert_eq!(
        decide("other.md", &list, &moved, TRUSTED, TODAY)
            .reasons
            .len(),
        2
    );
}

#[test]
fn summary_counts_resolved_statuses() {
    let list = checklist(LAUNCH);
    let decision = decide(KEY, &list, &state(&settled_events()), TRUSTED, TODAY);
    let summary = decision.summary;
    assert_eq!(
        (
            summary.items,
            summary.done,
            summary.open,
            summary.waived,
            summary.na,
            summary.blocking_open
        ),
        (9, 3, 2, 3, 1, 0)
    );
}

/// Architecture invariant: the gate fails closed on a chain that did not verify. Whatever the
/// state says (here: everything settled, every role GO), the answer is NO-GO, the broken
/// event named first.
#[test]
fn a_chain_that_does_not_verify_is_no_go_whatever_the_state_says() {
    let list = checklist(LAUNCH);
    let state = state(&settled_events());
    assert!(decide(KEY, &list, &state, TRUSTED, TODAY).go);
    for (problem, kind, words) in [
        (Problem::Edited, ReasonKind::BrokenChain, "edited"),
        (Problem::Missing, ReasonKind::BrokenChain, "deleted"),
        (Problem::OutOfChain, ReasonKind::BrokenChain, "inserted"),
        (
            Problem::Truncated,
            ReasonKind::AnchorMismatch,
            "deleted from its end",
        ),
        (Problem::Rewritten, ReasonKind::AnchorMismatch, "rewritten"),
    ] {
        let audit = Verification {
            events: 12,
            head: None,
            first_bad: Some(Broken { seq: 7, problem }),
        };
        let trust = Trust {
            audit: &audit,
            pins: &Pins::NONE,
        };
        let decision = decide(KEY, &list, &state, trust, TODAY);
        assert!(!decision.go, "{problem:?}");
        assert_eq!(decision.reasons.len(), 1);
        let reason = &decision.reasons[0];
        assert_eq!((reason.kind, reason.event), (kind, Some(7)));
        assert!(
            reason.message.contains("event 7") && reason.message.contains(words),
            "{}",
            reason.message
        );
    }
    // An intact chain with a head decides on the state alone.
    let audit = Verification {
        events: 12,
        head: Some(Anchor {
            seq: 12,
            hash: "ab".repeat(32),
        }),
        first_bad: None,
    };
    let trust = Trust {
        audit: &audit,
        pins: &Pins::NONE,
    };
    assert!(decide(KEY, &list, &state, trust, TODAY).go);
}

fn pins_for(list: &Checklist, roles: &[(&str, &[sign::PublicKey])]) -> Pins {
    let pinned = roles
        .iter()
        .map(|(role, keys)| sign::PinnedRole {
            role: crate::checklist::toml::Spanned {
                value: role.to_string(),
                span: 0..0,
            },
            keys: keys.to_vec(),
            files: Vec::new(),
        })
        .collect();
    Pins::new(pinned, list).unwrap()
}

fn signed_by(key: &SigningKey, role: &str, by: &str, go: bool) -> Json {
    let at = "2026-11-21T09:00:00.000Z";
    let message = ApprovalRecord::signed_message(KEY, role, by, go, None, at);
    let signature = sign::sign(key, &message);
    json!({"role": role, "decision": if go { "go" } else { "no-go" }, "signed_at": at,
           "signature": {"public_key": signature.public_key, "signature": signature.signature}})
}

/// Architecture invariant: a pinned role counts only a GO signed by one of its keys.
#[test]
fn pinned_roles_count_only_their_keys() {
    let ana = SigningKey::from_bytes(&[1; 32]);
    let bob = SigningKey::from_bytes(&[2; 32]);
    let list = checklist(LAUNCH);
    let pins = pins_for(
        &list,
        &[
            ("security lead", &[sign::public_key(&ana)]),
            ("QA LEAD", &[sign::public_key(&bob)]),
        ],
    );
    let trust = Trust {
        audit: &INTACT,
        pins: &pins,
    };
    let base: Vec<_> = settled_events()
        .into_iter()
        .filter(|(kind, ..)| *kind != Kind::Approve)
        .collect();
    let with = |approvals: Vec<(Kind, Option<&'static str>, &'static str, Json)>| {
        let mut events = base.clone();
        events.extend(approvals);
        state(&events)
    };

    // Unsigned GO, and GO signed by the other pinned role's key (by bob for Security Lead).
    let state_ = with(vec![
        (
            Kind::Approve,
            None,
            "sam",
            approve("Security Lead", "go", None),
        ),
        (
            Kind::Approve,
            None,
            "bob",
            signed_by(&bob, "QA Lead", "bob", true),
        ),
        (
            Kind::Approve,
            None,
            "bob",
            signed_by(&bob, "Security Lead", "bob", true),
        ),
    ]);
    let decision = decide(KEY, &list, &state_, trust, TODAY);
    assert_eq!(
        kinds(&decision),
        [(ReasonKind::UnknownKey, Some("Security Lead"))]
    );
    assert!(decision.approvals[1].pinned);
    assert_eq!(decision.approvals[1].signature, SignatureStatus::UnknownKey);
    assert_eq!(decision.approvals[2].signature, SignatureStatus::Valid);

    let state_ = with(vec![
        (
            Kind::Approve,
            None,
            "sam",
            approve("Security Lead", "go", None),
        ),
        (
            Kind::Approve,
            None,
            "bob",
            signed_by(&bob, "QA Lead", "bob", true),
        ),
    ]);
    let decision = decide(KEY, &list, &state_, trust, TODAY);
    assert_eq!(
        kinds(&decision),
        [(ReasonKind::UnsignedApproval, Some("Security Lead"))]
    );
    assert!(
        decision.reasons[0].message.contains("given by sam"),
        "{}",
        decision.reasons[0].message
    );

    // Signed by its own keys: GO. An unsigned NO-GO from a pinned role still blocks.
    let state_ = with(vec![
        (
            Kind::Approve,
            None,
            "ana",
            signed_by(&ana, "Security Lead", "ana", true),
        ),
        (
            Kind::Approve,
            None,
            "bob",
            signed_by(&bob, "QA Lead", "bob", true),
        ),
    ]);
    assert!(decide(KEY, &list, &state_, trust, TODAY).go);
    let state_ = with(vec![
        (
            Kind::Approve,
            None,
            "ana",
            signed_by(&ana, "Security Lead", "ana", true),
        ),
        (
            Kind::Approve,
            None,
            "bob",
            signed_by(&bob, "QA Lead", "bob", true),
        ),
        (
            Kind::Approve,
            None,
            "eve",
            approve("QA Lead", "no-go", Some("wait")),
        ),
    ]);
    assert_eq!(
        kinds(&decide(KEY, &list, &state_, trust, TODAY)),
        [(ReasonKind::NoGoApproval, Some("QA Lead"))]
    );

    // Without pins the same unsigned GOs count, as before.
    let state_ = with(approvals_go());
    assert!(decide(KEY, &list, &state_, TRUSTED, TODAY).go);
    assert_eq!(
        kinds(&decide(KEY, &list, &state_, trust, TODAY)),
        [
            (ReasonKind::UnsignedApproval, Some("Security Lead")),
            (ReasonKind::UnsignedApproval, Some("QA Lead"))
        ]
    );
}

/// A ticked sign-off cell is unsigned: for a pinned role it does not count.
#[test]
fn a_files_signoff_does_not_count_for_a_pinned_role() {
    let list = checklist(LAUNCH);
    let key = SigningKey::from_bytes(&[3; 32]);
    let pins = pins_for(&list, &[("Tech Lead", &[sign::public_key(&key)])]);
    let trust = Trust {
        audit: &INTACT,
        pins: &pins,
    };
    let decision = decide(KEY, &list, &state(&settled_events()), trust, TODAY);
    assert_eq!(
        kinds(&decision),
        [(ReasonKind::UnsignedApproval, Some("Tech Lead"))]
    );
    assert!(
        decision.reasons[0]
            .message
            .contains("ticked in the file (line 34)"),
        "{}",
        decision.reasons[0].message
    );
}

#[test]
fn pins_name_roles_of_the_checklist_once() {
    let list = checklist(LAUNCH);
    let pin = |role: &str| sign::PinnedRole {
        role: crate::checklist::toml::Spanned {
            value: role.to_string(),
            span: 0..0,
        },
        keys: Vec::new(),
        files: Vec::new(),
    };
    let errors = Pins::new(vec![pin("Securty Lead")], &list).unwrap_err();
    assert_eq!(
        errors[0].hint.as_deref(),
        Some("did you mean `Security Lead`?")
    );
    let errors = Pins::new(vec![pin("QA Lead"), pin("qa  LEAD")], &list).unwrap_err();
    assert!(errors[0].message.contains("pinned twice"), "{errors:?}");
}

/// Roles recorded under another spelling (older versions recorded what was typed) match the
/// checklist's as `approve` matches them: case, accents and spaces aside.
#[test]
fn approvals_match_roles_without_case_accents_or_spaces() {
    let list = checklist(
        "# L\n\n- [x] Done\n\n## Sign-off\n\n| Role | Approval |\n| --- | --- |\n| Sécurité | [ ] |\n| Chef  de projet | [ ] |\n",
    );
    let state = state(&[
        (Kind::Approve, None, "ana", approve("SECURITE", "go", None)),
        (
            Kind::Approve,
            None,
            "bob",
            approve("chef de   PROJET", "go", None),
        ),
    ]);
    let decision = decide(KEY, &list, &state, TRUSTED, TODAY);
    assert!(decision.go, "{:?}", decision.reasons);
    assert_eq!(decision.approvals.len(), 2);
    assert_eq!(decision.approvals[0].role, "Sécurité");
}

/// Per-section totals in one pass agree with counting each section's items directly.
#[test]
fn section_summaries_count_each_section_and_everything_inside_it() {
    let list = checklist(
        "# Top\n\n- [x] a\n\n## One\n\n- [ ] b\n\n### One.One\n\n- [x] c\n- [ ] d\n\n#### Deep\n\n- [x] e\n\n## Two\n\n- [x] f\n\n## Empty\n",
    );
    let empty = State::default();
    let resolved = resolve(&list, &empty, TODAY);
    let summaries = section_summaries(&list, &resolved);
    assert_eq!(summaries.len(), list.sections.len());
    for (index, summary) in summaries.iter().enumerate() {
        let within = resolved
            .iter()
            .filter(|r| list.is_within(r.item.section, index));
        assert_eq!(
            *summary,
            summary_of(within),
            "{:?}",
            list.sections[index].path
        );
    }
    let items: Vec<usize> = summaries.iter().map(|s| s.items).collect();
    // `# Top` is the title, not a section: `a` sits above the first section.
    assert_eq!(items, [4, 3, 1, 1, 0]);
}
