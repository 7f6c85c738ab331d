//! Results over time: requests, errors and latency percentiles per interval, the evidence a
//! soak or ramp test is read by ("p95 crept up after two hours").
//!
//! Each worker counts into the interval it is in and hands its counts to the shared series
//! when it moves to the next one, so the hot path takes no lock. Intervals are sized so that
//! a test has at most [`MAX_POINTS`] of them, and each keeps one small histogram (two
//! significant digits, 32-bit counts), so the series stays under a few MB whatever the
//! test's length.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{Value as Json, json};

/// Most intervals in one test.
pub(crate) const MAX_POINTS: u64 = 300;
/// Highest latency an interval histogram holds; slower requests are counted at it.
const MAX_MICROS: u64 = 3_600_000_000;

/// One interval's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// From the start of the test to the start of the interval.
    pub at: Duration,
    pub length: Duration,
    /// Requests finished in the interval (answered or failed).
    pub requests: u64,
    pub errors: u64,
    /// `None` when nothing was answered or timed out in the interval.
    pub p50: Option<Duration>,
    pub p95: Option<Duration>,
    pub p99: Option<Duration>,
}

impl Point {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.length.as_secs_f64().max(1e-9)
    }

    pub fn to_json(&self) -> Json {
        let ms = |d: Option<Duration>| d.map(|d| (d.as_secs_f64() * 1e6).round() / 1e3);
        json!({
            "t_s": (self.at.as_secs_f64() * 1e3).round() / 1e3,
            "rps": (self.rps() * 10.0).round() / 10.0,
            "requests": self.requests,
            "errors": self.errors,
            "p50_ms": ms(self.p50),
            "p95_ms": ms(self.p95),
            "p99_ms": ms(self.p99),
        })
    }
}

/// The interval length for a test of `span`: one second, or longer so that there are at most
/// [`MAX_POINTS`].
pub(crate) fn interval_for(span: Duration) -> Duration {
    let minimum = Duration::from_secs(1);
    let spread = span.as_secs_f64() / MAX_POINTS as f64;
    minimum.max(Duration::from_secs_f64(spread.ceil()))
}

#[derive(Debug)]
struct Slot {
    requests: u64,
    errors: u64,
    latency: Histogram<u32>,
}

/// The series every worker adds to.
#[derive(Debug)]
pub(crate) struct Series {
    interval: Duration,
    slots: Mutex<Vec<Slot>>,
    empty: Histogram<u32>,
}

impl Series {
    pub(crate) fn new(span: Duration) -> Option<Series> {
        // Auto-resizing from small: memory follows the slowest latency seen, per worker.
        let empty = Histogram::new(2).ok()?;
        Some(Series {
            interval: interval_for(span),
            slots: Mutex::new(Vec::new()),
            empty,
        })
    }

    pub(crate) fn cursor(&self) -> Cursor {
        let now = Instant::now();
        Cursor {
            index: None,
            from: now,
            until: now,
            requests: 0,
            errors: 0,
            latency: self.empty.clone(),
        }
    }

    fn add(&self, index: usize, cursor: &mut Cursor) {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        while slots.len() <= index {
            slots.push(Slot {
                requests: 0,
                errors: 0,
                latency: self.empty.clone(),
            });
        }
        let slot = &mut slots[index];
        slot.requests += cursor.requests;
        slot.errors += cursor.errors;
        let _ = slot.latency.add(&cursor.latency);
        cursor.requests = 0;
        cursor.errors = 0;
        cursor.latency.reset();
    }

    /// The points up to `elapsed`, the last one possibly shorter.
    pub(crate) fn points(&self, elapsed: Duration) -> Vec<Point> {
        let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let at_quantile = |histogram: &Histogram<u32>, q: f64| {
            (!histogram.is_empty()).then(|| Duration::from_micros(histogram.value_at_quantile(q)))
        };
        slots
            .iter()
            .enumerate()
            .map(|(index, slot)| {
                let at = self.interval * index as u32;
                let length = self
                    .interval
                    .min(elapsed.saturating_sub(at))
                    .max(Duration::from_millis(1));
                Point {
                    at,
                    length,
                    requests: slot.requests,
                    errors: slot.errors,
                    p50: at_quantile(&slot.latency, 0.5),
                    p95: at_quantile(&slot.latency, 0.95),
                    p99: at_quantile(&slot.latency, 0.99),
                }
            })
            .collect()
    }
}

/// A worker's counts for the interval it is in.
#[derive(Debug)]
pub(crate) struct Cursor {
    index: Option<usize>,
    /// The interval `index` is: from its start (included) to its end (excluded).
    from: Instant,
    until: Instant,
    requests: u64,
    errors: u64,
    latency: Histogram<u32>,
}

impl Cursor {
    /// Counts one finished request that ended at `end`.
    pub(crate) fn record(
        &mut self,
        series: &Series,
        start: Instant,
        end: Instant,
        latency: Option<Duration>,
        error: bool,
    ) {
        // Most requests end in the interval of the one before: two comparisons, not the
        // 128-bit division that finds the interval.
        if self.index.is_none() || end < self.from || end >= self.until {
            let interval = series.interval.max(Duration::from_nanos(1));
            let index =
                (end.saturating_duration_since(start).as_nanos() / interval.as_nanos()) as usize;
            if let Some(current) = self.index
                && current != index
            {
                series.add(current, self);
            }
            self.index = Some(index);
            // Out of range only in a test far longer than any allowed: then `until` is `end`,
            // and the next request finds its interval the long way, as correct as ever.
            let offset = interval.saturating_mul(u32::try_from(index).unwrap_or(u32::MAX));
            self.from = start.checked_add(offset).unwrap_or(end);
            self.until = self.from.checked_add(interval).unwrap_or(end);
        }
        self.requests += 1;
        self.errors += u64::from(error);
        if let Some(latency) = latency {
            let micros = u64::try_from(latency.as_micros()).unwrap_or(MAX_MICROS);
            let _ = self.latency.record(micros.clamp(1, MAX_MICROS));
        }
    }

    /// Hands over what is left, at the end of the test.
    pub(crate) fn flush(&mut self, series: &Series) {
        if let Some(index) = self.index.take() {
            series.add(index, self);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_merge_into_intervals() {
        let series = Series::new(Duration::from_secs(3)).expect("a histogram");
        let start = Instant::now();
        let (mut a, mut b) = (series.cursor(), series.cursor());
        let at = |ms: u64| start + Duration::from_millis(ms);
        let ms = |ms: u64| Some(Duration::from_millis(ms));
        a.record(&series, start, at(100), ms(10), false);
        b.record(&series, start, at(200), ms(20), true);
        a.record(&series, start, at(1500), ms(30), false);
        b.record(&series, start, at(2500), None, true);
        a.flush(&series);
        b.flush(&series);
        let points = series.points(Duration::from_millis(2600));
        assert_eq!(points.len(), 3);
        assert_eq!((points[0].requests, points[0].errors), (2, 1));
        assert_eq!(points[1].requests, 1);
        assert_eq!(
            (points[2].requests, points[2].errors, points[2].p95),
            (1, 1, None)
        );
        assert_eq!(points[2].length, Duration::from_millis(600));
        assert_eq!(points[0].rps(), 2.0);
    }

    #[test]
    fn long_tests_get_longer_intervals() {
        assert_eq!(
            interval_for(Duration::from_secs(10)),
            Duration::from_secs(1)
        );
        assert_eq!(
            interval_for(Duration::from_secs(4 * 3600)),
            Duration::from_secs(48)
        );
    }
}
