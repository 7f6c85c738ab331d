//! Drill events: what each drill proved, as stored in the audit log, and what the history of
//! a drill says (objective MET or MISSED, and restore times trending towards the RTO).

use serde::{Deserialize, Serialize};

use crate::expr::{Observations, Value};

/// The payload of a `drill` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub drill: String,
    /// `backup`, `restore`, `latest`, `catalogue`, or `human` for `drill start/stop`.
    pub action: String,
    /// `verified`, `failed`, `unknown`; for a human drill `met`, `missed` or `started`.
    pub verdict: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_objective_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo_objective_ms: Option<u64>,
    /// What was proven or what failed, one line each.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Human drills: when `drill start` was recorded (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// Human drills: when `drill stop` was recorded (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<String>,
}

/// One drill event as the store holds it: the record, the item it is about, who and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub record: Record,
    pub item: Option<String>,
    pub by: String,
    pub at: String,
    pub seq: i64,
}

fn millis(observed: &Observations, metric: &str) -> Option<u64> {
    match observed.get(metric) {
        Some(Value::Duration(duration)) => Some(duration.as_millis() as u64),
        _ => None,
    }
}

/// The `drill` event of one drill check's result; none for other checks, and none for human
/// drills, whose `start` and `stop` are their events. `check`, `golive drill` and `watch` all
/// record drills through this, so every drill run is in the audit log.
pub fn event(
    checklist: &str,
    who: &str,
    check: &crate::engine::plan::Check,
    result: &crate::engine::run::CheckResult,
) -> Option<crate::store::event::NewEvent> {
    let crate::probe::Spec::Drill(spec) = &check.spec else {
        return None;
    };
    if spec.action == super::Action::Human {
        return None;
    }
    let record = Record::of_result(
        &check.name,
        spec,
        &result.outcome.observed,
        result.outcome.problem.as_deref(),
        &result.failures,
    );
    Some(crate::store::event::NewEvent {
        checklist: checklist.to_owned(),
        kind: crate::store::event::Kind::Drill,
        item: check.items.first().cloned(),
        actor: who.to_owned(),
        payload: serde_json::to_value(&record).ok()?,
    })
}

impl Record {
    /// The record of one drill check's result.
    pub fn of_result(
        drill: &str,
        spec: &super::DrillSpec,
        observed: &Observations,
        problem: Option<&str>,
        failures: &[String],
    ) -> Record {
        let verdict = match observed.get("verdict") {
            Some(Value::Text(text)) => text.clone(),
            _ => "unknown".to_owned(),
        };
        let mut evidence: Vec<String> = Vec::new();
        for metric in [
            "file",
            "scratch",
            "rows_verified",
            "mismatches",
            "size",
            "age",
            "duration",
            "backups",
        ] {
            if let Some(value) = observed.get(metric) {
                evidence.push(format!("{metric} {value}"));
            }
        }
        if let Some(Value::List(lines)) = observed.get("evidence") {
            evidence.extend(lines.iter().map(|line| match line {
                Value::Text(text) => text.clone(),
                other => other.to_string(),
            }));
        } else if let Some(problem) = problem {
            evidence.push(problem.to_owned());
        }
        if let Some(Value::List(lines)) = observed.get("leftovers") {
            evidence.extend(lines.iter().map(ToString::to_string));
        }
        evidence.extend(failures.iter().cloned());
        Record {
            drill: drill.to_owned(),
            action: spec.action.as_str().to_owned(),
            verdict,
            rto_ms: millis(observed, "rto"),
            rto_objective_ms: spec.rto.map(|d| d.as_millis() as u64),
            rpo_ms: millis(observed, "rpo"),
            rpo_objective_ms: spec.rpo.map(|d| d.as_millis() as u64),
            evidence,
            started_at: None,
            stopped_at: None,
        }
    }

    /// A human drill (`drill start`) still waiting for its `drill stop`.
    pub fn is_running(&self) -> bool {
        self.action == "human" && self.verdict == "started"
    }

