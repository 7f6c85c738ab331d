//! Views of recurring procedures and runbook instances: what is due now (`golive due`), one
//! instance's state and gate, and the auditor's evidence pack (`golive report --since`).
//! Pure: handed the instant, the fold of the store and the checklist.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::checklist::recurrence::{Recurrence, heading_key};
use crate::checklist::{Checklist, Item};
use crate::decision::{self, Pins, role_key};
use crate::store::event::Verification;
use crate::store::recurring::{Instance, PeriodRecord, Recurring};
use crate::store::sign::SignatureStatus;

/// At most this many periods per item in one pack (ten years of days).
pub const MAX_PERIODS: usize = 3660;

pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DueState {
    /// Done for the current period.
    Done,
    /// Not done yet, and not late yet.
    Due,
    /// Past its time in this period, or the previous period was missed and this one is not
    /// done yet.
    Overdue,
}

#[derive(Debug, Serialize)]
pub struct DueEntry<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub section: &'a [String],
    pub owner: Option<&'a str>,
    pub recurrence: &'a Recurrence,
    pub period: String,
    /// When this period's occurrence is due by.
    pub due: String,
    pub state: DueState,
    /// The previous period, when it ended without being done.
    pub missed: Option<String>,
    pub last_done: Option<&'a PeriodRecord>,
}

#[derive(Debug, Serialize)]
pub struct DueView<'a> {
    pub at: String,
    pub tz: &'static str,
    pub owner: Option<&'a str>,
    pub items: Vec<DueEntry<'a>>,
    pub done: usize,
    pub due: usize,
    pub overdue: usize,
}

/// Whether a period whose deadline is `due` was being tracked: history began before it.
fn tracked(recurring: &Recurring, due: DateTime<Utc>) -> bool {
    recurring
        .first
        .as_deref()
        .and_then(instant)
        .is_some_and(|first| due > first)
}

