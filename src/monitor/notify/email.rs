//! Email over SMTP (lettre): plain SMTP, STARTTLS or implicit TLS, optional login.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::checklist::toml::{Fields, Spanned};
use crate::diagnostic::Diagnostic;

use super::Notice;

pub(super) const KEYS: &[&str] = &["smtp", "tls", "from", "to", "username", "password"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    /// Plain SMTP: only for a relay on the same host or network.
    None,
    Starttls,
    /// TLS from the first byte (port 465).
    Implicit,
}

#[derive(Debug, Clone)]
pub struct Email {
    host: String,
    port: u16,
    tls: Tls,
    from: Mailbox,
    to: Vec<Mailbox>,
    credentials: Option<(String, String)>,
}

impl Email {
    pub(super) fn from_fields(fields: &mut Fields, errors: &mut Vec<Diagnostic>) -> Option<Email> {
        let before = errors.len();
        let smtp = fields
            .required_string("smtp", "\"smtp.example.test:587\"")
            .map_err(|e| errors.push(e))
            .ok();
        let tls = fields
            .string("tls")
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let from = fields
            .required_string("from", "\"golive@example.test\"")
            .map_err(|e| errors.push(e))
            .ok();
        let to = fields
            .strings("to")
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let username = fields
            .string("username")
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let password = fields
            .string("password")
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        if to.is_empty() {
            errors.push(
                Diagnostic::new(fields.span.clone(), "missing key `to`")
                    .with_hint("add `to = [\"oncall@example.test\"]`"),
            );
        }
        let tls = match &tls {
            None => Tls::Starttls,
            Some(mode) if mode.value == "starttls" => Tls::Starttls,
            Some(mode) if mode.value == "none" => Tls::None,
            Some(mode) if mode.value == "tls" => Tls::Implicit,
            Some(mode) => {
                errors.push(Diagnostic::new(mode.span.clone(), format!("unknown `tls` mode `{}`", mode.value)).with_hint("use \"starttls\" (default), \"tls\" (port 465) or \"none\" (a local relay)"));
                Tls::Starttls
            }
        };
        let (host, port) = match smtp {
            Some(smtp) => match smtp
                .value
                .rsplit_once(':')
                .map(|(h, p)| (h, p.parse::<u16>()))
            {
                Some((host, Ok(port))) if !host.is_empty() => {
                    (host.trim_matches(['[', ']']).to_string(), port)
                }
                _ => {
                    errors.push(
                        Diagnostic::new(
                            smtp.span,
                            format!("`smtp` must be host:port, not `{}`", smtp.value),
                        )
                        .with_hint("e.g. \"smtp.example.test:587\""),
                    );
                    (String::new(), 0)
                }
            },
            None => (String::new(), 0),
        };
        let mailbox = |text: &Spanned<String>, errors: &mut Vec<Diagnostic>| match text
            .value
            .parse::<Mailbox>()
        {
            Ok(mailbox) => Some(mailbox),
            Err(error) => {
                errors.push(Diagnostic::new(
                    text.span.clone(),
                    format!("`{}` is not an email address: {error}", text.value),
                ));
                None
            }
        };
        let from = from.and_then(|from| mailbox(&from, errors));
        let to: Vec<Mailbox> = to.iter().filter_map(|to| mailbox(to, errors)).collect();
        let credentials = match (username, password) {
            (Some(user), Some(password)) => Some((user.value, password.value)),
            (None, None) => None,
            (Some(user), None) => {
                errors.push(
                    Diagnostic::new(user.span, "`username` needs a `password`")
                        .with_hint("password = \"${env:SMTP_PASSWORD}\""),
                );
                None
            }
            (None, Some(password)) => {
                errors.push(Diagnostic::new(
                    password.span,
                    "`password` needs a `username`",
                ));
                None
            }
        };
        if errors.len() != before {
            return None;
        }
        Some(Email {
            host,
            port,
            tls,
            from: from?,
            to,
            credentials,
        })
    }

    pub(super) async fn send(&self, notice: &Notice, timeout: Duration) -> Result<(), String> {
        let subject = if notice.is_resolved() {
            format!("[golive] RESOLVED: {}", notice.summary)
        } else {
            format!("[golive] {}", notice.summary)
        };
        let mut builder = Message::builder().from(self.from.clone()).subject(subject);
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        let message = builder
            .header(ContentType::TEXT_PLAIN)
            .body(body(notice))
            .map_err(|error| format!("cannot build the message: {error}"))?;
        let mut transport = match self.tls {
            Tls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host),
            Tls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)
                .map_err(|error| format!("cannot set up STARTTLS: {error}"))?,
            Tls::Implicit => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host)
                .map_err(|error| format!("cannot set up TLS: {error}"))?,
        }
        .port(self.port)
        .timeout(Some(timeout));
        if let Some((user, password)) = &self.credentials {
            transport = transport.credentials(Credentials::new(user.clone(), password.clone()));
        }
        transport
            .build()
            .send(message)
            .await
            .map(drop)
            .map_err(|error| format!("SMTP {}:{}: {error}", self.host, self.port))
    }
}

fn body(notice: &Notice) -> String {
    let mut text = format!("{}\n\n", notice.summary);
    if let Some(criterion) = &notice.criterion {
        text.push_str(&format!("Rollback criterion: {criterion}\n"));
    }
    for reason in &notice.reasons {
        text.push_str(&format!("- {reason}\n"));
    }
    text.push_str(&format!(
        "\nChecklist: {}\nMonitor: {}\nTarget: {}\nLevel: {} (was {})\nSince: {}\nIncident: {}\n",
        notice.checklist,
        notice.monitor,
        notice.target,
        notice.level,
        notice.previous,
        notice.started_at,
        notice.incident
    ));
    text
}
