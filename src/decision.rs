//! The gate: what the checklist file and the store's events add up to for each item, and
//! whether that is GO or NO-GO, always with every reason.
//!
//! Pure functions over a [`Checklist`] and a [`State`]; "today" and the checklist key come in
//! as arguments, so the same inputs always give the same decision.
//!
//! Architecture invariant: nothing here reads the clock, a file or the store; reports and the
//! CLI build on [`resolve`] and [`decide`] and never re-derive a status themselves.

mod pins;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use crate::checklist::{self, Checklist, Item, Kind, Phase, Severity, Status, Summary};
use crate::store::event::{Problem, Verification};
use crate::store::recurring::InstanceApproval;
use crate::store::sign::{self, PublicKey, SignatureStatus};
use crate::store::state::{ApprovalRecord, CheckRecord, NotApplicable, State, Tick, Waiver};

pub use pins::{Pins, role_key, suggest_role};

/// An item as the gate sees it: the file's status combined with the store's events.
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    pub item: &'a Item,
    pub status: Status,
    /// Who ticked or cleared the item in the store, when.
    pub tick: Option<&'a Tick>,
    /// The waiver, only while it is active.
    pub waiver: Option<&'a Waiver>,
    /// A waiver whose last day has passed: it no longer counts, but reports say so.
    pub expired_waiver: Option<&'a Waiver>,
    pub na: Option<&'a NotApplicable>,
    /// Results of the checks on this item in the latest run (empty when none ran). A check
    /// on many items has one record, shared by all of them.
    pub results: &'a [Arc<CheckRecord>],
}

impl Resolved<'_> {
    /// The item counts for the gate: needed before go-live, and not advisory.
    /// Triggers are watched after launch, never done: they never block.
    pub fn gating(&self) -> bool {
        self.item.phase == Phase::Pre
            && self.item.severity != Severity::Advisory
            && self.item.kind == Kind::Task
            && self.item.recurrence.is_none()
            && self.item.runbook.is_none()
    }

    /// The status is one the gate accepts: done; n/a on a conditional item; waived by a
    /// recorded, active waiver (a "waived" cell in the file names no role and no reason).
    pub fn settled(&self) -> bool {
        match self.status {
            Status::Done => true,
            Status::Na => self.item.conditional,
            Status::Waived => self.waiver.is_some(),
            Status::Todo | Status::Failed => false,
        }
    }

    /// Checks on this item that failed in the latest run.
    pub fn failed_checks(&self) -> impl Iterator<Item = &CheckRecord> {
        self.results
            .iter()
            .map(|record| record.as_ref())
            .filter(|record| !record.passed)
    }
}

/// Every item of `checklist`, in file order, with its status resolved against `state` on
/// `today` (`YYYY-MM-DD`).
///
/// Resolution, first match wins:
/// 1. checks on the item ran in the latest run: any failed → `failed` (`waived` when an active
///    waiver covers the item), all passed → `done`;
/// 2. an active waiver → `waived`;
/// 3. n/a recorded on a conditional item → `na` (n/a on other items is ignored);
/// 4. the file's status. A ticked box is done; the store's tick only says who and when. For
///    items without a box (criteria bullets, level-table rows) the store's tick is the only
///    place their status can live, so there a tick sets done / todo.
pub fn resolve<'a>(checklist: &'a Checklist, state: &'a State, today: &str) -> Vec<Resolved<'a>> {
    checklist
        .items
        .iter()
        .map(|item| {
            let stored = state.items.get(&item.id);
            let tick = stored.and_then(|s| s.tick.as_ref());
            let (waiver, expired_waiver) = match stored.and_then(|s| s.waiver.as_ref()) {
                Some(waiver) if waiver.is_active(today) => (Some(waiver), None),
                Some(waiver) => (None, Some(waiver)),
                None => (None, None),
            };
            let na = stored.and_then(|s| s.na.as_ref());
            let results = stored.map_or(&[][..], |s| s.results.as_slice());
            let status = if !results.is_empty() {
                match (results.iter().any(|r| !r.passed), waiver) {
                    (true, Some(_)) => Status::Waived,
                    (true, None) => Status::Failed,
                    (false, _) => Status::Done,
                }
            } else if waiver.is_some() {
                Status::Waived
            } else if na.is_some() && item.conditional {
                Status::Na
            } else {
                match (item.checkbox, tick) {
                    (None, Some(tick)) if tick.done => Status::Done,
                    (None, Some(_)) => Status::Todo,
                    _ => item.status,
                }
            };
            Resolved {
                item,
                status,
                tick,
                waiver,
                expired_waiver,
                na,
                results,
            }
        })
        .collect()
}