    /// `RTO MET 2.1s < 30m`, `RPO MISSED 2h >= 1h`, `RTO UNKNOWN (objective 30m)`.
    pub fn objectives(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.is_running() {
            return lines;
        }
        // A drill people time is measured against its own objective, not a recovery time.
        let timed = if self.action == "human" {
            "TIME"
        } else {
            "RTO"
        };
        for (name, value, objective) in [
            (timed, self.rto_ms, self.rto_objective_ms),
            ("RPO", self.rpo_ms, self.rpo_objective_ms),
        ] {
            let shown = |ms: u64| Value::Duration(std::time::Duration::from_millis(ms)).to_string();
            match (value, objective) {
                (Some(value), Some(objective)) if value < objective => lines.push(format!(
                    "{name} MET {} < {}",
                    shown(value),
                    shown(objective)
                )),
                (Some(value), Some(objective)) => lines.push(format!(
                    "{name} MISSED {} >= {}",
                    shown(value),
                    shown(objective)
                )),
                (None, Some(objective)) => lines.push(format!(
                    "{name} UNKNOWN (not proven; objective {})",
                    shown(objective)
                )),
                (Some(value), None) => lines.push(format!("{name} {}", shown(value))),
                (None, None) => {}
            }
        }
        lines
    }
}

/// A warning when the last three restore times are all above 80 % of the RTO objective.
pub fn trend_warning(records: &[&Record]) -> Option<String> {
    let timed: Vec<(u64, u64)> = records
        .iter()
        .filter_map(|record| Some((record.rto_ms?, record.rto_objective_ms?)))
        .collect();
    let last: Vec<&(u64, u64)> = timed.iter().rev().take(3).collect();
    if last.len() < 3
        || !last
            .iter()
            .all(|(rto, objective)| *rto * 10 > *objective * 8)
    {
        return None;
    }
    let shown: Vec<String> = last
        .iter()
        .rev()
        .map(|(rto, objective)| format!("{:.0}%", *rto as f64 * 100.0 / *objective as f64))
        .collect();
    Some(format!(
        "restore times trend towards the RTO: the last three took {} of it",
        shown.join(", ")
    ))
}

/// What the report shows of one drill: its latest word, its history, the trend warning.
#[derive(Debug, Clone, Serialize)]
pub struct Summary<'a> {
    pub drill: &'a str,
    pub action: &'a str,
    /// The latest finished drill (a human drill still running is `running`).
    pub latest: Option<&'a Entry>,
    pub running: Option<&'a Entry>,
    /// `RTO MET 2s < 30m`, … of the latest finished drill.
    pub objectives: Vec<String>,
    /// Every finished drill, oldest first.
    pub history: Vec<&'a Entry>,
    pub warning: Option<String>,
}

/// The drills of `entries` (in `seq` order), in the order they first ran.
pub fn summarise(entries: &[Entry]) -> Vec<Summary<'_>> {
    let mut names: Vec<&str> = Vec::new();
    for entry in entries {
        if !names.contains(&entry.record.drill.as_str()) {
            names.push(&entry.record.drill);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let mine: Vec<&Entry> = entries.iter().filter(|e| e.record.drill == name).collect();
            let history: Vec<&Entry> = mine
                .iter()
                .copied()
                .filter(|e| !e.record.is_running())
                .collect();
            // Running only when the last word is a start: a stop after it closed the drill.
            let running = mine.last().copied().filter(|e| e.record.is_running());
            let latest = history.last().copied();
            let records: Vec<&Record> = history.iter().map(|e| &e.record).collect();
            Summary {
                drill: name,
                action: mine.last().map_or("", |e| e.record.action.as_str()),
                latest,
                running,
                objectives: latest.map(|e| e.record.objectives()).unwrap_or_default(),
                history,
                warning: trend_warning(&records),
            }
        })
        .collect()
}

