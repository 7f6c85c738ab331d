//! `golive check`: results for people and for programs.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;
use serde_json::json;

use crate::engine::plan::Check;
use crate::engine::run::CheckResult;
use crate::expr::Value;

const GOOD: Style = AnsiColor::Green.on_default();
const BAD: Style = AnsiColor::Red.on_default();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

/// The JSON document of `golive check --format json`; stable like the status schema.
#[derive(Debug, Serialize)]
pub struct CheckReport<'a> {
    pub summary: CheckSummary,
    pub results: Vec<ResultView<'a>>,
    /// Ids of items no check verifies; they keep their status.
    pub manual: Vec<&'a str>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct CheckSummary {
    pub checks: usize,
    pub passed: usize,
    pub failed: usize,
}

#[derive(Debug, Serialize)]
pub struct ResultView<'a> {
    /// The first item the check verifies (`items` lists all of them).
    pub item: Option<&'a str>,
    pub items: &'a [String],
    pub name: &'a str,
    pub probe: &'static str,
    pub target: String,
    pub passed: bool,
    pub observed: serde_json::Map<String, serde_json::Value>,
    pub failures: &'a [String],
    pub problem: Option<&'a str>,
    pub attempts: u32,
    pub duration_ms: f64,
}

impl<'a> CheckReport<'a> {
    pub fn new(checks: &'a [Check], results: &'a [CheckResult], manual: Vec<&'a str>) -> Self {
        let passed = results.iter().filter(|result| result.passed).count();
        let results = results
            .iter()
            .filter_map(|result| {
                let check = checks.get(result.check)?;
                Some(ResultView {
                    item: check.items.first().map(String::as_str),
                    items: &check.items,
                    name: &check.name,
                    probe: check.spec.name(),
                    target: result.target.clone(),
                    passed: result.passed,
                    observed: result
                        .outcome
                        .observed
                        .iter()
                        .map(|(name, value)| (name.to_string(), value_json(value)))
                        .collect(),
                    failures: &result.failures,
                    problem: result.outcome.problem.as_deref(),
                    attempts: result.attempts,
                    duration_ms: (result.duration.as_secs_f64() * 1e6).round() / 1e3,
                })
            })
            .collect::<Vec<_>>();
        CheckReport {
            summary: CheckSummary {
                checks: results.len(),
                passed,
                failed: results.len() - passed,
            },
            results,
            manual,
        }
    }
}

/// Numbers, booleans, text and JSON stay themselves; values with units are written as a
/// person reads them (`"412ms"`, `"1.2MB"`, `"0o600"`), which also says what unit they are in.
pub fn value_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(flag) => json!(flag),
        Value::Number(number) if number.fract() == 0.0 && number.abs() < 9e15 => {
            json!(*number as i64)
        }
        Value::Number(number) => json!(number),
        Value::Text(text) => json!(text),
        Value::List(values) => serde_json::Value::Array(values.iter().map(value_json).collect()),
        Value::Json(json) => json.clone(),
        other => json!(other.to_string()),
    }
}

/// The terminal view: one line per check, failures under it, then the totals.
pub fn render(report: &CheckReport<'_>, out: &mut dyn Write) -> io::Result<()> {
    let width = report
        .results
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    for result in &report.results {
        let mark = if result.passed {
            format!("{GOOD}✓{GOOD:#}")
        } else {
            format!("{BAD}✗{BAD:#}")
        };
        writeln!(
            out,
            "{mark} {:<width$}  {DIM}{} {} · {}{DIM:#}",
            result.name,
            result.probe,
            shorten(&result.target, 60),
            format_ms(result.duration_ms),
        )?;
        for failure in result.failures {
            writeln!(out, "    {BAD}{failure}{BAD:#}")?;
        }
        if !result.passed
            && result.failures.is_empty()
            && let Some(problem) = result.problem
        {
            writeln!(out, "    {BAD}{problem}{BAD:#}")?;
        }
        if result.attempts > 1 {
            writeln!(out, "    {DIM}after {} attempts{DIM:#}", result.attempts)?;
        }
    }
    let summary = report.summary;
    writeln!(out)?;
    let failed = if summary.failed > 0 {
        format!("{BAD}{} failed{BAD:#}", summary.failed)
    } else {
        "0 failed".to_string()
    };
    writeln!(
        out,
        "{BOLD}{}{BOLD:#}: {} passed, {failed}",
        super::count(summary.checks, "check", "checks"),
        summary.passed
    )?;
    if !report.manual.is_empty() {
        const SHOWN: usize = 8;
        let mut ids = report
            .manual
            .iter()
            .take(SHOWN)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        if report.manual.len() > SHOWN {
            ids.push_str(&format!(", … ({} more)", report.manual.len() - SHOWN));
        }
        let (count, verb) = match report.manual.len() {
            1 => ("1 item".to_string(), "has no check and keeps its"),
            n => (format!("{n} items"), "have no check and keep their"),
        };
        writeln!(out, "{count} {verb} status (manual): {ids}")?;
    }
    Ok(())
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max - 1).collect();
    short.push('…');
    short
}

fn format_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2}s", ms / 1000.0)
    } else {
        format!("{ms:.0}ms")
    }
}
