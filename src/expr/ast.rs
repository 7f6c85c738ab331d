//! The typed syntax tree of a condition, and its canonical text form.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use std::time::Duration;

use super::error::ParseError;
use super::units::{ByteUnit, DurationUnit, exact_decimal};
use super::value::{Version, quote};

/// A byte range in the condition text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

/// Where each part of a condition sits in its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Spans {
    pub metric: Span,
    pub op: Span,
    /// `None` for `exists` and `not exists`, which take no value.
    pub value: Option<Span>,
}

/// One step of a metric path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// `.name`, or `["any text"]` for names with other characters.
    Key(String),
    /// `[0]`: an element of a list.
    Index(usize),
    /// `[login]`: a bare name in brackets that picks one member of a family of metrics,
    /// e.g. `p95[login]`, the 95th percentile of the load test's request named `login`.
    Selector(String),
    /// `[*]`: every element of a list; the steps after it apply to each, and lists they
    /// reach are flattened into one (`json.dependencies[*].vulns.count`).
    All,
}

/// A dotted metric path such as `cert.days_left` or `json.data.items[0].id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Metric {
    /// Never empty; the first segment is a key that [`is_root_name`] accepts.
    segments: Vec<Segment>,
}

impl Metric {
    /// `None` unless the path starts with a plain name such as `status` or `json`.
    pub fn from_segments(segments: Vec<Segment>) -> Option<Metric> {
        match segments.first() {
            Some(Segment::Key(root)) if is_root_name(root) => Some(Metric { segments }),
            _ => None,
        }
    }

    /// A metric that names a computed value, such as `p95(latency, 10m)`: shown and looked
    /// up as written, whatever characters it has.
    pub(super) fn computed(name: String) -> Metric {
        Metric {
            segments: vec![Segment::Key(name)],
        }
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The first name: `json` in `json.data.id`, `header` in `header.server`.
    pub fn root(&self) -> &str {
        match self.segments.first() {
            Some(Segment::Key(root)) => root,
            _ => "",
        }
    }

    /// The name in brackets when the metric is `NAME[SELECTOR]` (`p95[login]`).
    pub fn selector(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [Segment::Key(_), Segment::Selector(name)] => Some(name),
            _ => None,
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_path(f, &self.segments)
    }
}

impl FromStr for Metric {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Metric, ParseError> {
        super::parse::metric(text)
    }
}

/// Writes segments in canonical form; also used for the lookup keys of path prefixes.
pub(super) fn write_path(out: &mut impl fmt::Write, segments: &[Segment]) -> fmt::Result {
    for (i, segment) in segments.iter().enumerate() {
        write_segment(out, segment, i == 0)?;
    }
    Ok(())
}

/// One segment in canonical form; `first` when it starts the path (no leading `.`).
pub(super) fn write_segment(
    out: &mut impl fmt::Write,
    segment: &Segment,
    first: bool,
) -> fmt::Result {
    match segment {
        Segment::Key(key) if first => out.write_str(key),
        Segment::Key(key) if is_segment_name(key) => write!(out, ".{key}"),
        Segment::Key(key) => write!(out, "[{}]", quote(key)),
        Segment::Index(index) => write!(out, "[{index}]"),
        Segment::Selector(name) => write!(out, "[{name}]"),
        Segment::All => out.write_str("[*]"),
    }
}

pub(super) fn is_segment_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// A name that can follow a `.` unquoted.
pub(super) fn is_segment_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(is_segment_char)
}

/// A name that can start a metric: a segment name that begins with a letter or `_`.
pub(super) fn is_root_name(name: &str) -> bool {
    is_segment_name(name)
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    Matches,
    Exists,
    NotExists,
}

impl Op {
    pub const ALL: [Op; 10] = [
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Le,
        Op::Gt,
        Op::Ge,
        Op::Contains,
        Op::Matches,
        Op::Exists,
        Op::NotExists,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::Matches => "matches",
            Op::Exists => "exists",
            Op::NotExists => "not exists",
        }
    }

    pub fn takes_value(self) -> bool {
        !matches!(self, Op::Exists | Op::NotExists)
    }

    pub fn is_ordering(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A plain number, with the digits it was written with: `1.10` and `1.1` are the same
/// number but different versions, and `tls.version >= 1.10` must mean the latter.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    value: f64,
    text: String,
}

impl Number {
    /// `None` for NaN and infinities, which no condition can be written with.
    pub fn new(value: f64) -> Option<Number> {
        // Plain digits, never an exponent, which the parser does not read.
        value.is_finite().then(|| Number {
            value,
            text: format!("{value}"),
        })
    }

    /// Trusted to be the finite value of `text`, as the parser has checked.
    pub(super) fn written(value: f64, text: &str) -> Number {
        Number {
            value,
            text: text.to_owned(),
        }
    }

    pub fn value(&self) -> f64 {
        self.value
    }

    pub fn as_written(&self) -> &str {
        &self.text
    }
}

/// The right-hand side of a condition, as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Number(Number),
    Duration(Duration, DurationUnit),
    Bytes(u64, ByteUnit),
    /// A size per unit of time, `10MB/h`: bytes per `per` (negative for a shrinking size).
    ByteRate(i64, ByteUnit, DurationUnit),
    /// Percentage points: `0.1%` is `Percent(0.1)`.
    Percent(f64),
    /// `0o600`.
    Mode(u32),
    /// Written with three or more components (`1.2.3`); `1.2` reads as a [`Number`] that
    /// still compares as a version against a version.
    Version(Version),
    Text(String),
}

