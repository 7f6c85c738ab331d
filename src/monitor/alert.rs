//! Alerts: what to tell people when a monitor's confirmed level changes, and what the audit
//! log says was already told. Pure: the runner hands in changes, times and events.
//!
//! - An incident opens when a monitor becomes WARN or CRIT, changes level while open (one
//!   notice per change), and resolves when the monitor is OK again. UNKNOWN neither opens
//!   nor resolves one.
//! - A notice is decided once, recorded as an `alert` event, then delivered; each delivery is
//!   a `delivery` event. After a restart, the fold of those events ([`History`]) restores
//!   every level and open incident, so nothing is alerted twice, and a notice that was
//!   recorded but never delivered (the process died in between) is delivered then.
//! - While a silence covers a monitor its notices are recorded, not sent; an incident that
//!   opened under a silence is sent when the silence ends, if still open. A resolution is
//!   sent only for an incident whose opening was sent.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value as Json, json};

use super::level::{Change, Level};
use super::notify::Notice;
use crate::store::event::{Event, Kind};

/// An open incident of one monitor.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// Seq of the `alert` event that opened it: its identity, also across restarts.
    pub seq: i64,
    pub level: Level,
    pub started_at: String,
    /// When a notice of it last went out (or was decided, when silenced).
    pub last_notice: DateTime<Utc>,
    /// Whether any notice of it was sent (not silenced).
    pub notified: bool,
}

/// `golive silence`: no notices for `monitor` (or `*`) until `until`.
#[derive(Debug, Clone, PartialEq)]
pub struct Silence {
    pub monitor: String,
    pub until: DateTime<Utc>,
    pub reason: String,
    pub by: String,
}

impl Silence {
    pub fn covers(&self, monitor: &str, now: DateTime<Utc>) -> bool {
        (self.monitor == monitor || self.monitor == "*") && now < self.until
    }
}

/// What a change means for the monitor's incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Open,
    Change,
    Resolve,
    Nothing,
}

pub fn step(incident: Option<&Incident>, change: Change) -> Step {
    match (incident, change.to) {
        (None, level) if level.is_alerting() => Step::Open,
        (Some(open), level) if level.is_alerting() && level != open.level => Step::Change,
        (Some(_), Level::Ok) => Step::Resolve,
        _ => Step::Nothing,
    }
}

/// Whether an open incident's notice is due again: never sent yet (it opened under a
/// silence that has ended), or `repeat` has passed since the last one.
pub fn repeat_due(incident: &Incident, repeat: Duration, now: DateTime<Utc>) -> bool {
    if !incident.notified {
        return true;
    }
    if repeat.is_zero() {
        return false;
    }
    chrono::Duration::from_std(repeat)
        .map(|repeat| now - incident.last_notice >= repeat)
        .unwrap_or(false)
}

/// The alert event's payload, before the store gives it a seq.
#[derive(Debug, Clone)]
pub struct Draft {
    pub monitor: String,
    pub incident: Option<i64>,
    pub state: &'static str,
    pub level: Level,
    pub previous: Level,
    pub summary: String,
    pub reasons: Vec<String>,
    pub target: String,
    pub started_at: String,
    pub at: String,
    pub criterion: Option<String>,
    pub repeat: bool,
    pub silenced: bool,
    pub notifiers: Vec<String>,
}

impl Draft {
    pub fn payload(&self) -> Json {
        json!({
            "monitor": self.monitor,
            "incident": self.incident,
            "state": self.state,
            "level": self.level,
            "previous": self.previous,
            "summary": self.summary,
            "reasons": self.reasons,
            "target": self.target,
            "started_at": self.started_at,
            "at": self.at,
            "criterion": self.criterion,
            "repeat": self.repeat,
            "silenced": self.silenced,
            "notifiers": self.notifiers,
        })
    }
}

