//! What the `model` and `llm` probes share: a JSON endpoint called many times under one
//! deadline, `{{name}}` body templates, JSON paths into responses, and URLs shown without the
//! credentials they may carry (`?api_key=…`, `user:password@`).

use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::header::HeaderMap;

use crate::checklist::toml::{Fields, Spanned};
use crate::diagnostic::Diagnostic;

/// A JSON-over-HTTP endpoint, as configured.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: Url,
    /// Values are marked sensitive, so `{:?}` does not print tokens.
    pub headers: HeaderMap,
    pub insecure: bool,
}

impl Endpoint {
    pub(super) fn from_fields(
        fields: &mut Fields,
        example: &str,
        errors: &mut Vec<Diagnostic>,
    ) -> Option<Endpoint> {
        let url = fields.required_string("url", example);
        let headers = fields.string_table("headers");
        let insecure = fields.bool("insecure");
        let url = url
            .map_err(|d| errors.push(d))
            .ok()
            .and_then(|url| parse_url(&url).map_err(|d| errors.push(d)).ok());
        let headers = headers
            .map_err(|d| errors.push(d))
            .ok()
            .map(|h| super::http::parse_headers(h, errors))
            .unwrap_or_default();
        let insecure = insecure
            .map_err(|d| errors.push(d))
            .ok()
            .flatten()
            .is_some_and(|b| b.value);
        Some(Endpoint {
            url: url?,
            headers,
            insecure,
        })
    }

    /// The URL for people: query values and any password replaced by `***`.
    pub fn shown(&self) -> String {
        redacted_url(&self.url)
    }

    pub(super) fn client(&self) -> Result<reqwest::Client, String> {
        let mut tls = super::tls_client::client_config(None, self.insecure)?;
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .tcp_nodelay(true)
            .user_agent(concat!("golive/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| format!("cannot set up the HTTP client: {error}"))
    }

    /// POSTs `body` (JSON text) and parses the answer as JSON, giving up at `deadline`. Errors
    /// never contain the URL (it may hold a key).
    pub(super) async fn post(
        &self,
        client: &reqwest::Client,
        body: String,
        deadline: Instant,
    ) -> Result<(serde_json::Value, Duration), String> {
        let started = Instant::now();
        let Some(left) = deadline
            .checked_duration_since(started)
            .filter(|d| !d.is_zero())
        else {
            return Err("timed out".to_string());
        };
        let request = client
            .post(self.url.clone())
            .headers(self.headers.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .timeout(left);
        let exchange = async {
            let response = request.send().await.map_err(describe)?;
            let status = response.status();
            let bytes = response.bytes().await.map_err(describe)?;
            if !status.is_success() {
                let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
                return Err(format!("status {}: {}", status.as_u16(), text.trim()));
            }
            serde_json::from_slice(&bytes)
                .map_err(|error| format!("the answer is not JSON: {error}"))
        };
        match tokio::time::timeout(left, exchange).await {
            Ok(Ok(json)) => Ok((json, started.elapsed())),
            Ok(Err(problem)) => Err(problem),
            Err(_) => Err("timed out".to_string()),
        }
    }
}

fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".to_string();
    }
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn parse_url(text: &Spanned<String>) -> Result<Url, Diagnostic> {
    match Url::parse(text.value.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        Ok(url) => Err(Diagnostic::new(
            text.span.clone(),
            format!("`url` must be http:// or https://, not {}://", url.scheme()),
        )),
        Err(error) => Err(
            Diagnostic::new(text.span.clone(), format!("invalid URL: {error}"))
                .with_hint("e.g. url = \"http://127.0.0.1:8080/predict\""),
        ),
    }
}

/// `url` with its password and query values replaced by `***`.
pub fn redacted_url(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    if shown.query().is_some() {
        let pairs: Vec<String> = url.query_pairs().map(|(k, _)| format!("{k}=***")).collect();
        shown.set_query(Some(&pairs.join("&")));
    }
    shown.to_string()
}

/// The names in a `{{name}}` template, in order.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        names.push(after[..end].trim().to_string());
        rest = &after[end + 2..];
    }
    names
}

/// Fills `{{name}}` with `value(name)`, escaped for a JSON string (quotes are the template's).
pub fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let text = value(after[..end].trim()).unwrap_or_default();
        let quoted = serde_json::Value::String(text).to_string();
        out.push_str(&quoted[1..quoted.len() - 1]);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The value at `path` (`prediction`, `choices[0].message.content`, `data.0.score`).
pub fn json_path<'a>(json: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let mut here = json;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, indices) = match part.find('[') {
            Some(open) => (&part[..open], &part[open..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            here = match (here, name.parse::<usize>()) {
                (serde_json::Value::Array(items), Ok(index)) => items.get(index)?,
                _ => here.get(name)?,
            };
        }
        for index in indices.split('[').filter(|i| !i.is_empty()) {
            let index: usize = index.trim_end_matches(']').parse().ok()?;
            here = here.get(index)?;
        }
    }
    Some(here)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_credentials() {
        let url = Url::parse("https://bob:s3cr%2Ft@model.test/v1/predict?api_key=abc/def+ghi&v=2")
            .expect("url");
        let shown = redacted_url(&url);
        assert_eq!(
            shown,
            "https://bob:***@model.test/v1/predict?api_key=***&v=***"
        );
    }

    #[test]
    fn templates_escape_values_for_json() {
        let body = fill(
            r#"{"name": "{{name}}", "age": {{ age }}}"#,
            |name| match name {
                "name" => Some("O\"Brien\\".to_string()),
                "age" => Some("42".to_string()),
                _ => None,
            },
        );
        assert_eq!(body, r#"{"name": "O\"Brien\\", "age": 42}"#);
        assert_eq!(placeholders("{{a}} and {{ b }}"), vec!["a", "b"]);
    }

    #[test]
    fn json_paths_walk_objects_and_arrays() {
        let json = serde_json::json!({"choices": [{"message": {"content": "hi"}}], "data": [1, 2]});
        assert_eq!(
            json_path(&json, "choices[0].message.content"),
            Some(&serde_json::json!("hi"))
        );
        assert_eq!(json_path(&json, "data.1"), Some(&serde_json::json!(2)));
        assert_eq!(json_path(&json, "missing"), None);
    }
}
