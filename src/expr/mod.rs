//! The condition language of `expect = [...]` in `golive.toml`: `metric op value`.
//!
//! Conditions are parsed once, when the configuration loads, into a [`Condition`] with
//! source spans; each run then [`evaluates`](Condition::evaluate) it against the
//! [`Observations`] a probe reported, giving a [`Verdict`] whose failure message reads like
//! `cert.days_left 9 < 30`: the metric, what was observed, the relation that holds instead,
//! and the threshold.
//!
//! Architecture invariant: this module is pure. No I/O, no clock, no globals; probes hand
//! in values and get verdicts back.
//!
//! # The language
//!
//! - **Metric**: a dotted path. `status`, `cert.days_left`, `header.strict-transport-security`,
//!   `json.data.items[0].id`; `json["a key"]` for names with other characters.
//! - **Operator**: `==`, `!=`, `<`, `<=`, `>`, `>=`, `contains`, `matches` (a regular
//!   expression, compiled at load), `exists`, `not exists` (these two take no value).
//! - **Value**:
//!   - numbers `200`, `-1`, `0.5`;
//!   - durations `300ms`, `1.5s`, `5m`, `2h`, `30d` (no negative durations);
//!   - percentages `0.1%`;
//!   - sizes `512B`, `10KB`, `1.5MB`, `2GB`, `1TB` are powers of **1000**, as SI and IEC
//!     define them; `KiB`, `MiB`, `GiB`, `TiB` are powers of 1024. Both are accepted so a
//!     threshold never depends on which convention its reader assumed;
//!   - file modes `0o600` (`0600` is the number 600; compared with a mode, the error
//!     suggests `0o600`). `mode <= 0o640` means "grants nothing beyond 0o640" and
//!     `mode >= 0o400` "grants at least 0o400": modes compare as permission sets;
//!   - versions: `1.2.3`, or a number such as `1.2` whose digits are read as a version when
//!     the observation is one (`1.10` is version 1.10). Missing components are zero;
//!   - text `"double quoted"` with escapes `\" \\ \n \r \t \0 \u{e9}`, `'single quoted'`
//!     taken as is (for regexes), or a bare word such as `OK` or `TLSv1.3`;
//!   - `true`, `false`, `null`.
//!
//! # Observations
//!
//! Probes report each metric as a typed [`Value`] carrying its unit: latency as
//! [`Value::Duration`], sizes as [`Value::Bytes`], rates as [`Value::Percent`] (percentage
//! points; see [`Value::percent_of`]), `tls.version` as [`Value::Version`] (built with
//! [`Version::parse`] from `"TLSv1.3"`, or from numbers). Comparing a duration with a plain
//! number is [`Verdict::Invalid`] with a hint (`write the threshold with a unit, e.g.
//! 300ms`), never a guess.
//!
//! `header.NAME` is case-insensitive in NAME. A JSON body is stored whole under `json` as
//! [`Value::Json`]; `json.PATH` walks it at evaluation, so `json.data.items[0].id` needs no
//! flattening, and a miss says where the walk stopped.
//!
//! # Windowed conditions
//!
//! Monitors' `warn` and `crit` also take [`Rule`]s over a window of recent results:
//! `p95(latency, 10m) < 300ms`, `avg(…)`, `min(…)`, `max(…)`, `availability(1h) >= 99.9%`.
//!
//! [`parse_duration`] reads duration settings (`timeout = "5s"`) with the same units.

mod ast;
mod compare;
mod error;
mod eval;
mod parse;
mod units;
mod value;
mod window;

#[cfg(test)]
mod props;

pub use ast::{Condition, Literal, Metric, Number, Op, Segment, Span, Spans};
pub use error::ParseError;
pub use eval::{Observations, Verdict};
pub use parse::parse_duration;
pub use units::{ByteUnit, DurationUnit};
pub use value::{Value, Version};
pub use window::{Aggregate, Rule, Windowed};
