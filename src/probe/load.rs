//! `load`: a load test as a check — many requests against one URL, or a journey of named
//! requests (`[[check.request]]`), for a bounded time, count or ramp of `stages`, with
//! latency percentiles (in total and per request name), throughput, errors by kind and the
//! target's memory as metrics, so that "p95 < 200ms at 100 users", "p95[login] < 300ms" or
//! "memory.slope < 10MB/h" gate go-live like any other condition.
//!
//! The request keys (`url`, `method`, `headers`, `body`, `ca`, `insecure`) are read and
//! checked exactly as the `http` probe reads them. The check's `timeout` bounds each request;
//! the test as a whole is bounded by `duration`, `requests` or `stages`, one of which is
//! required.

use std::path::Path;
use std::time::Duration;

use http::HeaderMap;

use super::Outcome;
use super::http::HttpSpec;
use super::keys::{KeyDoc, KeyKind, ProbeDoc};
use crate::checklist::toml::{Fields, RawValue, Spanned};
use crate::diagnostic::Diagnostic;
use crate::expr::Value;
use crate::load::{
    self, Bound, Capture, Config, Load, MAX_CONNECTIONS, MAX_RATE, MAX_REQUESTS, MemorySource, Mix,
    RequestSpec, Stage, StageKind, Summary,
};

const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

// One line per key and metric, so the table reads as one.
#[rustfmt::skip]
pub const DOC: ProbeDoc = ProbeDoc {
    name: "load",
    summary: "load-tests one URL or a journey of named requests for a bounded `duration`, number of `requests` or ramp of `stages`, and observes latency percentiles (in total and per request name), throughput, errors and the target's memory; `timeout` bounds each request",
    keys: &[
        KeyDoc { name: "url", kind: KeyKind::String, required: false, doc: "an http:// or https:// URL; or give `[[check.request]]` tables instead" },
        KeyDoc { name: "request", kind: KeyKind::TableList, required: false, doc: "`[[check.request]]` tables, each with `name`, `method`, `url`, `headers`, `body`, `weight` and `capture = { token = \"json.access_token\" }`; later requests use `{{token}}`; all to one origin" },
        KeyDoc { name: "mix", kind: KeyKind::Choice(&["journey", "weighted"]), required: false, doc: "`journey` (default): each user sends the requests in order, again and again; `weighted`: at random by `weight`" },
        KeyDoc { name: "duration", kind: KeyKind::Duration, required: false, doc: "how long the test runs, at most 24h; give this, `requests` or `stages`" },
        KeyDoc { name: "requests", kind: KeyKind::Integer, required: false, doc: "how many requests to send, at most 100000000; give this, `duration` or `stages`" },
        KeyDoc { name: "users", kind: KeyKind::Integer, required: false, doc: "virtual users, each with its own connection, sending its next request when the last is answered (the closed model; default 10, at most 10000)" },
        KeyDoc { name: "connections", kind: KeyKind::Integer, required: false, doc: "the same as `users`; with a `rate`, how many requests may be under way at once (default 10)" },
        KeyDoc { name: "think", kind: KeyKind::Duration, required: false, doc: "each user's pause after an answer, e.g. \"1s\"" },
        KeyDoc { name: "rate", kind: KeyKind::Integer, required: false, doc: "requests per second on a fixed schedule (open model: latency counts from when a request was due, so a stalled server shows); without it each connection sends as fast as answers come" },
        KeyDoc { name: "stages", kind: KeyKind::TableList, required: false, doc: "a ramp, linear from each target to the next starting at 0: `[{ duration = \"30s\", users = 100 }, …]`, or with `rate = 1000` for the open model; sets the test's duration" },
        KeyDoc { name: "memory", kind: KeyKind::Table, required: false, doc: "the target's memory, sampled during the test for `memory.*`: `{ pid = 1234 }`, `{ command = \"…\" }` (prints bytes) or `{ prometheus = \"http://…:9090\", query = \"process_resident_memory_bytes{job='api'}\" }`, with `every = \"10s\"` (default 1s)" },
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
        ("errors.capture", "answers in which a `capture` found nothing (the user's journey starts over)"),
        ("error_rate", "errors as a percentage of requests"),
        ("in_flight", "requests unanswered when the test ended, or due but never sent; not errors"),
        ("status_codes", "responses by status as JSON, e.g. {\"200\": 9950, \"503\": 50}"),
        ("histogram", "latency histogram as JSON, [{\"le_ms\": 1.2, \"count\": 40}, …], for reports"),
        ("p50[NAME]", "median latency of the requests named NAME (also p90, p95, p99, max and mean)"),
        ("p90[NAME]", "90th percentile latency of the requests named NAME"),
        ("p95[NAME]", "95th percentile latency of the requests named NAME"),
        ("p99[NAME]", "99th percentile latency of the requests named NAME"),
        ("max[NAME]", "slowest request named NAME"),
        ("mean[NAME]", "mean latency of the requests named NAME"),
        ("requests[NAME]", "requests named NAME that finished"),
        ("errors[NAME]", "failed requests named NAME"),
        ("error_rate[NAME]", "errors as a percentage of the requests named NAME"),
        ("memory.start", "the target's first memory sample"),
        ("memory.end", "the target's last memory sample"),
        ("memory.max", "the target's largest memory sample"),
        ("memory.growth", "last memory sample minus the first (0 when it shrank)"),
        ("memory.slope", "memory growth per hour, a least-squares fit of every sample, e.g. `memory.slope < 10MB/h`"),
        ("memory.samples", "how many memory samples were taken"),
        ("memory.timeline", "memory samples as JSON, [{\"t_s\": 0, \"bytes\": 123}, …], for reports"),
        ("series", "results per interval as JSON, [{\"t_s\": 0, \"rps\": 950, \"p95_ms\": 2.1, \"errors\": 0, …}, …], for reports"),
    ],
    default_expect: &["requests > 0", "error_rate == 0%"],
};