impl Literal {
    /// The kind, as a message names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Literal::Null => "null",
            Literal::Bool(_) => "a boolean",
            Literal::Number(_) => "a plain number",
            Literal::Duration(..) => "a duration",
            Literal::Bytes(..) => "a size",
            Literal::ByteRate(..) => "a size per time",
            Literal::Percent(_) => "a percentage",
            Literal::Mode(_) => "a file mode",
            Literal::Version(_) => "a version",
            Literal::Text(_) => "text",
        }
    }
}

/// Canonical form, which the parser reads back to an equal literal.
impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(flag) => write!(f, "{flag}"),
            Literal::Number(number) => f.write_str(&number.text),
            Literal::Duration(duration, unit) => {
                let nanos = duration.as_nanos();
                // Minutes and longer may not divide into a finite decimal; milliseconds
                // always do, in at most six places.
                match exact_decimal(nanos, unit.nanos(), 9) {
                    Some(amount) => write!(f, "{amount}{unit}"),
                    None => {
                        let millis = DurationUnit::Millis;
                        let amount = exact_decimal(nanos, millis.nanos(), 6).unwrap_or_default();
                        write!(f, "{amount}{millis}")
                    }
                }
            }
            Literal::Bytes(bytes, unit) => {
                // Powers of 1000 and 1024 always give a finite decimal, but one the parser
                // can hold only up to 38 significant digits.
                match exact_decimal(u128::from(*bytes), u128::from(unit.bytes()), 40) {
                    Some(amount) if significant_digits(&amount) <= 38 => {
                        write!(f, "{amount}{unit}")
                    }
                    _ => write!(f, "{bytes}B"),
                }
            }
            Literal::ByteRate(bytes, unit, per) => {
                let sign = if *bytes < 0 { "-" } else { "" };
                let amount = exact_decimal(
                    u128::from(bytes.unsigned_abs()),
                    u128::from(unit.bytes()),
                    40,
                )
                .filter(|amount| significant_digits(amount) <= 38);
                match amount {
                    Some(amount) => write!(f, "{sign}{amount}{unit}/{per}"),
                    None => write!(f, "{bytes}B/{per}"),
                }
            }
            Literal::Percent(percent) => write!(f, "{percent}%"),
            Literal::Mode(mode) => write!(f, "0o{mode:03o}"),
            Literal::Version(version) => {
                // Fewer than three components would read back as a number.
                write!(f, "{version}")?;
                for _ in version.parts().len()..3 {
                    f.write_str(".0")?;
                }
                Ok(())
            }
            Literal::Text(text) => f.write_str(&quote(text)),
        }
    }
}

fn significant_digits(decimal: &str) -> usize {
    decimal
        .trim_start_matches(['0', '.'])
        .bytes()
        .filter(u8::is_ascii_digit)
        .count()
}

/// A parsed condition: `metric op value`. Build it with [`Condition::parse`] (or
/// [`str::parse`]) at load time, then [`evaluate`](Condition::evaluate) it on every run.
#[derive(Debug, Clone)]
pub struct Condition {
    pub(super) metric: Metric,
    pub(super) op: Op,
    pub(super) value: Option<Literal>,
    /// Compiled once for `matches`; always derived from `value`.
    pub(super) pattern: Option<regex::Regex>,
    pub(super) spans: Spans,
}

impl Condition {
    pub fn parse(text: &str) -> Result<Condition, ParseError> {
        super::parse::condition(text)
    }

    /// Builds a condition without text, checking it as the parser would; spans then refer
    /// to its canonical text, `condition.to_string()`.
    pub fn new(metric: Metric, op: Op, value: Option<Literal>) -> Result<Condition, ParseError> {
        let metric_len = metric.to_string().len();
        let op_start = metric_len + 1;
        let op_end = op_start + op.as_str().len();
        let value_span = value
            .as_ref()
            .map(|literal| Span::new(op_end + 1, op_end + 1 + literal.to_string().len()));
        let spans = Spans {
            metric: Span::new(0, metric_len),
            op: Span::new(op_start, op_end),
            value: value_span,
        };
        let mut condition = Condition {
            metric,
            op,
            value,
            pattern: None,
            spans,
        };
        let text = condition.to_string();
        condition.pattern = super::parse::check_operand(
            &text,
            condition.op,
            condition.value.as_ref(),
            condition.spans,
        )?;
        Ok(condition)
    }

    pub fn metric(&self) -> &Metric {
        &self.metric
    }

    pub fn op(&self) -> Op {
        self.op
    }

    /// `None` exactly when the operator takes no value.
    pub fn value(&self) -> Option<&Literal> {
        self.value.as_ref()
    }

    pub fn spans(&self) -> Spans {
        self.spans
    }
}

/// The compiled pattern follows from `value`, so it takes no part in equality.
impl PartialEq for Condition {
    fn eq(&self, other: &Condition) -> bool {
        self.metric == other.metric
            && self.op == other.op
            && self.value == other.value
            && self.spans == other.spans
    }
}

/// Canonical form: single spaces, quoted text, units as written.
impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.metric, self.op)?;
        if let Some(value) = &self.value {
            write!(f, " {value}")?;
        }
        Ok(())
    }
}

impl FromStr for Condition {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Condition, ParseError> {
        Condition::parse(text)
    }
}