/// What the gate checked before it decides, besides the checklist and the store's state: the
/// store's hash chain (and any anchors given), and the keys `golive.toml` pins to roles.
/// There is no default: a caller that did not verify the chain has nothing to pass.
#[derive(Debug, Clone, Copy)]
pub struct Trust<'a> {
    /// [`crate::store::Store::verified_state`]'s verification of the events `state` was
    /// folded from.
    pub audit: &'a Verification,
    pub pins: &'a Pins,
}

/// GO or NO-GO, with every reason, the state of each approval and the resolved totals.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub go: bool,
    pub reasons: Vec<Reason>,
    pub approvals: Vec<ApprovalStatus>,
    /// Counts over the resolved statuses of every item (post-phase and advisory included).
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub kind: ReasonKind,
    /// The item's id, for item reasons.
    pub item: Option<String>,
    /// The approval's role, for approval reasons.
    pub role: Option<String>,
    /// The line in the checklist file, when the reason comes from one.
    pub line: Option<usize>,
    /// The store event (its `seq`) a broken chain or a failed anchor is about.
    pub event: Option<i64>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonKind {
    OpenItem,
    FailedItem,
    FailedCheck,
    ExpiredWaiver,
    MissingApproval,
    NoGoApproval,
    InvalidSignature,
    /// The store's hash chain does not verify: an event was edited, deleted or inserted.
    BrokenChain,
    /// An anchor (`--anchor SEQ:HASH`) is not in the chain: events were cut off its end, or
    /// the history up to it was rewritten.
    AnchorMismatch,
    /// A GO for a role whose keys are pinned, without a signature.
    UnsignedApproval,
    /// A GO for a role whose keys are pinned, signed by a key that is not one of them.
    UnknownKey,
    /// The latest timing of a drill people ran on a gating item missed its objective.
    MissedDrill,
}

/// Where an approval's latest word came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalSource {
    /// An approval recorded in the store (possibly signed).
    Store,
    /// A ticked (or NO-GO) cell of the file's sign-off table, with nothing in the store.
    File,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalStatus {
    pub role: String,
    /// Listed in the file's sign-offs; store approvals for other roles are shown, never block.
    pub required: bool,
    /// The latest word: `Some(true)` GO, `Some(false)` NO-GO, `None` nothing yet.
    pub decision: Option<bool>,
    pub by: Option<String>,
    pub at: Option<String>,
    pub comment: Option<String>,
    pub signature: SignatureStatus,
    /// The public key that signed, when the approval is signed.
    pub key: Option<PublicKey>,
    /// `golive.toml` pins this role's keys: only an approval signed by one of them counts.
    pub pinned: bool,
    /// The line of the sign-off in the file.
    pub line: Option<usize>,
    pub source: Option<ApprovalSource>,
}

impl ApprovalStatus {
    /// The latest word can be taken at its word: its signature verifies, and where the role's
    /// keys are pinned, it is signed by one of them.
    pub fn counts(&self) -> bool {
        match self.signature {
            SignatureStatus::Valid => true,
            SignatureStatus::Invalid => false,
            SignatureStatus::Unsigned | SignatureStatus::UnknownKey => !self.pinned,
        }
    }

    /// The approval says GO and nothing voids it.
    pub fn is_go(&self) -> bool {
        self.decision == Some(true) && self.counts()
    }
}

