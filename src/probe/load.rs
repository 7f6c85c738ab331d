//! `load`: a load test as a check — many requests against one URL for a bounded time or
//! count, with latency percentiles, throughput and errors by kind as metrics, so that
//! "p95 < 200ms at 1000 RPS" or "error rate < 0.1%" gate go-live like any other condition.
//!
//! The request keys (`url`, `method`, `headers`, `body`, `ca`, `insecure`) are read and
//! checked exactly as the `http` probe reads them. The check's `timeout` bounds each request;
//! the test as a whole is bounded by `duration` or `requests`, one of which is required.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;

use super::Outcome;
use super::http::HttpSpec;
use super::keys::{KeyDoc, KeyKind, ProbeDoc};
use crate::checklist::toml::{Fields, RawValue, Spanned};
use crate::diagnostic::Diagnostic;
use crate::expr::Value;
use crate::load::{self, Bound, Config, Load, MAX_CONNECTIONS, MAX_RATE, MAX_REQUESTS, Summary};

const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

// One line per key and metric, so the table reads as one.
#[rustfmt::skip]
pub const DOC: ProbeDoc = ProbeDoc {
    name: "load",
    summary: "load-tests one URL for a bounded `duration` or number of `requests` and observes latency percentiles, throughput and errors; `timeout` bounds each request",
    keys: &[
        KeyDoc { name: "url", kind: KeyKind::String, required: true, doc: "an http:// or https:// URL" },
        KeyDoc { name: "duration", kind: KeyKind::Duration, required: false, doc: "how long the test runs, at most 1h; give this or `requests`" },
        KeyDoc { name: "requests", kind: KeyKind::Integer, required: false, doc: "how many requests to send, at most 100000000; give this or `duration`" },
        KeyDoc { name: "connections", kind: KeyKind::Integer, required: false, doc: "concurrent connections, one request at a time on each (default 10)" },
        KeyDoc { name: "rate", kind: KeyKind::Integer, required: false, doc: "requests per second on a fixed schedule (open model: latency counts from when a request was due, so a stalled server shows); without it each connection sends as fast as answers come" },
        KeyDoc { name: "method", kind: KeyKind::Choice(METHODS), required: false, doc: "request method (default GET)" },
        KeyDoc { name: "headers", kind: KeyKind::StringTable, required: false, doc: "request headers, e.g. `{ Authorization = \"Bearer ${env:TOKEN}\" }`" },
        KeyDoc { name: "body", kind: KeyKind::String, required: false, doc: "request body, sent as is with every request" },
        KeyDoc { name: "http2", kind: KeyKind::Bool, required: false, doc: "speak HTTP/2 (ALPN over TLS, prior knowledge over plain http) instead of HTTP/1.1 (default false)" },
        KeyDoc { name: "ca", kind: KeyKind::String, required: false, doc: "PEM file of the CA certificates to trust instead of the system's" },
        KeyDoc { name: "insecure", kind: KeyKind::Bool, required: false, doc: "accept any certificate (default false)" },
    ],
    metrics: &[
        ("p50", "median latency, from when a request was due to its last byte"),
        ("p90", "90th percentile latency"),
        ("p95", "95th percentile latency"),
        ("p99", "99th percentile latency"),
        ("p999", "99.9th percentile latency"),
        ("max", "slowest request"),
        ("mean", "mean latency"),
        ("rps", "responses per second, any status"),
        ("requests", "requests finished: answered, whatever the status, or failed"),
        ("errors", "failed requests: errors.status + errors.connect + errors.timeout + errors.io"),
        ("errors.status", "responses with a status of 400 or more"),
        ("errors.connect", "requests that found no connection: refused, TLS failure, connect timeout"),
        ("errors.timeout", "requests unanswered within `timeout` (their latency counts, as at least the timeout)"),
        ("errors.io", "requests whose connection broke during the exchange"),
        ("error_rate", "errors as a percentage of requests"),
        ("in_flight", "requests unanswered when the test ended, or due but never sent; not errors"),
        ("status_codes", "responses by status as JSON, e.g. {\"200\": 9950, \"503\": 50}"),
        ("histogram", "latency histogram as JSON, [{\"le_ms\": 1.2, \"count\": 40}, …], for reports"),
    ],
    default_expect: &["requests > 0", "error_rate == 0%"],
};

#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// The test; its `timeout` is set from the check's on each run.
    pub config: Config,
}

