//! One worker: one user, one connection, one request at a time, until the schedule says
//! stop.
//!
//! HTTP/1.1 runs on golive's own client ([`super::http1`]) inside the worker's future: no
//! driver task, no channel, one `write` and one `read` per request. HTTP/2 runs on hyper,
//! its driver spawned as a task of the load runtime. The runtime is a multi-thread one
//! because of its LIFO slot: the worker woken by its response runs next, so the response is
//! timed as it arrives. On a current-thread runtime the wake-up waited behind every other
//! connection's work, and p50 at a fixed 20,000 req/s read about 35 % above oha's.
//!
//! A kept-alive connection the server closed while idle (keep-alive limits, `Connection:
//! close`, an idle timeout) is replaced and the request sent again without counting an
//! error; one that broke during a request is an `io` error; one that cannot be opened is a
//! `connect` error.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use super::Live;
use super::h2::H2;
use super::http1::{Exchange, Http1, Keep};
use super::journey::{CAPTURE_BODY_CAP, Plan};
use super::schedule::{Schedule, Turn};
use super::series::Series;
use super::stats::{Failure, WorkerStats};
use super::stream::{self, Connect};
use crate::expr::Value;

/// Wait after a failed connect before the next attempt in a closed-model test bounded by
/// time, so that a refused port does not become a connect flood that burns the client's CPU
/// for the whole duration. (A test bounded by `requests` goes on at once: it ends sooner.)
const CONNECT_BACKOFF: Duration = Duration::from_millis(10);

/// What every worker shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) connect: Connect,
    pub(crate) plan: Plan,
    pub(crate) schedule: Schedule,
    pub(crate) timeout: Duration,
    pub(crate) think: Option<Duration>,
    pub(crate) live: Arc<Live>,
    pub(crate) series: Option<Series>,
}

/// Where a request was when its time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Connecting,
    Exchanging,
}

enum Connection {
    Http1(Http1),
    Http2(H2),
}

/// A user's own state: what it captured, and its buffers.
struct User {
    vars: Vec<Option<Vec<u8>>>,
    /// A request rendered from templates.
    wire: Vec<u8>,
    /// An answer's body and headers, kept for captures.
    body: Vec<u8>,
    headers: Vec<Option<Vec<u8>>>,
    /// The last request, for the journey's next step.
    previous: Option<usize>,
    /// xorshift state for a weighted mix.
    random: u64,
}

impl User {
    fn new(plan: &Plan, index: usize) -> User {
        User {
            vars: vec![None; plan.vars],
            wire: Vec::new(),
            body: Vec::new(),
            headers: Vec::new(),
            previous: None,
            random: 0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9),
        }
    }

    fn random(&mut self) -> u64 {
        let mut x = self.random;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.random = x;
        x
    }
}

