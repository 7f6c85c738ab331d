//! The runner's rollback triggers: a trigger's conditions evaluated after each result of its
//! monitor, an alert when it starts or stops holding, and its action when it starts.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{State, millis};
use crate::expr::{Rule, Verdict};
use crate::monitor::alert;
use crate::monitor::level::{Change, Level};
use crate::monitor::trigger::{ActionContext, run_action};
use crate::store::event::Kind;

impl State {
    pub(super) async fn evaluate_triggers(
        &mut self,
        monitor: usize,
        at: DateTime<Utc>,
        target: &str,
    ) {
        for index in 0..self.triggers.len() {
            if self.triggers[index].trigger.monitor != monitor {
                continue;
            }
            let Some(live) = self.monitors.get(monitor) else {
                return;
            };
            let Some((_, _, result)) = &live.last else {
                continue;
            };
            let trigger = &self.triggers[index].trigger;
            let holds = trigger.when.iter().all(|rule| match rule {
                Rule::Sample(condition) => {
                    condition.evaluate(&result.outcome.observed) == Verdict::Pass
                }
                Rule::Windowed(windowed) => live
                    .window
                    .aggregate(windowed, millis(at))
                    .is_some_and(|value| windowed.check(&value).is_pass()),
            });
            let was = self.triggers[index].holding;
            if holds == was {
                continue;
            }
            self.triggers[index].holding = holds;
            let trigger = self.triggers[index].trigger.clone();
            let pseudo = format!("trigger:{}", trigger.name);
            let (from, to) = if holds {
                (Level::Ok, Level::Crit)
            } else {
                (Level::Crit, Level::Ok)
            };
            (self.log)(&format!(
                "trigger `{}` {}: {}",
                trigger.name,
                if holds { "holds" } else { "no longer holds" },
                trigger.criterion
            ));
            self.record(
                Kind::Transition,
                json!({"monitor": pseudo, "from": from, "to": to, "reasons": [trigger.criterion]}),
            )
            .await;
            let incident = self.triggers[index].incident.clone();
            let step = alert::step(incident.as_ref(), Change { from, to });
            let conditions: Vec<String> = trigger.when.iter().map(ToString::to_string).collect();
            let summary = if holds {
                format!(
                    "rollback criterion holds: {} ({})",
                    trigger.criterion,
                    conditions.join(" and ")
                )
            } else {
                format!("rollback criterion no longer holds: {}", trigger.criterion)
            };
            let incident = self
                .alert(
                    &pseudo,
                    step,
                    incident,
                    from,
                    to,
                    summary,
                    conditions,
                    target.to_string(),
                    Some(trigger.criterion.clone()),
                    trigger.notifiers.clone(),
                    at,
                )
                .await;
            self.triggers[index].incident = incident;
            if holds && let Some(action) = &trigger.action {
                run_action(
                    &trigger,
                    action.clone(),
                    ActionContext {
                        base: self.base.clone(),
                        store: self.store.clone(),
                        checklist: self.key.clone(),
                        log: Arc::clone(&self.log),
                    },
                );
            }
        }
    }
}
