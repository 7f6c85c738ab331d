//! Load generation: many requests against one URL, latencies in HdrHistograms, errors
//! counted by kind. Used by the `load` probe (a load test as a check) and by `golive load`.
//!
//! Two models:
//! - **closed**: `connections` workers, each with one connection, send the next request as
//!   soon as the previous one is answered (wrk's and oha's default);
//! - **open** (`rate`): requests fall due at a fixed rate whatever the server does, and a
//!   request's latency runs from the moment it fell due, so time spent waiting for a free
//!   connection behind a stalled server counts (no coordinated omission, as in wrk2).
//!
//! Architecture invariant: a load test is always bounded — by `duration`, or by `requests`
//! and at most [`MAX_DURATION`] — and never fails on what the server does: refused
//! connections, timeouts and error statuses are counted, not raised. Memory does not grow
//! with the number of requests: workers keep histograms and counters, never per-request data.
//!
//! Built on hyper's connection-level client (one connection per worker, no pool) as the
//! fastest load generators are: a pool would add a lock and a lookup to every request.

mod schedule;
mod stats;
mod tls;
mod worker;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HOST, HeaderMap, HeaderValue, USER_AGENT};
use http::{Method, Uri};

pub use stats::{Bucket, Errors, Latency, Summary};

/// Longest test: a `duration` above it is refused, and a `requests` run stops there.
pub const MAX_DURATION: Duration = Duration::from_secs(3600);
/// Most requests one test may send.
pub const MAX_REQUESTS: u64 = 100_000_000;
/// Most connections (one worker each). Each costs a socket, its buffers and a histogram
/// (about 40 KB in all), so 10 000 is about 400 MB.
pub const MAX_CONNECTIONS: usize = 10_000;
/// Highest open-model rate, in requests per second.
pub const MAX_RATE: f64 = 1_000_000.0;
/// Default number of connections.
pub const DEFAULT_CONNECTIONS: usize = 10;

/// What ends a test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// Stop at this time after the start; requests still unanswered are `in_flight`.
    Duration(Duration),
    /// Send this many requests, then stop once they are answered (or at [`MAX_DURATION`]).
    Requests(u64),
}

/// One load test, as configured.
#[derive(Debug, Clone)]
pub struct Config {
    /// An `http://` or `https://` URL.
    pub url: String,
    pub method: Method,
    /// Sent with every request; values may be secrets (marked sensitive).
    pub headers: HeaderMap,
    pub body: Bytes,
    pub connections: usize,
    pub bound: Bound,
    /// Requests per second: the open model. `None` is the closed model.
    pub rate: Option<f64>,
    /// HTTP/2 (ALPN `h2` over TLS, prior knowledge over plain TCP) instead of HTTP/1.1.
    pub http2: bool,
    /// Give up on one request after this long (counted as a `timeout` error).
    pub timeout: Duration,
    /// PEM file of CA certificates to trust instead of the system's.
    pub ca: Option<PathBuf>,
    /// Accept any certificate.
    pub insecure: bool,
}

impl Config {
    /// A closed-model GET of `url` over 10 connections, with a 10 s request timeout.
    pub fn new(url: impl Into<String>, bound: Bound) -> Config {
        Config {
            url: url.into(),
            method: Method::GET,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            connections: DEFAULT_CONNECTIONS,
            bound,
            rate: None,
            http2: false,
            timeout: Duration::from_secs(10),
            ca: None,
            insecure: false,
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

    /// `closed, 10 connections, 5s` — for people.
    pub fn describe(&self) -> String {
        let model = match self.rate {
            Some(rate) => format!("open model at {} req/s", trim_float(rate)),
            None => "closed model".to_string(),
        };
        let bound = match self.bound {
            Bound::Duration(duration) => crate::expr::Value::Duration(duration).to_string(),
            Bound::Requests(requests) => format!("{requests} requests"),
        };
        let connections = match self.connections {
            1 => "1 connection".to_string(),
            n => format!("{n} connections"),
        };
        let protocol = if self.http2 { "HTTP/2" } else { "HTTP/1.1" };
        format!("{bound}, {connections}, {model}, {protocol}")
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
                    "`duration` is at most 1h, not {}",
                    crate::expr::Value::Duration(duration)
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
                "`connections` must be between 1 and {MAX_CONNECTIONS}, not {}",
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
                    "{requests} requests at {} per second would take more than 1h",
                    trim_float(rate)
                ));
            }
        }
        if self.timeout.is_zero() {
            return invalid("the request timeout must be more than 0s".to_string());
        }
        Target::parse(&self.url).map(|_| ())
    }
}

/// Why a load test could not start. Everything that happens once it runs is data.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("invalid URL `{url}`: {reason}")]
    Url { url: String, reason: String },
    #[error("cannot resolve `{host}`: {reason}")]
    Resolve { host: String, reason: String },
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the async runtime failed a load worker: {0}")]
    Worker(String),
}

/// Counters the workers publish as they go, for a live display. Each worker writes only its
/// own cache line, so publishing costs two uncontended stores per request.
#[derive(Debug)]
pub struct Live {
    slots: Box<[Slot]>,
}