impl LoadSpec {
    pub fn from_fields(fields: &mut Fields) -> Result<Self, Vec<Diagnostic>> {
        let header = fields.span.clone();
        let mut errors = Vec::new();
        // The load keys first, then the request keys through the `http` probe's reader, so
        // that URLs, methods and headers are checked, and explained, in one place.
        let duration = keep(spanned_duration(fields, "duration"), &mut errors).flatten();
        let requests = keep(fields.integer("requests"), &mut errors).flatten();
        let connections = keep(fields.integer("connections"), &mut errors).flatten();
        let rate = keep(rate_key(fields), &mut errors).flatten();
        let http2 = keep(fields.bool("http2"), &mut errors).flatten();
        if let Some(value) = fields.take("follow_redirects") {
            errors.push(
                Diagnostic::new(value.span, "a load test does not follow redirects")
                    .with_hint("point `url` at the final address"),
            );
        }
        let request = HttpSpec::from_fields(fields)
            .map_err(|more| errors.extend(more))
            .ok();

        let bound = match (duration, requests) {
            (Some(_), Some(requests)) => {
                errors.push(
                    Diagnostic::new(requests.span, "give `duration` or `requests`, not both")
                        .with_hint("a test ends at one bound: remove one of them"),
                );
                None
            }
            (None, None) => {
                errors.push(
                    Diagnostic::new(header, "a load test needs a bound: `duration` or `requests`")
                        .with_hint("add `duration = \"30s\"` or `requests = 10000`; load tests always end by themselves"),
                );
                None
            }
            (
                Some(Spanned {
                    value: duration,
                    span,
                }),
                None,
            ) => {
                if duration.is_zero() {
                    errors.push(Diagnostic::new(span, "`duration` must be more than 0s"));
                } else if duration > load::MAX_DURATION {
                    errors.push(
                        Diagnostic::new(
                            span,
                            format!(
                                "`duration` is at most 1h, not {}",
                                Value::Duration(duration)
                            ),
                        )
                        .with_hint("split a longer soak test into several checks"),
                    );
                }
                Some(Bound::Duration(duration))
            }
            (None, Some(requests)) => match u64::try_from(requests.value) {
                Ok(count) if (1..=MAX_REQUESTS).contains(&count) => Some(Bound::Requests(count)),
                _ => {
                    errors.push(Diagnostic::new(
                        requests.span,
                        format!("`requests` must be between 1 and {MAX_REQUESTS}"),
                    ));
                    None
                }
            },
        };
        let connections = match connections {
            None => load::DEFAULT_CONNECTIONS,
            Some(Spanned { value, span }) => match usize::try_from(value) {
                Ok(count) if (1..=MAX_CONNECTIONS).contains(&count) => count,
                _ => {
                    errors.push(Diagnostic::new(
                        span,
                        format!("`connections` must be between 1 and {MAX_CONNECTIONS}"),
                    ));
                    load::DEFAULT_CONNECTIONS
                }
            },
        };
        let rate = match rate {
            Some(Spanned { value, span }) if !(value > 0.0 && value <= MAX_RATE) => {
                errors.push(Diagnostic::new(
                    span,
                    format!("`rate` must be above 0 and at most {MAX_RATE} requests per second"),
                ));
                None
            }
            Some(Spanned { value, span }) => {
                if let Some(Bound::Requests(count)) = bound
                    && count as f64 / value > load::MAX_DURATION.as_secs_f64()
                {
                    errors.push(
                        Diagnostic::new(
                            span,
                            format!("{count} requests at this rate would take more than 1h"),
                        )
                        .with_hint("raise `rate` or lower `requests`"),
                    );
                }
                Some(value)
            }
            None => None,
        };
        match (bound, request) {
            (Some(bound), Some(request)) if errors.is_empty() => {
                let mut config = Config::new(request.url.to_string(), bound);
                config.method = request.method;
                config.headers = request.headers;
                config.body = request.body.map(Bytes::from).unwrap_or_default();
                config.connections = connections;
                config.rate = rate;
                config.http2 = http2.is_some_and(|flag| flag.value);
                config.ca = request.ca;
                config.insecure = request.insecure;
                Ok(LoadSpec { config })
            }
            _ => Err(errors),
        }
    }

    pub fn target(&self) -> String {
        self.config.url.clone()
    }