/// Runs requests until the schedule has none left; returns what it measured.
pub(crate) async fn work(shared: Arc<Shared>, index: usize, mut stats: WorkerStats) -> WorkerStats {
    let (Some(deadline), Some(began)) = (shared.schedule.deadline(), shared.schedule.start())
    else {
        return stats;
    };
    let mut connection: Option<Connection> = None;
    let mut cursor = shared.series.as_ref().map(Series::cursor);
    let mut user = User::new(&shared.plan, index);
    // One timer per worker, not one per request: see `within`.
    let mut alarm = Alarm {
        sleep: pin!(tokio::time::sleep_until(deadline.into())),
        armed: false,
    };
    let paced = !shared.schedule.is_closed_model();
    let ramps = shared.schedule.ramps_users();
    loop {
        if ramps {
            match shared.schedule.turn(index, Instant::now()) {
                Turn::Run => {}
                Turn::Wait(until) => {
                    // Off for now: this user's connection closes, as a leaving user's does.
                    connection = None;
                    tokio::time::sleep_until(until.into()).await;
                    continue;
                }
                Turn::Done => break,
            }
        }
        let Some(due) = shared.schedule.next() else {
            break;
        };
        // Latency runs from when the request fell due, so that in the open model a request
        // that waited for a busy connection counts the wait. When instead the connection was
        // idle and waiting for the request, it runs from when the timer woke the worker:
        // tokio's timer fires up to a millisecond late, and that lateness is golive's, not
        // the server's.
        let mut start = due;
        if paced && due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
            start = Instant::now();
        }
        // The timeout runs from the same moment: a request that waited for a connection has
        // used part of its patience already, as its user has.
        let patience = start + shared.timeout;
        let limit = patience.min(deadline);
        let request = shared.plan.next(user.previous, user.random());
        let mut stage = Stage::Exchanging;
        // The exchange borrows the connection and counters; it is dropped before they are used.
        let result = {
            let exchange = pin!(exchange(
                &shared,
                &mut connection,
                &mut stage,
                &mut stats.connections_opened,
                request,
                &mut user,
            ));
            within(limit, &mut alarm, exchange).await
        };
        let end = Instant::now();
        let captures = !shared.plan.requests[request].captures.is_empty();
        let name = shared.plan.by_name.then_some(request);
        let (latency, failed) = match result {
            Some(Ok(status)) => {
                stats.response(status, end - start, end, name);
                let mut failed = status >= 400;
                user.previous = Some(request);
                if captures {
                    if failed {
                        // Nothing to capture from an error: the journey starts over.
                        user.previous = None;
                    } else if let Err(message) = super::journey::capture(
                        &shared.plan.requests[request],
                        &user.body,
                        &user.headers,
                        &mut user.vars,
                    ) {
                        let name = &shared.plan.names[request];
                        stats.capture_failed(|| format!("request `{name}`: {message}"));
                        failed = true;
                        user.previous = None;
                    }
                }
                (Some(end - start), failed)
            }
            Some(Err((kind, message))) => {
                connection = None;
                let name = &shared.plan.names[request];
                let by_name = shared.plan.by_name;
                stats.failure(
                    kind,
                    || match by_name {
                        true => format!("request `{name}`: {message}"),
                        false => message,
                    },
                    end,
                );
                user.previous = if captures { None } else { Some(request) };
                if kind == Failure::Connect && shared.schedule.backs_off() {
                    tokio::time::sleep_until((end + CONNECT_BACKOFF).min(deadline).into()).await;
                }
                (None, true)
            }
            None if patience > deadline => {
                // The test ended first: neither an error nor a latency sample.
                stats.in_flight += 1;
                break;
            }
            None => {
                // HTTP/1.1 cannot abandon one request and keep the connection.
                connection = None;
                user.previous = if captures { None } else { Some(request) };
                let waited = Value::Duration(shared.timeout);
                match stage {
                    Stage::Connecting => {
                        stats.failure(
                            Failure::Connect,
                            || {
                                format!(
                                    "no connection to {} within {waited}",
                                    shared.connect.address
                                )
                            },
                            end,
                        );
                        (None, true)
                    }
                    Stage::Exchanging => {
                        stats.timeout(
                            end - start,
                            || format!("no complete answer within {waited}"),
                            end,
                            name,
                        );
                        (Some(end - start), true)
                    }
                }
            }
        };
        if shared.plan.by_name {
            stats.named(request, failed);
        }
        if let (Some(cursor), Some(series)) = (cursor.as_mut(), shared.series.as_ref()) {
            cursor.record(series, began, end, latency, failed);
        }
        shared
            .live
            .publish(index, stats.finished(), stats.errors.total());
        if let Some(think) = shared.think {
            tokio::time::sleep_until((end + think).min(deadline).into()).await;
        }
    }
    if let (Some(cursor), Some(series)) = (cursor.as_mut(), shared.series.as_ref()) {
        cursor.flush(series);
    }
    stats
}

/// The worker's one timer, and whether it holds the worker's waker for its deadline.
struct Alarm<'a> {
    sleep: Pin<&'a mut tokio::time::Sleep>,
    /// Polled since it was last set, and not fired since: it will wake the worker, so a
    /// request that waits need not poll it again (a `Sleep` poll costs a budget check and
    /// a waker registration, on every request).
    armed: bool,
}

impl Alarm<'_> {
    fn set(&mut self, limit: tokio::time::Instant) {
        self.sleep.as_mut().reset(limit);
        self.armed = false;
    }
}

