//! When each request is due, and when the test is over.
//!
//! Closed model: a request is due the moment a worker is free to send it. Open model: slot
//! `k` is due at `start + k / rate`, whatever the server does. Workers take slots from one
//! shared counter, so a slot waits only when every connection is busy — and then its latency,
//! measured from when it fell due, includes the wait. That is what lets a stalled server show
//! up in p99 instead of hiding behind the requests that were never sent (coordinated
//! omission, which a per-connection schedule or a closed model would suffer from).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct Schedule {
    /// The start and the hard end, set by [`Schedule::begin`] once the workers' runtime is up,
    /// so that starting it is not counted in the first requests' latency.
    times: OnceLock<(Instant, Instant)>,
    /// From the start to the hard end: `duration`, or [`super::MAX_DURATION`] for a
    /// `requests` run.
    span: Duration,
    /// `requests`, when that is the bound.
    total: Option<u64>,
    /// Time between two slots in the open model.
    period: Option<Duration>,
    /// Slots taken so far.
    taken: AtomicU64,
    /// Set by [`Schedule::stop`]: no new request starts.
    stopped: AtomicBool,
}

impl Schedule {
    pub(crate) fn new(span: Duration, total: Option<u64>, rate: Option<f64>) -> Schedule {
        Schedule {
            times: OnceLock::new(),
            span,
            total,
            period: rate.map(|rate| Duration::from_secs_f64(1.0 / rate)),
            taken: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
        }
    }

    /// Starts the clock; later calls change nothing.
    pub(crate) fn begin(&self, now: Instant) {
        let _ = self.times.set((now, now + self.span));
    }

    /// When the test started, once it has.
    pub(crate) fn start(&self) -> Option<Instant> {
        self.times.get().map(|&(start, _)| start)
    }

    /// When the test ends at the latest, once it has started.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.times.get().map(|&(_, deadline)| deadline)
    }

    /// Ends the test early: requests under way finish, no new one starts.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }

    pub(crate) fn is_closed_model(&self) -> bool {
        self.period.is_none()
    }

    /// Closed model bounded by time: failed connects are retried after a pause.
    pub(crate) fn backs_off(&self) -> bool {
        self.period.is_none() && self.total.is_none()
    }

    /// When the next request is due, or `None` when there is none left to send. In the open
    /// model this may be in the future (the worker waits) or in the past (the request is late:
    /// every connection was busy when it fell due). In the closed model it is now.
    pub(crate) fn next(&self) -> Option<Instant> {
        if self.stopped.load(Ordering::Relaxed) {
            return None;
        }
        let &(start, deadline) = self.times.get()?;
        if self.period.is_none() && self.total.is_none() {
            // Closed model bounded by time: nothing to count, so no shared write per request.
            let now = Instant::now();
            return (now < deadline).then_some(now);
        }
        let slot = self.taken.fetch_add(1, Ordering::Relaxed);
        if self.total.is_some_and(|total| slot >= total) {
            return None;
        }
        let due = match self.period {
            Some(period) => start + self.offset(slot, period),
            None => Instant::now(),
        };
        (due < deadline).then_some(due)
    }

    /// Open model: slots that fell due before the deadline but that no worker took, because
    /// every connection was still waiting for an answer. Zero in the closed model.
    pub(crate) fn overdue(&self) -> u64 {
        let Some(period) = self.period else {
            return 0;
        };
        if self.times.get().is_none() {
            return 0;
        }
        // Slots k with k × period < span.
        let mut due = (self.span.as_secs_f64() / period.as_secs_f64()).ceil() as u64;
        if let Some(total) = self.total {
            due = due.min(total);
        }
        due.saturating_sub(self.taken.load(Ordering::Relaxed).min(due))
    }

    /// `k × period`, computed in floating point so that rates like 3/s do not drift by the
    /// nanosecond each slot that an integer period would lose.
    fn offset(&self, slot: u64, period: Duration) -> Duration {
        Duration::from_secs_f64(slot as f64 * period.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_slots_fall_due_at_the_rate() {
        let start = Instant::now();
        let schedule = Schedule::new(Duration::from_secs(1), None, Some(4.0));
        assert_eq!(schedule.next(), None, "nothing is due before the start");
        schedule.begin(start);
        let due: Vec<Duration> = std::iter::from_fn(|| schedule.next())
            .map(|due| due - start)
            .collect();
        assert_eq!(
            due,
            [0, 250, 500, 750].map(Duration::from_millis),
            "slot 4 falls at 1s, the deadline"
        );
        assert_eq!(schedule.overdue(), 0);
    }

    #[test]
    fn untaken_slots_are_overdue() {
        let schedule = Schedule::new(Duration::from_secs(1), None, Some(100.0));
        schedule.begin(Instant::now());
        for _ in 0..30 {
            schedule.next();
        }
        assert_eq!(schedule.overdue(), 70);
    }

    #[test]
    fn request_bound_stops_after_total() {
        let start = Instant::now();
        let schedule = Schedule::new(Duration::from_secs(60), Some(3), None);
        schedule.begin(start);
        assert_eq!(std::iter::from_fn(|| schedule.next()).count(), 3);
        let open = Schedule::new(Duration::from_secs(60), Some(3), Some(1000.0));
        open.begin(start);
        assert_eq!(std::iter::from_fn(|| open.next()).count(), 3);
        assert_eq!(open.overdue(), 0);
    }
}
