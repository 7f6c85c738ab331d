//! The JSON Schema of `golive.toml`, generated from the same key tables that validate it, so
//! the two cannot drift apart.

use serde_json::{Map, Value, json};

use super::plan::COMMON_KEYS;
use super::watch::WATCH_KEYS;
use crate::probe::{KeyDoc, KeyKind, PROBES};

pub fn schema() -> Value {
    let checks: Vec<Value> = PROBES
        .iter()
        .map(|probe| {
            let mut properties = Map::new();
            for key in COMMON_KEYS.iter().chain(WATCH_KEYS).chain(probe.keys) {
                properties.insert(key.name.to_string(), key_schema(key));
            }
            properties.insert("probe".to_string(), json!({"const": probe.name, "description": probe.summary}));
            let required: Vec<&str> = COMMON_KEYS
                .iter()
                .chain(probe.keys)
                .filter(|key| key.required)
                .map(|key| key.name)
                .collect();
            let metrics: Vec<String> =
                probe.metrics.iter().map(|(name, doc)| format!("{name}: {doc}")).collect();
            json!({
                "title": format!("{} check", probe.name),
                "description": format!("{}. Metrics for `expect`: {}", probe.summary, metrics.join("; ")),
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            })
        })
        .collect();
    let defaults: Map<String, Value> = COMMON_KEYS
        .iter()
        .filter(|key| matches!(key.name, "timeout" | "interval" | "retries"))
        .map(|key| (key.name.to_string(), key_schema(key)))
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "golive.toml",
        "description": "Checks that verify the items of the go-live checklist beside this file, and the keys pinned to its approver roles. Secrets: write ${env:NAME} or ${file:PATH}, never the value.",
        "type": "object",
        "properties": {
            "defaults": {
                "description": "values every check inherits unless it sets them",
                "type": "object",
                "properties": defaults,
                "additionalProperties": false,
            },
            "check": {
                "description": "one entry per [[check]]",
                "type": "array",
                "items": {"oneOf": checks},
            },
            "notifier": {
                "description": "where `golive watch` sends alerts: one entry per [[notifier]]",
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {
                        "name": {"type": "string", "description": "what monitors' `notify` refers to (default: the type)"},
                        "type": {"enum": ["webhook", "slack", "email", "pagerduty", "alertmanager"]},
                        "timeout": {"type": "string", "description": "per attempt (default 10s)"},
                        "retries": {"type": "integer", "minimum": 0, "maximum": 10, "description": "attempts after the first (default 2)"},
                        "url": {"type": "string", "description": "webhook, slack, alertmanager (base URL); pagerduty (default: PagerDuty's Events v2 endpoint)"},
                        "headers": {"type": "object", "additionalProperties": {"type": "string"}, "description": "webhook only"},
                        "routing_key": {"type": "string", "description": "pagerduty: the integration key"},
                        "smtp": {"type": "string", "description": "email: host:port"},
                        "tls": {"enum": ["starttls", "tls", "none"], "description": "email (default starttls)"},
                        "from": {"type": "string"},
                        "to": {"type": "array", "items": {"type": "string"}},
                        "username": {"type": "string"},
                        "password": {"type": "string", "description": "write ${env:NAME} or ${file:PATH}"},
                    },
                    "additionalProperties": false,
                },
            },
            "trigger": {
                "description": "rollback criteria `golive watch` evaluates: one entry per [[trigger]]",
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["monitor", "when"],
                    "properties": {
                        "name": {"type": "string"},
                        "item": {"type": "string", "description": "the criterion's item id; its title names the alert"},
                        "monitor": {"type": "string", "description": "the monitor (check name) whose results it reads"},
                        "when": {"description": "conditions that must never all hold, windowed ones allowed", "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                        "action": {"type": "string", "description": "a command (sh -c) run once each time the criterion starts to hold"},
                        "timeout": {"type": "string", "description": "the action's limit (default 60s)"},
                        "notify": {"type": "array", "items": {"type": "string"}},
                    },
                    "additionalProperties": false,
                },
            },
            "roles": {
                "description": "keys pinned to approver roles: an approval for a role listed here counts only when signed by one of its keys (`golive approve --sign`). Role names match the checklist's sign-offs without case, accents or extra spaces.",
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "keys": {
                            "description": "public keys: `ed25519:HEX` inline, or paths (relative to this file) to `.pub` files written by `golive keys new`; never a secret key",
                            "type": "array",
                            "items": {"type": "string"},
                            "minItems": 1,
                        },
                    },
                    "required": ["keys"],
                    "additionalProperties": false,
                },
            },
        },
        "additionalProperties": false,
    })
}

fn key_schema(key: &KeyDoc) -> Value {
    let mut schema = match key.kind {
        KeyKind::String => json!({"type": "string"}),
        KeyKind::Duration => {
            json!({"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)? *(ms|s|m|h|d)$"})
        }
        KeyKind::Bool => json!({"type": "boolean"}),
        KeyKind::Integer => json!({"type": "integer", "minimum": 0}),
        KeyKind::StringList => {
            json!({"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]})
        }
        KeyKind::StringTable => {
            json!({"type": "object", "additionalProperties": {"type": "string"}})
        }
        KeyKind::Choice(choices) => json!({"enum": choices}),
        KeyKind::Table => json!({"type": "object"}),
        KeyKind::TableList => json!({"type": "array", "items": {"type": "object"}}),
    };
    if let Some(object) = schema.as_object_mut() {
        object.insert("description".to_string(), json!(key.doc));
    }
    schema
}
