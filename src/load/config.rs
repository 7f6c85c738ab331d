//! What a load test is asked to do: its requests (one URL, or a journey of named requests
//! with captures), its shape (connections or users, a rate, stages), its bound, and the
//! target's memory to sample. Everything is checked here before anything runs.

use std::path::PathBuf;
use std::time::Duration;

use http::Method;
use http::header::HeaderMap;

use super::journey::Capture;
use super::memory::MemorySource;
use super::target::Target;
use super::{LoadError, MAX_CONNECTIONS, MAX_DURATION, MAX_RATE, MAX_REQUESTS};
use crate::expr::Value;

/// What ends a test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// Stop at this time after the start; requests still unanswered are `in_flight`.
    Duration(Duration),
    /// Send this many requests, then stop once they are answered (or at [`MAX_DURATION`]).
    Requests(u64),
}

/// One request of a test. Its URL, header values and body may hold `{{name}}`, filled in
/// from what an earlier request of the journey captured.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// Shown in results and used in conditions: `p95[login]`. Letters, digits, `_`, `-`.
    pub name: Option<String>,
    pub method: Method,
    /// An `http://` or `https://` URL; every request of a test goes to the same origin.
    pub url: String,
    /// Values may be secrets (marked sensitive).
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Share of the requests in a weighted mix.
    pub weight: u32,
    /// Values taken from the response, for `{{name}}` in later requests.
    pub captures: Vec<Capture>,
}

impl RequestSpec {
    pub fn get(url: impl Into<String>) -> RequestSpec {
        RequestSpec {
            name: None,
            method: Method::GET,
            url: url.into(),
            headers: HeaderMap::new(),
            body: Vec::new(),
            weight: 1,
            captures: Vec::new(),
        }
    }
}

/// How a user picks its next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mix {
    /// Every request in order, then again from the first: a user's journey.
    #[default]
    Journey,
    /// At random, in proportion to `weight`.
    Weighted,
}

/// One step of a ramp: over `duration`, go from the previous stage's target (0 at the start)
/// to this one's, linearly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    pub duration: Duration,
    /// Users (closed model) or requests per second (open model), by [`Config::stage_kind`].
    pub target: f64,
}

/// What stages ramp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    Users,
    Rate,
}

/// One load test, as configured.
#[derive(Debug, Clone)]
pub struct Config {
    /// At least one; all to one origin.
    pub requests: Vec<RequestSpec>,
    pub mix: Mix,
    /// Connections, one request at a time on each: the users of the closed model, the pool of
    /// the open model. With user stages, the most users any stage reaches.
    pub connections: usize,
    pub bound: Bound,
    /// Requests per second: the open model. `None` is the closed model.
    pub rate: Option<f64>,
    /// A ramp; when set, its total duration is the bound.
    pub stages: Vec<Stage>,
    pub stage_kind: StageKind,
    /// Pause after each answer, per user (closed model).
    pub think: Option<Duration>,
    /// HTTP/2 (ALPN `h2` over TLS, prior knowledge over plain TCP) instead of HTTP/1.1.
    pub http2: bool,
    /// Give up on one request after this long (counted as a `timeout` error).
    pub timeout: Duration,
    /// PEM file of CA certificates to trust instead of the system's.
    pub ca: Option<PathBuf>,
    /// Accept any certificate.
    pub insecure: bool,
    /// The target's memory, sampled during the test (soak tests).
    pub memory: Option<MemorySource>,
    /// Time between two memory samples.
    pub memory_every: Duration,
}

impl Config {
    /// A closed-model GET of `url` over 10 connections, with a 10 s request timeout.
    pub fn new(url: impl Into<String>, bound: Bound) -> Config {
        Config {
            requests: vec![RequestSpec::get(url)],
            mix: Mix::Journey,
            connections: super::DEFAULT_CONNECTIONS,
            bound,
            rate: None,
            stages: Vec::new(),
            stage_kind: StageKind::Users,
            think: None,
            http2: false,
            timeout: Duration::from_secs(10),
            ca: None,
            insecure: false,
            memory: None,
            memory_every: Duration::from_secs(1),
        }
    }

    /// The first request's URL: the test's target, for people.
    pub fn url(&self) -> &str {
        self.requests.first().map_or("", |request| &request.url)
    }

