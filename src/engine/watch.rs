//! The keys that make a check a monitor for `golive watch`: its schedule, its warning and
//! critical levels, its anti-flap counts and where its alerts go. Read at load with the rest
//! of the check, every problem pointing at the text.

use std::time::Duration;

use super::plan::metric_known;
use super::schedule::{MIN_EVERY, Schedule};
use crate::checklist::toml::{Fields, Spanned};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::expr::{Metric, Rule};
use crate::probe::{self, KeyDoc, KeyKind, duration_key};

/// Keys a check takes to be watched after go-live.
pub const WATCH_KEYS: &[KeyDoc] = &[
    KeyDoc {
        name: "every",
        kind: KeyKind::Duration,
        required: false,
        doc: "run this check on a schedule in `golive watch`, e.g. \"30s\" (monitors only)",
    },
    KeyDoc {
        name: "cron",
        kind: KeyKind::String,
        required: false,
        doc: "run at the times of a cron pattern (UTC; 5 fields, or 6 with seconds), instead of `every`",
    },
    KeyDoc {
        name: "warn",
        kind: KeyKind::StringList,
        required: false,
        doc: "conditions that must hold, else the monitor is WARN; windowed ones allowed: \"p95(latency, 10m) < 300ms\"",
    },
    KeyDoc {
        name: "crit",
        kind: KeyKind::StringList,
        required: false,
        doc: "conditions that must hold, else the monitor is CRIT (as is a failing `expect`)",
    },
    KeyDoc {
        name: "row",
        kind: KeyKind::String,
        required: false,
        doc: "take warn/crit levels from this row of a threshold table in the checklist (\"Temps réponse\")",
    },
    KeyDoc {
        name: "metric",
        kind: KeyKind::String,
        required: false,
        doc: "the probe metric a threshold `row` measures, e.g. \"latency\"",
    },
    KeyDoc {
        name: "failures_before_alert",
        kind: KeyKind::Integer,
        required: false,
        doc: "consecutive results at a worse level before the monitor changes to it (default 1)",
    },
    KeyDoc {
        name: "successes_before_resolve",
        kind: KeyKind::Integer,
        required: false,
        doc: "consecutive results at a better level before the monitor recovers to it (default 1)",
    },
    KeyDoc {
        name: "notify",
        kind: KeyKind::StringList,
        required: false,
        doc: "names of `[[notifier]]`s for this monitor's alerts (default: all of them)",
    },
    KeyDoc {
        name: "repeat",
        kind: KeyKind::Duration,
        required: false,
        doc: "send an open alert again this often (default 4h; \"0s\" never)",
    },
];

pub const DEFAULT_REPEAT: Duration = Duration::from_secs(4 * 3600);

/// How a check is watched. Present on every check; `scheduled` says whether it asked to be.
#[derive(Debug, Clone)]
pub struct Watch {
    /// `every` or `cron`, if the check set one.
    pub schedule: Option<Schedule>,
    pub warn: Vec<Rule>,
    pub crit: Vec<Rule>,
    /// `row`: levels from the checklist's threshold table.
    pub row: Option<Spanned<String>>,
    /// `metric`: what the row measures.
    pub metric: Option<Metric>,
    pub failures_before_alert: u32,
    pub successes_before_resolve: u32,
    /// Notifier names; `None` for all.
    pub notify: Option<Vec<Spanned<String>>>,
    pub repeat: Duration,
}

impl Watch {
    /// Whether the check asked to be a monitor (a schedule, levels or a threshold row).
    pub fn is_monitor(&self) -> bool {
        self.schedule.is_some()
            || !self.warn.is_empty()
            || !self.crit.is_empty()
            || self.row.is_some()
    }

    /// The longest window any level condition looks back over.
    pub fn longest_window(&self) -> Duration {
        self.warn
            .iter()
            .chain(&self.crit)
            .map(Rule::window)
            .max()
            .unwrap_or(Duration::ZERO)
    }
}

fn report<T>(result: Result<T, Diagnostic>, errors: &mut Vec<Diagnostic>) -> Option<T> {
    result.map_err(|error| errors.push(error)).ok()
}

