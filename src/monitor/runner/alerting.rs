//! The runner's alerting: incidents recorded as alert events, notices handed to one delivery
//! task per notifier, repeats of open incidents, and silences read back from the audit log.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::mpsc;

use super::{ACTOR, Delivered, State, stamp};
use crate::monitor::alert::{self, Draft, History, Incident, Step};
use crate::monitor::level::Level;
use crate::monitor::notify::{Notice, Notifier};
use crate::monitor::status::NotifierStatus;
use crate::store::event::{Kind, NewEvent};

impl State {
    pub(super) fn start_notifiers(&mut self, notifiers: Vec<Notifier>) {
        self.notifiers.clear();
        let stats: HashMap<String, NotifierStatus> = self
            .notifier_stats
            .drain(..)
            .map(|s| (s.name.clone(), s))
            .collect();
        for notifier in notifiers {
            let (tx, mut rx) = mpsc::channel::<Notice>(256);
            let store = self.store.clone();
            let client = self.client.clone();
            let done = self.delivered_tx.clone();
            let key = self.key.clone();
            let log = Arc::clone(&self.log);
            self.notifier_stats
                .push(
                    stats
                        .get(&notifier.name)
                        .cloned()
                        .unwrap_or(NotifierStatus {
                            name: notifier.name.clone(),
                            kind: notifier.kind_name().to_string(),
                            ..NotifierStatus::default()
                        }),
                );
            self.notifiers.insert(notifier.name.clone(), tx);
            tokio::spawn(async move {
                while let Some(notice) = rx.recv().await {
                    let (attempts, outcome) = notifier.deliver(&client, &notice).await;
                    if let Err(error) = &outcome {
                        log.as_ref()(&format!(
                            "notifier `{}` gave up on `{}` after {attempts} attempts: {error}",
                            notifier.name, notice.summary
                        ));
                    }
                    let event = NewEvent {
                        checklist: key.clone(),
                        kind: Kind::Delivery,
                        item: None,
                        actor: ACTOR.into(),
                        payload: json!({
                            "alert": notice.alert,
                            "incident": notice.incident,
                            "notifier": notifier.name,
                            "ok": outcome.is_ok(),
                            "error": outcome.as_ref().err(),
                            "attempts": attempts,
                        }),
                    };
                    if let Err(error) = store.append(vec![event]).await {
                        log.as_ref()(&format!("cannot record a delivery: {error}"));
                    }
                    let _ = done.send(Delivered {
                        notifier: notifier.name.clone(),
                        ok: outcome,
                    });
                }
            });
        }
    }

    pub(super) fn count_delivery(&mut self, done: Delivered) {
        if let Some(stats) = self
            .notifier_stats
            .iter_mut()
            .find(|s| s.name == done.notifier)
        {
            match done.ok {
                Ok(()) => stats.delivered += 1,
                Err(error) => {
                    stats.failed += 1;
                    stats.last_error = Some(error);
                }
            }
        }
    }