pub fn due<'a>(
    checklist: &'a Checklist,
    recurring: &'a Recurring,
    at: DateTime<Utc>,
    tz: Tz,
    owner: Option<&'a str>,
) -> DueView<'a> {
    let wanted = owner.map(role_key);
    let mut items = Vec::new();
    for item in &checklist.items {
        let Some(recurrence) = &item.recurrence else {
            continue;
        };
        if let Some(wanted) = &wanted
            && item.owner.as_deref().map(role_key).as_ref() != Some(wanted)
        {
            continue;
        }
        let records = recurring.periods.get(&item.id);
        let done = |key: &str| records.is_some_and(|r| r.contains_key(key));
        let period = recurrence.period(at, tz);
        let previous = recurrence.period(period.start - Duration::milliseconds(1), tz);
        let missed = (tracked(recurring, previous.due) && !done(&previous.key))
            .then(|| previous.key.clone());
        let state = if done(&period.key) {
            DueState::Done
        } else if (at >= period.due
            && (recurring.first.is_none() || tracked(recurring, period.due)))
            || missed.is_some()
        {
            DueState::Overdue
        } else {
            DueState::Due
        };
        items.push(DueEntry {
            id: &item.id,
            title: &item.title,
            section: checklist.section_path(item),
            owner: item.owner.as_deref(),
            recurrence,
            period: period.key,
            due: stamp(period.due),
            state,
            missed,
            last_done: recurring.last_done(&item.id),
        });
    }
    // Per owner, then in file order.
    items.sort_by(|a, b| a.owner.cmp(&b.owner));
    let count = |state| items.iter().filter(|e| e.state == state).count();
    DueView {
        at: stamp(at),
        tz: tz.name(),
        owner,
        done: count(DueState::Done),
        due: count(DueState::Due),
        overdue: count(DueState::Overdue),
        items,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeriodState {
    Done,
    /// Done within the period but after its time.
    Late,
    /// The period ended without it.
    Missed,
    /// The period has not ended and it is not done yet.
    Open,
}

impl PeriodState {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodState::Done => "done",
            PeriodState::Late => "late",
            PeriodState::Missed => "missed",
            PeriodState::Open => "open",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PeriodRow<'a> {
    pub period: String,
    pub start: String,
    pub due: String,
    pub state: PeriodState,
    pub record: Option<&'a PeriodRecord>,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Counts {
    pub periods: usize,
    pub done: usize,
    pub late: usize,
    pub missed: usize,
    pub open: usize,
}

impl Counts {
    fn add(&mut self, state: PeriodState) {
        self.periods += 1;
        match state {
            PeriodState::Done => self.done += 1,
            PeriodState::Late => self.late += 1,
            PeriodState::Missed => self.missed += 1,
            PeriodState::Open => self.open += 1,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PackItem<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub section: &'a [String],
    pub owner: Option<&'a str>,
    pub recurrence: &'a Recurrence,
    pub counts: Counts,
    pub periods: Vec<PeriodRow<'a>>,
}

#[derive(Debug, Serialize)]
pub struct StepView<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub done: bool,
    pub at: Option<&'a str>,
    pub by: Option<&'a str>,
    /// Seconds from the instance's start to this step.
    pub after_start_s: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct ApprovalView<'a> {
    pub role: &'a str,
    pub decision: &'static str,
    pub by: Option<&'a str>,
    pub at: Option<&'a str>,
    pub comment: Option<&'a str>,
    pub signature: SignatureStatus,
    /// The public key that signed, when it is signed.
    pub key: Option<String>,
    /// `golive.toml` pins the role's keys: only a GO signed by one of them counts.
    pub pinned: bool,
    /// The word is a GO that counts (see [`crate::decision::ApprovalStatus::is_go`]).
    pub counts: bool,
}

#[derive(Debug, Serialize)]
pub struct InstanceView<'a> {
    pub name: &'a str,
    pub section: &'a str,
    pub kind: &'a str,
    pub started: &'a str,
    pub by: &'a str,
    /// `closed` once every step is done.
    pub state: &'static str,
    pub closed: Option<&'a str>,
    /// Start to last step, in seconds, once closed.
    pub duration_s: Option<i64>,
    /// Steps in the order they were done, then the ones still open in file order.
    pub steps: Vec<StepView<'a>>,
    pub approvals: Vec<ApprovalView<'a>>,
    pub decision: &'static str,
    pub reasons: Vec<String>,
}

/// The items a runbook instance's steps are.
pub fn steps_of<'a>(checklist: &'a Checklist, section: &str) -> Vec<&'a Item> {
    let wanted = heading_key(section);
    checklist
        .items
        .iter()
        .filter(|item| {
            item.runbook
                .as_ref()
                .is_some_and(|r| heading_key(&r.heading) == wanted)
        })
        .collect()
}

/// What an instance's approvals are judged with: the key its approvals were signed for (the
/// checklist's) and the keys `golive.toml` pins to roles.
#[derive(Debug, Clone, Copy)]
pub struct Keys<'a> {
    pub checklist: &'a str,
    pub pins: &'a Pins,
}

pub fn instance_view<'a>(
    checklist: &'a Checklist,
    instance: &'a Instance,
    keys: Keys<'_>,
) -> InstanceView<'a> {
    let items = steps_of(checklist, &instance.section);
    let start = instant(&instance.started);
    let mut steps: Vec<StepView<'a>> = items
        .iter()
        .map(|item| {
            let record = instance.steps.get(&item.id).filter(|r| r.done);
            StepView {
                id: &item.id,
                title: &item.title,
                done: record.is_some(),
                at: record.map(|r| r.at.as_str()),
                by: record.map(|r| r.by.as_str()),
                after_start_s: record
                    .and_then(|r| instant(&r.at))
                    .zip(start)
                    .map(|(at, start)| (at - start).num_seconds()),
            }
        })
        .collect();
    steps.sort_by_key(|step| (!step.done, step.at.map(str::to_string)));
    let required: Vec<&str> = items
        .first()
        .and_then(|item| item.runbook.as_ref())
        .map(|r| r.approvals.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let latest = instance.latest_approvals();
    let mut approvals: Vec<ApprovalView<'a>> = Vec::new();
    let mut reasons = Vec::new();
    for role in &required {
        let word = latest.get(&role_key(role)).copied();
        // Judged as the go-live's approvals are: one rule for signatures and pinned keys.
        let (status, reason) =
            decision::instance_approval(keys.checklist, &instance.name, role, word, keys.pins);
        approvals.push(ApprovalView {
            role,
            decision: match word {
                Some(a) if a.go => "go",
                Some(_) => "no-go",
                None => "pending",
            },
            by: word.map(|a| a.by.as_str()),
            at: word.map(|a| a.at.as_str()),
            comment: word.and_then(|a| a.comment.as_deref()),
            signature: status.signature,
            key: status.key.map(|key| key.to_string()),
            pinned: status.pinned,
            counts: status.is_go(),
        });
        if let Some(reason) = reason {
            reasons.push(match reason.event {
                Some(seq) => format!("{} (event {seq})", reason.message),
                None => reason.message,
            });
        }
    }
    let open = steps.iter().filter(|s| !s.done).count();
    if open > 0 {
        reasons.insert(0, format!("{} of {} steps still open", open, steps.len()));
    }
    if items.is_empty() {
        reasons.push(format!(
            "the checklist has no runbook section `{}` any more",
            instance.section
        ));
    }
    let closed = if open == 0 && !steps.is_empty() {
        steps.iter().filter_map(|s| s.at).max()
    } else {
        None
    };
    InstanceView {
        name: &instance.name,
        section: &instance.section,
        kind: &instance.kind,
        started: &instance.started,
        by: &instance.by,
        state: if closed.is_some() { "closed" } else { "open" },
        closed,
        duration_s: closed
            .and_then(instant)
            .zip(start)
            .map(|(end, start)| (end - start).num_seconds()),
        steps,
        approvals,
        decision: if reasons.is_empty() { "GO" } else { "NO-GO" },
        reasons,
    }
}

