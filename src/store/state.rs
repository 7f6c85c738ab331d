//! What a checklist's events add up to now: who ticked what, the latest run's results,
//! waivers, n/a marks and approvals. A pure fold over events; no SQL here.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value as Json;

use super::event::{Event, Kind};
use super::identity::Owner;

/// Who did something, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stamp {
    pub by: String,
    pub at: String,
    pub seq: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tick {
    pub done: bool,
    pub stamp: Stamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waiver {
    pub reason: String,
    /// The approver role accepting the risk.
    pub role: String,
    /// Last day the waiver counts (inclusive, `YYYY-MM-DD`); none means no end.
    pub until: Option<String>,
    pub stamp: Stamp,
}

impl Waiver {
    /// Whether the waiver still counts on `today` (`YYYY-MM-DD`).
    pub fn is_active(&self, today: &str) -> bool {
        self.until.as_deref().is_none_or(|until| today <= until)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotApplicable {
    pub reason: String,
    pub stamp: Stamp,
}

/// One check's result in a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckRecord {
    pub check: String,
    pub probe: String,
    pub target: String,
    pub items: Vec<String>,
    pub passed: bool,
    pub failures: Vec<String>,
    pub problem: Option<String>,
    pub observed: Json,
    pub duration_ms: f64,
    pub stamp: Stamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    pub seq: i64,
    pub checks: usize,
    pub stamp: Stamp,
}

/// A signature over an approval, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// Hex ed25519 public key.
    pub public_key: String,
    /// Hex ed25519 signature over [`ApprovalRecord::signed_message`].
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApprovalRecord {
    pub role: String,
    /// `true` for GO, `false` for NO-GO.
    pub go: bool,
    pub comment: Option<String>,
    /// When the approver signed (set by the signer, so it is inside the signature).
    pub signed_at: String,
    pub signature: Option<Signature>,
    pub stamp: Stamp,
    /// The checklist key it was recorded, and signed, for: an adopted approval was signed
    /// for the file name an earlier golive keyed the checklist by.
    #[serde(skip)]
    pub checklist: String,
}

impl ApprovalRecord {
    /// The exact bytes an approval signature covers.
    pub fn signed_message(
        checklist: &str,
        role: &str,
        by: &str,
        go: bool,
        comment: Option<&str>,
        signed_at: &str,
    ) -> String {
        super::event::canonical_json(&serde_json::json!({
            "checklist": checklist,
            "role": role,
            "by": by,
            "decision": if go { "go" } else { "no-go" },
            "comment": comment,
            "signed_at": signed_at,
        }))
    }
}

/// Everything the store knows about one item.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ItemState {
    pub tick: Option<Tick>,
    pub waiver: Option<Waiver>,
    pub na: Option<NotApplicable>,
    /// Results of checks on this item in the latest run. A check on N items is one record
    /// shared by all N: a copy per item, each with its N-item list, grew with N².
    #[serde(serialize_with = "shared_records")]
    pub results: Vec<Arc<CheckRecord>>,
}

/// Serialises shared records as the records themselves (serde's `rc` feature for one field).
fn shared_records<S: serde::Serializer>(
    records: &[Arc<CheckRecord>],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(records.iter().map(|record| record.as_ref()))
}

/// Everything the store knows about one checklist.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct State {
    pub items: HashMap<String, ItemState>,
    pub latest_run: Option<Run>,
    /// Every approval in order; the latest per role is what counts.
    pub approvals: Vec<ApprovalRecord>,
    /// SHA-256 of the file's bytes at the last import.
    pub imported_sha256: Option<String>,
    /// Events that could not be read (unknown kind, malformed payload): never silently lost.
    pub unreadable: Vec<i64>,
    /// When `gate` first decided GO: hypercare counts from here.
    pub went_live: Option<String>,
    /// Every drill event, in order: backups, restores and drills people timed.
    pub drills: Vec<crate::drill::history::Entry>,
}

