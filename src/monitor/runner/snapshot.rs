//! The runner's snapshot: the state copied into what `/metrics`, `/api/status` and the
//! status page serve.

use chrono::{DateTime, Utc};

use super::{Live, State, stamp};
use crate::expr::Value;
use crate::monitor::alert::Silence;
use crate::monitor::hypercare::{Hypercare, hypercare};
use crate::monitor::level::Level;
use crate::monitor::status::{IncidentStatus, MonitorStatus, TriggerStatus};

impl State {
    /// Updates one monitor's entry of the snapshot, so what is served never lags behind an
    /// alert that was sent.
    pub(super) fn publish_one(&self, index: usize, now: DateTime<Utc>) {
        let Some(live) = self.monitors.get(index) else {
            return;
        };
        let status = monitor_status(live, &self.silences, now);
        let mut shot = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = shot.monitors.get_mut(index) {
            *slot = status;
            shot.recount();
        }
    }

    pub(super) fn hypercare(&self, now: DateTime<Utc>) -> Option<Hypercare> {
        hypercare(&self.checklist, self.went_live.as_deref(), now)
    }

    /// Copies the state into the snapshot the server reads.
    pub(super) fn publish(&self, now: DateTime<Utc>) {
        let monitors = self
            .monitors
            .iter()
            .map(|live| monitor_status(live, &self.silences, now))
            .collect();
        let triggers = self
            .triggers
            .iter()
            .map(|t| TriggerStatus {
                name: t.trigger.name.clone(),
                criterion: t.trigger.criterion.clone(),
                monitor: self
                    .monitors
                    .get(t.trigger.monitor)
                    .map(|m| m.monitor.name().to_string())
                    .unwrap_or_default(),
                when: t.trigger.when.iter().map(ToString::to_string).collect(),
                holding: t.holding,
                action: t.trigger.action.clone(),
            })
            .collect();
        let mut shot = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
        shot.generated_at = stamp(now);
        shot.monitors = monitors;
        shot.triggers = triggers;
        shot.unmonitored = self.unmonitored.clone();
        shot.hypercare = self.hypercare(now);
        shot.notifiers = self.notifier_stats.clone();
        shot.recount();
    }
}

fn monitor_status(live: &Live, silences: &[Silence], now: DateTime<Utc>) -> MonitorStatus {
    let monitor = &live.monitor;
    let (last_run, reasons, duration_ms, observed, target) = match &live.last {
        Some((at, judgement, result)) => {
            let observed = result
                .outcome
                .observed
                .iter()
                .filter_map(|(name, value)| {
                    let number = match value {
                        Value::Number(n) | Value::Percent(n) => *n,
                        Value::Duration(d) => d.as_secs_f64(),
                        Value::Bytes(b) => *b as f64,
                        Value::Bool(b) => f64::from(u8::from(*b)),
                        _ => return None,
                    };
                    number.is_finite().then(|| (name.to_string(), number))
                })
                .collect();
            (
                Some(stamp(*at)),
                judgement.reasons.clone(),
                Some(result.duration.as_secs_f64() * 1000.0),
                observed,
                result.target.clone(),
            )
        }
        None => (
            None,
            Vec::new(),
            None,
            Default::default(),
            monitor.check.spec.target(),
        ),
    };
    MonitorStatus {
        name: monitor.name().to_string(),
        items: monitor.check.items.clone(),
        probe: monitor.check.spec.name().to_string(),
        target,
        schedule: monitor.schedule.to_string(),
        level: live.tracker.level(),
        since: stamp(live.tracker.since()),
        reasons: if live.tracker.level() == Level::Ok {
            Vec::new()
        } else {
            reasons
        },
        last_run,
        duration_ms,
        observed,
        warn: monitor.warn.iter().map(ToString::to_string).collect(),
        crit: monitor.crit.iter().map(ToString::to_string).collect(),
        threshold: monitor
            .threshold
            .as_ref()
            .map(|t| format!("{} (line {})", t.name, t.line)),
        incident: live.incident.as_ref().map(|i| IncidentStatus {
            id: i.seq.to_string(),
            level: i.level,
            started_at: i.started_at.clone(),
        }),
        silenced_until: silences
            .iter()
            .find(|s| s.covers(monitor.name(), now))
            .map(|s| stamp(s.until)),
        runs: live.runs,
        failures: live.failures,
    }
}