/// The notice an `alert` event stands for, and the notifiers it is for.
pub fn notice(event: &Event) -> Option<(Notice, Vec<String>, bool)> {
    let payload = &event.payload;
    let text = |key: &str| payload.get(key).and_then(Json::as_str).map(str::to_string);
    let level = |key: &str| text(key).as_deref().and_then(Level::parse);
    let incident = payload
        .get("incident")
        .and_then(Json::as_i64)
        .unwrap_or(event.seq);
    let monitor = text("monitor")?;
    let state = match text("state")?.as_str() {
        "firing" => "firing",
        "resolved" => "resolved",
        _ => return None,
    };
    let strings = |key: &str| -> Vec<String> {
        payload
            .get(key)
            .and_then(Json::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let notice = Notice {
        incident: incident_key(&event.checklist, &monitor, incident),
        checklist: event.checklist.clone(),
        monitor,
        state,
        level: level("level")?,
        previous: level("previous").unwrap_or(Level::Unknown),
        summary: text("summary").unwrap_or_default(),
        reasons: strings("reasons"),
        target: text("target").unwrap_or_default(),
        started_at: text("started_at").unwrap_or_else(|| event.at.clone()),
        at: text("at").unwrap_or_else(|| event.at.clone()),
        criterion: text("criterion"),
        repeat: payload
            .get("repeat")
            .and_then(Json::as_bool)
            .unwrap_or(false),
        alert: event.seq,
    };
    let silenced = payload
        .get("silenced")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    Some((notice, strings("notifiers"), silenced))
}

/// The incident's identity for receivers: `golive/launch.md/api/42`.
pub fn incident_key(checklist: &str, monitor: &str, seq: i64) -> String {
    format!("golive/{checklist}/{monitor}/{seq}")
}

/// What the audit log says about a checklist's monitors.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Each monitor's last confirmed level and since when.
    pub levels: HashMap<String, (Level, DateTime<Utc>)>,
    pub incidents: HashMap<String, Incident>,
    pub silences: Vec<Silence>,
    /// Notices recorded but not delivered to some of their notifiers: (notice, notifiers).
    pub undelivered: Vec<(Notice, Vec<String>)>,
    /// The last event folded, to poll for newer ones.
    pub last_seq: i64,
}

pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl History {
    /// Folds the checklist's monitor events, in `seq` order.
    pub fn from_events(events: &[Event]) -> History {
        let mut history = History::default();
        // Latest notice of each incident, and deliveries per alert seq.
        let mut latest: HashMap<i64, (Notice, Vec<String>, bool)> = HashMap::new();
        let mut delivered: HashMap<i64, HashSet<String>> = HashMap::new();
        for event in events {
            history.last_seq = history.last_seq.max(event.seq);
            let at = parse_time(&event.at).unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
            match event.kind() {
                Some(Kind::Transition) => {
                    let payload = &event.payload;
                    if let (Some(monitor), Some(level)) = (
                        payload.get("monitor").and_then(Json::as_str),
                        payload
                            .get("to")
                            .and_then(Json::as_str)
                            .and_then(Level::parse),
                    ) {
                        history.levels.insert(monitor.to_string(), (level, at));
                    }
                }
                Some(Kind::Alert) => {
                    let Some((notice, notifiers, silenced)) = notice(event) else {
                        continue;
                    };
                    let incident = event
                        .payload
                        .get("incident")
                        .and_then(Json::as_i64)
                        .unwrap_or(event.seq);
                    if notice.is_resolved() {
                        history.incidents.remove(&notice.monitor);
                    } else {
                        let entry =
                            history
                                .incidents
                                .entry(notice.monitor.clone())
                                .or_insert(Incident {
                                    seq: incident,
                                    level: notice.level,
                                    started_at: notice.started_at.clone(),
                                    last_notice: at,
                                    notified: false,
                                });
                        entry.level = notice.level;
                        entry.last_notice = at;
                        entry.notified |= !silenced;
                    }
                    latest.insert(incident, (notice, notifiers, silenced));
                }
                Some(Kind::Delivery) => {
                    let payload = &event.payload;
                    if let (Some(alert), Some(notifier)) = (
                        payload.get("alert").and_then(Json::as_i64),
                        payload.get("notifier").and_then(Json::as_str),
                    ) {
                        // A failed delivery was retried as configured and given up on: it is
                        // settled too, or a receiver that is down would be retried forever.
                        delivered
                            .entry(alert)
                            .or_default()
                            .insert(notifier.to_string());
                    }
                }
                Some(Kind::Silence) => {
                    let payload = &event.payload;
                    let text =
                        |key: &str| payload.get(key).and_then(Json::as_str).map(str::to_string);
                    if let (Some(monitor), Some(until)) = (
                        text("monitor"),
                        text("until").as_deref().and_then(parse_time),
                    ) {
                        history.silences.retain(|s| s.monitor != monitor);
                        history.silences.push(Silence {
                            monitor,
                            until,
                            reason: text("reason").unwrap_or_default(),
                            by: event.actor.clone(),
                        });
                    }
                }
                _ => {}
            }
        }
        let mut pending: Vec<(Notice, Vec<String>)> = latest
            .into_values()
            .filter(|(_, _, silenced)| !silenced)
            .filter_map(|(notice, notifiers, _)| {
                let done = delivered.get(&notice.alert);
                let missing: Vec<String> = notifiers
                    .into_iter()
                    .filter(|name| done.is_none_or(|done| !done.contains(name)))
                    .collect();
                (!missing.is_empty()).then_some((notice, missing))
            })
            .collect();
        pending.sort_by_key(|(notice, _)| notice.alert);
        history.undelivered = pending;
        history
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::event::GENESIS;

    fn event(seq: i64, kind: Kind, payload: Json) -> Event {
        Event {
            seq,
            at: format!("2026-01-01T00:00:{seq:02}Z"),
            checklist: "c.md".into(),
            kind: kind.as_str().into(),
            item: None,
            actor: "watch".into(),
            payload,
            prev_hash: GENESIS.into(),
            hash: String::new(),
        }
    }

    fn alert(seq: i64, incident: Option<i64>, state: &str, level: &str) -> Event {
        event(
            seq,
            Kind::Alert,
            json!({"monitor": "api", "incident": incident, "state": state, "level": level,
                   "previous": "ok", "summary": "api is CRIT", "notifiers": ["hook", "mail"],
                   "silenced": false}),
        )
    }

    fn delivery(seq: i64, alert: i64, notifier: &str) -> Event {
        event(
            seq,
            Kind::Delivery,
            json!({"alert": alert, "notifier": notifier, "ok": true}),
        )
    }

    #[test]
    fn steps_follow_incidents() {
        let change = |from, to| Change { from, to };
        let open = Incident {
            seq: 1,
            level: Level::Warn,
            started_at: String::new(),
            last_notice: DateTime::<Utc>::UNIX_EPOCH,
            notified: true,
        };
        assert_eq!(step(None, change(Level::Ok, Level::Crit)), Step::Open);
        assert_eq!(step(None, change(Level::Crit, Level::Ok)), Step::Nothing);
        assert_eq!(
            step(Some(&open), change(Level::Warn, Level::Crit)),
            Step::Change
        );
        assert_eq!(
            step(Some(&open), change(Level::Crit, Level::Ok)),
            Step::Resolve
        );
        assert_eq!(
            step(Some(&open), change(Level::Warn, Level::Unknown)),
            Step::Nothing
        );
        let now = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::hours(5);
        assert!(repeat_due(&open, Duration::from_secs(4 * 3600), now));
        assert!(!repeat_due(&open, Duration::from_secs(6 * 3600), now));
        assert!(!repeat_due(&open, Duration::ZERO, now));
        let unsent = Incident {
            notified: false,
            ..open
        };
        assert!(repeat_due(&unsent, Duration::ZERO, now));
    }

    #[test]
    fn history_restores_incidents_and_finds_what_was_not_delivered() {
        let events = vec![
            event(
                1,
                Kind::Transition,
                json!({"monitor": "api", "from": "ok", "to": "crit"}),
            ),
            alert(2, None, "firing", "crit"),
            delivery(3, 2, "hook"),
            // Killed here: `mail` never got the opening notice.
        ];
        let history = History::from_events(&events);
        assert_eq!(history.levels["api"].0, Level::Crit);
        assert_eq!(history.incidents["api"].seq, 2);
        assert_eq!(history.undelivered.len(), 1);
        assert_eq!(history.undelivered[0].1, ["mail"]);
        assert_eq!(history.undelivered[0].0.incident, "golive/c.md/api/2");
        let mut events = events;
        events.push(delivery(4, 2, "mail"));
        events.push(alert(5, Some(2), "resolved", "ok"));
        events.push(delivery(6, 5, "hook"));
        events.push(delivery(7, 5, "mail"));
        let history = History::from_events(&events);
        assert!(history.incidents.is_empty());
        assert!(history.undelivered.is_empty());
        assert_eq!(history.last_seq, 7);
    }

    #[test]
    fn silences_cover_their_monitor_until_they_end() {
        let events = vec![event(
            1,
            Kind::Silence,
            json!({"monitor": "api", "until": "2026-01-01T02:00:00Z", "reason": "maintenance"}),
        )];
        let history = History::from_events(&events);
        let silence = &history.silences[0];
        let at = |h: u32| parse_time(&format!("2026-01-01T0{h}:00:00Z")).expect("time");
        assert!(silence.covers("api", at(1)));
        assert!(!silence.covers("api", at(2)));
        assert!(!silence.covers("db", at(1)));
    }
}
