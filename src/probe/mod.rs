//! Probes: each verifies one kind of thing (an HTTP endpoint, a certificate, a port, a name,
//! a command, a file) and reports what it observed as typed metrics.
//!
//! Architecture invariant: a probe that finds a problem — connection refused, certificate
//! expired, command failed — returns an [`Outcome`] describing it. Probes have no error path:
//! conditions decide what passes. Every probe honours the timeout it is given and cleans up
//! after itself (the command probe kills its whole process group).

pub mod command;
pub mod dns;
pub mod drift;
pub mod endpoint;
pub mod file;
pub mod http;
mod keys;
pub mod llm;
pub mod load;
pub mod model;
pub mod postgres;
pub mod prometheus;
pub mod scan;
pub(crate) mod stats;
pub mod tcp;
pub mod tls;
pub(crate) mod tls_client;

use std::time::Duration;

use crate::checklist::toml::{Fields, Spanned};
use crate::diagnostic::Diagnostic;
use crate::expr::{Observations, Value};
pub use keys::{KeyDoc, KeyKind, ProbeDoc, duration_key};

/// What one run of a probe saw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Metric name → value, e.g. `status` → 200, `latency` → 12ms, `cert.days_left` → 89.
    pub observed: Observations,
    /// Why some metrics could not be observed (`connection refused`), when that happened.
    pub problem: Option<String>,
}

impl Outcome {
    pub fn observe(&mut self, metric: impl Into<String>, value: Value) {
        self.observed.insert(metric.into(), value);
    }

    pub fn with_problem(problem: impl Into<String>) -> Outcome {
        Outcome {
            observed: Observations::new(),
            problem: Some(problem.into()),
        }
    }
}

/// One configured probe, ready to run.
#[derive(Debug, Clone)]
pub enum Spec {
    Http(http::HttpSpec),
    Tls(tls::TlsSpec),
    Tcp(tcp::TcpSpec),
    Dns(dns::DnsSpec),
    Command(command::CommandSpec),
    File(file::FileSpec),
    Load(load::LoadSpec),
    Postgres(postgres::PostgresSpec),
    Prometheus(prometheus::PrometheusSpec),
    Drill(crate::drill::DrillSpec),
    Drift(drift::DriftSpec),
    Model(model::ModelSpec),
    Llm(llm::LlmSpec),
    Scan(scan::ScanSpec),
}

/// Every probe's documentation: keys, metrics. Drives unknown-key errors and `golive schema`.
pub const PROBES: [&ProbeDoc; 14] = [
    &http::DOC,
    &tls::DOC,
    &tcp::DOC,
    &dns::DOC,
    &command::DOC,
    &file::DOC,
    &load::DOC,
    &postgres::DOC,
    &prometheus::DOC,
    &crate::drill::DOC,
    &drift::DOC,
    &model::DOC,
    &llm::DOC,
    &scan::DOC,
];

pub fn doc(name: &str) -> Option<&'static ProbeDoc> {
    PROBES.into_iter().find(|doc| doc.name == name)
}

impl Spec {
    /// Builds the spec of probe `probe` from the keys it understands; the caller reports any
    /// key left in `fields` as unknown.
    pub fn from_fields(
        probe: &Spanned<String>,
        fields: &mut Fields,
    ) -> Result<Spec, Vec<Diagnostic>> {
        match probe.value.as_str() {
            "http" => http::HttpSpec::from_fields(fields).map(Spec::Http),
            "tls" => tls::TlsSpec::from_fields(fields).map(Spec::Tls),
            "tcp" => tcp::TcpSpec::from_fields(fields).map(Spec::Tcp),
            "dns" => dns::DnsSpec::from_fields(fields).map(Spec::Dns),
            "command" => command::CommandSpec::from_fields(fields).map(Spec::Command),
            "file" => file::FileSpec::from_fields(fields).map(Spec::File),
            "load" => load::LoadSpec::from_fields(fields).map(Spec::Load),
            "postgres" => postgres::PostgresSpec::from_fields(fields).map(Spec::Postgres),
            "prometheus" => prometheus::PrometheusSpec::from_fields(fields).map(Spec::Prometheus),
            "drill" => crate::drill::DrillSpec::from_fields(fields).map(Spec::Drill),
            "drift" => drift::DriftSpec::from_fields(fields).map(Spec::Drift),
            "model" => model::ModelSpec::from_fields(fields).map(Spec::Model),
            "llm" => llm::LlmSpec::from_fields(fields).map(Spec::Llm),
            "scan" => scan::ScanSpec::from_fields(fields).map(Spec::Scan),
            other => {
                let names = PROBES.map(|doc| doc.name);
                let diagnostic =
                    Diagnostic::new(probe.span.clone(), format!("unknown probe `{other}`"));
                Err(vec![match crate::diagnostic::did_you_mean(other, names) {
                    Some(name) => diagnostic.with_hint(format!("did you mean `{name}`?")),
                    None => diagnostic.with_hint(format!("probes: {}", names.join(", "))),
                }])
            }
        }
    }