#[derive(Debug, Default)]
#[repr(align(64))]
struct Slot {
    requests: AtomicU64,
    errors: AtomicU64,
}

impl Live {
    fn new(workers: usize) -> Live {
        Live {
            slots: (0..workers).map(|_| Slot::default()).collect(),
        }
    }

    /// Requests finished so far (answered or failed).
    pub fn requests(&self) -> u64 {
        self.slots
            .iter()
            .map(|slot| slot.requests.load(Ordering::Relaxed))
            .sum()
    }

    /// Requests failed so far.
    pub fn errors(&self) -> u64 {
        self.slots
            .iter()
            .map(|slot| slot.errors.load(Ordering::Relaxed))
            .sum()
    }

    fn publish(&self, worker: usize, requests: u64, errors: u64) {
        if let Some(slot) = self.slots.get(worker) {
            slot.requests.store(requests, Ordering::Relaxed);
            slot.errors.store(errors, Ordering::Relaxed);
        }
    }
}

/// A load test ready to run.
#[derive(Debug)]
pub struct Load {
    config: Config,
    target: Target,
    live: Arc<Live>,
    /// The test under way, for [`Load::stop`].
    running: Mutex<Option<Arc<worker::Shared>>>,
}

impl Load {
    pub fn new(config: Config) -> Result<Load, LoadError> {
        config.validate()?;
        let target = Target::parse(&config.url)?;
        Ok(Load {
            live: Arc::new(Live::new(config.connections)),
            config,
            target,
            running: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Live counters, to show progress while [`Load::run`] goes on.
    pub fn live(&self) -> Arc<Live> {
        Arc::clone(&self.live)
    }

    /// Ends a running test early (Ctrl-C): requests under way finish or time out, no new one
    /// starts, and [`Load::run`] returns what was measured.
    pub fn stop(&self) {
        if let Some(shared) = &*self.running.lock().unwrap_or_else(PoisonError::into_inner) {
            shared.schedule.stop();
        }
    }

    /// Runtime threads: one per core the process may use (its CPU affinity counts, so
    /// `taskset -c 1` means one), and no more than there are connections.
    fn threads(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        cores.min(self.config.connections).max(1)
    }

    /// Runs the test to its bound. Awaited inside any tokio runtime (it resolves the host and
    /// waits there); the workers run on a runtime of their own, one thread per core.
    pub async fn run(&self) -> Result<Summary, LoadError> {
        let config = &self.config;
        let address = resolve(&self.target).await?;
        let tls = match self.target.tls {
            true => {
                let connector =
                    tls::connector(config.ca.as_deref(), config.insecure, config.http2)?;
                let name = tls::server_name(&self.target.host).map_err(LoadError::Tls)?;
                Some((connector, name))
            }
            false => None,
        };
        let connect = worker::Connect {
            address,
            tls,
            http2: config.http2,
        };
        let template = worker::Template::new(config, &self.target);
        let empty = stats::empty_histogram().map_err(|e| LoadError::Invalid(e.to_string()))?;
        let (span, total) = match config.bound {
            Bound::Duration(duration) => (duration, None),
            Bound::Requests(requests) => (MAX_DURATION, Some(requests)),
        };
        let shared = Arc::new(worker::Shared {
            connect,
            template,
            schedule: schedule::Schedule::new(span, total, config.rate),
            timeout: config.timeout,
            live: Arc::clone(&self.live),
        });
        *self.running.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&shared));
        // Dropping this future (a caller's timeout) stops the threads at their next request.
        let _stop = StopOnDrop(Arc::clone(&shared));
        // The load runs in a runtime of its own, on a thread of its own: it neither competes
        // with nor depends on whatever runtime the caller runs (other checks, a progress bar),
        // and a runtime cannot be dropped from inside another.
        let (send, receive) = tokio::sync::oneshot::channel();
        let (threads, connections) = (self.threads(), config.connections);
        let worker_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("golive-load".to_string())
            .spawn(move || {
                let _ = send.send(run_workers(worker_shared, connections, threads, empty));
            })
            .map_err(|error| LoadError::Worker(format!("cannot start a thread: {error}")))?;
        let mut merged = receive
            .await
            .map_err(|_| LoadError::Worker("the load thread stopped".to_string()))??;
        // Requests that fell due before the end but found every connection busy were never
        // sent: they are still waiting, as an in-flight request is, and not errors.
        merged.in_flight += shared.schedule.overdue();
        let started = shared.schedule.start().unwrap_or_else(Instant::now);
        let mut elapsed = merged.last.map_or(Duration::ZERO, |last| last - started);
        if let Bound::Duration(duration) = config.bound {
            elapsed = elapsed.min(duration);
        }
        Ok(merged.summary(elapsed))
    }
}

/// Runs every worker on a multi-thread runtime with one thread per core, as wrk runs one
/// event loop per thread; see `worker` for why multi-thread even with one core.
fn run_workers(
    shared: Arc<worker::Shared>,
    connections: usize,
    threads: usize,
    empty: hdrhistogram::Histogram<u64>,
) -> Result<stats::WorkerStats, LoadError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("golive-load")
        .enable_all()
        .build()
        .map_err(|error| LoadError::Worker(format!("cannot start a runtime: {error}")))?;
    runtime.block_on(async {
        shared.schedule.begin(Instant::now());
        let tasks: Vec<_> = (0..connections)
            .map(|index| {
                let stats = stats::WorkerStats::new(empty.clone());
                tokio::spawn(worker::work(Arc::clone(&shared), index, stats))
            })
            .collect();
        let mut merged = stats::WorkerStats::new(empty);
        for task in tasks {
            merged.merge(
                task.await
                    .map_err(|error| LoadError::Worker(error.to_string()))?,
            );
        }
        Ok(merged)
    })
}