/// `future`'s output, or `None` once `limit` has passed.
///
/// A fresh timer per request would insert into and remove from tokio's timer wheel every
/// time. Instead the worker's one `alarm` stays set at an earlier request's limit (limits only
/// grow), and when it fires before the current request's limit it is set to that limit. So
/// it is re-armed about once per timeout period, not once per request.
async fn within<F: Future>(
    limit: Instant,
    alarm: &mut Alarm<'_>,
    mut future: Pin<&mut F>,
) -> Option<F::Output> {
    let limit = tokio::time::Instant::from(limit);
    if alarm.sleep.deadline() > limit {
        alarm.set(limit);
    }
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        // An armed alarm that has not fired wakes the worker when it does: the worker is a
        // task, always woken by the same waker, so the one registered is still the right one.
        if alarm.armed && !alarm.sleep.is_elapsed() {
            return Poll::Pending;
        }
        // Unconstrained: out of budget, a `Sleep` returns `Pending` without registering the
        // waker, and an alarm marked armed then would never wake the worker.
        while pin!(tokio::task::unconstrained(alarm.sleep.as_mut()))
            .poll(cx)
            .is_ready()
        {
            if tokio::time::Instant::now() >= limit {
                alarm.armed = false;
                return Poll::Ready(None);
            }
            alarm.set(limit);
        }
        alarm.armed = true;
        Poll::Pending
    })
    .await
}

/// One request on the worker's connection, opening one first if there is none: the
/// response status, or what went wrong.
async fn exchange(
    shared: &Shared,
    slot: &mut Option<Connection>,
    stage: &mut Stage,
    opened: &mut u64,
    request: usize,
    user: &mut User,
) -> Result<u16, (Failure, String)> {
    let prepared = &shared.plan.requests[request];
    // A connection the server closed while idle is replaced once, not counted: servers end
    // keep-alive connections after some requests (nginx after 1000) or when idle.
    for attempt in 0..2 {
        let connection = match slot {
            Some(connection) => connection,
            None => {
                *stage = Stage::Connecting;
                let fresh = Box::pin(open(&shared.connect))
                    .await
                    .map_err(|message| (Failure::Connect, message))?;
                *opened += 1;
                *stage = Stage::Exchanging;
                slot.insert(fresh)
            }
        };
        let stale = match connection {
            Connection::Http1(client) => {
                let User {
                    vars,
                    wire,
                    body,
                    headers,
                    ..
                } = user;
                let bytes = shared.plan.wire(request, vars, wire);
                let keep = (prepared.keep_body || !prepared.wanted_headers.is_empty()).then(|| {
                    body.clear();
                    headers.clear();
                    Keep {
                        body: prepared.keep_body.then_some((&mut *body, CAPTURE_BODY_CAP)),
                        headers: &prepared.wanted_headers,
                        values: headers,
                    }
                });
                match client.exchange(bytes, prepared.head, keep).await {
                    Ok(answer) => {
                        if !answer.keep_alive {
                            *slot = None;
                        }
                        return Ok(answer.status);
                    }
                    Err(Exchange::Stale) => true,
                    Err(Exchange::Io(message)) => return Err((Failure::Io, message)),
                }
            }
            Connection::Http2(client) => match client.ready().await {
                Err(_) => true,
                Ok(()) => {
                    let request = shared
                        .plan
                        .http2(request, &user.vars)
                        .map_err(|message| (Failure::Capture, message))?;
                    return client
                        .exchange(request)
                        .await
                        .map_err(|message| (Failure::Io, message));
                }
            },
        };
        if stale {
            *slot = None;
            if attempt == 1 {
                break;
            }
        }
    }
    Err((
        Failure::Io,
        "the server closed the connection without answering".to_string(),
    ))
}

/// Opens a connection: TCP, TLS when asked, and the HTTP/2 handshake.
async fn open(connect: &Connect) -> Result<Connection, String> {
    let stream = stream::open(connect).await?;
    if connect.http2 {
        H2::handshake(stream).await.map(Connection::Http2)
    } else {
        Ok(Connection::Http1(Http1::new(stream)))
    }
}
