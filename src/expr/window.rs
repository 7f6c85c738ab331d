//! Windowed conditions for monitors: `p95(latency, 10m) < 300ms`, `avg(latency, 5m) < 1s`,
//! `max(…)`, `min(…)`, `availability(1h) >= 99.9%`. They hold over the results of the last
//! stretch of time rather than one sample, so a single slow answer does not page anyone.
//!
//! A [`Rule`] is either a plain [`Condition`] on the latest sample or a [`Windowed`] one.
//! Both are parsed once, at load, with spans into the text. Evaluating a windowed rule needs
//! the aggregate, which the monitor computes from the samples it keeps
//! ([`Aggregate::compute`] does the arithmetic); this module stays pure.

use std::fmt;
use std::time::Duration;

use super::ast::{Condition, Metric, Span, Spans};
use super::compare;
use super::error::ParseError;
use super::eval::{Observations, Verdict};
use super::parse::{Parser, parse_duration};
use super::value::Value;

const FUNCTIONS: &str = "p50 … p99, avg, min, max, availability";

/// What a windowed condition computes over its window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Aggregate {
    /// `pNN`: the NN-th percentile (nearest rank), 1 ≤ NN ≤ 99; `p99.9` is allowed.
    Percentile(f64),
    Avg,
    Min,
    Max,
    /// The share of results in the window whose `expect` held, as a percentage.
    Availability,
}

impl Aggregate {
    fn from_name(name: &str) -> Option<Aggregate> {
        match name {
            "avg" | "mean" => Some(Aggregate::Avg),
            "min" => Some(Aggregate::Min),
            "max" => Some(Aggregate::Max),
            "availability" | "uptime" => Some(Aggregate::Availability),
            _ => {
                let rank: f64 = name.strip_prefix('p')?.parse().ok()?;
                (rank > 0.0 && rank < 100.0).then_some(Aggregate::Percentile(rank))
            }
        }
    }

    /// The aggregate of `values` (one metric's samples in the window, all of one kind), or
    /// `None` when there are none or they are not numbers with one unit. For
    /// [`Aggregate::Availability`], `values` are the results' pass flags as booleans.
    pub fn compute(self, values: &[Value]) -> Option<Value> {
        if values.is_empty() {
            return None;
        }
        if self == Aggregate::Availability {
            let passed = values
                .iter()
                .filter(|value| matches!(value, Value::Bool(true)))
                .count();
            return Some(Value::percent_of(passed as f64, values.len() as f64));
        }
        let first = values.first()?;
        let mut numbers: Vec<f64> = Vec::with_capacity(values.len());
        for value in values {
            if std::mem::discriminant(value) != std::mem::discriminant(first) {
                return None;
            }
            numbers.push(as_number(value)?);
        }
        let number = match self {
            Aggregate::Avg => numbers.iter().sum::<f64>() / numbers.len() as f64,
            Aggregate::Min => numbers.iter().copied().fold(f64::INFINITY, f64::min),
            Aggregate::Max => numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Aggregate::Percentile(rank) => {
                numbers.sort_by(f64::total_cmp);
                // Nearest rank: the smallest value with at least `rank` % of samples at or below.
                let at = ((rank / 100.0) * numbers.len() as f64).ceil() as usize;
                numbers[at.clamp(1, numbers.len()) - 1]
            }
            Aggregate::Availability => return None,
        };
        like(first, number)
    }
}

fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) | Value::Percent(number) => Some(*number),
        Value::Duration(duration) => Some(duration.as_secs_f64()),
        Value::Bytes(bytes) => Some(*bytes as f64),
        _ => None,
    }
}

/// `number` in the unit of `example`.
fn like(example: &Value, number: f64) -> Option<Value> {
    Some(match example {
        Value::Number(_) => Value::Number(number),
        Value::Percent(_) => Value::Percent(number),
        Value::Duration(_) => Value::Duration(Duration::try_from_secs_f64(number).ok()?),
        Value::Bytes(_) => Value::Bytes(number.round() as u64),
        _ => return None,
    })
}

impl fmt::Display for Aggregate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Aggregate::Percentile(rank) => write!(f, "p{rank}"),
            Aggregate::Avg => f.write_str("avg"),
            Aggregate::Min => f.write_str("min"),
            Aggregate::Max => f.write_str("max"),
            Aggregate::Availability => f.write_str("availability"),
        }
    }
}

/// `aggregate(metric, window) op value`, e.g. `p95(latency, 10m) < 300ms`.
#[derive(Debug, Clone)]
pub struct Windowed {
    aggregate: Aggregate,
    /// `None` for `availability`, which counts results rather than reading a metric.
    metric: Option<Metric>,
    window: Duration,
    /// The comparison, on a computed metric named like the head (`p95(latency, 10m)`).
    comparison: Condition,
}

impl Windowed {
    pub fn aggregate(&self) -> Aggregate {
        self.aggregate
    }