/// Stops the schedule when dropped.
struct StopOnDrop(Arc<worker::Shared>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.schedule.stop();
    }
}

/// Where requests go, read from the URL.
#[derive(Debug, Clone)]
struct Target {
    tls: bool,
    host: String,
    port: u16,
    /// `/path?query`, what HTTP/1.1 sends in its request line.
    origin: Uri,
    /// The whole URL, from which HTTP/2 takes `:scheme` and `:authority`.
    absolute: Uri,
    /// `host[:port]` for the `Host` header.
    authority: HeaderValue,
}

impl Target {
    fn parse(text: &str) -> Result<Target, LoadError> {
        let error = |reason: &str| LoadError::Url {
            url: text.to_string(),
            reason: reason.to_string(),
        };
        let url = reqwest::Url::parse(text.trim()).map_err(|e| error(&e.to_string()))?;
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            _ => return Err(error("load tests take http:// or https:// URLs")),
        };
        let host = url
            .host_str()
            .ok_or_else(|| error("the URL has no host"))?
            .to_string();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| error("the URL has no port"))?;
        let mut origin = url.path().to_string();
        if let Some(query) = url.query() {
            origin.push('?');
            origin.push_str(query);
        }
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        Ok(Target {
            tls,
            // `[::1]` in a URL is the address `::1`.
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
            origin: origin.parse().map_err(|_| error("invalid path"))?,
            absolute: url.as_str().parse().map_err(|_| error("invalid URL"))?,
            authority: HeaderValue::from_str(&authority).map_err(|_| error("invalid host"))?,
        })
    }
}

/// One address for every connection, resolved once before the test as wrk does, so DNS
/// neither slows the test down nor is load-tested along with the server.
async fn resolve(target: &Target) -> Result<SocketAddr, LoadError> {
    let error = |reason: String| LoadError::Resolve {
        host: target.host.clone(),
        reason,
    };
    let mut addresses = tokio::net::lookup_host((target.host.as_str(), target.port))
        .await
        .map_err(|e| error(e.to_string()))?;
    addresses
        .next()
        .ok_or_else(|| error("no address".to_string()))
}

/// The headers sent with every request: the configured ones, `Host` for HTTP/1.1 (HTTP/2
/// carries it as `:authority`), and golive's `User-Agent` unless one is configured.
fn request_headers(config: &Config, target: &Target) -> HeaderMap {
    let mut headers = config.headers.clone();
    if !config.http2 && !headers.contains_key(HOST) {
        headers.insert(HOST, target.authority.clone());
    }
    if !headers.contains_key(USER_AGENT) {
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("golive/", env!("CARGO_PKG_VERSION"))),
        );
    }
    headers
}

/// `200`, `12.5` — a rate without trailing zeros.
fn trim_float(value: f64) -> String {
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
        config.bound = Bound::Duration(Duration::from_secs(7200));
        assert!(config.validate().is_err());
        let mut config = ok.clone();
        config.connections = 0;
        assert!(config.validate().is_err());
        let mut config = ok.clone();
        config.rate = Some(0.0);
        assert!(config.validate().is_err());
        let mut config = ok.clone();
        config.rate = Some(0.001);
        config.bound = Bound::Requests(1000);
        assert!(config.validate().is_err(), "would take 11 days");
        let mut config = ok;
        config.url = "ftp://example.test/".to_string();
        assert!(config.validate().is_err());
    }

    #[test]
    fn targets_split_origin_and_authority() {
        let target = Target::parse("https://[::1]:8443/a/b?c=d").expect("valid");
        assert!(target.tls);
        assert_eq!(target.host, "::1");
        assert_eq!(target.port, 8443);
        assert_eq!(target.origin, "/a/b?c=d");
        assert_eq!(target.authority, "[::1]:8443");
        let target = Target::parse("http://example.test").expect("valid");
        assert_eq!((target.port, target.origin.path()), (80, "/"));
        assert_eq!(target.authority, "example.test");
    }

    #[test]
    fn descriptions_read_well() {
        let mut config = Config::new("http://x.test/", Bound::Duration(Duration::from_secs(5)));
        config.rate = Some(200.0);
        assert_eq!(
            config.describe(),
            "5s, 10 connections, open model at 200 req/s, HTTP/1.1"
        );
    }
}
