//! Where alerts go: one file per kind of receiver, each turning a [`Notice`] into what that
//! receiver expects. Every send is bounded by its notifier's `timeout` and retried a bounded
//! number of times with a growing pause, so a receiver that is down or slow costs a known
//! amount of time and never holds up the monitors.

mod alertmanager;
mod email;
mod pagerduty;
mod slack;
mod webhook;

use std::time::Duration;

use serde::Serialize;

use super::level::Level;
use crate::checklist::toml::{Fields, Spanned};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::probe::duration_key;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_RETRIES: u32 = 2;
const KINDS: &[&str] = &["webhook", "slack", "email", "pagerduty", "alertmanager"];

/// One alert notice, as every notifier is handed it. The generic webhook posts it as is.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Notice {
    pub checklist: String,
    pub monitor: String,
    /// Stable for the whole incident, across restarts: `golive/launch.md/api/42`. PagerDuty's
    /// `dedup_key`, Alertmanager's `incident` label.
    pub incident: String,
    /// `firing` or `resolved`.
    pub state: &'static str,
    pub level: Level,
    pub previous: Level,
    /// One line: `api is CRIT: status 503 != 200`.
    pub summary: String,
    pub reasons: Vec<String>,
    /// What the monitor probes (secrets redacted).
    pub target: String,
    /// When the incident began.
    pub started_at: String,
    /// When this notice was decided.
    pub at: String,
    /// The rollback criterion that holds, for trigger alerts.
    pub criterion: Option<String>,
    /// Whether this repeats an earlier notice of the same incident.
    pub repeat: bool,
    /// The seq of the alert event in the audit log.
    pub alert: i64,
}

impl Notice {
    pub fn is_resolved(&self) -> bool {
        self.state == "resolved"
    }
}

/// One `[[notifier]]`.
#[derive(Debug, Clone)]
pub struct Notifier {
    pub name: String,
    pub timeout: Duration,
    pub retries: u32,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Webhook(webhook::Webhook),
    Slack(slack::Slack),
    Email(email::Email),
    PagerDuty(pagerduty::PagerDuty),
    Alertmanager(alertmanager::Alertmanager),
}

