//! How an observed value relates to a threshold, and how a failure reads.
//!
//! Kinds must match: a duration compares with a duration. The only bridges are the ones an
//! operator would expect: versions against numbers and version-like text (`tls.version >=
//! 1.2` whether the probe reports `1.3` or `"TLSv1.3"`), and `contains`/`matches`, which read
//! a scalar as text. Anything else is [`Verdict::Invalid`] with a hint, never a guess.

use std::cmp::Ordering;

use super::ast::{Literal, Metric, Op};
use super::eval::Verdict;
use super::units::{ByteUnit, round_significant};
use super::value::{Value, Version, human, quote};

pub(super) fn check(
    metric: &Metric,
    op: Op,
    observed: &Value,
    expected: &Literal,
    pattern: Option<&regex::Regex>,
) -> Verdict {
    match op {
        Op::Contains => contains(metric, observed, expected),
        Op::Matches => matches(metric, observed, expected, pattern),
        Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            relate(metric, op, observed, expected)
        }
        // Presence is settled before any value is looked at.
        Op::Exists | Op::NotExists => Verdict::Pass,
    }
}

#[derive(Debug, Clone, Copy)]
enum Relation {
    Order(Ordering),
    /// Kinds with equality only (text, booleans, null), or of different kinds.
    Same(bool),
    /// Modes compare as permission sets: `<=` is "grants nothing beyond".
    Mode {
        observed: u32,
        expected: u32,
    },
}

fn relate(metric: &Metric, op: Op, observed: &Value, expected: &Literal) -> Verdict {
    let relation = match relation(metric, op, observed, expected) {
        Ok(relation) => relation,
        Err(verdict) => return verdict,
    };
    let (holds, symbol) = match relation {
        Relation::Order(ordering) => {
            let holds = match op {
                Op::Eq => ordering.is_eq(),
                Op::Ne => ordering.is_ne(),
                Op::Lt => ordering.is_lt(),
                Op::Le => ordering.is_le(),
                Op::Gt => ordering.is_gt(),
                Op::Ge => ordering.is_ge(),
                Op::Contains | Op::Matches | Op::Exists | Op::NotExists => false,
            };
            // The relation that does hold, as precisely as it is known.
            let symbol = match (op, ordering) {
                (Op::Eq, _) => "!=",
                (_, Ordering::Less) => "<",
                (_, Ordering::Equal) => "==",
                (_, Ordering::Greater) => ">",
            };
            (holds, symbol)
        }
        Relation::Same(same) => (same == (op == Op::Eq), if same { "==" } else { "!=" }),
        Relation::Mode { observed, expected } => match op {
            Op::Eq => (observed == expected, "!="),
            Op::Ne => (observed != expected, "=="),
            Op::Le => (observed & !expected == 0, "grants more than"),
            Op::Ge => (expected & !observed == 0, "lacks part of"),
            _ => return Verdict::Invalid(format!("file modes can't be compared with `{op}`")),
        },
    };
    if holds {
        return Verdict::Pass;
    }
    let observed = if symbol == "==" {
        shown(observed, Some(expected))
    } else {
        distinct(observed, expected)
    };
    Verdict::Fail(format!("{metric} {observed} {symbol} {expected}"))
}