    /// Records an alert event for `step` and sends it unless silenced. Returns the incident
    /// as it stands afterwards.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn alert(
        &mut self,
        monitor: &str,
        step: Step,
        incident: Option<Incident>,
        previous: Level,
        level: Level,
        summary: String,
        reasons: Vec<String>,
        target: String,
        criterion: Option<String>,
        notifiers: Vec<String>,
        at: DateTime<Utc>,
    ) -> Option<Incident> {
        if step == Step::Nothing {
            return incident;
        }
        let silenced = self.silences.iter().any(|s| s.covers(monitor, at));
        // A resolution is only news to those who were told of the incident.
        let send =
            !silenced && (step != Step::Resolve || incident.as_ref().is_some_and(|i| i.notified));
        let started_at = incident
            .as_ref()
            .map_or_else(|| stamp(at), |i| i.started_at.clone());
        let draft = Draft {
            monitor: monitor.to_string(),
            incident: incident.as_ref().map(|i| i.seq),
            state: if step == Step::Resolve {
                "resolved"
            } else {
                "firing"
            },
            level,
            previous,
            summary,
            reasons,
            target,
            started_at: started_at.clone(),
            at: stamp(at),
            criterion,
            repeat: false,
            silenced: !send,
            notifiers: notifiers.clone(),
        };
        let Some(seq) = self.record(Kind::Alert, draft.payload()).await else {
            return incident;
        };
        if send {
            let event_notice = self.notice_of(&draft, seq);
            self.dispatch(&event_notice, &notifiers).await;
        }
        match step {
            Step::Resolve => None,
            Step::Open => Some(Incident {
                seq,
                level,
                started_at,
                last_notice: at,
                notified: send,
            }),
            Step::Change | Step::Nothing => incident.map(|i| Incident {
                level,
                last_notice: at,
                notified: i.notified || send,
                ..i
            }),
        }
    }

    pub(super) fn notice_of(&self, draft: &Draft, seq: i64) -> Notice {
        let incident = draft.incident.unwrap_or(seq);
        Notice {
            checklist: self.key.clone(),
            monitor: draft.monitor.clone(),
            incident: alert::incident_key(&self.key, &draft.monitor, incident),
            state: draft.state,
            level: draft.level,
            previous: draft.previous,
            summary: draft.summary.clone(),
            reasons: draft.reasons.clone(),
            target: draft.target.clone(),
            started_at: draft.started_at.clone(),
            at: draft.at.clone(),
            criterion: draft.criterion.clone(),
            repeat: draft.repeat,
            alert: seq,
        }
    }

    pub(super) async fn dispatch(&mut self, notice: &Notice, notifiers: &[String]) {
        for name in notifiers {
            let Some(queue) = self.notifiers.get(name) else {
                continue;
            };
            if queue.try_send(notice.clone()).is_err() {
                // The receiver is so far behind that 256 notices wait: record the loss rather
                // than hold up every monitor.
                let payload = json!({"alert": notice.alert, "incident": notice.incident, "notifier": name, "ok": false, "error": "delivery queue full", "attempts": 0});
                self.record(Kind::Delivery, payload).await;
                let _ = self.delivered_tx.send(Delivered {
                    notifier: name.clone(),
                    ok: Err("delivery queue full".into()),
                });
            }
        }
    }

    pub(super) async fn record(&mut self, kind: Kind, payload: serde_json::Value) -> Option<i64> {
        let event = NewEvent {
            checklist: self.key.clone(),
            kind,
            item: None,
            actor: ACTOR.into(),
            payload,
        };
        match self.store.append(vec![event]).await {
            Ok(stored) => stored.last().map(|event| event.seq),
            Err(error) => {
                (self.log)(&format!("cannot record a {} event: {error}", kind.as_str()));
                None
            }
        }
    }

    /// Open incidents whose notice is due again (repeat interval, or a silence that ended).
    pub(super) async fn repeats(&mut self, now: DateTime<Utc>) {
        for index in 0..self.monitors.len() {
            let live = &self.monitors[index];
            let Some(incident) = live.incident.clone() else {
                continue;
            };
            let name = live.monitor.name().to_string();
            if self.silences.iter().any(|s| s.covers(&name, now))
                || !alert::repeat_due(&incident, live.monitor.repeat, now)
            {
                continue;
            }
            let reasons = live
                .last
                .as_ref()
                .map(|(_, j, _)| j.reasons.clone())
                .unwrap_or_default();
            let target = live
                .last
                .as_ref()
                .map(|(_, _, r)| r.target.clone())
                .unwrap_or_default();
            let draft = Draft {
                monitor: name.clone(),
                incident: Some(incident.seq),
                state: "firing",
                level: incident.level,
                previous: incident.level,
                summary: format!(
                    "{name} is still {}: {}",
                    incident.level,
                    reasons.first().cloned().unwrap_or_default()
                ),
                reasons,
                target,
                started_at: incident.started_at.clone(),
                at: stamp(now),
                criterion: None,
                repeat: incident.notified,
                silenced: false,
                notifiers: live.monitor.notifiers.clone(),
            };
            let notifiers = draft.notifiers.clone();
            if let Some(seq) = self.record(Kind::Alert, draft.payload()).await {
                let notice = self.notice_of(&draft, seq);
                self.dispatch(&notice, &notifiers).await;
                self.monitors[index].incident = Some(Incident {
                    last_notice: now,
                    notified: true,
                    ..incident
                });
            }
        }
    }

    pub(super) async fn poll_silences(&mut self) {
        match self
            .store
            .events_after(&self.key, &[Kind::Silence], self.last_seq)
            .await
        {
            Ok(events) => {
                for event in &events {
                    self.last_seq = self.last_seq.max(event.seq);
                }
                let found = History::from_events(&events);
                for silence in found.silences {
                    (self.log)(&format!(
                        "silenced `{}` until {} by {}: {}",
                        silence.monitor,
                        stamp(silence.until),
                        silence.by,
                        silence.reason
                    ));
                    self.silences.retain(|s| s.monitor != silence.monitor);
                    self.silences.push(silence);
                }
            }
            Err(error) => (self.log)(&format!("cannot read silences: {error}")),
        }
    }
}