impl State {
    /// Folds `events` (in `seq` order) for `checklist`.
    ///
    /// Results before the latest run are skipped, not read: that run replaced them, so they
    /// cannot count (nor be reported unreadable), and the store need not fetch them, which
    /// keeps reading the state from growing with every past run.
    pub fn from_events<'a, O: Owner + ?Sized>(
        checklist: &O,
        events: impl IntoIterator<Item = &'a Event>,
    ) -> State {
        let events: Vec<&Event> = events
            .into_iter()
            .filter(|event| checklist.owns(event))
            .collect();
        let latest_run = events
            .iter()
            .rev()
            .find(|event| event.kind() == Some(Kind::Run) && run_checks(&event.payload).is_some())
            .map_or(0, |event| event.seq);
        let mut state = State::default();
        for event in events {
            if event.seq < latest_run && event.kind() == Some(Kind::Result) {
                continue;
            }
            if state.apply(event).is_none() {
                state.unreadable.push(event.seq);
            }
        }
        state
    }

    /// The latest word of each role, by role (as written, compared case-insensitively).
    pub fn latest_approvals(&self) -> BTreeMap<String, &ApprovalRecord> {
        let mut latest = BTreeMap::new();
        for approval in &self.approvals {
            latest.insert(approval.role.to_lowercase(), approval);
        }
        latest
    }

    fn apply(&mut self, event: &Event) -> Option<()> {
        let stamp = Stamp {
            by: event.actor.clone(),
            at: event.at.clone(),
            seq: event.seq,
        };
        let payload = &event.payload;
        let text = |key: &str| payload.get(key).and_then(Json::as_str).map(str::to_string);
        match event.kind()? {
            Kind::Import => self.imported_sha256 = text("sha256"),
            Kind::Tick => {
                let done = payload.get("done")?.as_bool()?;
                self.item(event)?.tick = Some(Tick { done, stamp });
            }
            Kind::Waive => {
                let waiver = Waiver {
                    reason: text("reason")?,
                    role: text("role")?,
                    until: text("until"),
                    stamp,
                };
                self.item(event)?.waiver = Some(waiver);
            }
            Kind::Na => {
                let na = NotApplicable {
                    reason: text("reason")?,
                    stamp,
                };
                self.item(event)?.na = Some(na);
            }
            Kind::Run => {
                let checks = run_checks(payload)?;
                self.latest_run = Some(Run {
                    seq: event.seq,
                    checks,
                    stamp,
                });
                for item in self.items.values_mut() {
                    item.results.clear();
                }
            }
            Kind::Result => {
                let run = payload.get("run")?.as_i64()?;
                if self.latest_run.as_ref().map(|r| r.seq) != Some(run) {
                    // A result of an older run arriving late (a concurrent run): ignore it.
                    return Some(());
                }
                let items: Vec<String> = payload
                    .get("items")?
                    .as_array()?
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_string))
                    .collect();
                let record = Arc::new(CheckRecord {
                    check: text("check")?,
                    probe: text("probe").unwrap_or_default(),
                    target: text("target").unwrap_or_default(),
                    items,
                    passed: payload.get("passed")?.as_bool()?,
                    failures: payload
                        .get("failures")
                        .and_then(Json::as_array)
                        .map(|f| {
                            f.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                    problem: text("problem"),
                    observed: payload.get("observed").cloned().unwrap_or(Json::Null),
                    duration_ms: payload
                        .get("duration_ms")
                        .and_then(Json::as_f64)
                        .unwrap_or(0.0),
                    stamp,
                });
                for item in &record.items {
                    // Only an item's first result allocates its key; later ones find it.
                    match self.items.get_mut(item) {
                        Some(state) => state.results.push(Arc::clone(&record)),
                        None => {
                            let state = self.items.entry(item.clone()).or_default();
                            state.results.push(Arc::clone(&record));
                        }
                    }
                }
            }
            Kind::Approve => {
                let signature = signature_of(payload);
                let go = match text("decision")?.as_str() {
                    "go" => true,
                    "no-go" => false,
                    _ => return None,
                };
                self.approvals.push(ApprovalRecord {
                    role: text("role")?,
                    go,
                    comment: text("comment"),
                    signed_at: text("signed_at").unwrap_or_else(|| event.at.clone()),
                    signature,
                    stamp,
                    checklist: event.checklist.clone(),
                });
            }
            Kind::Golive => {
                if self.went_live.is_none() {
                    self.went_live = Some(event.at.clone());
                }
            }
            // The monitor's own events: `monitor::history` folds them.
            Kind::Transition | Kind::Alert | Kind::Delivery | Kind::Silence | Kind::Action => {}
            Kind::Drill => {
                let record: crate::drill::history::Record =
                    serde_json::from_value(payload.clone()).ok()?;
                self.drills.push(crate::drill::history::Entry {
                    record,
                    item: event.item.clone(),
                    by: stamp.by,
                    at: stamp.at,
                    seq: stamp.seq,
                });
            }
            // Which events are whose: `store::identity` reads them before the fold.
            Kind::Adopt => {}
            // Recurring periods and runbook instances: folded by `store::recurring`.
            Kind::Period | Kind::Start | Kind::Step | Kind::InstanceApprove => {}
        }
        Some(())
    }

    fn item(&mut self, event: &Event) -> Option<&mut ItemState> {
        Some(self.items.entry(event.item.clone()?).or_default())
    }
}