/// The gate's answer for `checklist` given `state` on `today` (`YYYY-MM-DD`).
/// `checklist_key` is the key approvals were signed for (see `store::sign::verify`).
///
/// GO only when the store's chain (and every anchor) verified, every gating item (phase
/// `pre`, `blocking` or `required`) is settled (see [`Resolved::settled`]), none of their
/// checks failed in the latest run, and every required approval's latest word is GO and
/// counts (see [`ApprovalStatus::counts`]). Anything else is NO-GO with one [`Reason`] for a
/// broken chain or anchor, then one per open or failed item (one per failed check when checks
/// failed), per expired waiver, and per missing, NO-GO or unverifiable approval, items in
/// file order, then approvals.
///
/// Interpretations:
/// - a broken chain is a reason of its own, first; the store's state is still shown (it is
///   what a person investigating needs to see), but nothing can make the answer GO;
/// - a failed check on an item with an active waiver does not block: accepting the risk of
///   that check failing is what the waiver is for. Once the waiver expires, both the failed
///   check and the expiry are reasons;
/// - n/a counts only on conditional items, whether recorded in the store or written in the
///   file; a "waived" cell in the file does not count without a recorded waiver (which names
///   a role and a reason);
/// - approvals: the store's latest word for a role wins; the file's sign-off cell is only a
///   fallback when the store has nothing for that role (see `approval_statuses`). A signature
///   that does not verify voids the approval whatever it said; for a pinned role, a GO counts
///   only when signed by a pinned key (a file's cell is never signed), while a NO-GO blocks
///   however it was given;
/// - approvals for roles the file does not list are reported but never block.
pub fn decide(
    checklist_key: &str,
    checklist: &Checklist,
    state: &State,
    trust: Trust<'_>,
    today: &str,
) -> Decision {
    decide_resolved(
        checklist_key,
        checklist,
        state,
        trust,
        &resolve(checklist, state, today),
    )
}