    /// Makes relative paths in the spec relative to `base` (the configuration's directory),
    /// so a check means the same thing whatever directory golive is started from.
    pub fn anchor(&mut self, base: &std::path::Path) {
        match self {
            Spec::File(spec) => spec.anchor(base),
            Spec::Load(spec) => spec.anchor(base),
            Spec::Command(spec) => spec.anchor(base),
            Spec::Drift(spec) => spec.anchor(base),
            Spec::Model(spec) => spec.anchor(base),
            Spec::Llm(spec) => spec.anchor(base),
            Spec::Scan(spec) => spec.anchor(base),
            Spec::Http(spec) => {
                if let Some(ca) = &mut spec.ca
                    && ca.is_relative()
                {
                    *ca = base.join(&*ca);
                }
            }
            Spec::Tls(spec) => {
                if let Some(ca) = &mut spec.ca
                    && std::path::Path::new(ca.as_str()).is_relative()
                {
                    *ca = base.join(&*ca).display().to_string();
                }
            }
            Spec::Drill(spec) => spec.anchor(base),
            Spec::Tcp(_) | Spec::Dns(_) | Spec::Postgres(_) | Spec::Prometheus(_) => {}
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Spec::Http(_) => "http",
            Spec::Tls(_) => "tls",
            Spec::Tcp(_) => "tcp",
            Spec::Dns(_) => "dns",
            Spec::Command(_) => "command",
            Spec::File(_) => "file",
            Spec::Load(_) => "load",
            Spec::Postgres(_) => "postgres",
            Spec::Prometheus(_) => "prometheus",
            Spec::Drill(_) => "drill",
            Spec::Drift(_) => "drift",
            Spec::Model(_) => "model",
            Spec::Llm(_) => "llm",
            Spec::Scan(_) => "scan",
        }
    }

    /// What the probe looks at, for people: a URL, `host:port`, a path, a command line.
    pub fn target(&self) -> String {
        match self {
            Spec::Http(spec) => spec.target(),
            Spec::Tls(spec) => spec.target(),
            Spec::Tcp(spec) => spec.target(),
            Spec::Dns(spec) => spec.target(),
            Spec::Command(spec) => spec.target(),
            Spec::File(spec) => spec.target(),
            Spec::Load(spec) => spec.target(),
            Spec::Postgres(spec) => spec.target(),
            Spec::Prometheus(spec) => spec.target(),
            Spec::Drill(spec) => spec.target(),
            Spec::Drift(spec) => spec.target(),
            Spec::Model(spec) => spec.target(),
            Spec::Llm(spec) => spec.target(),
            Spec::Scan(spec) => spec.target(),
        }
    }

    /// Runs the probe once; it gives up after `timeout` with an outcome that says so.
    pub async fn run(&self, context: &Context, timeout: Duration) -> Outcome {
        match self {
            Spec::Http(spec) => spec.run(context, timeout).await,
            Spec::Tls(spec) => spec.run(timeout).await,
            Spec::Tcp(spec) => spec.run(timeout).await,
            Spec::Dns(spec) => spec.run(timeout).await,
            Spec::Command(spec) => spec.run(timeout).await,
            Spec::File(spec) => spec.run().await,
            Spec::Load(spec) => spec.run(timeout).await,
            Spec::Postgres(spec) => boxed(spec.run(timeout)).await,
            Spec::Prometheus(spec) => spec.run(context, timeout).await,
            Spec::Drill(spec) => boxed(spec.run(context, timeout)).await,
            Spec::Drift(spec) => spec.run(timeout).await,
            Spec::Model(spec) => spec.run(context, timeout).await,
            Spec::Llm(spec) => spec.run(context, timeout).await,
            Spec::Scan(spec) => spec.run(timeout).await,
        }
    }

    /// [`Spec::run`] with its future's type named, for probes run from inside a probe (a
    /// drill's `then` checks): the name breaks the type's recursion.
    pub fn run_boxed<'a>(
        &'a self,
        context: &'a Context,
        timeout: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send + 'a>> {
        Box::pin(self.run(context, timeout))
    }

    /// How long one attempt may take when the check's timeout is `timeout`: the timeout
    /// itself, except for load tests, which are bounded by their `duration` or `requests`
    /// and use `timeout` for each request.
    pub fn time_limit(&self, timeout: Duration) -> Duration {
        match self {
            Spec::Load(spec) => spec.time_limit(),
            Spec::Drill(spec) => spec.time_limit(timeout),
            _ => timeout,
        }
    }
}

/// A probe's future behind a pointer: sqlx's connection futures hold higher-ranked lifetimes
/// that rustc cannot prove `Send` through once they are nested in a spawned task, and drills
/// run probes of their own (their `then` checks), which needs the indirection anyway.
fn boxed<'a>(
    future: impl std::future::Future<Output = Outcome> + Send + 'a,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send + 'a>> {
    Box::pin(future)
}

/// What probes share across a run: HTTP clients (one connection pool per TLS setting, so
/// thousands of checks against one server reuse keep-alive connections).
#[derive(Debug, Default)]
pub struct Context {
    pub(crate) http: http::Clients,
}
