//! What probes observe: typed values, and how they read to a person.

use std::cmp::Ordering;
use std::fmt;
use std::time::Duration;

use super::units::{ByteUnit, DurationUnit, round_significant};

/// One observed metric.
///
/// Probes pick the variant that carries the unit: latency is a [`Value::Duration`], a file
/// size is [`Value::Bytes`], an error rate is [`Value::Percent`]. The unit is what lets
/// `latency < 300ms` compare correctly, and lets the evaluator refuse `latency < 300`
/// instead of guessing.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    Duration(Duration),
    Bytes(u64),
    /// A size's change per hour, e.g. a memory slope; compares with `10MB/h`.
    BytesPerHour(f64),
    /// Percentage points: `Percent(5.0)` is 5 %, and compares with a `5%` threshold.
    /// Build it from a ratio with [`Value::percent_of`].
    Percent(f64),
    /// Unix permission bits, e.g. `0o600`.
    Mode(u32),
    /// A dotted version such as TLS 1.3; compared component by component.
    Version(Version),
    Text(String),
    /// Several values, e.g. the addresses a name resolves to; `contains` looks inside.
    List(Vec<Value>),
    /// A parsed JSON document; metrics below it (`json.data.items[0].id`) are looked up by
    /// walking it.
    Json(serde_json::Value),
}

impl Value {
    /// `part` as a percentage of `whole`, computed as `part × 100 / whole` so that 1 error
    /// in 1000 requests is exactly the `0.1%` an operator writes. An empty `whole` is 0 %.
    pub fn percent_of(part: f64, whole: f64) -> Value {
        if whole == 0.0 {
            Value::Percent(0.0)
        } else {
            Value::Percent(part * 100.0 / whole)
        }
    }

    /// Converts JSON scalars and arrays to their typed counterparts; objects stay JSON.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(flag) => Value::Bool(*flag),
            serde_json::Value::Number(number) => Value::Number(number.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(text) => Value::Text(text.clone()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(_) => Value::Json(json.clone()),
        }
    }

    /// The kind, as a message names it: "`latency` is a duration".
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a plain number",
            Value::Duration(_) => "a duration",
            Value::Bytes(_) => "a size",
            Value::BytesPerHour(_) => "a size per time",
            Value::Percent(_) => "a percentage",
            Value::Mode(_) => "a file mode",
            Value::Version(_) => "a version",
            Value::Text(_) => "text",
            Value::List(_) => "a list",
            Value::Json(serde_json::Value::Object(_)) => "a JSON object",
            Value::Json(_) => "JSON",
        }
    }
}

/// Human form: `412.3ms`, `1.5s`, `3d`, `1.2MB`, `0.05%`, `0o600`, `"text"`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&human(self, None, 4))
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Value {
        Value::Bool(flag)
    }
}

impl From<f64> for Value {
    fn from(number: f64) -> Value {
        Value::Number(number)
    }
}

impl From<i64> for Value {
    fn from(number: i64) -> Value {
        // Exact up to 2^53, far beyond any exit code, status or count a probe reports.
        Value::Number(number as f64)
    }
}

impl From<u16> for Value {
    fn from(number: u16) -> Value {
        Value::Number(f64::from(number))
    }
}

impl From<Duration> for Value {
    fn from(duration: Duration) -> Value {
        Value::Duration(duration)
    }
}

impl From<Version> for Value {
    fn from(version: Version) -> Value {
        Value::Version(version)
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::Text(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::Text(text)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::List(items)
    }
}

impl From<serde_json::Value> for Value {
    fn from(json: serde_json::Value) -> Value {
        Value::Json(json)
    }
}

/// A dotted version. Missing trailing components count as zero, so `1.2` == `1.2.0`.
#[derive(Debug, Clone)]
pub struct Version {
    parts: Vec<u64>,
}

impl Version {
    pub fn new(parts: Vec<u64>) -> Version {
        if parts.is_empty() {
            Version { parts: vec![0] }
        } else {
            Version { parts }
        }
    }

    pub fn parts(&self) -> &[u64] {
        &self.parts
    }

    /// Reads `1.3`, `v1.3`, `TLSv1.3` or `TLS 1.3`. Other prefixes are refused on purpose:
    /// reading `SSLv3` as version 3 would rank it above TLS 1.2.
    pub fn parse(text: &str) -> Option<Version> {
        let mut rest = text.trim();
        if rest.len() >= 3 && rest.is_char_boundary(3) && rest[..3].eq_ignore_ascii_case("tls") {
            rest = rest[3..].trim_start();
        }
        if let Some(stripped) = rest.strip_prefix(['v', 'V']) {
            rest = stripped;
        }
        let parts = rest
            .split('.')
            .map(|part| {
                if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                    part.parse().ok()
                } else {
                    None
                }
            })
            .collect::<Option<Vec<u64>>>()?;
        Some(Version::new(parts))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        let len = self.parts.len().max(other.parts.len());
        let part = |parts: &[u64], i: usize| parts.get(i).copied().unwrap_or(0);
        (0..len)
            .map(|i| part(&self.parts, i).cmp(&part(&other.parts, i)))
            .find(|ordering| ordering.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{part}")?;
        }
        Ok(())
    }
}