/// The signature an approval event carries, if any (go-live and instance approvals alike).
pub(super) fn signature_of(payload: &Json) -> Option<Signature> {
    payload
        .get("signature")
        .filter(|s| !s.is_null())
        .and_then(|s| {
            Some(Signature {
                public_key: s.get("public_key")?.as_str()?.to_string(),
                signature: s.get("signature")?.as_str()?.to_string(),
            })
        })
}

/// A run event's number of checks; none when the event cannot be read.
fn run_checks(payload: &Json) -> Option<usize> {
    usize::try_from(payload.get("checks")?.as_u64()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::event::{Event, GENESIS, NewEvent};
    use serde_json::json;

    fn events(specs: &[(Kind, Option<&str>, Json)]) -> Vec<Event> {
        let mut prev = GENESIS.to_string();
        specs
            .iter()
            .enumerate()
            .map(|(index, (kind, item, payload))| {
                let new = NewEvent {
                    checklist: "c.md".into(),
                    kind: *kind,
                    item: item.map(str::to_string),
                    actor: "ana".into(),
                    payload: payload.clone(),
                };
                let event = Event::seal(
                    new,
                    index as i64 + 1,
                    "2026-11-21T00:00:00.000Z".into(),
                    prev.clone(),
                );
                prev = event.hash.clone();
                event
            })
            .collect()
    }

    #[test]
    fn folds_ticks_waivers_runs_and_approvals() {
        let log = events(&[
            (Kind::Tick, Some("a"), json!({"done": true})),
            (
                Kind::Waive,
                Some("b"),
                json!({"reason": "vendor delay", "role": "CTO", "until": "2026-12-01"}),
            ),
            (Kind::Run, None, json!({"checks": 1})),
            (
                Kind::Result,
                Some("c"),
                json!({"run": 3, "check": "c", "items": ["c"], "passed": false, "failures": ["status 500 != 200"]}),
            ),
            (Kind::Run, None, json!({"checks": 1})),
            (
                Kind::Result,
                Some("c"),
                json!({"run": 5, "check": "c", "items": ["c"], "passed": true, "failures": []}),
            ),
            (
                Kind::Approve,
                None,
                json!({"role": "QA Lead", "decision": "no-go"}),
            ),
            (
                Kind::Approve,
                None,
                json!({"role": "qa lead", "decision": "go", "comment": "fixed"}),
            ),
            (Kind::Tick, Some("a"), json!({"oops": 1})),
        ]);
        let state = State::from_events("c.md", &log);
        assert_eq!(state.items["a"].tick.as_ref().map(|t| t.done), Some(true));
        let waiver = state.items["b"].waiver.as_ref().unwrap();
        assert!(waiver.is_active("2026-12-01") && !waiver.is_active("2026-12-02"));
        assert_eq!(state.items["c"].results.len(), 1);
        assert!(state.items["c"].results[0].passed);
        let latest = state.latest_approvals();
        assert_eq!(latest.len(), 1);
        assert!(latest["qa lead"].go);
        assert_eq!(state.unreadable, [9]);
        assert!(State::from_events("other.md", &log).items.is_empty());
    }

    /// One check on many items (`item = "title:*…*"`) is one record, not one copy per item.
    #[test]
    fn a_result_on_many_items_is_stored_once() {
        let items: Vec<String> = (0..1000).map(|n| format!("step-{n}")).collect();
        let log = events(&[
            (Kind::Run, None, json!({"checks": 1})),
            (
                Kind::Result,
                Some("step-0"),
                json!({"run": 1, "check": "glob", "items": items, "passed": false, "failures": ["size 9B >= 1B"]}),
            ),
        ]);
        let state = State::from_events("c.md", &log);
        assert_eq!(state.items.len(), 1000);
        let first = &state.items["step-0"].results[0];
        assert_eq!(first.items.len(), 1000);
        for item in &items {
            let results = &state.items[item].results;
            assert_eq!(results.len(), 1);
            assert!(Arc::ptr_eq(first, &results[0]), "{item} has a copy");
        }
    }
}