    /// Relative `ca` paths are relative to the configuration's directory.
    pub fn anchor(&mut self, base: &Path) {
        if let Some(ca) = &mut self.config.ca
            && ca.is_relative()
        {
            *ca = base.join(&*ca);
        }
    }

    /// How long a run can take: the bound plus a grace, whatever the per-request timeout.
    /// The engine must allow this much for a load check, not just its `timeout`.
    pub fn time_limit(&self) -> Duration {
        self.config.time_limit()
    }

    /// Runs the test; `timeout` bounds each request.
    pub async fn run(&self, timeout: Duration) -> Outcome {
        let mut config = self.config.clone();
        config.timeout = timeout;
        let load = match Load::new(config) {
            Ok(load) => load,
            Err(error) => return Outcome::with_problem(error.to_string()),
        };
        match load.run().await {
            Ok(summary) => outcome(&summary),
            Err(error) => Outcome::with_problem(error.to_string()),
        }
    }
}

/// A load test's result as the metrics of [`DOC`]; `golive load --expect` evaluates the same.
pub fn outcome(summary: &Summary) -> Outcome {
    let mut outcome = Outcome::default();
    let count = |n: u64| Value::Number(n as f64);
    if let Some(latency) = &summary.latency {
        for (name, value) in [
            ("p50", latency.p50),
            ("p90", latency.p90),
            ("p95", latency.p95),
            ("p99", latency.p99),
            ("p999", latency.p999),
            ("max", latency.max),
            ("mean", latency.mean),
        ] {
            outcome.observe(name, Value::Duration(value));
        }
    }
    outcome.observe("rps", Value::Number((summary.rps() * 10.0).round() / 10.0));
    outcome.observe("requests", count(summary.requests));
    outcome.observe("errors", count(summary.errors.total()));
    outcome.observe("errors.status", count(summary.errors.status));
    outcome.observe("errors.connect", count(summary.errors.connect));
    outcome.observe("errors.timeout", count(summary.errors.timeout));
    outcome.observe("errors.io", count(summary.errors.io));
    outcome.observe(
        "error_rate",
        Value::percent_of(summary.errors.total() as f64, summary.requests as f64),
    );
    outcome.observe("in_flight", count(summary.in_flight));
    if let serde_json::Value::Object(codes) = &summary.to_json()["status_codes"] {
        outcome.observe(
            "status_codes",
            Value::Json(serde_json::Value::Object(codes.clone())),
        );
    }
    outcome.observe("histogram", Value::Json(summary.histogram_json()));
    if summary.latency.is_none() {
        // Without a single answer the latency metrics are missing; say why.
        let mut problem = format!(
            "no request was answered in {}",
            Value::Duration(summary.elapsed)
        );
        if let Some(example) = summary.error_examples.first() {
            problem.push_str(&format!(" ({example})"));
        }
        outcome.problem = Some(problem);
    }
    outcome
}

fn keep<T>(result: Result<T, Diagnostic>, errors: &mut Vec<Diagnostic>) -> Option<T> {
    result.map_err(|error| errors.push(error)).ok()
}

/// A duration key with its position, for errors about its value; read as `duration_key`
/// reads durations.
fn spanned_duration(
    fields: &mut Fields,
    key: &str,
) -> Result<Option<Spanned<Duration>>, Diagnostic> {
    let Some(text) = fields.string(key)? else {
        return Ok(None);
    };
    match crate::expr::parse_duration(&text.value) {
        Some(value) => Ok(Some(Spanned {
            value,
            span: text.span,
        })),
        None => Err(Diagnostic::new(
            text.span,
            format!("`{key}` must be a duration, not `{}`", text.value),
        )
        .with_hint("write a number and a unit: ms, s, m, h or d, e.g. \"10s\"")),
    }
}

/// `rate = 200` or `rate = 0.5`.
fn rate_key(fields: &mut Fields) -> Result<Option<Spanned<f64>>, Diagnostic> {
    match fields.take("rate") {
        None => Ok(None),
        Some(Spanned {
            value: RawValue::Integer(n),
            span,
        }) => Ok(Some(Spanned {
            value: n as f64,
            span,
        })),
        Some(Spanned {
            value: RawValue::Float(n),
            span,
        }) => Ok(Some(Spanned { value: n, span })),
        Some(other) => Err(Diagnostic::new(
            other.span,
            format!(
                "`rate` must be a number of requests per second, not {}",
                other.value.kind()
            ),
        )
        .with_hint("e.g. `rate = 1000`")),
    }
}
