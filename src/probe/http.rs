//! `http`: sends one request and observes the response: status, latency, headers and body
//! (walked as JSON when it is JSON).
//!
//! Clients live in [`Clients`], one per TLS and redirect setting, so that thousands of checks
//! against one server reuse keep-alive connections instead of paying a handshake each.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use rustls::CertificateError;

use super::keys::{KeyDoc, KeyKind, ProbeDoc};
use super::{Context, Outcome};
use crate::checklist::toml::{Fields, Spanned};
use crate::diagnostic::Diagnostic;
use crate::expr::Value;

/// Body kept for `body` and `json`; the rest is read and counted, so `size` is exact and the
/// connection can go back to the pool.
pub const BODY_CAP: usize = 1024 * 1024;

/// Redirects followed when `follow_redirects = true`.
pub const MAX_REDIRECTS: usize = 10;

/// Idle keep-alive connections kept per host: enough for every concurrent check against one
/// server to find a warm connection.
const IDLE_PER_HOST: usize = 512;

const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

// One line per key and metric, so the table reads as one.
#[rustfmt::skip]
pub const DOC: ProbeDoc = ProbeDoc {
    name: "http",
    summary: "sends one HTTP or HTTPS request and observes the status, latency, headers and body",
    keys: &[
        KeyDoc { name: "url", kind: KeyKind::String, required: true, doc: "an http:// or https:// URL" },
        KeyDoc { name: "method", kind: KeyKind::Choice(METHODS), required: false, doc: "request method (default GET)" },
        KeyDoc { name: "headers", kind: KeyKind::StringTable, required: false, doc: "request headers, e.g. `{ Authorization = \"Bearer ${env:TOKEN}\" }`" },
        KeyDoc { name: "body", kind: KeyKind::String, required: false, doc: "request body, sent as is (set `Content-Type` in `headers`)" },
        KeyDoc { name: "ca", kind: KeyKind::String, required: false, doc: "PEM file of the CA certificates to trust instead of the system's" },
        KeyDoc { name: "insecure", kind: KeyKind::Bool, required: false, doc: "accept any certificate: expired, self-signed or for another name (default false)" },
        KeyDoc { name: "follow_redirects", kind: KeyKind::Bool, required: false, doc: "follow up to 10 redirects (default false: a go-live check usually wants to see the redirect itself, e.g. `status == 301` and `header.location`)" },
    ],
    metrics: &[
        ("status", "response status code"),
        ("latency", "from sending the request to the last byte of the body"),
        ("body", "response body as text (the first 1 MiB)"),
        ("size", "body length in bytes, counted to the end even beyond 1 MiB"),
        ("header.NAME", "a response header, NAME in any case; repeats are joined with `, `"),
        ("json", "the body parsed as JSON, when it is JSON"),
        ("json.PATH", "a value inside the JSON body, e.g. `json.data.items[0].id`"),
        ("url", "URL of the final response (differs from `url` after followed redirects)"),
    ],
    default_expect: &["status >= 200", "status < 400"],
};

#[derive(Debug, Clone)]
pub struct HttpSpec {
    pub url: Url,
    pub method: Method,
    /// Values are marked sensitive, so `{:?}` does not print tokens.
    pub headers: HeaderMap,
    pub body: Option<String>,
    pub ca: Option<PathBuf>,
    pub insecure: bool,
    pub follow_redirects: bool,
}