fn relation(
    metric: &Metric,
    op: Op,
    observed: &Value,
    expected: &Literal,
) -> Result<Relation, Verdict> {
    use Literal as L;
    use Value as V;
    let order = |a: f64, b: f64| {
        a.partial_cmp(&b).map(Relation::Order).ok_or_else(|| {
            Verdict::Fail(format!(
                "{metric} {} is not comparable with {expected}",
                shown(observed, None)
            ))
        })
    };
    let as_versions = |observed: &Version, expected: Option<Version>| match expected {
        Some(expected) => Ok(Relation::Order(observed.cmp(&expected))),
        None if op.is_ordering() => Err(Verdict::Invalid(format!(
            "`{metric}` is a version, but `{expected_text}` is not",
            expected_text = expected_text(expected)
        ))),
        None => Ok(Relation::Same(false)),
    };
    match (observed, expected) {
        (V::Number(a), L::Number(b)) => order(*a, b.value()),
        (V::Percent(a), L::Percent(b)) => order(*a, *b),
        (V::Duration(a), L::Duration(b, _)) => Ok(Relation::Order(a.cmp(b))),
        (V::Bytes(a), L::Bytes(b, _)) => Ok(Relation::Order(a.cmp(b))),
        (V::BytesPerHour(a), L::ByteRate(bytes, _, per)) => {
            order(*a, *bytes as f64 * 3600e9 / per.nanos() as f64)
        }
        (V::Mode(a), L::Mode(b)) => Ok(Relation::Mode {
            observed: *a,
            expected: *b,
        }),
        (V::Version(a), L::Version(b)) => Ok(Relation::Order(a.cmp(b))),
        // The digits as written: `1.10` is version 1.10, not 1.1.
        (V::Version(a), L::Number(b)) => as_versions(a, Version::parse(b.as_written())),
        (V::Version(a), L::Text(b)) => as_versions(a, Version::parse(b)),
        (V::Text(a), L::Version(_) | L::Number(_) | L::Text(_)) => {
            let expected_version = match expected {
                L::Version(b) => Some(b.clone()),
                L::Number(b) => Version::parse(b.as_written()),
                L::Text(b) if op.is_ordering() => Version::parse(b),
                _ => None,
            };
            match (Version::parse(a), expected_version) {
                (Some(a), Some(b)) => Ok(Relation::Order(a.cmp(&b))),
                _ if op.is_ordering() => Err(Verdict::Invalid(format!(
                    "`{metric}` is {}, not a version; `{op}` can't compare it",
                    quote(a)
                ))),
                _ => Ok(Relation::Same(matches!(expected, L::Text(b) if a == b))),
            }
        }
        (V::Bool(a), L::Bool(b)) => Ok(Relation::Same(a == b)),
        (V::Null, L::Null) => Ok(Relation::Same(true)),
        (V::Null, _) if op.is_ordering() => Err(Verdict::Fail(format!(
            "{metric} null is not comparable with {expected}"
        ))),
        (
            V::Duration(_) | V::Bytes(_) | V::BytesPerHour(_) | V::Percent(_) | V::Mode(_),
            L::Number(number),
        ) => Err(Verdict::Invalid(unitless_threshold(
            metric,
            observed,
            number.as_written(),
            number.value(),
        ))),
        (
            V::Number(_),
            L::Duration(..) | L::Bytes(..) | L::ByteRate(..) | L::Percent(_) | L::Mode(_),
        ) => Err(Verdict::Invalid(format!(
            "`{metric}` is a plain number, but `{expected}` is {}; write the threshold without a unit, e.g. `{}`",
            expected.kind(),
            amount_of(expected)
        ))),
        (
            V::Duration(_) | V::Bytes(_) | V::BytesPerHour(_) | V::Percent(_) | V::Mode(_),
            L::Duration(..) | L::Bytes(..) | L::ByteRate(..) | L::Percent(_) | L::Mode(_),
        ) => Err(Verdict::Invalid(format!(
            "`{metric}` is {}, but `{expected}` is {}",
            observed.kind(),
            expected.kind()
        ))),
        (V::List(_), _) => Err(Verdict::Invalid(format!(
            "`{metric}` is a list; use `contains` to look inside it"
        ))),
        (V::Json(_), _) => Err(Verdict::Invalid(format!(
            "`{metric}` is {}; compare one of its fields, e.g. `{metric}.id`, or use `exists`",
            observed.kind()
        ))),
        _ if op.is_ordering() => Err(Verdict::Invalid(format!(
            "`{metric}` is {}; `{op}` needs a number, duration, size, percentage or version",
            observed.kind()
        ))),
        // Values of different kinds are simply not equal.
        _ => Ok(Relation::Same(false)),
    }
}

fn expected_text(expected: Option<Version>) -> String {
    expected.map_or_else(|| "the threshold".to_owned(), |version| version.to_string())
}

/// The message for `latency < 300`: the observation has a unit, the threshold none.
fn unitless_threshold(metric: &Metric, observed: &Value, written: &str, value: f64) -> String {
    let amount = written.trim_start_matches('-');
    match observed {
        Value::Duration(_) => {
            format!("`{metric}` is a duration; write the threshold with a unit, e.g. `{amount}ms`")
        }
        Value::Bytes(_) => {
            format!("`{metric}` is a size; write the threshold with a unit, e.g. `{amount}MB`")
        }
        Value::BytesPerHour(_) => format!(
            "`{metric}` is a size per time; write the threshold with units, e.g. `{amount}MB/h`"
        ),
        Value::Percent(_) => {
            let mut message = format!(
                "`{metric}` is a percentage; write the threshold with `%`, e.g. `{amount}%`"
            );
            if value > 0.0 && value <= 1.0 {
                let percent = round_significant(value * 100.0, 12);
                message.push_str(&format!(", or `{percent}%` if `{amount}` is a ratio"));
            }
            message
        }
        _ => {
            let digits = amount.trim_start_matches('0');
            let octal = if !digits.is_empty()
                && digits.len() <= 4
                && digits.chars().all(|c| ('0'..='7').contains(&c))
            {
                format!("{digits:0>3}")
            } else {
                "600".to_owned()
            };
            format!("`{metric}` is a file mode; write it in octal, e.g. `0o{octal}`")
        }
    }
}

