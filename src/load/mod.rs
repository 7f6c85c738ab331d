//! Load generation: many requests against one origin — one URL, or a journey of named
//! requests with captures — latencies in HdrHistograms, errors counted by kind, results per
//! request name and per interval of time, and the target's memory sampled alongside. Used by
//! the `load` probe (a load test as a check) and by `golive load`.
//!
//! Two models:
//! - **closed**: `connections` workers, each with one connection, send the next request as
//!   soon as the previous one is answered (wrk's and oha's default);
//! - **open** (`rate`): requests fall due at a fixed rate whatever the server does, and a
//!   request's latency runs from the moment it fell due, so time spent waiting for a free
//!   connection behind a stalled server counts (no coordinated omission, as in wrk2).
//!
//! Either can ramp through stages (users or rate, linear from one target to the next).
//!
//! Architecture invariant: a load test is always bounded — by `duration`, or by `requests`
//! and at most [`MAX_DURATION`] — and never fails on what the server does: refused
//! connections, timeouts and error statuses are counted, not raised. Memory does not grow
//! with the number of requests: workers keep histograms and counters, never per-request data.
//!
//! One connection per user, no pool, as the fastest load generators have it: a pool would
//! add a lock and a lookup to every request. HTTP/1.1 runs on golive's own client
//! (`http1`: requests serialised once, answers parsed in place with `httparse`), HTTP/2 on
//! hyper's connection-level client.

mod config;
mod h2;
mod http1;
mod journey;
mod limits;
pub mod memory;
mod schedule;
pub mod series;
mod stats;
mod stream;
mod target;
mod tls;
mod worker;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

pub use config::{Bound, Config, Mix, RequestSpec, Stage, StageKind};
pub use journey::{Capture, CapturePath};
pub use memory::{MemoryReport, MemorySource};
pub use series::Point;
pub use stats::{Bucket, Errors, Latency, NamedSummary, Summary};

/// Longest test: a `duration` (or stages) above it is refused, and a `requests` run stops
/// there. A day, for soak tests.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);
/// Most requests one test may send.
pub const MAX_REQUESTS: u64 = 100_000_000;
/// Most connections (one worker each). Each costs a socket, its buffers and its task; the
/// latency histograms are shared past [`stats::SHARDS`] workers.
pub const MAX_CONNECTIONS: usize = 10_000;
/// Highest open-model rate, in requests per second.
pub const MAX_RATE: f64 = 1_000_000.0;
/// Default number of connections.
pub const DEFAULT_CONNECTIONS: usize = 10;

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
    target: target::Target,
    live: Arc<Live>,
    /// The test under way, for [`Load::stop`].
    running: Mutex<Option<Arc<worker::Shared>>>,
}

impl Load {
    pub fn new(config: Config) -> Result<Load, LoadError> {
        config.validate()?;
        let target = target::Target::parse(config.url())?;
        // Built here too, so that a bad journey is refused before anything runs.
        journey::Plan::new(&config, &target)?;
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
        limits::open_files_for(config.connections)?;
        let address = target::resolve(&self.target).await?;
        let tls = match self.target.tls {
            true => {
                let connector =
                    tls::connector(config.ca.as_deref(), config.insecure, config.http2)?;
                let name = tls::server_name(&self.target.host).map_err(LoadError::Tls)?;
                Some((connector, name))
            }
            false => None,
        };
        let connect = stream::Connect {
            address,
            tls,
            http2: config.http2,
        };
        let plan = journey::Plan::new(config, &self.target)?;
        let empty = stats::empty_histogram().map_err(|e| LoadError::Invalid(e.to_string()))?;
        let (span, total) = match config.bound {
            Bound::Duration(duration) => (duration, None),
            Bound::Requests(requests) => (MAX_DURATION, Some(requests)),
        };
        let schedule = match config.stages.is_empty() {
            true => schedule::Schedule::new(span, total, config.rate),
            false => schedule::Schedule::staged(span, config.stage_kind, &config.stages),
        };
        let series_span = match config.bound {
            Bound::Duration(duration) => duration,
            // Unknown in advance: intervals of a second, up to the series' limit.
            Bound::Requests(_) => Duration::from_secs(series::MAX_POINTS),
        };
        let shared = Arc::new(worker::Shared {
            connect,
            plan,
            schedule,
            timeout: config.timeout,
            think: config.think,
            live: Arc::clone(&self.live),
            series: series::Series::new(series_span),
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
        let memory = config
            .memory
            .clone()
            .map(|source| (source, config.memory_every));
        std::thread::Builder::new()
            .name("golive-load".to_string())
            .spawn(move || {
                let _ = send.send(run_workers(
                    worker_shared,
                    connections,
                    threads,
                    empty,
                    memory,
                ));
            })
            .map_err(|error| LoadError::Worker(format!("cannot start a thread: {error}")))?;
        let (mut merged, memory) = receive
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
        let names = match shared.plan.by_name {
            true => shared.plan.names.clone(),
            false => Vec::new(),
        };
        let mut summary = merged.summary(elapsed, &names);
        if let Some(series) = &shared.series {
            summary.series = series.points(elapsed);
        }
        summary.memory = memory;
        Ok(summary)
    }
}

type Measured = (stats::WorkerStats, Option<MemoryReport>);

/// Runs every worker on a multi-thread runtime with one thread per core, as wrk runs one
/// event loop per thread; see `worker` for why multi-thread even with one core. The memory
/// sampler, when there is one, runs beside them until the last worker is done.
fn run_workers(
    shared: Arc<worker::Shared>,
    connections: usize,
    threads: usize,
    empty: hdrhistogram::Histogram<u64>,
    memory: Option<(MemorySource, Duration)>,
) -> Result<Measured, LoadError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("golive-load")
        .enable_all()
        .build()
        .map_err(|error| LoadError::Worker(format!("cannot start a runtime: {error}")))?;
    runtime.block_on(async {
        let client = memory.as_ref().and_then(|(source, _)| source.prepare());
        let start = Instant::now();
        shared.schedule.begin(start);
        let (done, finished) = tokio::sync::oneshot::channel::<()>();
        let sampler = memory.map(|(source, every)| {
            tokio::spawn(async move {
                let stop = async {
                    let _ = finished.await;
                };
                memory::sample_until(&source, every, start, stop, client).await
            })
        });
        let names = shared.plan.requests.len();
        let by_name = shared.plan.by_name;
        let named = if by_name { names } else { 0 };
        let shards: Vec<_> = (0..connections.clamp(1, stats::SHARDS))
            .map(|_| stats::Shard::new(&empty, named))
            .collect();
        let tasks: Vec<_> = (0..connections)
            .map(|index| {
                let mut stats = stats::WorkerStats::new(shards[index % shards.len()].clone());
                if by_name {
                    stats = stats.by_name(names);
                }
                tokio::spawn(worker::work(Arc::clone(&shared), index, stats))
            })
            .collect();
        // Only workers may hold the shards now: `merge` adds a shard when its last holder is
        // merged.
        drop(shards);
        let mut merged = stats::WorkerStats::new(stats::Shard::new(&empty, named));
        for task in tasks {
            merged.merge(
                task.await
                    .map_err(|error| LoadError::Worker(error.to_string()))?,
            );
        }
        let _ = done.send(());
        let memory = match sampler {
            Some(task) => Some(
                task.await
                    .map_err(|error| LoadError::Worker(error.to_string()))?,
            ),
            None => None,
        };
        Ok((merged, memory))
    })
}

/// Stops the schedule when dropped.
struct StopOnDrop(Arc<worker::Shared>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.schedule.stop();
    }
}