#[derive(Debug, Serialize)]
pub struct Pack<'a> {
    pub checklist: &'a str,
    pub title: Option<&'a str>,
    pub since: String,
    pub until: String,
    pub generated: String,
    pub tz: &'static str,
    pub totals: Counts,
    pub items: Vec<PackItem<'a>>,
    pub instances: Vec<InstanceView<'a>>,
    pub audit: &'a Verification,
}

pub struct PackRequest<'a> {
    pub key: &'a str,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub tz: Tz,
    pub instance: Option<&'a str>,
    pub pins: &'a Pins,
}

pub fn pack<'a>(
    checklist: &'a Checklist,
    recurring: &'a Recurring,
    audit: &'a Verification,
    request: &PackRequest<'a>,
) -> Pack<'a> {
    let mut totals = Counts::default();
    let mut items = Vec::new();
    for item in checklist
        .items
        .iter()
        .filter(|_| request.instance.is_none())
    {
        let Some(recurrence) = &item.recurrence else {
            continue;
        };
        let records = recurring.periods.get(&item.id);
        let mut counts = Counts::default();
        let periods: Vec<PeriodRow<'a>> = recurrence
            .periods(request.since, request.until, request.tz, MAX_PERIODS)
            .into_iter()
            // Periods that begin in the window: an auditor's month is not charged with the
            // week that ended on its first day.
            .filter(|period| period.start >= request.since)
            .map(|period| {
                let record = records.and_then(|r| r.get(&period.key));
                let state = match record {
                    Some(r) if r.at.as_str() > stamp(period.due).as_str() => PeriodState::Late,
                    Some(_) => PeriodState::Done,
                    None if period.end <= request.now => PeriodState::Missed,
                    None => PeriodState::Open,
                };
                counts.add(state);
                totals.add(state);
                PeriodRow {
                    period: period.key,
                    start: stamp(period.start),
                    due: stamp(period.due),
                    state,
                    record,
                }
            })
            .collect();
        items.push(PackItem {
            id: &item.id,
            title: &item.title,
            section: checklist.section_path(item),
            owner: item.owner.as_deref(),
            recurrence,
            counts,
            periods,
        });
    }
    let since = stamp(request.since);
    let until = stamp(request.until);
    let instances = recurring
        .instances
        .values()
        .filter(|instance| match request.instance {
            Some(name) => instance.name == name,
            None => instance.started >= since && instance.started < until,
        })
        .map(|instance| {
            let keys = Keys {
                checklist: request.key,
                pins: request.pins,
            };
            instance_view(checklist, instance, keys)
        })
        .collect();
    Pack {
        checklist: request.key,
        title: checklist.title.as_deref(),
        since,
        until,
        generated: stamp(request.now),
        tz: request.tz.name(),
        totals,
        items,
        instances,
        audit,
    }
}
