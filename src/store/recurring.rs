//! What a checklist's period records and runbook instances add up to: a pure fold over its
//! `period`, `start`, `step` and `instance-approve` events. No SQL here.
//!
//! A period is done once: when two ticks of the same period race, both are kept in the log
//! (it is append-only) and the first one counts.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value as Json;

use super::event::{Event, Kind, NewEvent};
use super::sign::SignatureStatus;
use super::state::{Signature, signature_of};

/// One period of a recurring item done, as `tick`, `check` and `watch` all record it.
pub struct PeriodDone<'a> {
    pub item: &'a str,
    /// The period's key (`2026-12-02`, `2026-W49`, …).
    pub period: &'a str,
    pub every: &'a str,
    /// When it was done (RFC 3339).
    pub at: &'a str,
    /// `tick` or `check`.
    pub source: &'a str,
    pub evidence: Option<&'a str>,
}

impl PeriodDone<'_> {
    pub fn event(&self, checklist: &str, who: &str) -> NewEvent {
        NewEvent {
            checklist: checklist.to_string(),
            kind: Kind::Period,
            item: Some(self.item.to_string()),
            actor: who.to_string(),
            payload: serde_json::json!({
                "period": self.period,
                "every": self.every,
                "at": self.at,
                "source": self.source,
                "evidence": self.evidence,
            }),
        }
    }
}

/// One period of one recurring item, done.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodRecord {
    pub period: String,
    /// When it was done (RFC 3339): `--at`, else when it was recorded.
    pub at: String,
    pub by: String,
    /// When the store recorded it.
    pub recorded: String,
    pub seq: i64,
    /// `tick` or `check`.
    pub source: String,
    pub evidence: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRecord {
    pub done: bool,
    pub at: String,
    pub by: String,
    pub seq: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceApproval {
    pub role: String,
    pub go: bool,
    pub comment: Option<String>,
    /// When it was given (`--at`); inside the signature, so it cannot be moved.
    pub at: String,
    pub by: String,
    pub seq: i64,
    pub signature: Option<Signature>,
}

impl InstanceApproval {
    /// The exact bytes an instance approval's signature covers. It names the instance, so a
    /// go-live approval's signature (or another instance's) never verifies here.
    pub fn signed_message(
        checklist: &str,
        instance: &str,
        role: &str,
        by: &str,
        go: bool,
        comment: Option<&str>,
        at: &str,
    ) -> String {
        super::event::canonical_json(&serde_json::json!({
            "checklist": checklist,
            "instance": instance,
            "role": role,
            "by": by,
            "decision": if go { "go" } else { "no-go" },
            "comment": comment,
            "signed_at": at,
        }))
    }

    /// This approval's signature, checked against the approval as stored for `instance` of
    /// `checklist`.
    pub fn verify(&self, checklist: &str, instance: &str) -> SignatureStatus {
        let message = Self::signed_message(
            checklist,
            instance,
            &self.role,
            &self.by,
            self.go,
            self.comment.as_deref(),
            &self.at,
        );
        super::sign::verify_signature(self.signature.as_ref(), &message)
    }
}

/// One run of a runbook section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    pub name: String,
    /// The runbook's heading.
    pub section: String,
    pub kind: String,
    pub started: String,
    pub by: String,
    pub seq: i64,
    /// The latest word per step (item id).
    pub steps: BTreeMap<String, StepRecord>,
    /// Every approval in order; the latest per role counts.
    pub approvals: Vec<InstanceApproval>,
}

impl Instance {
    /// The latest word of each role, keyed by its folded name.
    pub fn latest_approvals(&self) -> BTreeMap<String, &InstanceApproval> {
        let mut latest = BTreeMap::new();
        for approval in &self.approvals {
            latest.insert(crate::decision::role_key(&approval.role), approval);
        }
        latest
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Recurring {
    /// Per item id, per period key, the record that counts.
    pub periods: HashMap<String, BTreeMap<String, PeriodRecord>>,
    /// Records of a period already done (kept in the log, not counted).
    pub duplicates: usize,
    /// By name, in the order they were opened.
    pub instances: BTreeMap<String, Instance>,
    /// Events of these kinds that could not be read.
    pub unreadable: Vec<i64>,
    /// The earliest time any period record says it was done, or the checklist's first event:
    /// periods before it were not being tracked.
    pub first: Option<String>,
}

impl Recurring {
    pub fn from_events<'a, O: super::identity::Owner + ?Sized>(
        checklist: &O,
        events: impl IntoIterator<Item = &'a Event>,
    ) -> Self {
        let mut state = Recurring::default();
        for event in events {
            if !checklist.owns(event) {
                continue;
            }
            if state.first.as_ref().is_none_or(|first| event.at < *first) {
                state.first = Some(event.at.clone());
            }
            let Some(kind) = event.kind() else { continue };
            if matches!(
                kind,
                Kind::Period | Kind::Start | Kind::Step | Kind::InstanceApprove
            ) && state.apply(kind, event).is_none()
            {
                state.unreadable.push(event.seq);
            }
        }
        state
    }

    pub fn last_done(&self, item: &str) -> Option<&PeriodRecord> {
        self.periods
            .get(item)?
            .values()
            .max_by(|a, b| a.at.cmp(&b.at))
    }

    fn apply(&mut self, kind: Kind, event: &Event) -> Option<()> {
        let payload = &event.payload;
        let text = |key: &str| payload.get(key).and_then(Json::as_str).map(str::to_string);
        let at = text("at").unwrap_or_else(|| event.at.clone());
        match kind {
            Kind::Period => {
                let record = PeriodRecord {
                    period: text("period")?,
                    at: at.clone(),
                    by: event.actor.clone(),
                    recorded: event.at.clone(),
                    seq: event.seq,
                    source: text("source").unwrap_or_else(|| "tick".to_string()),
                    evidence: text("evidence"),
                };
                if self.first.as_ref().is_none_or(|first| at < *first) {
                    self.first = Some(at);
                }
                let item = self.periods.entry(event.item.clone()?).or_default();
                if item.contains_key(&record.period) {
                    self.duplicates += 1;
                } else {
                    item.insert(record.period.clone(), record);
                }
            }
            Kind::Start => {
                let name = text("instance")?;
                if self.instances.contains_key(&name) {
                    return Some(());
                }
                self.instances.insert(
                    name.clone(),
                    Instance {
                        name,
                        section: text("section")?,
                        kind: text("kind").unwrap_or_else(|| "procedure".to_string()),
                        started: at,
                        by: event.actor.clone(),
                        seq: event.seq,
                        steps: BTreeMap::new(),
                        approvals: Vec::new(),
                    },
                );
            }
            Kind::Step => {
                let instance = self.instances.get_mut(&text("instance")?)?;
                let done = payload.get("done")?.as_bool()?;
                instance.steps.insert(
                    event.item.clone()?,
                    StepRecord {
                        done,
                        at,
                        by: event.actor.clone(),
                        seq: event.seq,
                    },
                );
            }
            Kind::InstanceApprove => {
                let instance = self.instances.get_mut(&text("instance")?)?;
                let go = match text("decision")?.as_str() {
                    "go" => true,
                    "no-go" => false,
                    _ => return None,
                };
                instance.approvals.push(InstanceApproval {
                    role: text("role")?,
                    go,
                    comment: text("comment"),
                    at,
                    by: event.actor.clone(),
                    seq: event.seq,
                    signature: signature_of(payload),
                });
            }
            _ => {}
        }
        Some(())
    }
}
