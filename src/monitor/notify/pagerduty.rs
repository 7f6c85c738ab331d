//! PagerDuty Events API v2: `trigger` when an incident opens (or its level changes), `resolve`
//! when it recovers, both with the incident's `dedup_key`, so PagerDuty keeps one incident
//! per golive incident however often it is told.

use serde_json::json;

use crate::checklist::toml::Fields;
use crate::diagnostic::Diagnostic;

use super::{Notice, post_json};

pub(super) const KEYS: &[&str] = &["routing_key", "url"];
const EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

#[derive(Debug, Clone)]
pub struct PagerDuty {
    routing_key: String,
    url: reqwest::Url,
}

impl PagerDuty {
    pub(super) fn from_fields(
        fields: &mut Fields,
        errors: &mut Vec<Diagnostic>,
    ) -> Option<PagerDuty> {
        let key = fields
            .required_string("routing_key", "\"${env:PAGERDUTY_ROUTING_KEY}\"")
            .map_err(|e| errors.push(e))
            .ok();
        let url = match fields
            .string("url")
            .map_err(|e| errors.push(e))
            .ok()
            .flatten()
        {
            None => reqwest::Url::parse(EVENTS_URL).ok(),
            Some(url) => match reqwest::Url::parse(&url.value) {
                Ok(url) => Some(url),
                Err(error) => {
                    errors.push(Diagnostic::new(
                        url.span,
                        format!("`url` is not a URL: {error}"),
                    ));
                    None
                }
            },
        };
        let key = key?;
        if key.value.len() != 32 {
            // PagerDuty's integration keys are 32 characters; anything else is refused there.
            errors.push(
                Diagnostic::new(key.span, "a PagerDuty `routing_key` is 32 characters")
                    .with_hint("copy the Integration Key of an Events API v2 integration"),
            );
            return None;
        }
        Some(PagerDuty {
            routing_key: key.value,
            url: url?,
        })
    }

    pub(super) async fn send(
        &self,
        client: &reqwest::Client,
        notice: &Notice,
    ) -> Result<(), String> {
        post_json(client, &self.url, &payload(&self.routing_key, notice), &[]).await
    }
}

pub(super) fn payload(routing_key: &str, notice: &Notice) -> serde_json::Value {
    if notice.is_resolved() {
        return json!({
            "routing_key": routing_key,
            "event_action": "resolve",
            "dedup_key": notice.incident,
        });
    }
    let severity = match notice.level {
        super::Level::Crit => "critical",
        super::Level::Warn => "warning",
        _ => "info",
    };
    // PagerDuty caps the summary at 1024 characters.
    let summary: String = notice.summary.chars().take(1024).collect();
    json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": notice.incident,
        "payload": {
            "summary": summary,
            "source": notice.target,
            "severity": severity,
            "timestamp": notice.at,
            "component": notice.monitor,
            "group": notice.checklist,
            "class": notice.criterion.as_deref().unwrap_or("monitor"),
            "custom_details": {
                "reasons": notice.reasons,
                "started_at": notice.started_at,
                "previous": notice.previous,
                "criterion": notice.criterion,
            },
        },
        "client": "golive",
    })
}