    /// Sets the stages, and the bound and connections they imply.
    pub fn set_stages(&mut self, kind: StageKind, stages: Vec<Stage>) {
        let total = stages.iter().map(|stage| stage.duration).sum();
        self.bound = Bound::Duration(total);
        if kind == StageKind::Users {
            let peak = stages.iter().map(|stage| stage.target).fold(0.0, f64::max);
            self.connections = peak.ceil() as usize;
        }
        self.stage_kind = kind;
        self.stages = stages;
    }

    /// Requests per second at the peak of the test, in the open model.
    pub(crate) fn peak_rate(&self) -> Option<f64> {
        match (self.rate, self.stage_kind, self.stages.is_empty()) {
            (Some(rate), _, _) => Some(rate),
            (None, StageKind::Rate, false) => {
                Some(self.stages.iter().map(|s| s.target).fold(0.0, f64::max))
            }
            _ => None,
        }
    }

    /// The longest this test can take: its bound plus time to connect and wind down.
    /// Whoever runs it under a timeout of its own must allow this much.
    pub fn time_limit(&self) -> Duration {
        const GRACE: Duration = Duration::from_secs(5);
        match self.bound {
            Bound::Duration(duration) => duration + GRACE,
            Bound::Requests(_) => MAX_DURATION + GRACE,
        }
    }

    /// `500 requests, 10 connections, closed model, HTTP/1.1` — for people.
    pub fn describe(&self) -> String {
        let ramp = |unit: &str| {
            let steps: Vec<String> = self
                .stages
                .iter()
                .map(|s| {
                    format!(
                        "{} {}{unit}",
                        Value::Duration(s.duration),
                        trim_float(s.target)
                    )
                })
                .collect();
            steps.join(" → ")
        };
        let model = match (self.rate, self.stages.is_empty(), self.stage_kind) {
            (Some(rate), _, _) => format!("open model at {} req/s", trim_float(rate)),
            (None, false, StageKind::Rate) => format!("open model, stages {}", ramp(" req/s")),
            (None, false, StageKind::Users) => format!("closed model, stages {}", ramp(" users")),
            (None, true, _) => "closed model".to_string(),
        };
        let bound = match self.bound {
            Bound::Duration(duration) => Value::Duration(duration).to_string(),
            Bound::Requests(requests) => format!("{requests} requests"),
        };
        let connections = match (self.connections, self.peak_rate()) {
            (1, Some(_)) => "1 connection".to_string(),
            (n, Some(_)) => format!("{n} connections"),
            (1, None) => "1 user".to_string(),
            (n, None) => format!("{n} users"),
        };
        let protocol = if self.http2 { "HTTP/2" } else { "HTTP/1.1" };
        let mut text = format!("{bound}, {connections}, {model}, {protocol}");
        if self.requests.len() > 1 {
            let mix = match self.mix {
                Mix::Journey => "a journey",
                Mix::Weighted => "a weighted mix",
            };
            text.push_str(&format!(", {} requests in {mix}", self.requests.len()));
        }
        if let Some(think) = self.think {
            text.push_str(&format!(", think {}", Value::Duration(think)));
        }
        text
    }