/// `value` for a person, with about `significant` digits. `sizes_like` picks the size
/// family (decimal or binary) so an observation reads in the threshold's units.
pub(super) fn human(value: &Value, sizes_like: Option<ByteUnit>, significant: i32) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number_text(*number),
        Value::Duration(duration) => human_duration(*duration, significant),
        Value::Bytes(bytes) => human_bytes(
            *bytes,
            sizes_like.is_some_and(ByteUnit::is_binary),
            significant,
        ),
        Value::BytesPerHour(rate) => {
            let magnitude = human_bytes(
                rate.abs().round() as u64,
                sizes_like.is_some_and(ByteUnit::is_binary),
                significant,
            );
            let sign = if *rate < 0.0 && magnitude != "0B" {
                "-"
            } else {
                ""
            };
            format!("{sign}{magnitude}/h")
        }
        Value::Percent(percent) => format!("{}%", round_significant(*percent, significant)),
        Value::Mode(mode) => format!("0o{mode:03o}"),
        Value::Version(version) => version.to_string(),
        Value::Text(text) => quote(text),
        Value::List(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| human(item, sizes_like, significant))
                .collect();
            format!("[{}]", items.join(", "))
        }
        Value::Json(json) => json.to_string(),
    }
}

/// Shortest text that reads back as the same number; exponent form only for huge values.
fn number_text(number: f64) -> String {
    if number.abs() < 1e16 || !number.is_finite() {
        format!("{number}")
    } else {
        format!("{number:e}")
    }
}

fn human_duration(duration: Duration, significant: i32) -> String {
    let nanos = duration.as_nanos();
    let unit = [
        DurationUnit::Days,
        DurationUnit::Hours,
        DurationUnit::Minutes,
        DurationUnit::Seconds,
    ]
    .into_iter()
    .find(|unit| nanos >= unit.nanos())
    .unwrap_or(DurationUnit::Millis);
    // Rounded for display only; f64 holds any realistic duration to far more than 4 digits.
    let amount = nanos as f64 / unit.nanos() as f64;
    format!("{}{unit}", round_significant(amount, significant))
}

fn human_bytes(bytes: u64, binary: bool, significant: i32) -> String {
    let units: [ByteUnit; 4] = if binary {
        [ByteUnit::TiB, ByteUnit::GiB, ByteUnit::MiB, ByteUnit::KiB]
    } else {
        [ByteUnit::TB, ByteUnit::GB, ByteUnit::MB, ByteUnit::KB]
    };
    match units.into_iter().find(|unit| bytes >= unit.bytes()) {
        Some(unit) => {
            let amount = bytes as f64 / unit.bytes() as f64;
            format!("{}{unit}", round_significant(amount, significant))
        }
        None => format!("{bytes}B"),
    }
}

/// Double-quoted text with the escapes the parser reads back.
pub(super) fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            '\0' => quoted.push_str("\\0"),
            c if c.is_control() => quoted.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_largest_whole_unit() {
        let show = |d: Duration| Value::Duration(d).to_string();
        assert_eq!(show(Duration::from_millis(412)), "412ms");
        assert_eq!(show(Duration::from_micros(412_345)), "412.3ms");
        assert_eq!(show(Duration::from_millis(1500)), "1.5s");
        assert_eq!(show(Duration::from_secs(90)), "1.5m");
        assert_eq!(show(Duration::from_secs(7200)), "2h");
        assert_eq!(show(Duration::from_secs(3 * 86_400)), "3d");
        assert_eq!(show(Duration::ZERO), "0ms");
        assert_eq!(show(Duration::from_nanos(1500)), "0.0015ms");
    }

    #[test]
    fn sizes_percentages_modes_and_text_read_naturally() {
        assert_eq!(Value::Bytes(1_234_567).to_string(), "1.235MB");
        assert_eq!(Value::Bytes(1_200_000).to_string(), "1.2MB");
        assert_eq!(Value::Bytes(999).to_string(), "999B");
        assert_eq!(
            human(&Value::Bytes(3 << 20), Some(ByteUnit::KiB), 4),
            "3MiB"
        );
        assert_eq!(Value::Percent(0.05).to_string(), "0.05%");
        assert_eq!(Value::Mode(0o600).to_string(), "0o600");
        assert_eq!(Value::Mode(0o7).to_string(), "0o007");
        assert_eq!(
            Value::Text("say \"hi\"\n".into()).to_string(),
            r#""say \"hi\"\n""#
        );
        assert_eq!(Value::Number(200.0).to_string(), "200");
        assert_eq!(Value::Number(0.1 + 0.2).to_string(), "0.30000000000000004");
        assert_eq!(Value::Number(1e300).to_string(), "1e300");
        let list = Value::List(vec!["127.0.0.1".into(), "::1".into()]);
        assert_eq!(list.to_string(), r#"["127.0.0.1", "::1"]"#);
    }

    #[test]
    fn percentages_from_counts_are_exact() {
        assert_eq!(Value::percent_of(1.0, 1000.0), Value::Percent(0.1));
        assert_eq!(Value::percent_of(3.0, 0.0), Value::Percent(0.0));
    }

    #[test]
    fn versions_pad_with_zeros_and_accept_tls_spellings() {
        let v = |text: &str| Version::parse(text).unwrap();
        assert_eq!(v("1.2"), v("1.2.0"));
        assert!(v("1.10") > v("1.9"));
        assert!(v("TLSv1.3") > v("1.2"));
        assert_eq!(v("TLS 1.2"), v("v1.2"));
        assert_eq!(Version::parse("SSLv3"), None);
        assert_eq!(Version::parse("1..2"), None);
        assert_eq!(Version::parse("1.2-beta"), None);
        assert_eq!(Version::parse(""), None);
        assert_eq!(v("1.3").to_string(), "1.3");
    }

    #[test]
    fn json_converts_to_typed_values() {
        let json = serde_json::json!({"a": [1, "x", null, true]});
        assert_eq!(
            Value::from_json(&json["a"]),
            Value::List(vec![
                Value::Number(1.0),
                Value::Text("x".into()),
                Value::Null,
                Value::Bool(true),
            ])
        );
        assert_eq!(Value::from_json(&json).kind(), "a JSON object");
    }
}
