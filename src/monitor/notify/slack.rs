//! Slack incoming webhook: `{"text": …, "blocks": […]}`, the payload Slack documents for
//! incoming webhooks (plain `text` is the notification fallback; `blocks` the message).

use serde_json::json;

use crate::checklist::toml::Fields;
use crate::diagnostic::Diagnostic;

use super::{Notice, post_json, url_key};

pub(super) const KEYS: &[&str] = &["url"];

#[derive(Debug, Clone)]
pub struct Slack {
    url: reqwest::Url,
}

impl Slack {
    pub(super) fn from_fields(fields: &mut Fields, errors: &mut Vec<Diagnostic>) -> Option<Slack> {
        let url = url_key(fields, errors, "\"${env:SLACK_WEBHOOK_URL}\"")?;
        Some(Slack { url })
    }

    pub(super) async fn send(
        &self,
        client: &reqwest::Client,
        notice: &Notice,
    ) -> Result<(), String> {
        post_json(client, &self.url, &payload(notice), &[]).await
    }
}

/// Slack's mrkdwn needs `&`, `<` and `>` escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub(super) fn payload(notice: &Notice) -> serde_json::Value {
    let icon = match (notice.is_resolved(), notice.level) {
        (true, _) => ":white_check_mark:",
        (false, super::Level::Crit) => ":red_circle:",
        (false, _) => ":large_yellow_circle:",
    };
    let title = if notice.is_resolved() {
        format!("{icon} RESOLVED: {}", escape(&notice.summary))
    } else {
        format!("{icon} {}", escape(&notice.summary))
    };
    let mut detail: Vec<String> = notice
        .reasons
        .iter()
        .map(|r| format!("• {}", escape(r)))
        .collect();
    if let Some(criterion) = &notice.criterion {
        detail.insert(0, format!("*Rollback criterion:* {}", escape(criterion)));
    }
    let context = format!(
        "{} · `{}` · since {} · incident {}",
        escape(&notice.checklist),
        escape(&notice.target),
        notice.started_at,
        escape(&notice.incident)
    );
    let mut blocks = vec![json!({"type": "section", "text": {"type": "mrkdwn", "text": title}})];
    if !detail.is_empty() {
        blocks.push(
            json!({"type": "section", "text": {"type": "mrkdwn", "text": detail.join("\n")}}),
        );
    }
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]}));
    json!({"text": format!("{}{}", if notice.is_resolved() { "RESOLVED: " } else { "" }, notice.summary), "blocks": blocks})
}
