//! The live picture `watch` serves: one [`Snapshot`] the runner updates as results come in,
//! read by `/api/status`, `/metrics` and the status page. Its JSON is a public schema
//! (README, "`/api/status`"): fields are added, never renamed or removed.

use std::collections::BTreeMap;

use serde::Serialize;

use super::hypercare::Hypercare;
use super::level::Level;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Snapshot {
    pub checklist: String,
    pub started_at: String,
    pub generated_at: String,
    pub summary: Summary,
    pub monitors: Vec<MonitorStatus>,
    pub triggers: Vec<TriggerStatus>,
    /// Threshold rows of the checklist that no monitor measures.
    pub unmonitored: Vec<Unmonitored>,
    pub hypercare: Option<Hypercare>,
    /// Per notifier: notices delivered and given up on since start.
    pub notifiers: Vec<NotifierStatus>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub ok: usize,
    pub warn: usize,
    pub crit: usize,
    pub unknown: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct MonitorStatus {
    pub name: String,
    pub items: Vec<String>,
    pub probe: String,
    pub target: String,
    /// `every 30s` or `cron `*/5 * * * *``.
    pub schedule: String,
    pub level: Level,
    pub since: String,
    /// Why the level is not OK (empty when OK).
    pub reasons: Vec<String>,
    pub last_run: Option<String>,
    pub duration_ms: Option<f64>,
    /// Numeric metrics of the latest result.
    pub observed: BTreeMap<String, f64>,
    pub warn: Vec<String>,
    pub crit: Vec<String>,
    /// The checklist's threshold row its levels come from.
    pub threshold: Option<String>,
    pub incident: Option<IncidentStatus>,
    pub silenced_until: Option<String>,
    pub runs: u64,
    pub failures: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentStatus {
    pub id: String,
    pub level: Level,
    pub started_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TriggerStatus {
    pub name: String,
    pub criterion: String,
    pub monitor: String,
    pub when: Vec<String>,
    pub holding: bool,
    pub action: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unmonitored {
    pub name: String,
    pub line: usize,
    pub warn: Option<String>,
    pub crit: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct NotifierStatus {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub delivered: u64,
    pub failed: u64,
    pub last_error: Option<String>,
}

impl Snapshot {
    pub fn recount(&mut self) {
        let mut summary = Summary::default();
        for monitor in &self.monitors {
            match monitor.level {
                Level::Ok => summary.ok += 1,
                Level::Warn => summary.warn += 1,
                Level::Crit => summary.crit += 1,
                Level::Unknown => summary.unknown += 1,
            }
        }
        self.summary = summary;
    }
}
