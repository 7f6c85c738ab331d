//! Prometheus Alertmanager, API v2: `POST /api/v2/alerts` with the alert's labels; a
//! resolution is the same alert with `endsAt` set to now, as Prometheus itself does.

use serde_json::json;

use crate::checklist::toml::Fields;
use crate::diagnostic::Diagnostic;

use super::{Notice, post_json, url_key};

pub(super) const KEYS: &[&str] = &["url"];

#[derive(Debug, Clone)]
pub struct Alertmanager {
    alerts: reqwest::Url,
}

impl Alertmanager {
    pub(super) fn from_fields(
        fields: &mut Fields,
        errors: &mut Vec<Diagnostic>,
    ) -> Option<Alertmanager> {
        let url = url_key(fields, errors, "\"http://alertmanager.example.test:9093\"")?;
        let base = url.as_str().trim_end_matches('/');
        let alerts = reqwest::Url::parse(&format!("{base}/api/v2/alerts"))
            .map_err(|error| {
                errors.push(Diagnostic::new(
                    fields.span.clone(),
                    format!("bad Alertmanager URL: {error}"),
                ));
            })
            .ok()?;
        Some(Alertmanager { alerts })
    }

    pub(super) async fn send(
        &self,
        client: &reqwest::Client,
        notice: &Notice,
    ) -> Result<(), String> {
        post_json(client, &self.alerts, &payload(notice), &[]).await
    }
}

pub(super) fn payload(notice: &Notice) -> serde_json::Value {
    let mut alert = json!({
        "labels": {
            "alertname": "GoliveMonitor",
            "monitor": notice.monitor,
            "checklist": notice.checklist,
            // No level here: Alertmanager tells alerts apart by their labels, and an alert
            // going from WARN to CRIT is still the same incident.
            "incident": notice.incident,
        },
        "annotations": {
            "summary": notice.summary,
            "description": notice.reasons.join("\n"),
            "target": notice.target,
            "level": notice.level.as_str(),
        },
        "startsAt": notice.started_at,
    });
    if let Some(criterion) = &notice.criterion {
        alert["annotations"]["criterion"] = json!(criterion);
    }
    if notice.is_resolved() {
        alert["endsAt"] = json!(notice.at);
    }
    json!([alert])
}
