//! Generic webhook: POSTs the [`Notice`] as JSON, with optional headers (e.g. a token).

use crate::checklist::toml::Fields;
use crate::diagnostic::Diagnostic;

use super::{Notice, post_json, url_key};

pub(super) const KEYS: &[&str] = &["url", "headers"];

#[derive(Debug, Clone)]
pub struct Webhook {
    url: reqwest::Url,
    headers: Vec<(String, String)>,
}

impl Webhook {
    pub(super) fn from_fields(
        fields: &mut Fields,
        errors: &mut Vec<Diagnostic>,
    ) -> Option<Webhook> {
        let headers = fields
            .string_table("headers")
            .map_err(|e| errors.push(e))
            .unwrap_or_default()
            .into_iter()
            .map(|(name, value)| (name.value, value.value))
            .collect();
        let url = url_key(fields, errors, "\"https://hooks.example.test/golive\"")?;
        Some(Webhook { url, headers })
    }

    pub(super) async fn send(
        &self,
        client: &reqwest::Client,
        notice: &Notice,
    ) -> Result<(), String> {
        post_json(client, &self.url, notice, &self.headers).await
    }
}