impl HttpSpec {
    pub fn from_fields(fields: &mut Fields) -> Result<Self, Vec<Diagnostic>> {
        // Every key is taken before any is judged, so a bad one is not also reported unknown.
        let url = fields.required_string("url", "\"https://api.example.test/health\"");
        let method = fields.string("method");
        let headers = fields.string_table("headers");
        let body = fields.string("body");
        let ca = fields.string("ca");
        let insecure = fields.bool("insecure");
        let follow_redirects = fields.bool("follow_redirects");

        let mut errors = Vec::new();
        let url = keep(url.and_then(|url| parse_url(&url)), &mut errors);
        let method = keep(
            method.and_then(|m| m.map(|m| parse_method(&m)).transpose()),
            &mut errors,
        );
        let headers = keep(headers, &mut errors).map(|headers| parse_headers(headers, &mut errors));
        let body = keep(body, &mut errors).flatten().map(|body| body.value);
        let ca = keep(ca, &mut errors).flatten();
        let insecure = keep(insecure, &mut errors).flatten();
        let follow_redirects = keep(follow_redirects, &mut errors).flatten();
        if let Some(ca) = &ca
            && ca.value.trim().is_empty()
        {
            errors
                .push(Diagnostic::new(ca.span.clone(), "`ca` is empty").with_hint(
                    "give the path of a PEM file, or remove `ca` to trust the system's",
                ));
        }
        if let (Some(_), Some(Spanned { value: true, span })) = (&ca, &insecure) {
            errors.push(
                Diagnostic::new(span.clone(), "give `ca` or `insecure = true`, not both")
                    .with_hint("`insecure` accepts any certificate, so `ca` would have no effect"),
            );
        }
        match (url, method, headers) {
            (Some(url), Some(method), Some(headers)) if errors.is_empty() => Ok(HttpSpec {
                url,
                method: method.unwrap_or(Method::GET),
                headers,
                body,
                ca: ca.map(|ca| PathBuf::from(ca.value)),
                insecure: insecure.is_some_and(|flag| flag.value),
                follow_redirects: follow_redirects.is_some_and(|flag| flag.value),
            }),
            _ => Err(errors),
        }
    }

    pub fn target(&self) -> String {
        self.url.to_string()
    }

    pub async fn run(&self, context: &Context, timeout: Duration) -> Outcome {
        let client = match context.http.client(&self.client_key()) {
            Ok(client) => client,
            Err(problem) => return Outcome::with_problem(problem),
        };
        let mut outcome = Outcome::default();
        // The exchange records into `outcome` as it goes, so a timeout while reading the body
        // still reports the status and headers that did arrive.
        let finished = tokio::time::timeout(timeout, self.exchange(&client, &mut outcome)).await;
        let problem = match finished {
            Ok(result) => result.err(),
            Err(_) if outcome.observed.get("status").is_some() => Some(format!(
                "timed out after {} while reading the body",
                Value::Duration(timeout)
            )),
            Err(_) => Some(format!("timed out after {}", Value::Duration(timeout))),
        };
        outcome.problem = problem;
        outcome
    }

    fn client_key(&self) -> ClientKey {
        ClientKey {
            ca: self.ca.clone(),
            insecure: self.insecure,
            follow_redirects: self.follow_redirects,
        }
    }

    async fn exchange(
        &self,
        client: &reqwest::Client,
        outcome: &mut Outcome,
    ) -> Result<(), String> {
        let mut request = client
            .request(self.method.clone(), self.url.clone())
            .headers(self.headers.clone());
        if let Some(body) = &self.body {
            request = request.body(body.clone());
        }
        let started = Instant::now();
        let mut response = request
            .send()
            .await
            .map_err(|error| self.describe(&error))?;
        outcome.observe("status", Value::from(response.status().as_u16()));
        outcome.observe("url", Value::Text(response.url().to_string()));
        for name in response.headers().keys() {
            let values: Vec<String> = response
                .headers()
                .get_all(name)
                .iter()
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
                .collect();
            outcome.observe(format!("header.{name}"), Value::Text(values.join(", ")));
        }
        let mut kept = Vec::new();
        let mut size: u64 = 0;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    size += chunk.len() as u64;
                    let room = BODY_CAP.saturating_sub(kept.len());
                    kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) => break,
                Err(error) => {
                    outcome.observe("size", Value::Bytes(size));
                    return Err(format!(
                        "the body broke off after {size} bytes: {}",
                        self.describe(&error)
                    ));
                }
            }
        }
        outcome.observe("latency", Value::Duration(started.elapsed()));
        outcome.observe("size", Value::Bytes(size));
        let content_type = response.headers().get(reqwest::header::CONTENT_TYPE);
        outcome.observe("body", Value::Text(decode(&kept, content_type)));
        // A document cut at the cap cannot parse; `size` shows it was cut.
        if size <= BODY_CAP as u64
            && let Ok(json) = serde_json::from_slice::<serde_json::Value>(&kept)
        {
            outcome.observe("json", Value::Json(json));
        }
        Ok(())
    }

    /// A reason a person can act on, from the innermost error that says something specific.
    fn describe(&self, error: &reqwest::Error) -> String {
        let causes = causes(error);
        for cause in &causes {
            if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
                return tls_problem(tls, self.ca.is_some());
            }
            match cause
                .downcast_ref::<std::io::Error>()
                .map(std::io::Error::kind)
            {
                Some(std::io::ErrorKind::ConnectionRefused) => {
                    return format!("connection refused by {}", self.place());
                }
                Some(std::io::ErrorKind::ConnectionReset) => {
                    return format!("connection reset by {}", self.place());
                }
                _ => {}
            }
        }
        let mut messages: Vec<String> = Vec::new();
        // reqwest's own message repeats the URL, which the report already shows, and
        // hyper's `client error (Connect)` only names the stage the causes below come from.
        for cause in causes.iter().skip(1) {
            let message = cause.to_string();
            // A wrapping `io::Error` prints the same words as the error it wraps.
            if !message.starts_with("client error (") && messages.last() != Some(&message) {
                messages.push(message);
            }
        }
        let Some(innermost) = messages.last() else {
            return error.to_string();
        };
        if messages.iter().any(|message| message == "dns error") {
            let host = self.url.host_str().unwrap_or_default();
            return format!("cannot resolve `{host}`: {innermost}");
        }
        let reason = messages.join(": ");
        if error.is_redirect() {
            format!("cannot follow the redirect: {reason}")
        } else {
            reason
        }
    }

    /// `host:port`, the way connection errors name the other end.
    fn place(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        }
    }
}