/// Takes the watch keys out of a check's fields.
pub(super) fn take(fields: &mut Fields, probe: &str, errors: &mut Vec<Diagnostic>) -> Watch {
    let every = report(duration_key(fields, "every"), errors).flatten();
    let cron = report(fields.string("cron"), errors).flatten();
    let warn = report(fields.strings("warn"), errors).unwrap_or_default();
    let crit = report(fields.strings("crit"), errors).unwrap_or_default();
    let row = report(fields.string("row"), errors).flatten();
    let metric = report(fields.string("metric"), errors).flatten();
    let failures = report(fields.integer("failures_before_alert"), errors).flatten();
    let successes = report(fields.integer("successes_before_resolve"), errors).flatten();
    let notify = if fields.contains("notify") {
        Some(report(fields.strings("notify"), errors).unwrap_or_default())
    } else {
        None
    };
    let repeat = report(duration_key(fields, "repeat"), errors).flatten();
    let metric_given = metric.is_some();

    let schedule = match (every, cron) {
        (Some(_), Some(cron)) => {
            errors.push(
                Diagnostic::new(cron.span, "a monitor takes `every` or `cron`, not both")
                    .with_hint("remove one of them"),
            );
            None
        }
        (Some(every), None) if every < MIN_EVERY => {
            errors.push(Diagnostic::new(
                fields.span.clone(),
                format!(
                    "`every` must be at least {}",
                    crate::expr::Value::Duration(MIN_EVERY)
                ),
            ));
            None
        }
        (Some(every), None) => Some(Schedule::Every(every)),
        (None, Some(cron)) => match Schedule::cron(&cron.value) {
            Ok(schedule) => Some(schedule),
            Err(message) => {
                errors.push(
                    Diagnostic::new(cron.span, format!("bad cron pattern `{}`: {message}", cron.value))
                        .with_hint("five fields: minute hour day-of-month month day-of-week, e.g. \"*/5 * * * *\""),
                );
                None
            }
        },
        (None, None) => None,
    };
    let warn = rules(&warn, probe, errors);
    let crit = rules(&crit, probe, errors);
    let metric = metric.and_then(|metric| match metric.value.parse::<Metric>() {
        Ok(parsed) => {
            if let Some(doc) = probe::doc(probe)
                && !metric_known(doc, &parsed.to_string())
            {
                errors.push(unknown_metric(
                    doc,
                    probe,
                    &parsed.to_string(),
                    metric.span.start + 1,
                ));
                return None;
            }
            Some(parsed)
        }
        Err(error) => {
            errors.push(Diagnostic::new(
                metric.span,
                format!("bad metric `{}`: {}", metric.value, error.message()),
            ));
            None
        }
    });
    if let Some(row) = &row {
        if !metric_given {
            errors.push(
                Diagnostic::new(
                    row.span.clone(),
                    "a threshold `row` needs the `metric` it measures",
                )
                .with_hint("e.g. `metric = \"latency\"` for a response-time row"),
            );
        }
        if !warn.is_empty() || !crit.is_empty() {
            errors.push(
                Diagnostic::new(
                    row.span.clone(),
                    "levels come from the threshold row: remove `warn` and `crit`, or `row`",
                )
                .with_hint("the checklist's table stays the source of truth for its levels"),
            );
        }
    }
    let count = |value: Option<Spanned<i64>>, key: &str, errors: &mut Vec<Diagnostic>| match value {
        None => 1,
        Some(Spanned { value, span }) => match u32::try_from(value) {
            Ok(n) if n >= 1 => n,
            _ => {
                errors.push(Diagnostic::new(
                    span,
                    format!("`{key}` must be a whole number of results, 1 or more"),
                ));
                1
            }
        },
    };
    Watch {
        schedule,
        warn,
        crit,
        row,
        metric,
        failures_before_alert: count(failures, "failures_before_alert", errors),
        successes_before_resolve: count(successes, "successes_before_resolve", errors),
        notify,
        repeat: repeat.unwrap_or(DEFAULT_REPEAT),
    }
}

/// Parses level conditions, pointing errors into the TOML string; metrics must be the
/// probe's.
pub fn rules(texts: &[Spanned<String>], probe: &str, errors: &mut Vec<Diagnostic>) -> Vec<Rule> {
    texts
        .iter()
        .filter_map(|text| {
            // The value's span includes its opening quote.
            let offset = text.span.start + 1;
            match Rule::parse(&text.value) {
                Ok(rule) => {
                    if let (Some(doc), Some(metric)) = (probe::doc(probe), rule.metric())
                        && !metric_known(doc, &metric.to_string())
                    {
                        let start = text.value.find(&metric.to_string()).unwrap_or(0);
                        errors.push(unknown_metric(
                            doc,
                            probe,
                            &metric.to_string(),
                            offset + start,
                        ));
                        return None;
                    }
                    Some(rule)
                }
                Err(error) => {
                    let span = error.span().range();
                    let mut diagnostic = Diagnostic::new(
                        offset + span.start..offset + span.end,
                        format!("bad condition `{}`: {}", text.value, error.message()),
                    );
                    if let Some(hint) = error.hint() {
                        diagnostic = diagnostic.with_hint(hint);
                    }
                    errors.push(diagnostic);
                    None
                }
            }
        })
        .collect()
}

fn unknown_metric(doc: &probe::ProbeDoc, probe: &str, metric: &str, start: usize) -> Diagnostic {
    let names: Vec<&str> = doc.metrics.iter().map(|(name, _)| *name).collect();
    let diagnostic = Diagnostic::new(
        start..start + metric.len(),
        format!("probe `{probe}` has no metric `{metric}`"),
    );
    match did_you_mean(metric, names.iter().copied()) {
        Some(name) => diagnostic.with_hint(format!("did you mean `{name}`?")),
        None => diagnostic.with_hint(format!("its metrics: {}", names.join(", "))),
    }
}