/// The number in `30d` or `10MB`, for "write it without a unit".
fn amount_of(expected: &Literal) -> String {
    match expected {
        Literal::Mode(mode) => mode.to_string(),
        other => other
            .to_string()
            .trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '%')
            .to_owned(),
    }
}

fn contains(metric: &Metric, observed: &Value, expected: &Literal) -> Verdict {
    let holds = match observed {
        Value::Text(text) => match expected {
            Literal::Text(needle) => text.contains(needle.as_str()),
            other => text.contains(&other.to_string()),
        },
        Value::List(items) => items.iter().any(|item| equal(metric, item, expected)),
        Value::Json(serde_json::Value::Object(map)) => match expected {
            Literal::Text(key) => map.contains_key(key),
            _ => {
                return Verdict::Invalid(format!(
                    "`{metric}` is a JSON object; `contains` looks for a key, written in quotes"
                ));
            }
        },
        Value::Null => false,
        other => {
            return Verdict::Invalid(format!(
                "`{metric}` is {}; `contains` needs text or a list",
                other.kind()
            ));
        }
    };
    if holds {
        Verdict::Pass
    } else {
        Verdict::Fail(format!(
            "{metric} {} does not contain {expected}",
            shown(observed, Some(expected))
        ))
    }
}

fn equal(metric: &Metric, item: &Value, expected: &Literal) -> bool {
    match relation(metric, Op::Eq, item, expected) {
        Ok(Relation::Order(ordering)) => ordering.is_eq(),
        Ok(Relation::Same(same)) => same,
        Ok(Relation::Mode { observed, expected }) => observed == expected,
        Err(_) => false,
    }
}

fn matches(
    metric: &Metric,
    observed: &Value,
    expected: &Literal,
    pattern: Option<&regex::Regex>,
) -> Verdict {
    let Some(pattern) = pattern else {
        return Verdict::Invalid("`matches` needs a regular expression".to_owned());
    };
    // Scalars match in the form a person reads them, so `status matches "^2"` works.
    let text_of = |value: &Value| match value {
        Value::Text(text) => text.clone(),
        other => human(other, None, 17),
    };
    let holds = match observed {
        Value::List(items) => items.iter().any(|item| pattern.is_match(&text_of(item))),
        Value::Json(_) => {
            return Verdict::Invalid(format!(
                "`{metric}` is {}; match one of its fields instead",
                observed.kind()
            ));
        }
        other => pattern.is_match(&text_of(other)),
    };
    if holds {
        Verdict::Pass
    } else {
        Verdict::Fail(format!(
            "{metric} {} does not match {expected}",
            shown(observed, Some(expected))
        ))
    }
}

/// An observation for a failure message: rounded, in the threshold's size units, and cut
/// short when long (a whole response body helps nobody in a one-line failure).
pub(super) fn shown(observed: &Value, expected: Option<&Literal>) -> String {
    shown_with(observed, expected, 4)
}

fn shown_with(observed: &Value, expected: Option<&Literal>, significant: i32) -> String {
    const MAX_CHARS: usize = 60;
    let sizes_like = match expected {
        Some(Literal::Bytes(_, unit) | Literal::ByteRate(_, unit, _)) => Some(*unit),
        _ => None::<ByteUnit>,
    };
    match observed {
        Value::Text(text) if text.chars().count() > MAX_CHARS => {
            let head: String = text.chars().take(MAX_CHARS).collect();
            quote(&format!("{head}…"))
        }
        other => {
            let text = human(other, sizes_like, significant);
            if text.chars().count() > 2 * MAX_CHARS {
                let head: String = text.chars().take(2 * MAX_CHARS).collect();
                format!("{head}…")
            } else {
                text
            }
        }
    }
}

/// Like [`shown`], with more digits when rounding would make an observation that differs
/// from the threshold look equal to it (`300.2ms` shown as `300ms` next to `< 300ms`).
fn distinct(observed: &Value, expected: &Literal) -> String {
    let threshold = expected.to_string();
    [4, 6, 9, 12, 17]
        .into_iter()
        .map(|significant| shown_with(observed, Some(expected), significant))
        .find(|text| *text != threshold)
        .unwrap_or_else(|| shown(observed, Some(expected)))
}