fn keep<T>(result: Result<T, Diagnostic>, errors: &mut Vec<Diagnostic>) -> Option<T> {
    result.map_err(|error| errors.push(error)).ok()
}

fn parse_url(text: &Spanned<String>) -> Result<Url, Diagnostic> {
    // `api.example.test/health` is no URL, and `localhost:8080` reads as scheme `localhost`.
    let hint = if text.value.contains("://") {
        "write a full URL, e.g. \"https://api.example.test/health\"".to_string()
    } else {
        format!("add the scheme: \"https://{}\"", text.value.trim())
    };
    // Parsing makes the host mandatory for http and https, so no separate check is needed.
    let url = Url::parse(text.value.trim()).map_err(|error| {
        Diagnostic::new(
            text.span.clone(),
            format!("invalid URL `{}`: {error}", text.value),
        )
        .with_hint(hint.clone())
    })?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        scheme => Err(Diagnostic::new(
            text.span.clone(),
            format!("`url` must be http or https, not `{scheme}`"),
        )
        .with_hint(match scheme {
            "ftp" | "ftps" | "sftp" => {
                "to check that a file server answers, use the `tcp` probe".to_string()
            }
            _ => hint,
        })),
    }
}

fn parse_method(text: &Spanned<String>) -> Result<Method, Diagnostic> {
    if METHODS.contains(&text.value.as_str()) {
        return Method::from_bytes(text.value.as_bytes()).map_err(|error| {
            Diagnostic::new(text.span.clone(), format!("invalid method: {error}"))
        });
    }
    let diagnostic = Diagnostic::new(
        text.span.clone(),
        format!("unknown method `{}`", text.value),
    );
    let upper = text.value.to_ascii_uppercase();
    Err(if METHODS.contains(&upper.as_str()) {
        diagnostic.with_hint(format!("write it in capitals: `{upper}`"))
    } else {
        diagnostic.with_hint(format!("methods: {}", METHODS.join(", ")))
    })
}

pub(crate) fn parse_headers(
    entries: Vec<(Spanned<String>, Spanned<String>)>,
    errors: &mut Vec<Diagnostic>,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in entries {
        let Ok(parsed_name) = HeaderName::from_bytes(name.value.as_bytes()) else {
            errors.push(
                Diagnostic::new(name.span, format!("invalid header name `{}`", name.value))
                    .with_hint("header names hold letters, digits and `-`, e.g. `X-Request-Id`"),
            );
            continue;
        };
        // The value is not echoed: it may hold a secret resolved from `${env:…}`.
        let Ok(mut parsed_value) = HeaderValue::from_str(&value.value) else {
            errors.push(
                Diagnostic::new(
                    value.span,
                    format!("invalid value for header `{}`", name.value),
                )
                .with_hint("header values cannot hold line breaks or other control characters"),
            );
            continue;
        };
        parsed_value.set_sensitive(true);
        headers.append(parsed_name, parsed_value);
    }
    headers
}