    pub fn metric(&self) -> Option<&Metric> {
        self.metric.as_ref()
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    /// Compares the computed aggregate with the threshold; the failure reads
    /// `p95(latency, 10m) 412ms >= 300ms`.
    pub fn check(&self, aggregate: &Value) -> Verdict {
        match self.comparison.value() {
            Some(expected) => compare::check(
                self.comparison.metric(),
                self.comparison.op(),
                aggregate,
                expected,
                self.comparison.pattern.as_ref(),
            ),
            None => Verdict::Invalid(format!("`{}` needs a value", self.comparison.op())),
        }
    }

    /// Where the head, operator and value are in the text.
    pub fn spans(&self) -> Spans {
        self.comparison.spans()
    }
}

impl fmt::Display for Windowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.comparison.fmt(f)
    }
}

/// A monitor's level condition: on the latest sample, or over a window of samples.
#[derive(Debug, Clone)]
pub enum Rule {
    Sample(Condition),
    Windowed(Windowed),
}

impl Rule {
    /// Reads `status == 200` or `p95(latency, 10m) < 300ms`.
    pub fn parse(text: &str) -> Result<Rule, ParseError> {
        let head = text.trim_start();
        let name_len = head
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
            .unwrap_or(head.len());
        if head[name_len..].starts_with('(') {
            windowed(text).map(Rule::Windowed)
        } else {
            Condition::parse(text).map(Rule::Sample)
        }
    }

    /// The longest window this rule looks back over (zero for a sample rule).
    pub fn window(&self) -> Duration {
        match self {
            Rule::Sample(_) => Duration::ZERO,
            Rule::Windowed(windowed) => windowed.window,
        }
    }

    /// The metric whose samples this rule reads: the condition's, or the aggregated one.
    pub fn metric(&self) -> Option<&Metric> {
        match self {
            Rule::Sample(condition) => Some(condition.metric()),
            Rule::Windowed(windowed) => windowed.metric.as_ref(),
        }
    }

    /// Evaluates a sample rule against the latest observations. A windowed rule needs its
    /// aggregate: use [`Windowed::check`].
    pub fn evaluate_sample(&self, observed: &Observations) -> Option<Verdict> {
        match self {
            Rule::Sample(condition) => Some(condition.evaluate(observed)),
            Rule::Windowed(_) => None,
        }
    }

    pub fn spans(&self) -> Spans {
        match self {
            Rule::Sample(condition) => condition.spans(),
            Rule::Windowed(windowed) => windowed.spans(),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Sample(condition) => condition.fmt(f),
            Rule::Windowed(windowed) => windowed.fmt(f),
        }
    }
}

