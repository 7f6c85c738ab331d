//! Recent results of one monitor, for windowed conditions: timestamps, pass flags and the
//! metrics its windowed rules read, as plain numbers. Memory is bounded twice: entries older
//! than the longest window go, and there are never more than [`MAX_ENTRIES`].

use std::collections::VecDeque;
use std::time::Duration;

use crate::expr::{Aggregate, Metric, Observations, Value, Windowed};

/// At most this many results per monitor (10,000 × 16 bytes per metric): a 1 h window of a
/// monitor running every second fits; a faster one sees its window shortened to the latest
/// 10,000 results.
pub const MAX_ENTRIES: usize = 10_000;

/// The unit a metric's samples carry, so aggregates come back in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Number,
    Seconds,
    Percent,
    Bytes,
}

#[derive(Debug, Clone)]
struct Entry {
    at_ms: i64,
    passed: bool,
    /// One per tracked metric; NaN when it was not observed.
    values: Box<[f64]>,
}

#[derive(Debug, Clone)]
pub struct Window {
    span: Duration,
    metrics: Vec<Metric>,
    units: Vec<Option<Unit>>,
    entries: VecDeque<Entry>,
}

impl Window {
    /// A window over `span` that keeps `metrics`' values.
    pub fn new(span: Duration, metrics: Vec<Metric>) -> Window {
        let units = vec![None; metrics.len()];
        Window {
            span,
            metrics,
            units,
            entries: VecDeque::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn metrics(&self) -> &[Metric] {
        &self.metrics
    }

    /// Adds a result at `at_ms` and forgets what fell out of the window.
    pub fn push(&mut self, at_ms: i64, passed: bool, observed: &Observations) {
        let mut values = Vec::with_capacity(self.metrics.len());
        for (index, metric) in self.metrics.iter().enumerate() {
            let found = lookup(observed, metric);
            match found.and_then(|value| number(&value)) {
                Some((unit, number)) => {
                    self.units[index] = Some(unit);
                    values.push(number);
                }
                None => values.push(f64::NAN),
            }
        }
        self.push_numbers(at_ms, passed, values);
    }

    /// Adds a stored result, whose metrics are already numbers (see [`Window::numbers`]).
    pub fn push_stored(&mut self, at_ms: i64, passed: bool, stored: &serde_json::Value) {
        let mut values = Vec::with_capacity(self.metrics.len());
        for (index, metric) in self.metrics.iter().enumerate() {
            let entry = stored.get(metric.to_string());
            let unit = entry
                .and_then(|e| e.get(0))
                .and_then(|u| u.as_str())
                .and_then(unit_named);
            let number = entry
                .and_then(|e| e.get(1))
                .and_then(serde_json::Value::as_f64);
            match (unit, number) {
                (Some(unit), Some(number)) => {
                    self.units[index] = Some(unit);
                    values.push(number);
                }
                _ => values.push(f64::NAN),
            }
        }
        self.push_numbers(at_ms, passed, values);
    }

    fn push_numbers(&mut self, at_ms: i64, passed: bool, values: Vec<f64>) {
        if self.entries.back().is_some_and(|last| last.at_ms > at_ms) {
            // Out of order (a stored result older than what is held): windows only move forward.
            return;
        }
        self.entries.push_back(Entry {
            at_ms,
            passed,
            values: values.into_boxed_slice(),
        });
        let span_ms = i64::try_from(self.span.as_millis()).unwrap_or(i64::MAX);
        while self
            .entries
            .front()
            .is_some_and(|first| first.at_ms < at_ms.saturating_sub(span_ms))
            || self.entries.len() > MAX_ENTRIES
        {
            self.entries.pop_front();
        }
    }

    /// The tracked metrics of one result as stored: `{"latency": ["s", 0.012]}`.
    pub fn numbers(&self, observed: &Observations) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for metric in &self.metrics {
            if let Some((unit, number)) = lookup(observed, metric).and_then(|v| number(&v))
                && number.is_finite()
            {
                map.insert(
                    metric.to_string(),
                    serde_json::json!([unit_name(unit), number]),
                );
            }
        }
        serde_json::Value::Object(map)
    }

    /// The aggregate `rule` asks for over the results of its window ending at `now_ms`;
    /// `None` when the window holds nothing to aggregate.
    pub fn aggregate(&self, rule: &Windowed, now_ms: i64) -> Option<Value> {
        let window_ms = i64::try_from(rule.window().as_millis()).unwrap_or(i64::MAX);
        let from = now_ms.saturating_sub(window_ms);
        let recent = self.entries.iter().filter(|entry| entry.at_ms >= from);
        if rule.aggregate() == Aggregate::Availability {
            let flags: Vec<Value> = recent.map(|entry| Value::Bool(entry.passed)).collect();
            return Aggregate::Availability.compute(&flags);
        }
        let index = self.metrics.iter().position(|m| Some(m) == rule.metric())?;
        let unit = self.units[index]?;
        let values: Vec<Value> = recent
            .map(|entry| entry.values[index])
            .filter(|number| !number.is_nan())
            .filter_map(|number| value(unit, number))
            .collect();
        rule.aggregate().compute(&values)
    }
}

fn lookup(observed: &Observations, metric: &Metric) -> Option<Value> {
    observed.find(metric)
}

fn number(value: &Value) -> Option<(Unit, f64)> {
    match value {
        Value::Number(n) => Some((Unit::Number, *n)),
        Value::Duration(d) => Some((Unit::Seconds, d.as_secs_f64())),
        Value::Percent(p) => Some((Unit::Percent, *p)),
        Value::Bytes(b) => Some((Unit::Bytes, *b as f64)),
        Value::Bool(flag) => Some((Unit::Number, f64::from(u8::from(*flag)))),
        _ => None,
    }
}

fn value(unit: Unit, number: f64) -> Option<Value> {
    Some(match unit {
        Unit::Number => Value::Number(number),
        Unit::Seconds => Value::Duration(Duration::try_from_secs_f64(number).ok()?),
        Unit::Percent => Value::Percent(number),
        Unit::Bytes => Value::Bytes(number.round() as u64),
    })
}

fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Number => "n",
        Unit::Seconds => "s",
        Unit::Percent => "%",
        Unit::Bytes => "B",
    }
}