/// [`decide`] over items already resolved (reports resolve once and show the same items).
pub fn decide_resolved(
    checklist_key: &str,
    checklist: &Checklist,
    state: &State,
    trust: Trust<'_>,
    resolved: &[Resolved<'_>],
) -> Decision {
    let mut reasons: Vec<Reason> = audit_reason(trust.audit).into_iter().collect();
    reasons.extend(resolved.iter().flat_map(item_reasons));
    reasons.extend(drill_reasons(state, resolved));
    let approvals = approval_statuses(checklist_key, checklist, state, trust.pins);
    reasons.extend(approvals.iter().filter_map(approval_reason));
    Decision {
        go: reasons.is_empty(),
        reasons,
        approvals,
        summary: summary_of(resolved),
    }
}

/// A drill people timed (`golive drill stop`) whose latest timing missed its objective holds
/// back its gating item, ticked or not: the file claims what the drill did not show. A waiver
/// (or n/a) settles it as it settles the item.
fn drill_reasons(state: &State, resolved: &[Resolved<'_>]) -> Vec<Reason> {
    let mut latest: std::collections::BTreeMap<&str, &crate::drill::history::Entry> =
        std::collections::BTreeMap::new();
    for entry in &state.drills {
        if entry.record.action == "human" && !entry.record.is_running() {
            latest.insert(&entry.record.drill, entry);
        }
    }
    latest
        .into_values()
        .filter(|entry| entry.record.verdict == "missed")
        .filter_map(|entry| {
            let item = resolved
                .iter()
                .find(|r| entry.item.as_deref() == Some(r.item.id.as_str()))?;
            if !item.gating() || matches!(item.status, Status::Waived | Status::Na) {
                return None;
            }
            Some(Reason {
                kind: ReasonKind::MissedDrill,
                item: Some(item.item.id.clone()),
                role: None,
                line: Some(item.item.line),
                event: Some(entry.seq),
                message: format!(
                    "drill `{}` missed its objective: {} (stopped by {} at {}, line {}); run it again and time it with `golive drill start` / `golive drill stop`",
                    entry.record.drill,
                    entry.record.objectives().join(", "),
                    entry.by,
                    entry.record.stopped_at.as_deref().unwrap_or(&entry.at),
                    item.item.line
                ),
            })
        })
        .collect()
}

/// The reason a chain that did not verify gives: it names the first bad event.
fn audit_reason(audit: &Verification) -> Option<Reason> {
    let broken = audit.first_bad.as_ref()?;
    let (kind, message) = match broken.problem {
        Problem::Truncated | Problem::Rewritten => (
            ReasonKind::AnchorMismatch,
            format!(
                "audit trail broken: the anchor at event {} does not hold: {}; the store's \
                 history is not the one anchored, so the gate cannot say GO",
                broken.seq,
                broken.problem.describe()
            ),
        ),
        Problem::Edited | Problem::Missing | Problem::OutOfChain => (
            ReasonKind::BrokenChain,
            format!(
                "audit trail broken at event {}: {}; nothing the store records can be trusted, \
                 so the gate cannot say GO (`golive audit verify` shows the break)",
                broken.seq,
                broken.problem.describe()
            ),
        ),
    };
    Some(Reason {
        kind,
        item: None,
        role: None,
        line: None,
        event: Some(broken.seq),
        message,
    })
}

/// Per-section totals, one per [`Checklist::sections`] entry, each over the items in the
/// section and every section inside it. One pass over the items (each counted in its section
/// and the sections above it, at most six heading levels), never a pass per section.
pub fn section_summaries(checklist: &Checklist, resolved: &[Resolved<'_>]) -> Vec<Summary> {
    let sections = &checklist.sections;
    let mut summaries = vec![Summary::default(); sections.len()];
    for entry in resolved {
        let mut current = entry.item.section;
        // Bounded by the number of sections, so a malformed parent chain cannot loop.
        for _ in 0..sections.len() {
            let Some(index) = current else { break };
            let Some(summary) = summaries.get_mut(index) else {
                break;
            };
            count(summary, entry);
            current = sections[index].parent;
        }
    }
    summaries
}

/// Counts over resolved statuses, like [`Summary::of`] over the file's.
pub fn summary_of<'r, 'a: 'r>(resolved: impl IntoIterator<Item = &'r Resolved<'a>>) -> Summary {
    let mut summary = Summary::default();
    for entry in resolved {
        count(&mut summary, entry);
    }
    summary
}

fn count(summary: &mut Summary, entry: &Resolved<'_>) {
    if entry.item.kind == Kind::Trigger {
        summary.triggers += 1;
        return;
    }
    summary.items += 1;
    match entry.status {
        Status::Todo => summary.open += 1,
        Status::Done => summary.done += 1,
        Status::Failed => summary.failed += 1,
        Status::Waived => summary.waived += 1,
        Status::Na => summary.na += 1,
    }
    if entry.item.severity == Severity::Blocking
        && matches!(entry.status, Status::Todo | Status::Failed)
    {
        summary.blocking_open += 1;
    }
}

fn item_reasons(entry: &Resolved<'_>) -> Vec<Reason> {
    if !entry.gating() || entry.settled() {
        return Vec::new();
    }
    let item = entry.item;
    let severity = match item.severity {
        Severity::Blocking => "blocking",
        Severity::Required | Severity::Advisory => "required",
    };
    let reason = |kind, message: String| Reason {
        kind,
        item: Some(item.id.clone()),
        role: None,
        line: Some(item.line),
        event: None,
        message,
    };
    let mut reasons: Vec<Reason> = entry
        .failed_checks()
        .map(|record| {
            let on = if record.check == item.id {
                format!("line {}", item.line)
            } else {
                format!("item `{}`, line {}", item.id, item.line)
            };
            reason(
                ReasonKind::FailedCheck,
                format!(
                    "check `{}` failed: {} ({on})",
                    record.check,
                    failure_text(record)
                ),
            )
        })
        .collect();
    if reasons.is_empty() {
        let (kind, what) = match entry.status {
            Status::Failed => (ReasonKind::FailedItem, "failed"),
            Status::Na => (ReasonKind::OpenItem, "is marked n/a but is not conditional"),
            Status::Waived => (
                ReasonKind::OpenItem,
                "is marked waived but no recorded waiver names a role and a reason",
            ),
            Status::Todo | Status::Done => (ReasonKind::OpenItem, "is open"),
        };
        let message = format!("{severity} item `{}` {what} (line {})", item.id, item.line);
        reasons.push(reason(kind, message));
    }
    if let Some(waiver) = entry.expired_waiver {
        let until = waiver.until.as_deref().unwrap_or("?");
        reasons.push(reason(
            ReasonKind::ExpiredWaiver,
            format!(
                "waiver for `{}` expired on {until} (line {})",
                item.id, item.line
            ),
        ));
    }
    reasons
}

/// What a failed check found, in one line: its failed conditions, else the probe's problem.
fn failure_text(record: &CheckRecord) -> String {
    if !record.failures.is_empty() {
        record.failures.join("; ")
    } else if let Some(problem) = &record.problem {
        problem.clone()
    } else {
        "no reason recorded".to_string()
    }
}

/// One status per role: first the file's sign-offs, in file order, then roles only the store
/// knows, in the order they first approved.
///
/// Precedence: the store's latest word for a role wins over the file. The file's own sign-off
/// cell (`[x]` → GO, a NO-GO cell → NO-GO) is a fallback used only when the store has nothing
/// for that role, so teams that sign off in the file still get a gate; anything recorded with
/// `golive` (and possibly signed) supersedes it.
fn approval_statuses(
    key: &str,
    checklist: &Checklist,
    state: &State,
    pins: &Pins,
) -> Vec<ApprovalStatus> {
    let mut latest: HashMap<String, &ApprovalRecord> = HashMap::new();
    let mut store_order: Vec<String> = Vec::new();
    for record in &state.approvals {
        let role = role_key(&record.role);
        if latest.insert(role.clone(), record).is_none() {
            store_order.push(role);
        }
    }
    let mut seen = HashSet::new();
    let mut statuses = Vec::new();
    for approval in &checklist.approvals {
        let role = role_key(&approval.role);
        if !seen.insert(role.clone()) {
            continue;
        }
        let status = match latest.get(&role) {
            Some(record) => ApprovalStatus {
                role: approval.role.clone(),
                required: approval.required,
                line: Some(approval.line),
                ..from_store(key, record)
            },
            None => ApprovalStatus {
                role: approval.role.clone(),
                required: approval.required,
                decision: match approval.decision {
                    checklist::Decision::Go => Some(true),
                    checklist::Decision::NoGo => Some(false),
                    checklist::Decision::Pending => None,
                },
                by: approval.name.clone(),
                at: None,
                comment: None,
                signature: SignatureStatus::Unsigned,
                key: None,
                pinned: false,
                line: Some(approval.line),
                source: (approval.decision != checklist::Decision::Pending)
                    .then_some(ApprovalSource::File),
            },
        };
        statuses.push(status);
    }
    for role in store_order {
        if seen.contains(&role) {
            continue;
        }
        if let Some(record) = latest.get(&role) {
            statuses.push(from_store(key, record));
        }
    }
    for status in &mut statuses {
        apply_pins(status, pins);
    }
    statuses
}

fn from_store(key: &str, record: &ApprovalRecord) -> ApprovalStatus {
    ApprovalStatus {
        role: record.role.clone(),
        required: false,
        decision: Some(record.go),
        by: Some(record.stamp.by.clone()),
        at: Some(record.stamp.at.clone()),
        comment: record.comment.clone(),
        // An adopted approval was signed for the key it was recorded under.
        signature: sign::verify(
            if record.checklist.is_empty() {
                key
            } else {
                &record.checklist
            },
            record,
        ),
        key: record
            .signature
            .as_ref()
            .and_then(|signature| PublicKey::from_hex(&signature.public_key)),
        pinned: false,
        line: None,
        source: Some(ApprovalSource::Store),
    }
}

/// Marks the approval of a pinned role, and a valid signature by a key not pinned for it.
fn apply_pins(status: &mut ApprovalStatus, pins: &Pins) {
    let Some(keys) = pins.keys_for(&status.role) else {
        return;
    };
    status.pinned = true;
    let pinned_key = status.key.is_some_and(|key| keys.contains(&key));
    if status.signature == SignatureStatus::Valid && !pinned_key {
        status.signature = SignatureStatus::UnknownKey;
    }
}

fn approval_reason(approval: &ApprovalStatus) -> Option<Reason> {
    if !approval.required || approval.is_go() {
        return None;
    }
    let role = &approval.role;
    let (kind, message) = if approval.signature == SignatureStatus::Invalid {
        (
            ReasonKind::InvalidSignature,
            format!("signature of `{role}`'s approval does not verify"),
        )
    } else if approval.decision == Some(true) && approval.signature == SignatureStatus::Unsigned {
        let given = match (approval.source, &approval.by, &approval.at) {
            (Some(ApprovalSource::File), _, _) => match approval.line {
                Some(line) => format!("ticked in the file (line {line})"),
                None => "ticked in the file".to_string(),
            },
            (_, Some(by), Some(at)) => format!("given by {by} on {}", day(at)),
            _ => "given".to_string(),
        };
        (
            ReasonKind::UnsignedApproval,
            format!(
                "`{role}`'s GO ({given}) is not signed, and golive.toml pins the role's keys: \
                 only a GO signed with one of them counts (`golive approve --sign KEY`)"
            ),
        )
    } else if approval.decision == Some(true) && approval.signature == SignatureStatus::UnknownKey {
        let key = approval
            .key
            .map(|key| format!(" {}", short_key(&key)))
            .unwrap_or_default();
        (
            ReasonKind::UnknownKey,
            format!(
                "`{role}`'s GO is signed by a key not pinned for the role in golive.toml{key}: \
                 it does not count"
            ),
        )
    } else if approval.decision == Some(false) {
        let comment = approval
            .comment
            .as_deref()
            .map(|c| format!(": {c}"))
            .unwrap_or_default();
        let who = match (approval.source, &approval.by, &approval.at) {
            (Some(ApprovalSource::File), _, _) => match (&approval.by, approval.line) {
                (Some(by), Some(line)) => format!(" in the file ({by}, line {line})"),
                (None, Some(line)) => format!(" in the file (line {line})"),
                _ => " in the file".to_string(),
            },
            (_, Some(by), Some(at)) => format!(" ({by}, {})", day(at)),
            (_, Some(by), None) => format!(" ({by})"),
            _ => String::new(),
        };
        (
            ReasonKind::NoGoApproval,
            format!("`{role}` said NO-GO{comment}{who}"),
        )
    } else {
        (
            ReasonKind::MissingApproval,
            format!("no GO from `{role}` yet"),
        )
    };
    Some(Reason {
        kind,
        item: None,
        role: Some(role.clone()),
        line: approval.line,
        event: None,
        message,
    })
}

/// A runbook instance's required approval, judged exactly as the go-live's are: its
/// signature (over the instance's own message), the keys `golive.toml` pins to the role, and
/// the same reasons. `word` is the role's latest word on the instance, if any.
pub fn instance_approval(
    key: &str,
    instance: &str,
    role: &str,
    word: Option<&InstanceApproval>,
    pins: &Pins,
) -> (ApprovalStatus, Option<Reason>) {
    let mut status = ApprovalStatus {
        role: role.to_string(),
        required: true,
        decision: word.map(|a| a.go),
        by: word.map(|a| a.by.clone()),
        at: word.map(|a| a.at.clone()),
        comment: word.and_then(|a| a.comment.clone()),
        signature: word.map_or(SignatureStatus::Unsigned, |a| a.verify(key, instance)),
        key: word
            .and_then(|a| a.signature.as_ref())
            .and_then(|signature| PublicKey::from_hex(&signature.public_key)),
        pinned: false,
        line: None,
        source: word.map(|_| ApprovalSource::Store),
    };
    apply_pins(&mut status, pins);
    let reason = approval_reason(&status).map(|mut reason| {
        reason.event = word.map(|a| a.seq);
        reason
    });
    (status, reason)
}

/// `ed25519:` and the first 16 hex digits: enough to tell keys apart in a message.
pub fn short_key(key: &PublicKey) -> String {
    let text = key.to_string();
    match text.get(..24) {
        Some(short) => format!("{short}…"),
        None => text,
    }
}

/// The date part of an RFC 3339 time: reasons read better with the day only.
fn day(at: &str) -> &str {
    at.get(..10).unwrap_or(at)
}

#[cfg(test)]
mod tests;
