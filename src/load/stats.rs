//! What a load test measured: one HdrHistogram of latencies and a few counters per worker,
//! merged at the end; percentiles, rates and the drawable histogram are computed from them
//! only when the test is over, as oha computes its figures from raw timings at report time.
//!
//! Latencies are recorded in whole microseconds with 3 significant digits (a 1.234 ms
//! latency is kept as 1.234 ms, a 12.345 s one as 12.35 s). A histogram takes tens of KB
//! whatever the number of requests (it grows with the largest latency, not with the count),
//! about 100 KB once latencies reach a second. So workers record into at most [`SHARDS`]
//! histograms, not one each: 10,000 users took 1.1 GB with one each.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{Value as Json, json};

/// Latencies above this are recorded as this (one hour, the longest test).
const MAX_MICROS: u64 = 3_600_000_000;
/// Buckets in the drawable histogram.
const BUCKETS: usize = 20;
/// Latency histograms per test: up to this many workers have one of their own (no lock is ever
/// waited for), more share them.
pub(crate) const SHARDS: usize = 64;

/// Failures by kind. A request is counted once, under the first thing that went wrong.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Errors {
    /// Answered with a status of 400 or more (as wrk counts "non-2xx or 3xx").
    pub status: u64,
    /// No connection: refused, unreachable, TLS or HTTP/2 handshake failed, or timed out
    /// while connecting.
    pub connect: u64,
    /// No complete answer within the request timeout.
    pub timeout: u64,
    /// The connection broke during the exchange: reset, closed early, unparseable response.
    pub io: u64,
    /// Answered, but a `capture` found nothing in the answer (the journey starts over).
    pub capture: u64,
}

impl Errors {
    pub fn total(&self) -> u64 {
        self.status + self.connect + self.timeout + self.io + self.capture
    }

    fn add(&mut self, other: &Errors) {
        self.status += other.status;
        self.connect += other.connect;
        self.timeout += other.timeout;
        self.io += other.io;
        self.capture += other.capture;
    }
}

/// Latency figures of every answered or timed-out request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    pub min: Duration,
    pub mean: Duration,
    pub p50: Duration,
    pub p90: Duration,
    pub p95: Duration,
    pub p99: Duration,
    pub p999: Duration,
    pub max: Duration,
}

/// One bar of the drawable histogram: requests whose latency is above the previous bucket's
/// `le` and at most this one's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub le: Duration,
    pub count: u64,
}

/// The result of a load test.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Requests finished: answered (any status) or failed. In-flight ones are not counted.
    pub requests: u64,
    /// Requests answered with a complete response, whatever its status.
    pub responses: u64,
    /// From the start to the last request's end (at most the configured `duration`).
    pub elapsed: Duration,
    /// `None` when no request was answered or timed out.
    pub latency: Option<Latency>,
    pub errors: Errors,
    /// Requests unanswered when the test ended at its deadline, and in the open model requests
    /// that fell due but were never sent because every connection was busy. Neither errors
    /// nor latency samples: how long they would have taken is unknown.
    pub in_flight: u64,
    pub status_codes: BTreeMap<u16, u64>,
    /// About 20 log-spaced buckets from the fastest to the slowest request.
    pub histogram: Vec<Bucket>,
    /// Connections opened, first ones and reconnections after the server closed one.
    pub connections_opened: u64,
    /// The first message of each kind of failure, e.g. `connect: connection refused by …`.
    pub error_examples: Vec<String>,
    /// Per request name, in the order of the requests; empty for a test of one unnamed URL.
    pub by_name: Vec<NamedSummary>,
    /// Results per interval of time.
    pub series: Vec<super::series::Point>,
    /// The target's memory, when it was sampled.
    pub memory: Option<super::memory::MemoryReport>,
}

/// The results of one named request of a journey or mix.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedSummary {
    pub name: String,
    /// Finished: answered or failed.
    pub requests: u64,
    pub errors: u64,
    pub latency: Option<Latency>,
}

impl NamedSummary {
    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors as f64 * 100.0 / self.requests as f64
        }
    }
}