/// Body bytes as text, in the charset the response declares (UTF-8 when it declares none).
fn decode(bytes: &[u8], content_type: Option<&HeaderValue>) -> String {
    let charset = content_type
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value.split(';').skip(1).find_map(|parameter| {
                let (name, label) = parameter.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("charset")
                    .then(|| label.trim().trim_matches('"').to_string())
            })
        });
    let encoding = charset
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    encoding.decode(bytes).0.into_owned()
}

/// `error` and everything below it. An `io::Error`'s `source()` skips the error it wraps
/// (the TLS error inside the handshake's `io::Error`, for one), so that step goes through
/// `get_ref()` instead.
fn causes<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut causes = Vec::new();
    let mut next = Some(error);
    while let Some(cause) = next {
        causes.push(cause);
        next = match cause
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner),
            None => cause.source(),
        };
    }
    causes
}

fn tls_problem(error: &rustls::Error, has_ca: bool) -> String {
    let certificate = match error {
        rustls::Error::InvalidCertificate(certificate) => certificate,
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            return "TLS handshake failed: the server does not speak TLS on this port (plain \
                    http?)"
                .to_string();
        }
        other => return format!("TLS handshake failed: {other}"),
    };
    let reason = match certificate {
        CertificateError::UnknownIssuer if has_ca => {
            "issued by an authority that is not in the `ca` file".to_string()
        }
        CertificateError::UnknownIssuer => {
            "issued by an unknown authority (trust its CA with `ca = \"ca.pem\"`)".to_string()
        }
        CertificateError::ExpiredContext { time, not_after } => {
            let days = time.as_secs().saturating_sub(not_after.as_secs()) / 86_400;
            format!("it expired {days} days ago")
        }
        CertificateError::Expired => "it has expired".to_string(),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "it is not valid yet".to_string()
        }
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => {
            // rustls shows names as `DnsName("api.example.test")`; people know them bare.
            let names: Vec<&str> = presented
                .iter()
                .map(|name| match (name.find('('), name.rfind(')')) {
                    (Some(open), Some(close)) if open < close => {
                        name[open + 1..close].trim_matches('"')
                    }
                    _ => name.as_str(),
                })
                .collect();
            format!(
                "it is not valid for `{}`, only for {}",
                expected.to_str(),
                if names.is_empty() {
                    "no name at all".to_string()
                } else {
                    names.join(", ")
                }
            )
        }
        CertificateError::NotValidForName => "it is not valid for this host name".to_string(),
        CertificateError::BadSignature => "its signature does not verify".to_string(),
        CertificateError::Revoked => "it has been revoked".to_string(),
        other => other.to_string(),
    };
    format!("certificate not trusted: {reason}")
}

/// What makes two checks need different clients.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    ca: Option<PathBuf>,
    insecure: bool,
    follow_redirects: bool,
}

/// One HTTP client per TLS and redirect setting, shared by every check of a run.
#[derive(Debug, Default)]
pub(crate) struct Clients {
    cache: Mutex<HashMap<ClientKey, reqwest::Client>>,
}

impl Clients {
    /// The client for plain API calls (Prometheus): system roots, redirects followed.
    pub(crate) fn api(&self) -> Result<reqwest::Client, String> {
        self.client(&ClientKey {
            ca: None,
            insecure: false,
            follow_redirects: true,
        })
    }

    /// The client for `key`, built on first use. A bad `ca` file is reported each time, not
    /// cached, so fixing the file fixes the next attempt.
    fn client(&self, key: &ClientKey) -> Result<reqwest::Client, String> {
        // A panic elsewhere cannot leave the map half-written: insert is the only change.
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = cache.get(key) {
            return Ok(client.clone());
        }
        // Built under the lock so that a thousand checks starting at once load the system
        // roots once, not a thousand times; this is brief and never spans an await.
        let client = build_client(key)?;
        cache.insert(key.clone(), client.clone());
        Ok(client)
    }
}

fn build_client(key: &ClientKey) -> Result<reqwest::Client, String> {
    let mut tls = super::tls_client::client_config(key.ca.as_deref(), key.insecure)?;
    // reqwest leaves ALPN to a preconfigured TLS setup.
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let redirects = if key.follow_redirects {
        reqwest::redirect::Policy::limited(MAX_REDIRECTS)
    } else {
        reqwest::redirect::Policy::none()
    };
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(redirects)
        // A go-live check verifies the endpoint itself, not whatever HTTP_PROXY points to.
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(IDLE_PER_HOST)
        .user_agent(concat!("golive/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| format!("cannot set up the HTTP client: {error}"))
}