    /// Checks every limit; the probe reports the same problems with positions at load.
    pub fn validate(&self) -> Result<(), LoadError> {
        let invalid = |message: String| Err(LoadError::Invalid(message));
        match self.bound {
            Bound::Duration(duration) if duration.is_zero() => {
                return invalid("`duration` must be more than 0s".to_string());
            }
            Bound::Duration(duration) if duration > MAX_DURATION => {
                return invalid(format!(
                    "`duration` is at most {}, not {}",
                    Value::Duration(MAX_DURATION),
                    Value::Duration(duration)
                ));
            }
            Bound::Requests(0) => return invalid("`requests` must be at least 1".to_string()),
            Bound::Requests(requests) if requests > MAX_REQUESTS => {
                return invalid(format!(
                    "`requests` is at most {MAX_REQUESTS}, not {requests}"
                ));
            }
            _ => {}
        }
        if self.connections == 0 || self.connections > MAX_CONNECTIONS {
            return invalid(format!(
                "`connections` (or users) must be between 1 and {MAX_CONNECTIONS}, not {}",
                self.connections
            ));
        }
        if let Some(rate) = self.rate {
            if !(rate > 0.0 && rate <= MAX_RATE) {
                return invalid(format!(
                    "`rate` must be above 0 and at most {MAX_RATE} requests per second, not {}",
                    trim_float(rate)
                ));
            }
            if let Bound::Requests(requests) = self.bound
                && requests as f64 / rate > MAX_DURATION.as_secs_f64()
            {
                return invalid(format!(
                    "{requests} requests at {} per second would take more than {}",
                    trim_float(rate),
                    Value::Duration(MAX_DURATION)
                ));
            }
            if !self.stages.is_empty() {
                return invalid("give `rate` or stages, not both".to_string());
            }
        }
        for stage in &self.stages {
            let limit = match self.stage_kind {
                StageKind::Users => MAX_CONNECTIONS as f64,
                StageKind::Rate => MAX_RATE,
            };
            if stage.duration.is_zero() || !(0.0..=limit).contains(&stage.target) {
                return invalid(format!(
                    "each stage needs a duration above 0s and a target between 0 and {limit}"
                ));
            }
        }
        if self.think.is_some() && self.peak_rate().is_some() {
            return invalid(
                "think time is for users (the closed model); a rate already spaces requests"
                    .to_string(),
            );
        }
        if self.timeout.is_zero() {
            return invalid("the request timeout must be more than 0s".to_string());
        }
        if self.requests.is_empty() {
            return invalid("a load test needs at least one request".to_string());
        }
        if self.mix == Mix::Weighted && self.requests.iter().all(|r| r.weight == 0) {
            return invalid("a weighted mix needs a request with a weight above 0".to_string());
        }
        let first = Target::parse(self.url())?;
        for request in &self.requests[1..] {
            let target = Target::parse(&request.url)?;
            if !target.same_origin(&first) {
                return invalid(format!(
                    "every request of a load test goes to one origin (each user keeps one connection): `{}` is not on `{}`",
                    request.url,
                    first.origin_text()
                ));
            }
        }
        if self.memory_every.is_zero() {
            return invalid("the memory sampling interval must be more than 0s".to_string());
        }
        Ok(())
    }
}

/// `200`, `12.5` — a rate without trailing zeros.
pub(crate) fn trim_float(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked() {
        let ok = Config::new("http://127.0.0.1:1/", Bound::Requests(10));
        assert!(ok.validate().is_ok());
        let mut config = ok.clone();
        config.bound = Bound::Duration(MAX_DURATION + Duration::from_secs(1));
        assert!(config.validate().is_err());
        let mut config = ok.clone();
        config.connections = 0;
        assert!(config.validate().is_err());
        let mut config = ok.clone();
        config.rate = Some(0.0);
        assert!(config.validate().is_err());
        let mut config = ok.clone();
        config.rate = Some(0.0001);
        config.bound = Bound::Requests(100_000);
        assert!(config.validate().is_err(), "would take 11 days");
        let mut config = ok.clone();
        config.requests[0].url = "ftp://example.test/".to_string();
        assert!(config.validate().is_err());
        let mut config = ok.clone();
        config.rate = Some(10.0);
        config.set_stages(
            StageKind::Rate,
            vec![Stage {
                duration: Duration::from_secs(1),
                target: 5.0,
            }],
        );
        assert!(config.validate().is_err(), "rate and stages");
        let mut config = ok.clone();
        config
            .requests
            .push(RequestSpec::get("http://127.0.0.2:1/"));
        let error = config.validate().expect_err("two origins").to_string();
        assert!(error.contains("one origin"), "{error}");
        let mut config = ok;
        config.think = Some(Duration::from_millis(10));
        config.rate = Some(10.0);
        assert!(config.validate().is_err(), "think with a rate");
    }

    #[test]
    fn stages_set_the_bound_and_the_peak() {
        let mut config = Config::new("http://127.0.0.1:1/", Bound::Requests(1));
        let stage = |seconds, target| Stage {
            duration: Duration::from_secs(seconds),
            target,
        };
        config.set_stages(
            StageKind::Users,
            vec![stage(10, 100.0), stage(20, 500.0), stage(5, 0.0)],
        );
        assert_eq!(config.bound, Bound::Duration(Duration::from_secs(35)));
        assert_eq!(config.connections, 500);
        assert!(
            config
                .describe()
                .contains("stages 10s 100 users → 20s 500 users")
        );
    }
}