impl Summary {
    /// Responses per second, any status, as wrk counts them.
    pub fn rps(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.responses as f64 / seconds
        } else {
            0.0
        }
    }

    /// Failed requests as a percentage of finished ones (`10.0` is 10 %).
    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors.total() as f64 * 100.0 / self.requests as f64
        }
    }

    /// The document `golive load --format json` prints; durations in milliseconds.
    pub fn to_json(&self) -> Json {
        let ms = |duration: Duration| round3(duration.as_secs_f64() * 1000.0);
        let latency = |pick: fn(&Latency) -> Duration| self.latency.as_ref().map(|l| ms(pick(l)));
        json!({
            "requests": self.requests,
            "responses": self.responses,
            "duration_ms": ms(self.elapsed),
            "rps": round3(self.rps()),
            "latency_ms": {
                "min": latency(|l| l.min),
                "mean": latency(|l| l.mean),
                "p50": latency(|l| l.p50),
                "p90": latency(|l| l.p90),
                "p95": latency(|l| l.p95),
                "p99": latency(|l| l.p99),
                "p999": latency(|l| l.p999),
                "max": latency(|l| l.max),
            },
            "errors": {
                "status": self.errors.status,
                "connect": self.errors.connect,
                "timeout": self.errors.timeout,
                "io": self.errors.io,
                "capture": self.errors.capture,
                "total": self.errors.total(),
            },
            "error_rate": round3(self.error_rate()),
            "in_flight": self.in_flight,
            "status_codes": self.status_codes.iter()
                .map(|(code, count)| (code.to_string(), Json::from(*count)))
                .collect::<serde_json::Map<_, _>>(),
            "histogram": self.histogram_json(),
            "connections_opened": self.connections_opened,
            "error_examples": self.error_examples,
            "by_name": self.by_name.iter().map(|named| json!({
                "name": named.name,
                "requests": named.requests,
                "errors": named.errors,
                "error_rate": round3(named.error_rate()),
                "latency_ms": latency_json(named.latency.as_ref()),
            })).collect::<Vec<_>>(),
            "series": self.series_json(),
            "memory": self.memory.as_ref().map(super::memory::MemoryReport::to_json),
        })
    }

    /// `[{"t_s": 0, "rps": 950, "p95_ms": 2.1, …}, …]`, what reports draw over time.
    pub fn series_json(&self) -> Json {
        self.series
            .iter()
            .map(super::series::Point::to_json)
            .collect()
    }

    /// `[{"le_ms": 0.5, "count": 120}, …]`, what reports draw.
    pub fn histogram_json(&self) -> Json {
        self.histogram
            .iter()
            .map(|bucket| json!({"le_ms": round3(bucket.le.as_secs_f64() * 1000.0), "count": bucket.count}))
            .collect()
    }
}

