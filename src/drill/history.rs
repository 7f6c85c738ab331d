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
}

fn millis(observed: &Observations, metric: &str) -> Option<u64> {
    match observed.get(metric) {
        Some(Value::Duration(duration)) => Some(duration.as_millis() as u64),
        _ => None,
    }
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
        }
    }

    /// `RTO MET 2.1s < 30m`, `RPO MISSED 2h >= 1h`, `RTO UNKNOWN (objective 30m)`.
    pub fn objectives(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (name, value, objective) in [
            ("RTO", self.rto_ms, self.rto_objective_ms),
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
        }
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