fn unit_named(name: &str) -> Option<Unit> {
    [Unit::Number, Unit::Seconds, Unit::Percent, Unit::Bytes]
        .into_iter()
        .find(|unit| unit_name(*unit) == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Rule;

    fn windowed(text: &str) -> Windowed {
        match Rule::parse(text) {
            Ok(Rule::Windowed(rule)) => rule,
            other => panic!("{other:?}"),
        }
    }

    fn latency(ms: u64) -> Observations {
        [("latency", Value::Duration(Duration::from_millis(ms)))]
            .into_iter()
            .collect()
    }

    #[test]
    fn aggregates_cover_only_their_window_and_memory_stays_bounded() {
        let p95 = windowed("p95(latency, 10s) < 300ms");
        let availability = windowed("availability(1m) >= 99%");
        let metric: Metric = "latency".parse().expect("metric");
        let mut window = Window::new(Duration::from_secs(60), vec![metric]);
        // One slow result, 30 s ago, is outside the 10 s window of p95 but inside the 1 min
        // window of availability.
        window.push(0, false, &Observations::new());
        window.push(1_000, true, &latency(900));
        for second in 21..=30 {
            window.push(second * 1_000, true, &latency(100));
        }
        let now = 30_000;
        assert_eq!(
            window.aggregate(&p95, now),
            Some(Value::Duration(Duration::from_millis(100)))
        );
        assert_eq!(
            window.aggregate(&availability, now),
            Some(Value::percent_of(11.0, 12.0))
        );
        assert_eq!(
            window.aggregate(&p95, 100_000),
            None,
            "nothing in the window"
        );
        // Stored numbers come back the same.
        let stored = window.numbers(&latency(250));
        assert_eq!(stored, serde_json::json!({"latency": ["s", 0.25]}));
        let mut rebuilt = Window::new(Duration::from_secs(60), window.metrics().to_vec());
        rebuilt.push_stored(30_000, true, &stored);
        assert_eq!(
            rebuilt.aggregate(&p95, 30_000),
            Some(Value::Duration(Duration::from_millis(250)))
        );
        // A million results a second apart never hold more than the window.
        let mut long = Window::new(Duration::from_secs(3600 * 24), window.metrics().to_vec());
        for at in 0..50_000 {
            long.push(at, true, &latency(1));
        }
        assert_eq!(long.len(), MAX_ENTRIES);
    }
}
