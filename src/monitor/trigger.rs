//! Running a trigger's action: `sh -c` in the configuration's directory, in the background,
//! its process group killed at the trigger's timeout, its exit code and (capped) output
//! recorded as an `action` event.

use serde_json::json;

use super::config::Trigger;
use super::runner::{ACTOR, Log};
use crate::expr::Value;
use crate::store::Store;
use crate::store::event::{Kind, NewEvent};

pub(super) struct ActionContext {
    pub(super) base: std::path::PathBuf,
    pub(super) store: Store,
    pub(super) checklist: String,
    pub(super) log: Log,
}

/// Runs a trigger's action in the background, bounded by its timeout, and records it.
pub(super) fn run_action(trigger: &Trigger, action: String, context: ActionContext) {
    let spec = crate::probe::command::CommandSpec {
        run: action.clone(),
        cwd: Some(context.base.display().to_string()),
        env: Vec::new(),
        json: false,
    };
    let timeout = trigger.timeout;
    let store = context.store;
    let key = context.checklist;
    let log = context.log;
    let name = trigger.name.clone();
    tokio::spawn(async move {
        log.as_ref()(&format!("trigger `{name}`: running its action `{action}`"));
        let outcome = spec.run(timeout).await;
        let observed = &outcome.observed;
        let exit_code = match observed.get("exit_code") {
            Some(Value::Number(code)) => Some(*code),
            _ => None,
        };
        let text = |key: &str| match observed.get(key) {
            Some(Value::Text(text)) => text.chars().take(4096).collect::<String>(),
            _ => String::new(),
        };
        let duration_ms = match observed.get("duration") {
            Some(Value::Duration(d)) => d.as_millis() as u64,
            _ => 0,
        };
        let payload = json!({
            "trigger": name,
            "command": action,
            "exit_code": exit_code,
            "stdout": text("stdout"),
            "stderr": text("stderr"),
            "duration_ms": duration_ms,
            "timed_out": outcome.problem.as_deref().is_some_and(|p| p.starts_with("timed out")),
            "problem": outcome.problem,
        });
        log.as_ref()(&format!(
            "trigger `{name}`: action ended (exit {exit_code:?})"
        ));
        let event = NewEvent {
            checklist: key,
            kind: Kind::Action,
            item: None,
            actor: ACTOR.into(),
            payload,
        };
        if let Err(error) = store.append(vec![event]).await {
            log.as_ref()(&format!(
                "cannot record the action of trigger `{name}`: {error}"
            ));
        }
    });
}
