//! When each request is due, and when the test is over.
//!
//! Closed model: a request is due the moment a worker is free to send it. Open model: slot
//! `k` is due at `start + k / rate`, whatever the server does. Workers take slots from one
//! shared counter, so a slot waits only when every connection is busy — and then its latency,
//! measured from when it fell due, includes the wait. That is what lets a stalled server show
//! up in p99 instead of hiding behind the requests that were never sent (coordinated
//! omission, which a per-connection schedule or a closed model would suffer from).
//!
//! Stages ramp either model linearly from one target to the next (starting from 0), as
//! k6's ramping executors do: user stages switch users on and off (user `i` runs while the
//! target is above `i`), rate stages space the slots by the rate of the moment.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::config::{Stage, StageKind};

/// A piecewise-linear ramp: `(start, length, from, to)` in seconds and targets.
#[derive(Debug, Clone, Default)]
struct Ramp {
    segments: Vec<(f64, f64, f64, f64)>,
}

impl Ramp {
    fn new(stages: &[Stage]) -> Ramp {
        let (mut at, mut from) = (0.0, 0.0);
        let segments = stages
            .iter()
            .map(|stage| {
                let length = stage.duration.as_secs_f64();
                let segment = (at, length, from, stage.target);
                at += length;
                from = stage.target;
                segment
            })
            .collect();
        Ramp { segments }
    }

    /// The target at `t` seconds after the start.
    fn at(&self, t: f64) -> f64 {
        for &(start, length, from, to) in &self.segments {
            if t < start + length {
                return from + (to - from) * ((t - start) / length).clamp(0.0, 1.0);
            }
        }
        self.segments.last().map_or(0.0, |segment| segment.3)
    }

    /// The first time at or after `t` when the target is at least `need`.
    fn reaches(&self, need: f64, t: f64) -> Option<f64> {
        for &(start, length, from, to) in &self.segments {
            let end = start + length;
            if t >= end {
                continue;
            }
            let from_t = t.max(start);
            if self.at(from_t) >= need {
                return Some(from_t);
            }
            if to >= need && to > from {
                return Some((start + (need - from) / (to - from) * length).max(from_t));
            }
        }
        None
    }

    /// Rate ramps: when slot `k` falls due (the time at which the integral of the rate
    /// reaches `k`), in seconds; `None` past the end.
    fn slot(&self, k: f64) -> Option<f64> {
        let mut before = 0.0;
        for &(start, length, from, to) in &self.segments {
            let count = (from + to) / 2.0 * length;
            if k < before + count {
                let need = k - before;
                // `from·x + (to − from)/(2·length)·x² = need`, the smaller root.
                let a = (to - from) / (2.0 * length);
                let x = if a.abs() < 1e-12 {
                    need / from
                } else {
                    (-from + (from * from + 4.0 * a * need).max(0.0).sqrt()) / (2.0 * a)
                };
                return Some(start + x.clamp(0.0, length));
            }
            before += count;
        }
        None
    }

    /// Rate ramps: the slots that fall due in the whole ramp.
    fn slots(&self) -> u64 {
        let total: f64 = self
            .segments
            .iter()
            .map(|&(_, length, from, to)| (from + to) / 2.0 * length)
            .sum();
        total.ceil() as u64
    }
}