fn latency_json(latency: Option<&Latency>) -> Json {
    let ms = |duration: Duration| round3(duration.as_secs_f64() * 1000.0);
    match latency {
        None => Json::Null,
        Some(l) => json!({
            "min": ms(l.min), "mean": ms(l.mean), "p50": ms(l.p50), "p90": ms(l.p90),
            "p95": ms(l.p95), "p99": ms(l.p99), "p999": ms(l.p999), "max": ms(l.max),
        }),
    }
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// The latency histograms some workers share: in total and per request name.
#[derive(Debug)]
struct Histograms {
    total: Histogram<u64>,
    named: Vec<Histogram<u64>>,
}

/// A worker's handle on the histograms it records into.
#[derive(Debug, Clone)]
pub(crate) struct Shard(Arc<Mutex<Histograms>>);

impl Shard {
    /// Empty histograms for the total and for `names` request names, from `empty`, a
    /// histogram from [`empty_histogram`].
    pub(crate) fn new(empty: &Histogram<u64>, names: usize) -> Shard {
        Shard(Arc::new(Mutex::new(Histograms {
            total: empty.clone(),
            named: vec![empty.clone(); names],
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Histograms> {
        // A worker that panicked mid-record leaves counts that are still counts.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What one worker measured.
#[derive(Debug)]
pub(crate) struct WorkerStats {
    latency: Shard,
    /// Exact, unlike the histogram's bucketed values.
    sum_micros: u64,
    max_micros: u64,
    /// Almost always one to three codes, so a short list beats a map.
    statuses: Vec<(u16, u64)>,
    pub(crate) responses: u64,
    pub(crate) errors: Errors,
    pub(crate) in_flight: u64,
    pub(crate) connections_opened: u64,
    /// The first message of each failure kind: connect, timeout, io, capture.
    examples: [Option<String>; 4],
    /// Per request of the plan, when results are kept by name.
    by_name: Vec<NameStats>,
    /// When the last request ended.
    pub(crate) last: Option<Instant>,
}

/// Which example slot a failure message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    Connect,
    Timeout,
    Io,
    Capture,
}

/// What one worker measured for one request name (its histogram is in the worker's shard).
#[derive(Debug, Clone, Default)]
struct NameStats {
    sum_micros: u64,
    max_micros: u64,
    requests: u64,
    errors: u64,
}

impl WorkerStats {
    /// Counters at zero, recording latencies into `shard`.
    pub(crate) fn new(shard: Shard) -> WorkerStats {
        WorkerStats {
            latency: shard,
            sum_micros: 0,
            max_micros: 0,
            statuses: Vec::new(),
            responses: 0,
            errors: Errors::default(),
            in_flight: 0,
            connections_opened: 0,
            examples: [None, None, None, None],
            by_name: Vec::new(),
            last: None,
        }
    }

    /// Keeps results for `names` requests apart as well (the shard was made for as many).
    pub(crate) fn by_name(mut self, names: usize) -> WorkerStats {
        self.by_name = vec![NameStats::default(); names];
        self
    }

    /// Counts a finished request of plan index `request` under its name (its latency, if it
    /// has one, went in with [`WorkerStats::response`] or [`WorkerStats::timeout`]).
    pub(crate) fn named(&mut self, request: usize, error: bool) {
        if let Some(named) = self.by_name.get_mut(request) {
            named.requests += 1;
            named.errors += u64::from(error);
        }
    }

    /// Requests finished: what the live display shows.
    pub(crate) fn finished(&self) -> u64 {
        self.responses + self.errors.connect + self.errors.timeout + self.errors.io
    }

    /// An answer whose capture found nothing: counted as answered and as an error.
    pub(crate) fn capture_failed(&mut self, message: impl FnOnce() -> String) {
        self.errors.capture += 1;
        if self.examples[3].is_none() {
            self.examples[3] = Some(message());
        }
    }

    /// An answer; `name`, the plan index of its request when results are kept by name.
    pub(crate) fn response(
        &mut self,
        status: u16,
        latency: Duration,
        end: Instant,
        name: Option<usize>,
    ) {
        self.responses += 1;
        if status >= 400 {
            self.errors.status += 1;
        }
        match self.statuses.iter_mut().find(|(code, _)| *code == status) {
            Some((_, count)) => *count += 1,
            None => self.statuses.push((status, 1)),
        }
        self.sample(latency, name);
        self.last = Some(end);
    }

    pub(crate) fn failure(
        &mut self,
        kind: Failure,
        message: impl FnOnce() -> String,
        end: Instant,
    ) {
        let slot = match kind {
            Failure::Connect => {
                self.errors.connect += 1;
                0
            }
            Failure::Timeout => {
                self.errors.timeout += 1;
                1
            }
            Failure::Io => {
                self.errors.io += 1;
                2
            }
            Failure::Capture => {
                self.errors.capture += 1;
                3
            }
        };
        if self.examples[slot].is_none() {
            self.examples[slot] = Some(message());
        }
        self.last = Some(end);
    }

    /// A request that timed out took at least this long: it goes into the latency figures
    /// too, or a server that hangs would look fast.
    pub(crate) fn timeout(
        &mut self,
        latency: Duration,
        message: impl FnOnce() -> String,
        end: Instant,
        name: Option<usize>,
    ) {
        self.sample(latency, name);
        self.failure(Failure::Timeout, message, end);
    }

    fn sample(&mut self, latency: Duration, name: Option<usize>) {
        let micros = to_micros(latency);
        // One lock for the total and the request's own histogram.
        let mut histograms = self.latency.lock();
        // `record`, not `saturating_record`: the latter clamps to the current size instead of
        // growing an auto-resizing histogram. Recording fails only when a resize would need
        // more than `usize` can index, which a value below one hour never asks for.
        let _ = histograms.total.record(micros);
        if let Some(name) = name
            && let Some(histogram) = histograms.named.get_mut(name)
        {
            let _ = histogram.record(micros);
        }
        drop(histograms);
        self.sum_micros = self.sum_micros.saturating_add(micros);
        self.max_micros = self.max_micros.max(micros);
        if let Some(named) = name.and_then(|name| self.by_name.get_mut(name)) {
            named.sum_micros = named.sum_micros.saturating_add(micros);
            named.max_micros = named.max_micros.max(micros);
        }
    }

    /// Adds `other`'s counts, and its shard's histograms once the last worker holding that
    /// shard is merged (so a shard shared by many workers is added once, and only when all of
    /// them are done recording).
    pub(crate) fn merge(&mut self, other: WorkerStats) {
        if !Arc::ptr_eq(&self.latency.0, &other.latency.0)
            && Arc::strong_count(&other.latency.0) == 1
        {
            let theirs = other.latency.lock();
            let mut mine = self.latency.lock();
            // Both auto-resize, so adding cannot go out of range.
            let _ = mine.total.add(&theirs.total);
            for (mine, theirs) in mine.named.iter_mut().zip(&theirs.named) {
                let _ = mine.add(theirs);
            }
        }
        self.sum_micros = self.sum_micros.saturating_add(other.sum_micros);
        self.max_micros = self.max_micros.max(other.max_micros);
        for (status, count) in other.statuses {
            match self.statuses.iter_mut().find(|(code, _)| *code == status) {
                Some((_, total)) => *total += count,
                None => self.statuses.push((status, count)),
            }
        }
        self.responses += other.responses;
        self.errors.add(&other.errors);
        self.in_flight += other.in_flight;
        self.connections_opened += other.connections_opened;
        for (mine, theirs) in self.examples.iter_mut().zip(other.examples) {
            if mine.is_none() {
                *mine = theirs;
            }
        }
        self.last = self.last.max(other.last);
        if self.by_name.is_empty() {
            self.by_name = other.by_name;
        } else {
            for (mine, theirs) in self.by_name.iter_mut().zip(other.by_name) {
                mine.sum_micros = mine.sum_micros.saturating_add(theirs.sum_micros);
                mine.max_micros = mine.max_micros.max(theirs.max_micros);
                mine.requests += theirs.requests;
                mine.errors += theirs.errors;
            }
        }
    }

    /// The summary, with `names` for the per-name results.
    pub(crate) fn summary(&self, elapsed: Duration, names: &[String]) -> Summary {
        let histograms = self.latency.lock();
        let histogram = &histograms.total;
        let latency = latency_of(histogram, self.sum_micros, self.max_micros);
        let mut examples = Vec::new();
        for (label, example) in ["connect", "timeout", "io", "capture"]
            .iter()
            .zip(&self.examples)
        {
            if let Some(message) = example {
                examples.push(format!("{label}: {message}"));
            }
        }
        Summary {
            requests: self.finished(),
            responses: self.responses,
            elapsed,
            latency,
            errors: self.errors,
            in_flight: self.in_flight,
            status_codes: self.statuses.iter().copied().collect(),
            histogram: buckets(histogram, self.max_micros),
            connections_opened: self.connections_opened,
            error_examples: examples,
            by_name: self
                .by_name
                .iter()
                .zip(names)
                .zip(&histograms.named)
                .map(|((named, name), histogram)| NamedSummary {
                    name: name.clone(),
                    requests: named.requests,
                    errors: named.errors,
                    latency: latency_of(histogram, named.sum_micros, named.max_micros),
                })
                .collect(),
            series: Vec::new(),
            memory: None,
        }
    }
}

fn to_micros(latency: Duration) -> u64 {
    u64::try_from(latency.as_micros())
        .unwrap_or(MAX_MICROS)
        .min(MAX_MICROS)
}

/// Percentiles of `histogram`, with the exact mean and maximum; `None` when it is empty.
fn latency_of(histogram: &Histogram<u64>, sum_micros: u64, max_micros: u64) -> Option<Latency> {
    (!histogram.is_empty()).then(|| {
        // Bucketed values are the highest equivalent of their bucket; no percentile may read
        // above the exact maximum.
        let at = |quantile: f64| micros(histogram.value_at_quantile(quantile).min(max_micros));
        Latency {
            min: micros(histogram.min().min(max_micros)),
            mean: micros(sum_micros / histogram.len().max(1)),
            p50: at(0.5),
            p90: at(0.9),
            p95: at(0.95),
            p99: at(0.99),
            p999: at(0.999),
            max: micros(max_micros),
        }
    })
}

/// An empty histogram of microseconds with 3 significant digits, auto-resizing from a small
/// start so that memory follows the largest latency seen. Shards clone it.
pub(crate) fn empty_histogram() -> Result<Histogram<u64>, hdrhistogram::CreationError> {
    Histogram::new(3)
}

fn micros(value: u64) -> Duration {
    Duration::from_micros(value)
}

/// [`BUCKETS`] log-spaced buckets from the smallest latency to the largest, edges rounded to
/// 3 significant digits. Log spacing, because latencies spread over orders of magnitude and
/// the slow tail is what a reader looks for.
fn buckets(histogram: &Histogram<u64>, max_micros: u64) -> Vec<Bucket> {
    if histogram.is_empty() {
        return Vec::new();
    }
    let low = histogram.lowest_equivalent(histogram.min()).max(1) as f64;
    let high = max_micros.max(1) as f64;
    let mut edges: Vec<u64> = if high <= low {
        vec![max_micros]
    } else {
        (1..=BUCKETS)
            .map(|i| round_up_3(low * (high / low).powf(i as f64 / BUCKETS as f64)))
            .collect()
    };
    if let Some(last) = edges.last_mut() {
        *last = max_micros;
    }
    edges.dedup();
    let mut counts = vec![0u64; edges.len()];
    for value in histogram.iter_recorded() {
        let at = histogram.lowest_equivalent(value.value_iterated_to());
        let index = edges
            .iter()
            .position(|&edge| at <= edge)
            .unwrap_or(edges.len() - 1);
        counts[index] += value.count_at_value();
    }
    edges
        .into_iter()
        .zip(counts)
        .map(|(edge, count)| Bucket {
            le: micros(edge),
            count,
        })
        .collect()
}

/// Rounds up to 3 significant digits: 1234.5 → 1240.
fn round_up_3(value: f64) -> u64 {
    if value < 1000.0 {
        return value.ceil() as u64;
    }
    let scale = 10f64.powi(value.log10().floor() as i32 - 2);
    ((value / scale).ceil() * scale) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> WorkerStats {
        WorkerStats::new(Shard::new(
            &empty_histogram().expect("3 significant digits"),
            0,
        ))
    }

    fn stats(latencies_ms: &[u64]) -> WorkerStats {
        let mut stats = empty();
        let now = Instant::now();
        for &ms in latencies_ms {
            stats.response(200, Duration::from_millis(ms), now, None);
        }
        stats
    }

    #[test]
    fn percentiles_come_from_merged_workers() {
        let mut total = stats(&(1..=50).collect::<Vec<_>>());
        total.merge(stats(&(51..=100).collect::<Vec<_>>()));
        let summary = total.summary(Duration::from_secs(1), &[]);
        let latency = summary.latency.expect("samples");
        assert_eq!(summary.requests, 100);
        assert_eq!(summary.rps(), 100.0);
        // 3 significant digits: 50 ms is kept within 0.1 %.
        let near = |value: Duration, ms: u64| {
            let ms = ms as f64;
            (value.as_secs_f64() * 1000.0 - ms).abs() <= ms * 0.001
        };
        assert!(near(latency.p50, 50), "{latency:?}");
        assert!(near(latency.p99, 99), "{latency:?}");
        assert_eq!(latency.max, Duration::from_millis(100));
        assert_eq!(latency.min, Duration::from_millis(1));
        assert!(near(latency.mean, 50) || latency.mean == Duration::from_micros(50_500));
        let counted: u64 = summary.histogram.iter().map(|b| b.count).sum();
        assert_eq!(counted, 100);
        assert!(summary.histogram.len() <= BUCKETS);
        assert_eq!(summary.histogram.last().map(|b| b.le), Some(latency.max));
    }

    #[test]
    fn a_shared_shard_is_counted_once_after_its_last_worker() {
        let empty = empty_histogram().expect("3 significant digits");
        let shared = Shard::new(&empty, 1);
        let now = Instant::now();
        let mut workers: Vec<WorkerStats> = (0..3)
            .map(|_| WorkerStats::new(shared.clone()).by_name(1))
            .collect();
        drop(shared);
        for (i, worker) in workers.iter_mut().enumerate() {
            for ms in 1..=10 {
                let latency = Duration::from_millis(ms * (i as u64 + 1));
                worker.response(200, latency, now, Some(0));
                worker.named(0, false);
            }
        }
        let mut own = WorkerStats::new(Shard::new(&empty, 1)).by_name(1);
        own.response(200, Duration::from_millis(500), now, Some(0));
        own.named(0, false);
        workers.insert(1, own);
        let mut merged = WorkerStats::new(Shard::new(&empty, 1)).by_name(1);
        for worker in workers {
            merged.merge(worker);
        }
        let summary = merged.summary(Duration::from_secs(1), &["only".to_string()]);
        let total: u64 = summary.histogram.iter().map(|b| b.count).sum();
        assert_eq!((summary.requests, total), (31, 31), "{summary:?}");
        assert_eq!(summary.by_name[0].requests, 31);
        let named = summary.by_name[0].latency.expect("samples");
        assert_eq!(named.max, Duration::from_millis(500));
        let latency = summary.latency.expect("samples");
        assert_eq!(latency.min, Duration::from_millis(1));
        assert_eq!(latency.max, Duration::from_millis(500));
    }

    #[test]
    fn errors_are_counted_by_kind() {
        let mut stats = stats(&[1, 2]);
        let now = Instant::now();
        stats.response(500, Duration::from_millis(3), now, None);
        stats.failure(Failure::Connect, || "refused".to_string(), now);
        stats.failure(Failure::Connect, || "second".to_string(), now);
        stats.timeout(
            Duration::from_secs(2),
            || "timed out".to_string(),
            now,
            None,
        );
        let summary = stats.summary(Duration::from_secs(1), &[]);
        assert_eq!(summary.requests, 6);
        assert_eq!(summary.responses, 3);
        assert_eq!(
            summary.errors,
            Errors {
                status: 1,
                connect: 2,
                timeout: 1,
                io: 0,
                capture: 0
            }
        );
        assert_eq!(summary.error_rate(), 4.0 * 100.0 / 6.0);
        assert_eq!(summary.status_codes, BTreeMap::from([(200, 2), (500, 1)]));
        assert_eq!(
            summary.error_examples,
            ["connect: refused", "timeout: timed out"]
        );
        assert_eq!(summary.latency.map(|l| l.max), Some(Duration::from_secs(2)));
    }

    #[test]
    fn nothing_measured_is_no_latency() {
        let summary = empty().summary(Duration::ZERO, &[]);
        assert_eq!(summary.latency, None);
        assert_eq!((summary.rps(), summary.error_rate()), (0.0, 0.0));
        assert!(summary.histogram.is_empty());
        assert!(summary.to_json()["latency_ms"]["p99"].is_null());
    }

    #[test]
    fn bucket_edges_round_to_three_digits() {
        assert_eq!(round_up_3(1234.5), 1240);
        assert_eq!(round_up_3(999.2), 1000);
        assert_eq!(round_up_3(12.0), 12);
    }
}