/// The objective a checklist item states for a drill people run: "Team mobilisée en < 5 min",
/// "restored within 30 minutes", "≤ 1h".
pub fn objective_in_text(text: &str) -> Option<std::time::Duration> {
    static PATTERN: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)(?:<=?|≤|\bunder|\bwithin|\bless than|\bmoins de|\bsous)\s*(\d+(?:[.,]\d+)?)\s*(secondes?|seconds?|secs?|s|minutes?|mins?|mn|m|heures?|hours?|hrs?|h|jours?|days?|j|d)\b",
        )
        .ok()
    });
    let captures = PATTERN.as_ref()?.captures(text)?;
    let number: f64 = captures.get(1)?.as_str().replace(',', ".").parse().ok()?;
    let unit = captures.get(2)?.as_str().to_lowercase();
    let seconds = match unit.chars().next()? {
        's' => 1.0,
        'm' => 60.0,
        'h' => 3600.0,
        _ => 86_400.0,
    };
    let total = number * seconds;
    (total > 0.0 && total.is_finite()).then(|| std::time::Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(rto: u64, objective: u64) -> Record {
        Record {
            drill: "restore".into(),
            action: "restore".into(),
            verdict: "verified".into(),
            rto_ms: Some(rto),
            rto_objective_ms: Some(objective),
            rpo_ms: None,
            rpo_objective_ms: None,
            evidence: Vec::new(),
            started_at: None,
            stopped_at: None,
        }
    }

    #[test]
    fn item_text_states_the_objective() {
        let minutes = |n: u64| Some(std::time::Duration::from_secs(n * 60));
        assert_eq!(
            objective_in_text("Drill P1: Team mobilisée en < 5 min"),
            minutes(5)
        );
        assert_eq!(
            objective_in_text("Database restaurée en <30min"),
            minutes(30)
        );
        assert_eq!(objective_in_text("restored within 2 hours"), minutes(120));
        assert_eq!(objective_in_text("RTO ≤ 1h"), minutes(60));
        assert_eq!(
            objective_in_text("en moins de 90 secondes").map(|d| d.as_secs()),
            Some(90)
        );
        assert_eq!(objective_in_text("Team mobilised quickly"), None);
        assert_eq!(objective_in_text("< 0 min"), None);
    }

    #[test]
    fn a_human_drill_runs_until_it_is_stopped() {
        let entry = |verdict: &str, seq: i64| Entry {
            record: Record {
                drill: "p1".into(),
                action: "human".into(),
                verdict: verdict.into(),
                rto_ms: (verdict != "started").then_some(420_000),
                rto_objective_ms: Some(300_000),
                rpo_ms: None,
                rpo_objective_ms: None,
                evidence: Vec::new(),
                started_at: None,
                stopped_at: None,
            },
            item: None,
            by: "ana".into(),
            at: "2026-12-02T10:00:00.000Z".into(),
            seq,
        };
        let entries = [entry("started", 1), entry("missed", 2), entry("started", 3)];
        let summary = &summarise(&entries)[0];
        assert_eq!(summary.running.map(|e| e.seq), Some(3));
        assert_eq!(summary.latest.map(|e| e.seq), Some(2));
        assert_eq!(summary.objectives, vec!["TIME MISSED 7m >= 5m"]);
        let summary = &summarise(&entries[..2])[0];
        assert!(summary.running.is_none());
    }

    #[test]
    fn warns_when_the_last_three_restores_near_the_objective() {
        let near = [
            record(10, 100),
            record(85, 100),
            record(90, 100),
            record(81, 100),
        ];
        let refs: Vec<&Record> = near.iter().collect();
        assert_eq!(
            trend_warning(&refs).as_deref(),
            Some("restore times trend towards the RTO: the last three took 85%, 90%, 81% of it")
        );
        let fine = [record(85, 100), record(90, 100), record(80, 100)];
        let refs: Vec<&Record> = fine.iter().collect();
        assert_eq!(trend_warning(&refs), None);
        assert_eq!(trend_warning(&refs[..2]), None);
    }

    #[test]
    fn objectives_read_met_missed_or_unknown() {
        assert_eq!(
            record(2_000, 1_800_000).objectives(),
            vec!["RTO MET 2s < 30m"]
        );
        assert_eq!(
            record(1_800_000, 1_800_000).objectives(),
            vec!["RTO MISSED 30m >= 30m"]
        );
        let mut unknown = record(0, 1_800_000);
        unknown.rto_ms = None;
        assert_eq!(
            unknown.objectives(),
            vec!["RTO UNKNOWN (not proven; objective 30m)"]
        );
    }
}