/// Whether a user of a staged test runs now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Turn {
    Run,
    /// Off until then.
    Wait(Instant),
    /// Off for the rest of the test.
    Done,
}

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
    /// User stages: how many users run at each moment.
    users: Option<Ramp>,
    /// Rate stages: the rate at each moment.
    rates: Option<Ramp>,
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
            users: None,
            rates: None,
        }
    }

    /// A schedule ramped by `stages`; `span` is their total.
    pub(crate) fn staged(span: Duration, kind: StageKind, stages: &[Stage]) -> Schedule {
        let mut schedule = Schedule::new(span, None, None);
        match kind {
            StageKind::Users => schedule.users = Some(Ramp::new(stages)),
            StageKind::Rate => schedule.rates = Some(Ramp::new(stages)),
        }
        schedule
    }

    /// For user stages: whether user `index` runs at `now`. Always [`Turn::Run`] otherwise.
    pub(crate) fn turn(&self, index: usize, now: Instant) -> Turn {
        let (Some(users), Some(&(start, deadline))) = (&self.users, self.times.get()) else {
            return Turn::Run;
        };
        let t = now.saturating_duration_since(start).as_secs_f64();
        let need = index as f64 + 1.0;
        if users.at(t) >= need - 1e-9 {
            return Turn::Run;
        }
        match users.reaches(need - 1e-9, t) {
            Some(at) => {
                let when = start + Duration::from_secs_f64(at);
                if when < deadline {
                    Turn::Wait(when.max(now))
                } else {
                    Turn::Done
                }
            }
            None => Turn::Done,
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

    /// User stages switch users on and off: without them every user runs throughout, and
    /// [`Schedule::turn`] need not be asked (nor the clock read for it) per request.
    pub(crate) fn ramps_users(&self) -> bool {
        self.users.is_some()
    }

    pub(crate) fn is_closed_model(&self) -> bool {
        self.period.is_none() && self.rates.is_none()
    }

    /// Closed model bounded by time: failed connects are retried after a pause.
    pub(crate) fn backs_off(&self) -> bool {
        self.is_closed_model() && self.total.is_none()
    }

    /// When the next request is due, or `None` when there is none left to send. In the open
    /// model this may be in the future (the worker waits) or in the past (the request is late:
    /// every connection was busy when it fell due). In the closed model it is now.
    pub(crate) fn next(&self) -> Option<Instant> {
        if self.stopped.load(Ordering::Relaxed) {
            return None;
        }
        let &(start, deadline) = self.times.get()?;
        if let Some(rates) = &self.rates {
            let slot = self.taken.fetch_add(1, Ordering::Relaxed);
            let due = start + Duration::from_secs_f64(rates.slot(slot as f64)?);
            return (due < deadline).then_some(due);
        }
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
        if self.times.get().is_none() {
            return 0;
        }
        if let Some(rates) = &self.rates {
            let due = rates.slots();
            return due.saturating_sub(self.taken.load(Ordering::Relaxed).min(due));
        }
        let Some(period) = self.period else {
            return 0;
        };
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

    fn stage(seconds: u64, target: f64) -> Stage {
        Stage {
            duration: Duration::from_secs(seconds),
            target,
        }
    }

    #[test]
    fn user_stages_switch_users_on_and_off() {
        let start = Instant::now();
        let stages = [stage(10, 10.0), stage(10, 10.0), stage(10, 0.0)];
        let schedule = Schedule::staged(Duration::from_secs(30), StageKind::Users, &stages);
        schedule.begin(start);
        let at = |seconds: f64| start + Duration::from_secs_f64(seconds);
        let waits_until = |turn: Turn, seconds: f64| match turn {
            Turn::Wait(until) => {
                let expected = at(seconds);
                until.max(expected) - until.min(expected) < Duration::from_micros(1)
            }
            _ => false,
        };
        assert!(waits_until(schedule.turn(0, at(0.5)), 1.0));
        assert_eq!(schedule.turn(4, at(5.0)), Turn::Run);
        assert!(waits_until(schedule.turn(9, at(5.0)), 10.0));
        assert_eq!(schedule.turn(9, at(15.0)), Turn::Run);
        assert_eq!(schedule.turn(9, at(21.5)), Turn::Done, "the ramp down");
        assert_eq!(schedule.turn(0, at(28.0)), Turn::Run);
        assert_eq!(schedule.turn(10, at(1.0)), Turn::Done, "never reached");
    }

    #[test]
    fn rate_stages_space_slots_by_the_rate_of_the_moment() {
        let start = Instant::now();
        // 0 → 10/s over 2 s (10 slots), then 10/s for 1 s (10 more).
        let stages = [stage(2, 10.0), stage(1, 10.0)];
        let schedule = Schedule::staged(Duration::from_secs(3), StageKind::Rate, &stages);
        assert!(!schedule.is_closed_model());
        schedule.begin(start);
        let due: Vec<f64> = std::iter::from_fn(|| schedule.next())
            .map(|due| (due - start).as_secs_f64())
            .collect();
        assert_eq!(due.len(), 20, "{due:?}");
        // On the ramp the rate is 5·t, so slot k falls when 2.5·t² = k: slot 5 at √2 s.
        assert!((due[5] - 2f64.sqrt()).abs() < 1e-6, "{due:?}");
        assert!((due[15] - 2.5).abs() < 1e-6, "{due:?}");
        assert_eq!(schedule.overdue(), 0);
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