#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// The test; its `timeout` is set from the check's on each run.
    pub config: Config,
}

/// Keys a `[[check.request]]` table may hold.
const REQUEST_KEYS: &[&str] = &[
    "name", "method", "url", "headers", "body", "weight", "capture",
];

impl LoadSpec {
    pub fn from_fields(fields: &mut Fields) -> Result<Self, Vec<Diagnostic>> {
        let header = fields.span.clone();
        let mut errors = Vec::new();
        // The load keys first, then the request keys through the `http` probe's reader, so
        // that URLs, methods and headers are checked, and explained, in one place.
        let duration = keep(spanned_duration(fields, "duration"), &mut errors).flatten();
        let requests = keep(fields.integer("requests"), &mut errors).flatten();
        let connections = keep(fields.integer("connections"), &mut errors).flatten();
        let users = keep(fields.integer("users"), &mut errors).flatten();
        let rate = keep(rate_key(fields), &mut errors).flatten();
        let http2 = keep(fields.bool("http2"), &mut errors).flatten();
        let think = keep(spanned_duration(fields, "think"), &mut errors).flatten();
        let mix = keep(fields.string("mix"), &mut errors).flatten();
        let stages = fields
            .take("stages")
            .and_then(|raw| keep(read_stages(raw), &mut errors));
        let memory = fields
            .take("memory")
            .and_then(|raw| read_memory(raw).map_err(|more| errors.extend(more)).ok());
        if let Some(value) = fields.take("follow_redirects") {
            errors.push(
                Diagnostic::new(value.span, "a load test does not follow redirects")
                    .with_hint("point `url` at the final address"),
            );
        }
        let journey = fields.take("request");
        let (specs, ca, insecure) = match journey {
            None => match HttpSpec::from_fields(fields) {
                Ok(request) => {
                    let mut spec = RequestSpec::get(request.url.to_string());
                    spec.method = request.method;
                    spec.headers = request.headers;
                    spec.body = request.body.map(String::into_bytes).unwrap_or_default();
                    (Some(vec![spec]), request.ca, request.insecure)
                }
                Err(more) => {
                    errors.extend(more);
                    (None, None, false)
                }
            },
            Some(raw) => {
                for key in ["url", "method", "body"] {
                    if let Some(value) = fields.take(key) {
                        errors.push(
                            Diagnostic::new(
                                value.span,
                                format!("`{key}` belongs in each `[[check.request]]`"),
                            )
                            .with_hint(
                                "give one URL on the check, or a list of requests, not both",
                            ),
                        );
                    }
                }
                let shared_headers = keep(fields.string_table("headers"), &mut errors)
                    .map(|entries| super::http::parse_headers(entries, &mut errors))
                    .unwrap_or_default();
                let ca = keep(fields.string("ca"), &mut errors).flatten();
                let insecure = keep(fields.bool("insecure"), &mut errors).flatten();
                let specs = read_requests(raw, &shared_headers, &mut errors);
                (
                    Some(specs),
                    ca.map(|ca| std::path::PathBuf::from(ca.value)),
                    insecure.is_some_and(|flag| flag.value),
                )
            }
        };

        let mut bound = match (duration, requests, &stages) {
            (Some(_), _, Some((_, _, span))) | (None, Some(_), Some((_, _, span))) => {
                errors.push(
                    Diagnostic::new(
                        span.clone(),
                        "`stages` set the test's duration: remove `duration` and `requests`",
                    )
                    .with_hint("the test lasts as long as its stages together"),
                );
                None
            }
            (None, None, Some((_, stages, _))) => {
                let total: Duration = stages.iter().map(|stage| stage.duration).sum();
                Some(Bound::Duration(total))
            }
            (Some(_), Some(requests), _) => {
                errors.push(
                    Diagnostic::new(requests.span, "give `duration` or `requests`, not both")
                        .with_hint("a test ends at one bound: remove one of them"),
                );
                None
            }
            (None, None, None) => {
                errors.push(
                    Diagnostic::new(header.clone(), "a load test needs a bound: `duration`, `requests` or `stages`")
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
                None,
            ) => {
                if duration.is_zero() {
                    errors.push(Diagnostic::new(span, "`duration` must be more than 0s"));
                } else if duration > load::MAX_DURATION {
                    errors.push(
                        Diagnostic::new(
                            span,
                            format!(
                                "`duration` is at most {}, not {}",
                                Value::Duration(load::MAX_DURATION),
                                Value::Duration(duration)
                            ),
                        )
                        .with_hint("split a longer soak test into several checks"),
                    );
                }
                Some(Bound::Duration(duration))
            }
            (None, Some(requests), None) => match u64::try_from(requests.value) {
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
        if let Some(Bound::Duration(total)) = bound
            && total > load::MAX_DURATION
            && let Some((_, _, span)) = &stages
        {
            errors.push(Diagnostic::new(
                span.clone(),
                format!(
                    "the stages last {}, more than {}",
                    Value::Duration(total),
                    Value::Duration(load::MAX_DURATION)
                ),
            ));
            bound = None;
        }
        let connections = match (connections, users.clone()) {
            (Some(_), Some(users)) => {
                errors.push(
                    Diagnostic::new(users.span, "give `users` or `connections`, not both")
                        .with_hint("each user has one connection: they count the same thing"),
                );
                None
            }
            (Some(count), None) | (None, Some(count)) => Some(count),
            (None, None) => None,
        };
        let connections = match connections {
            None => load::DEFAULT_CONNECTIONS,
            Some(Spanned { value, span }) => match usize::try_from(value) {
                Ok(count) if (1..=MAX_CONNECTIONS).contains(&count) => count,
                _ => {
                    errors.push(Diagnostic::new(
                        span,
                        format!(
                            "`users` and `connections` must be between 1 and {MAX_CONNECTIONS}"
                        ),
                    ));
                    load::DEFAULT_CONNECTIONS
                }
            },
        };
        if let (Some(users), Some((StageKind::Users, _, _))) = (users.as_ref(), &stages) {
            errors.push(
                Diagnostic::new(
                    users.span.clone(),
                    "user stages set the users: remove `users`",
                )
                .with_hint("each stage's `users` is the target it ramps to"),
            );
        }
        let rate = match rate {
            Some(Spanned { value, span }) if !(value > 0.0 && value <= MAX_RATE) => {
                errors.push(Diagnostic::new(
                    span,
                    format!("`rate` must be above 0 and at most {MAX_RATE} requests per second"),
                ));
                None
            }
            Some(Spanned { span, .. }) if stages.is_some() => {
                errors.push(
                    Diagnostic::new(span, "give `rate` or `stages`, not both").with_hint(
                        "ramp the rate with stages such as `{ duration = \"30s\", rate = 1000 }`",
                    ),
                );
                None
            }
            Some(Spanned { value, span }) => {
                if let Some(Bound::Requests(count)) = bound
                    && count as f64 / value > load::MAX_DURATION.as_secs_f64()
                {
                    errors.push(
                        Diagnostic::new(
                            span,
                            format!("{count} requests at this rate would take more than a day"),
                        )
                        .with_hint("raise `rate` or lower `requests`"),
                    );
                }
                Some(value)
            }
            None => None,
        };
        if let Some(think) = &think
            && (rate.is_some() || matches!(stages, Some((StageKind::Rate, _, _))))
        {
            errors.push(
                Diagnostic::new(
                    think.span.clone(),
                    "`think` is for users (the closed model)",
                )
                .with_hint("with a `rate`, requests are already spaced by the schedule"),
            );
        }
        let mix = match mix {
            None => Mix::Journey,
            Some(text) => match text.value.as_str() {
                "journey" => Mix::Journey,
                "weighted" => Mix::Weighted,
                other => {
                    errors.push(
                        Diagnostic::new(text.span, format!("unknown mix `{other}`"))
                            .with_hint("`journey` (in order, the default) or `weighted`"),
                    );
                    Mix::Journey
                }
            },
        };
        match (bound, specs) {
            (Some(bound), Some(specs)) if errors.is_empty() => {
                let mut config = Config::new(String::new(), bound);
                config.requests = specs;
                config.mix = mix;
                config.connections = connections;
                config.rate = rate;
                if let Some((kind, stages, _)) = stages {
                    let pool = config.connections;
                    config.set_stages(kind, stages);
                    if kind == StageKind::Rate {
                        config.connections = pool;
                    }
                }
                config.think = think.map(|think| think.value);
                config.http2 = http2.is_some_and(|flag| flag.value);
                config.ca = ca;
                config.insecure = insecure;
                if let Some((source, every)) = memory {
                    config.memory = Some(source);
                    config.memory_every = every;
                }
                // The rest (one origin, captures before use, weights) is checked as the test
                // would be, and reported at the check.
                if let Err(error) = Load::new(config.clone()) {
                    return Err(vec![Diagnostic::new(header, error.to_string())]);
                }
                Ok(LoadSpec { config })
            }
            _ => Err(errors),
        }
    }

    /// The request names conditions may select, as in `p95[login]`.
    pub fn request_names(&self) -> Vec<String> {
        self.config
            .requests
            .iter()
            .enumerate()
            .map(|(index, request)| {
                request
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("request-{}", index + 1))
            })
            .collect()
    }

    pub fn target(&self) -> String {
        self.config.url().to_string()
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
    outcome.observe("errors.capture", count(summary.errors.capture));
    outcome.observe("histogram", Value::Json(summary.histogram_json()));
    for named in &summary.by_name {
        let name = &named.name;
        if let Some(latency) = &named.latency {
            for (metric, value) in [
                ("p50", latency.p50),
                ("p90", latency.p90),
                ("p95", latency.p95),
                ("p99", latency.p99),
                ("max", latency.max),
                ("mean", latency.mean),
            ] {
                outcome.observe(format!("{metric}[{name}]"), Value::Duration(value));
            }
        }
        outcome.observe(format!("requests[{name}]"), count(named.requests));
        outcome.observe(format!("errors[{name}]"), count(named.errors));
        outcome.observe(
            format!("error_rate[{name}]"),
            Value::percent_of(named.errors as f64, named.requests as f64),
        );
    }
    if !summary.series.is_empty() {
        outcome.observe("series", Value::Json(summary.series_json()));
    }
    let mut problems = Vec::new();
    if let Some(memory) = &summary.memory {
        outcome.observe("memory.samples", count(memory.samples.len() as u64));
        if let (Some(first), Some(last), Some(max), Some(growth)) =
            (memory.first(), memory.last(), memory.max(), memory.growth())
        {
            outcome.observe("memory.start", Value::Bytes(first));
            outcome.observe("memory.end", Value::Bytes(last));
            outcome.observe("memory.max", Value::Bytes(max));
            outcome.observe("memory.growth", Value::Bytes(growth.max(0) as u64));
            outcome.observe(
                "memory.timeline",
                Value::Json(memory.to_json()["samples"].clone()),
            );
        }
        match memory.slope() {
            Some(slope) => outcome.observe("memory.slope", Value::BytesPerHour(slope)),
            None => problems.push(format!(
                "memory ({}) not sampled twice{}",
                memory.source,
                memory
                    .failure
                    .as_ref()
                    .map(|reason| format!(": {reason}"))
                    .unwrap_or_else(|| ": the test was shorter than `every`".to_string())
            )),
        }
    }
    if summary.latency.is_none() {
        // Without a single answer the latency metrics are missing; say why.
        let mut problem = format!(
            "no request was answered in {}",
            Value::Duration(summary.elapsed)
        );
        if let Some(example) = summary.error_examples.first() {
            problem.push_str(&format!(" ({example})"));
        }
        problems.insert(0, problem);
    }
    if !problems.is_empty() {
        outcome.problem = Some(problems.join("; "));
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

/// `stages = [{ duration = "30s", users = 100 }, …]` or with `rate`: the kind, the stages,
/// and where they were written.
fn read_stages(
    raw: Spanned<RawValue>,
) -> Result<(StageKind, Vec<Stage>, std::ops::Range<usize>), Diagnostic> {
    let example =
        "e.g. `stages = [{ duration = \"30s\", users = 100 }, { duration = \"1m\", users = 100 }]`";
    let RawValue::Array(items) = raw.value else {
        return Err(Diagnostic::new(
            raw.span,
            format!(
                "`stages` must be a list of tables, not {}",
                raw.value.kind()
            ),
        )
        .with_hint(example));
    };
    if items.is_empty() {
        return Err(Diagnostic::new(raw.span, "`stages` is empty").with_hint(example));
    }
    let mut kind = None;
    let mut stages = Vec::new();
    for item in items {
        let span = item.span.clone();
        let RawValue::Table(mut table) = item.value else {
            return Err(Diagnostic::new(span, "each stage is a table").with_hint(example));
        };
        let duration = spanned_duration(&mut table, "duration")?.ok_or_else(|| {
            Diagnostic::new(span.clone(), "a stage needs a `duration`").with_hint(example)
        })?;
        if duration.value.is_zero() {
            return Err(Diagnostic::new(duration.span, "a stage lasts more than 0s"));
        }
        let users = table.integer("users")?;
        let rate = rate_key(&mut table)?;
        let (this, target, target_span) = match (users, rate) {
            (Some(users), None) => (StageKind::Users, users.value as f64, users.span),
            (None, Some(rate)) => (StageKind::Rate, rate.value, rate.span),
            _ => {
                return Err(Diagnostic::new(
                    span,
                    "a stage ramps `users` or `rate`: give one of them",
                )
                .with_hint(example));
            }
        };
        let limit = match this {
            StageKind::Users => MAX_CONNECTIONS as f64,
            StageKind::Rate => MAX_RATE,
        };
        if !(0.0..=limit).contains(&target) {
            return Err(Diagnostic::new(
                target_span,
                format!("a stage's target is between 0 and {limit}"),
            ));
        }
        if kind.is_some_and(|kind| kind != this) {
            return Err(
                Diagnostic::new(span, "all stages ramp the same thing: `users` or `rate`")
                    .with_hint("a test is either closed (users) or open (rate)"),
            );
        }
        kind = Some(this);
        if let Some((key, _)) = table.drain().into_iter().next() {
            return Err(Diagnostic::new(
                key.span,
                format!("unknown key `{}` in a stage", key.value),
            )
            .with_hint("a stage has `duration` and `users` or `rate`"));
        }
        stages.push(Stage {
            duration: duration.value,
            target,
        });
    }
    if stages.iter().all(|stage| stage.target == 0.0) {
        return Err(Diagnostic::new(
            raw.span,
            "every stage's target is 0: nothing would run",
        ));
    }
    Ok((kind.unwrap_or(StageKind::Users), stages, raw.span))
}

/// `memory = { pid = 1234 }`, `{ command = "…" }` or `{ prometheus = "…", query = "…" }`,
/// with an optional `every`.
fn read_memory(raw: Spanned<RawValue>) -> Result<(MemorySource, Duration), Vec<Diagnostic>> {
    let hint = "e.g. `memory = { pid = 1234 }`, `{ command = \"cat /sys/fs/cgroup/api/memory.current\" }` or `{ prometheus = \"http://127.0.0.1:9090\", query = \"process_resident_memory_bytes{job='api'}\" }`";
    let RawValue::Table(mut table) = raw.value else {
        return Err(vec![
            Diagnostic::new(
                raw.span,
                format!("`memory` must be a table, not {}", raw.value.kind()),
            )
            .with_hint(hint),
        ]);
    };
    let mut errors = Vec::new();
    let pid = keep(table.integer("pid"), &mut errors).flatten();
    let command = keep(table.string("command"), &mut errors).flatten();
    let prometheus = keep(table.string("prometheus"), &mut errors).flatten();
    let query = keep(table.string("query"), &mut errors).flatten();
    let every = keep(spanned_duration(&mut table, "every"), &mut errors).flatten();
    errors.extend(table.unknown_keys(
        "in `memory`",
        &["pid", "command", "prometheus", "query", "every"],
    ));
    let source = match (pid, command, prometheus) {
        (Some(pid), None, None) => match u32::try_from(pid.value) {
            Ok(value) if value > 0 => Some(MemorySource::Pid(value)),
            _ => {
                errors.push(Diagnostic::new(pid.span, "`pid` is a process id above 0"));
                None
            }
        },
        (None, Some(command), None) if !command.value.trim().is_empty() => {
            Some(MemorySource::Command(command.value))
        }
        (None, None, Some(url)) => match query {
            Some(query) => Some(MemorySource::Prometheus {
                url: url.value,
                query: query.value,
            }),
            None => {
                errors.push(
                    Diagnostic::new(url.span, "a Prometheus source needs a `query`")
                        .with_hint(hint),
                );
                None
            }
        },
        _ => {
            errors.push(
                Diagnostic::new(
                    raw.span.clone(),
                    "`memory` takes one of `pid`, `command` or `prometheus`",
                )
                .with_hint(hint),
            );
            None
        }
    };
    let every = match every {
        Some(every) if every.value.is_zero() => {
            errors.push(Diagnostic::new(every.span, "`every` must be more than 0s"));
            Duration::from_secs(1)
        }
        Some(every) => every.value,
        None => Duration::from_secs(1),
    };
    match source {
        Some(source) if errors.is_empty() => Ok((source, every)),
        _ => Err(errors),
    }
}

/// The `[[check.request]]` tables, each read by the `http` probe's reader; `shared` headers
/// (the check's own `headers`) go with every request that does not set them itself.
fn read_requests(
    raw: Spanned<RawValue>,
    shared: &HeaderMap,
    errors: &mut Vec<Diagnostic>,
) -> Vec<RequestSpec> {
    let RawValue::Array(items) = raw.value else {
        errors.push(
            Diagnostic::new(
                raw.span,
                "`request` must be a list of tables: write `[[check.request]]`",
            )
            .with_hint("each `[[check.request]]` below a `[[check]]` adds one request"),
        );
        return Vec::new();
    };
    let mut specs = Vec::new();
    for item in items {
        let span = item.span.clone();
        let RawValue::Table(mut table) = item.value else {
            errors.push(Diagnostic::new(
                span,
                "each request is a table: write `[[check.request]]`",
            ));
            continue;
        };
        table.span = span.clone();
        let name = keep(table.string("name"), errors).flatten();
        let weight = keep(table.integer("weight"), errors).flatten();
        let captures = keep(table.string_table("capture"), errors).unwrap_or_default();
        for key in ["ca", "insecure", "follow_redirects", "http2"] {
            if let Some(value) = table.take(key) {
                errors.push(
                    Diagnostic::new(value.span, format!("`{key}` applies to the whole test"))
                        .with_hint("set it on the `[[check]]`, not on one request"),
                );
            }
        }
        let request = HttpSpec::from_fields(&mut table)
            .map_err(|more| errors.extend(more))
            .ok();
        errors.extend(table.unknown_keys("in a `[[check.request]]`", REQUEST_KEYS));
        let name = name.and_then(|name| {
            let valid = name.value.starts_with(|c: char| c.is_ascii_alphabetic())
                && name.value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if valid {
                Some(name.value)
            } else {
                errors.push(
                    Diagnostic::new(name.span, format!("request name `{}` cannot be used in conditions", name.value))
                        .with_hint("names are letters, digits, `_` and `-`, starting with a letter, so that `p95[login]` can pick them"),
                );
                None
            }
        });
        let weight = match weight {
            None => 1,
            Some(weight) => u32::try_from(weight.value).unwrap_or_else(|_| {
                errors.push(Diagnostic::new(
                    weight.span,
                    "`weight` is a whole number from 0",
                ));
                1
            }),
        };
        let mut parsed = Vec::new();
        for (var, path) in captures {
            match Capture::parse(&var.value, &path.value) {
                Ok(capture) => parsed.push(capture),
                Err(message) => errors.push(Diagnostic::new(path.span, message)),
            }
        }
        if let Some(request) = request {
            let mut spec = RequestSpec::get(request.url.to_string());
            spec.name = name;
            spec.method = request.method;
            spec.headers = shared.clone();
            for (header, value) in &request.headers {
                spec.headers.insert(header, value.clone());
            }
            spec.body = request.body.map(String::into_bytes).unwrap_or_default();
            spec.weight = weight;
            spec.captures = parsed;
            specs.push(spec);
        }
    }
    if specs.is_empty() && errors.is_empty() {
        errors.push(Diagnostic::new(raw.span, "no request to send"));
    }
    specs
}