fn windowed(text: &str) -> Result<Windowed, ParseError> {
    let mut parser = Parser { text, pos: 0 };
    parser.skip_whitespace();
    let start = parser.pos;
    let name = parser.eat_while(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
    let name_span = Span::new(start, parser.pos);
    let aggregate = Aggregate::from_name(&name.to_ascii_lowercase()).ok_or_else(|| {
        parser.error(
            name_span,
            format!("unknown window function `{name}`"),
            Some(format!(
                "use one of {FUNCTIONS}, e.g. `p95(latency, 10m) < 300ms`"
            )),
        )
    })?;
    parser.bump(); // `(`, which `Rule::parse` saw.
    parser.skip_whitespace();
    let metric = if aggregate == Aggregate::Availability {
        None
    } else {
        let (metric, _) = parser.metric()?;
        parser.skip_whitespace();
        if parser.peek() != Some(',') {
            return Err(parser.error(
                Span::new(
                    parser.pos,
                    parser.pos + parser.peek().map_or(0, char::len_utf8),
                ),
                format!("expected `,` and a window after `{metric}`"),
                Some(format!("e.g. `{aggregate}({metric}, 10m)`")),
            ));
        }
        parser.bump();
        parser.skip_whitespace();
        Some(metric)
    };
    let window_start = parser.pos;
    let window_text = parser.eat_while(|c| c != ')');
    let window_span = Span::new(window_start, window_start + window_text.trim_end().len());
    let example = match &metric {
        Some(metric) => format!("`{aggregate}({metric}, 10m)`"),
        None => "`availability(1h) >= 99.9%`".to_string(),
    };
    if parser.peek() != Some(')') {
        return Err(parser.error(
            window_span,
            "missing `)` after the window",
            Some(format!("e.g. {example}")),
        ));
    }
    let window = parse_duration(window_text)
        .filter(|window| !window.is_zero())
        .ok_or_else(|| {
            parser.error(
                window_span,
                format!("`{}` is not a window length", window_text.trim()),
                Some(format!("give a duration with a unit, e.g. {example}")),
            )
        })?;
    parser.bump();
    let head_span = Span::new(start, parser.pos);
    let head = match &metric {
        Some(metric) => format!("{aggregate}({metric}, {})", window_text.trim()),
        None => format!("{aggregate}({})", window_text.trim()),
    };
    let computed = Metric::computed(head);
    parser.skip_whitespace();
    let (op, op_span) = parser.op(&computed)?;
    if !op.is_ordering() && !matches!(op, super::Op::Eq | super::Op::Ne) {
        return Err(parser.error(
            op_span,
            format!("`{op}` does not apply to a number over a window"),
            Some("compare it with < <= > >= == !=".into()),
        ));
    }
    parser.skip_whitespace();
    let (value, value_span, written) = parser.literal(op)?;
    parser.end(op, Some((value_span, written)))?;
    let spans = Spans {
        metric: head_span,
        op: op_span,
        value: Some(value_span),
    };
    if aggregate == Aggregate::Availability && !matches!(value, super::Literal::Percent(_)) {
        return Err(parser.error(
            value_span,
            "availability is a percentage",
            Some("e.g. `availability(1h) >= 99.9%`".into()),
        ));
    }
    let comparison = Condition {
        metric: computed,
        op,
        value: Some(value),
        pattern: None,
        spans,
    };
    Ok(Windowed {
        aggregate,
        metric,
        window,
        comparison,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windowed(text: &str) -> Windowed {
        match Rule::parse(text) {
            Ok(Rule::Windowed(windowed)) => windowed,
            other => panic!("{text}: {other:?}"),
        }
    }

    fn error(text: &str) -> (String, String) {
        let error = Rule::parse(text).expect_err(text);
        (text[error.span().range()].to_string(), error.to_string())
    }

    #[test]
    fn reads_windowed_conditions_with_spans() {
        let rule = windowed("p95(latency, 10m) < 300ms");
        assert_eq!(rule.aggregate(), Aggregate::Percentile(95.0));
        assert_eq!(rule.window(), Duration::from_secs(600));
        assert_eq!(
            rule.metric().map(ToString::to_string).as_deref(),
            Some("latency")
        );
        assert_eq!(rule.to_string(), "p95(latency, 10m) < 300ms");
        assert_eq!(rule.spans().metric.range(), 0..17);
        let rule = windowed("availability(1h) >= 99.9%");
        assert_eq!(rule.aggregate(), Aggregate::Availability);
        assert!(rule.metric().is_none());
        assert!(
            windowed("  avg( json.queue.depth ,5m )<=100")
                .to_string()
                .starts_with("avg(json.queue.depth, 5m)")
        );
        assert!(matches!(Rule::parse("status == 200"), Ok(Rule::Sample(_))));
    }

    #[test]
    fn bad_windowed_conditions_point_at_the_problem() {
        assert_eq!(error("p100(latency, 1m) < 1s").0, "p100");
        assert_eq!(error("median(latency, 1m) < 1s").0, "median");
        assert_eq!(error("p95(latency, ten) < 1s").0, "ten");
        assert!(
            error("p95(latency, 0s) < 1s")
                .1
                .contains("not a window length")
        );
        assert!(error("p95(latency 1m) < 1s").1.contains("expected `,`"));
        assert!(error("p95(latency, 1m < 1s").1.contains("missing `)`"));
        assert!(error("availability(1h) >= 99.9").1.contains("percentage"));
        assert!(
            error("max(latency, 1m) contains 3")
                .1
                .contains("does not apply")
        );
        assert!(
            error("p95(latency, 1m) < 1s and x")
                .1
                .contains("unexpected")
        );
    }

    #[test]
    fn aggregates_keep_the_unit_and_fail_with_the_value() {
        let ms = |n: u64| Value::Duration(Duration::from_millis(n));
        let samples: Vec<Value> = (1..=100).map(ms).collect();
        assert_eq!(Aggregate::Percentile(95.0).compute(&samples), Some(ms(95)));
        assert_eq!(Aggregate::Max.compute(&samples), Some(ms(100)));
        assert_eq!(Aggregate::Min.compute(&samples), Some(ms(1)));
        assert_eq!(Aggregate::Avg.compute(&[ms(100), ms(300)]), Some(ms(200)));
        assert_eq!(Aggregate::Avg.compute(&[]), None);
        assert_eq!(Aggregate::Avg.compute(&[ms(1), Value::Number(1.0)]), None);
        let flags = [true, true, true, false].map(Value::Bool);
        assert_eq!(
            Aggregate::Availability.compute(&flags),
            Some(Value::Percent(75.0))
        );
        let rule = windowed("p95(latency, 10m) < 50ms");
        let verdict = rule.check(&ms(95));
        assert_eq!(verdict.message(), Some("p95(latency, 10m) 95ms > 50ms"));
        assert!(rule.check(&ms(10)).is_pass());
        let availability = windowed("availability(1h) >= 99.9%");
        assert!(!availability.check(&Value::Percent(75.0)).is_pass());
    }
}