impl Notifier {
    /// Reads one `[[notifier]]` table (secrets already resolved).
    pub fn from_fields(mut fields: Fields, errors: &mut Vec<Diagnostic>) -> Option<Notifier> {
        let before = errors.len();
        let mut take = |result: Result<Option<Spanned<String>>, Diagnostic>| {
            result.map_err(|e| errors.push(e)).ok().flatten()
        };
        let name = take(fields.string("name"));
        let kind = take(fields.string("type"));
        let timeout = duration_key(&mut fields, "timeout")
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let retries = fields
            .integer("retries")
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let Some(kind) = kind else {
            errors.push(
                Diagnostic::new(fields.span.clone(), "missing key `type`").with_hint(format!(
                    "add `type = \"webhook\"`; types: {}",
                    KINDS.join(", ")
                )),
            );
            return None;
        };
        let parsed = match kind.value.as_str() {
            "webhook" => webhook::Webhook::from_fields(&mut fields, errors).map(Kind::Webhook),
            "slack" => slack::Slack::from_fields(&mut fields, errors).map(Kind::Slack),
            "email" => email::Email::from_fields(&mut fields, errors).map(Kind::Email),
            "pagerduty" => {
                pagerduty::PagerDuty::from_fields(&mut fields, errors).map(Kind::PagerDuty)
            }
            "alertmanager" => {
                alertmanager::Alertmanager::from_fields(&mut fields, errors).map(Kind::Alertmanager)
            }
            other => {
                let diagnostic = Diagnostic::new(
                    kind.span.clone(),
                    format!("unknown notifier type `{other}`"),
                );
                errors.push(match did_you_mean(other, KINDS.iter().copied()) {
                    Some(found) => diagnostic.with_hint(format!("did you mean `{found}`?")),
                    None => diagnostic.with_hint(format!("types: {}", KINDS.join(", "))),
                });
                None
            }
        };
        let known: Vec<&str> = ["name", "type", "timeout", "retries"]
            .into_iter()
            .chain(
                match kind.value.as_str() {
                    "webhook" => webhook::KEYS,
                    "slack" => slack::KEYS,
                    "email" => email::KEYS,
                    "pagerduty" => pagerduty::KEYS,
                    "alertmanager" => alertmanager::KEYS,
                    _ => &[],
                }
                .iter()
                .copied(),
            )
            .collect();
        errors.extend(fields.unknown_keys(&format!("for a `{}` notifier", kind.value), &known));
        let retries = match retries {
            None => DEFAULT_RETRIES,
            Some(Spanned { value, span }) => u32::try_from(value)
                .ok()
                .filter(|n| *n <= 10)
                .unwrap_or_else(|| {
                    errors.push(Diagnostic::new(span, "`retries` must be between 0 and 10"));
                    0
                }),
        };
        let kind = parsed?;
        (errors.len() == before).then(|| Notifier {
            name: name.map_or_else(
                || {
                    match &kind {
                        Kind::Webhook(_) => "webhook",
                        Kind::Slack(_) => "slack",
                        Kind::Email(_) => "email",
                        Kind::PagerDuty(_) => "pagerduty",
                        Kind::Alertmanager(_) => "alertmanager",
                    }
                    .to_string()
                },
                |name| name.value,
            ),
            timeout: timeout.unwrap_or(DEFAULT_TIMEOUT),
            retries,
            kind,
        })
    }

    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            Kind::Webhook(_) => "webhook",
            Kind::Slack(_) => "slack",
            Kind::Email(_) => "email",
            Kind::PagerDuty(_) => "pagerduty",
            Kind::Alertmanager(_) => "alertmanager",
        }
    }

    /// One attempt, bounded by the notifier's timeout.
    async fn attempt(&self, client: &reqwest::Client, notice: &Notice) -> Result<(), String> {
        let send = async {
            match &self.kind {
                Kind::Webhook(hook) => hook.send(client, notice).await,
                Kind::Slack(slack) => slack.send(client, notice).await,
                Kind::Email(email) => email.send(notice, self.timeout).await,
                Kind::PagerDuty(pd) => pd.send(client, notice).await,
                Kind::Alertmanager(am) => am.send(client, notice).await,
            }
        };
        match tokio::time::timeout(self.timeout, send).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "no answer within {}",
                crate::expr::Value::Duration(self.timeout)
            )),
        }
    }

    /// Sends with retries: `1 + retries` attempts, 1 s, 2 s, 4 s … apart. Returns how many
    /// attempts it took, or the last error.
    pub async fn deliver(
        &self,
        client: &reqwest::Client,
        notice: &Notice,
    ) -> (u32, Result<(), String>) {
        let mut pause = Duration::from_secs(1);
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.attempt(client, notice).await {
                Ok(()) => return (attempts, Ok(())),
                Err(error) if attempts > self.retries => return (attempts, Err(error)),
                Err(_) => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(30));
                }
            }
        }
    }
}

/// The HTTP client notifiers share: no proxy (receivers are named explicitly), rustls on
/// golive's own provider.
pub fn client() -> Result<reqwest::Client, String> {
    let tls = crate::probe::tls_client::client_config(None, false)?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("golive/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| format!("cannot set up the HTTP client: {error}"))
}

/// A required `url` key, parsed.
fn url_key(
    fields: &mut Fields,
    errors: &mut Vec<Diagnostic>,
    example: &str,
) -> Option<reqwest::Url> {
    let url = fields
        .required_string("url", example)
        .map_err(|e| errors.push(e))
        .ok()?;
    match reqwest::Url::parse(&url.value) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Some(parsed),
        Ok(parsed) => {
            errors.push(
                Diagnostic::new(
                    url.span,
                    format!("`{}` URLs cannot receive alerts", parsed.scheme()),
                )
                .with_hint("use an http:// or https:// URL"),
            );
            None
        }
        Err(error) => {
            errors.push(Diagnostic::new(
                url.span,
                format!("`url` is not a URL: {error}"),
            ));
            None
        }
    }
}

/// Posts JSON and wants a 2xx answer.
async fn post_json(
    client: &reqwest::Client,
    url: &reqwest::Url,
    body: &impl Serialize,
    headers: &[(String, String)],
) -> Result<(), String> {
    let body =
        serde_json::to_vec(body).map_err(|error| format!("cannot encode the notice: {error}"))?;
    let mut request = client
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await.map_err(|error| describe(&error))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        let text = response.text().await.unwrap_or_default();
        let text: String = text.chars().take(200).collect();
        Err(format!("answered {status}: {}", text.trim()))
    }
}

fn describe(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut message = if error.is_connect() {
        "cannot connect".to_string()
    } else if error.is_timeout() {
        "timed out".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
