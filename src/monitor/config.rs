//! What `golive watch` runs, read from the checklist and its `golive.toml`: the monitors
//! (checks with a schedule or levels, and checks on post-go-live items), their levels (from
//! `warn`/`crit`, or from the checklist's threshold table), the notifiers and the triggers.
//! Everything is validated at load; every problem is reported at once.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use super::notify::Notifier;
use super::periods::Periods;
use super::thresholds::{self, Threshold};
use crate::checklist::toml::{self, Fields, Spanned};
use crate::checklist::{Checklist, Phase};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::engine::plan::{Check, Plan, plan};
use crate::engine::schedule::Schedule;
use crate::engine::secrets::{Secrets, Source};
use crate::engine::watch::rules;
use crate::expr::{Metric, Rule};
use crate::probe::duration_key;

/// How often a monitor with levels but no `every`/`cron` runs.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(60);
/// How often a check on a post-go-live item runs in `watch` (seed 001's "every 5 minutes").
pub const POST_ITEM_EVERY: Duration = Duration::from_secs(300);
pub const DEFAULT_ACTION_TIMEOUT: Duration = Duration::from_secs(60);

/// One monitor: a check and how it is watched.
#[derive(Debug, Clone)]
pub struct Monitor {
    pub check: Check,
    pub schedule: Schedule,
    pub warn: Vec<Rule>,
    pub crit: Vec<Rule>,
    /// The threshold row its levels come from.
    pub threshold: Option<Threshold>,
    /// Notifier names its alerts go to.
    pub notifiers: Vec<String>,
    pub repeat: Duration,
    pub failures_before_alert: u32,
    pub successes_before_resolve: u32,
    /// How far back windowed rules (its own and its triggers') look, and what they read.
    pub window: Duration,
    pub window_metrics: Vec<Metric>,
    /// The recurring items it verifies: run once per period, a pass records the period.
    pub periods: Option<Periods>,
}

impl Monitor {
    pub fn name(&self) -> &str {
        &self.check.name
    }
}

/// A rollback criterion: when `when` holds on `monitor`'s results, a CRIT alert names it.
#[derive(Debug, Clone)]
pub struct Trigger {
    pub name: String,
    /// What the alert says: the criterion item's title, or the condition.
    pub criterion: String,
    pub item: Option<String>,
    /// Index into [`WatchConfig::monitors`].
    pub monitor: usize,
    pub when: Vec<Rule>,
    /// A command (`sh -c`) run once each time the trigger starts to hold.
    pub action: Option<String>,
    pub timeout: Duration,
    pub notifiers: Vec<String>,
}

/// Everything `watch` runs.
#[derive(Debug)]
pub struct WatchConfig {
    pub monitors: Vec<Monitor>,
    pub notifiers: Vec<Notifier>,
    pub triggers: Vec<Trigger>,
    pub thresholds: Vec<Threshold>,
    /// Threshold rows that no monitor measures.
    pub unmonitored: Vec<Threshold>,
    pub secrets: Secrets,
}

/// Reads the configuration. `markdown` is the checklist's decoded text (for thresholds).
pub fn load(
    checklist: &Checklist,
    markdown: &str,
    text: &str,
    base: &Path,
    source: &dyn Source,
) -> Result<WatchConfig, Vec<Diagnostic>> {
    let config = toml::parse(text)?;
    let mut errors = Vec::new();
    // Problems with checks do not hide problems with notifiers and triggers.
    let (checks, mut secrets) = match plan(checklist, text, base, source) {
        Ok(Plan { checks, secrets }) => (checks, secrets),
        Err(diagnostics) => {
            errors.extend(diagnostics);
            (Vec::new(), Secrets::default())
        }
    };
    let post: HashSet<&str> = checklist
        .items
        .iter()
        .filter(|item| item.phase == Phase::Post)
        .map(|item| item.id.as_str())
        .collect();
    let thresholds = thresholds::read(markdown);
    let mut monitors = Vec::new();
    let mut measured = HashSet::new();
    for check in checks {
        let on_post_item = check.items.iter().any(|id| post.contains(id.as_str()));
        let periods = Periods::of(&check, checklist);
        if !check.watch.is_monitor() && !on_post_item && periods.is_none() {
            continue;
        }
        let watch = check.watch.clone();
        let mut warn = watch.warn.clone();
        let mut crit = watch.crit.clone();
        let mut threshold = None;
        if let (Some(row), Some(metric)) = (&watch.row, &watch.metric) {
            match thresholds::find(&thresholds, &row.value) {
                Some(found) => {
                    measured.insert(found.line);
                    let metric = metric.to_string();
                    for (bound, rules) in [(&found.warn, &mut warn), (&found.crit, &mut crit)] {
                        if let Some(bound) = bound {
                            match bound.rule(&metric) {
                                Ok(rule) => rules.push(rule),
                                Err(error) => errors.push(Diagnostic::new(
                                    row.span.clone(),
                                    format!("the threshold `{}` (checklist line {}) does not read as a level: {}", bound.written, found.line, error.message()),
                                )),
                            }
                        }
                    }
                    threshold = Some(found.clone());
                }
                None => errors.push(no_row(row, &thresholds)),
            }
        }
        let schedule = watch.schedule.clone().unwrap_or(Schedule::Every(
            // A recurring item's check is retried this often until its period is done.
            if (on_post_item || periods.is_some()) && !watch.is_monitor() {
                POST_ITEM_EVERY
            } else {
                DEFAULT_EVERY
            },
        ));
        let (window, window_metrics) = window_of(warn.iter().chain(&crit));
        monitors.push(Monitor {
            schedule,
            warn,
            crit,
            threshold,
            notifiers: Vec::new(),
            repeat: watch.repeat,
            failures_before_alert: watch.failures_before_alert,
            successes_before_resolve: watch.successes_before_resolve,
            window,
            window_metrics,
            periods,
            check,
        });
    }
    let mut notifiers = Vec::new();
    for mut fields in config.notifiers {
        resolve(&mut fields, &mut secrets, source, &mut errors);
        if let Some(notifier) = Notifier::from_fields(fields, &mut errors) {
            if notifiers.iter().any(|n: &Notifier| n.name == notifier.name) {
                errors.push(
                    Diagnostic::new(0..0, format!("two notifiers are named `{}`", notifier.name))
                        .with_hint("give each `[[notifier]]` its own `name`"),
                );
            }
            notifiers.push(notifier);
        }
    }
    let names: Vec<String> = notifiers.iter().map(|n| n.name.clone()).collect();
    for monitor in &mut monitors {
        monitor.notifiers = match &monitor.check.watch.notify {
            None => names.clone(),
            Some(wanted) => wanted
                .iter()
                .filter_map(|name| known_notifier(name, &names, &mut errors))
                .collect(),
        };
    }
    let mut triggers = Vec::new();
    for mut fields in config.triggers {
        resolve(&mut fields, &mut secrets, source, &mut errors);
        if let Some(trigger) = trigger(fields, checklist, &monitors, &names, &mut errors) {
            triggers.push(trigger);
        }
    }
    for trigger in &triggers {
        let monitor = &mut monitors[trigger.monitor];
        let rules = monitor
            .warn
            .iter()
            .chain(&monitor.crit)
            .chain(&trigger.when);
        let (window, metrics) = window_of(rules);
        monitor.window = window;
        monitor.window_metrics = metrics;
    }
    let unmonitored = thresholds
        .iter()
        .filter(|t| !measured.contains(&t.line))
        .cloned()
        .collect();
    if errors.is_empty() {
        Ok(WatchConfig {
            monitors,
            notifiers,
            triggers,
            thresholds,
            unmonitored,
            secrets,
        })
    } else {
        errors.sort_by_key(|error| error.span.start);
        Err(errors)
    }
}

fn window_of<'a>(rules: impl Iterator<Item = &'a Rule>) -> (Duration, Vec<Metric>) {
    let mut span = Duration::ZERO;
    let mut metrics: Vec<Metric> = Vec::new();
    for rule in rules {
        if let Rule::Windowed(windowed) = rule {
            span = span.max(windowed.window());
            if let Some(metric) = windowed.metric()
                && !metrics.contains(metric)
            {
                metrics.push(metric.clone());
            }
        }
    }
    (span, metrics)
}

fn no_row(row: &Spanned<String>, thresholds: &[Threshold]) -> Diagnostic {
    let diagnostic = Diagnostic::new(
        row.span.clone(),
        format!("no threshold row `{}` in the checklist", row.value),
    );
    if thresholds.is_empty() {
        return diagnostic.with_hint("the checklist has no threshold table (a `Warning` and a `Critical` column) or `Seuil …` line");
    }
    let names: Vec<&str> = thresholds.iter().map(|t| t.name.as_str()).collect();
    match did_you_mean(&row.value, names.iter().copied()) {
        Some(name) => diagnostic.with_hint(format!("did you mean `{name}`?")),
        None => diagnostic.with_hint(format!("its thresholds: {}", names.join(", "))),
    }
}

fn known_notifier(
    name: &Spanned<String>,
    names: &[String],
    errors: &mut Vec<Diagnostic>,
) -> Option<String> {
    if names.contains(&name.value) {
        return Some(name.value.clone());
    }
    let diagnostic = Diagnostic::new(
        name.span.clone(),
        format!("no notifier is named `{}`", name.value),
    );
    errors.push(
        match did_you_mean(&name.value, names.iter().map(String::as_str)) {
            Some(found) => diagnostic.with_hint(format!("did you mean `{found}`?")),
            None if names.is_empty() => {
                diagnostic.with_hint("add a `[[notifier]]` with `name = \"…\"`")
            }
            None => diagnostic.with_hint(format!("notifiers: {}", names.join(", "))),
        },
    );
    None
}

fn resolve(
    fields: &mut Fields,
    secrets: &mut Secrets,
    source: &dyn Source,
    errors: &mut Vec<Diagnostic>,
) {
    fields.for_each_string(
        &mut |text, span| match secrets.resolve(text, span, source) {
            Ok(resolved) => *text = resolved,
            Err(error) => errors.push(error),
        },
    );
}

fn trigger(
    mut fields: Fields,
    checklist: &Checklist,
    monitors: &[Monitor],
    notifiers: &[String],
    errors: &mut Vec<Diagnostic>,
) -> Option<Trigger> {
    let before = errors.len();
    let span = fields.span.clone();
    let name = fields
        .string("name")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let item = fields
        .string("item")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let monitor = fields
        .required_string("monitor", "\"<check name>\"")
        .map_err(|e| errors.push(e))
        .ok();
    let when = fields
        .strings("when")
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    let action = fields
        .string("action")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let timeout = duration_key(&mut fields, "timeout")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let notify = if fields.contains("notify") {
        Some(
            fields
                .strings("notify")
                .map_err(|e| errors.push(e))
                .unwrap_or_default(),
        )
    } else {
        None
    };
    errors.extend(fields.unknown_keys(
        "for a trigger",
        &[
            "name", "item", "monitor", "when", "action", "timeout", "notify",
        ],
    ));
    if when.is_empty() {
        errors.push(
            Diagnostic::new(span.clone(), "missing key `when`").with_hint(
                "the condition that must never hold, e.g. `when = \"p95(latency, 5m) > 3s\"`",
            ),
        );
    }
    let monitor = monitor?;
    let Some(index) = monitors.iter().position(|m| m.name() == monitor.value) else {
        let diagnostic = Diagnostic::new(
            monitor.span.clone(),
            format!("no monitor is named `{}`", monitor.value),
        );
        errors.push(
            match did_you_mean(&monitor.value, monitors.iter().map(Monitor::name)) {
                Some(found) => diagnostic.with_hint(format!("did you mean `{found}`?")),
                None => diagnostic.with_hint(
                    "a trigger watches a check that has `every`, `cron`, `warn`, `crit` or `row`",
                ),
            },
        );
        return None;
    };
    let probe = monitors[index].check.spec.name().to_string();
    let when_rules = rules(&when, &probe, errors);
    let item_title = match &item {
        None => None,
        Some(item) => match checklist.items.iter().find(|i| i.id == item.value) {
            Some(found) => Some(found.title.clone()),
            None => {
                let diagnostic = Diagnostic::new(
                    item.span.clone(),
                    format!("no item has the id `{}`", item.value),
                );
                errors.push(
                    match did_you_mean(&item.value, checklist.items.iter().map(|i| i.id.as_str())) {
                        Some(id) => diagnostic.with_hint(format!("did you mean `{id}`?")),
                        None => diagnostic
                            .with_hint("`golive status FILE --format json` lists item ids"),
                    },
                );
                None
            }
        },
    };
    let notifiers = match notify {
        None => monitors[index].notifiers.clone(),
        Some(wanted) => wanted
            .iter()
            .filter_map(|name| known_notifier(name, notifiers, errors))
            .collect(),
    };
    if errors.len() != before {
        return None;
    }
    let conditions: Vec<String> = when_rules.iter().map(ToString::to_string).collect();
    let criterion = item_title.unwrap_or_else(|| conditions.join(" and "));
    Some(Trigger {
        name: name.map_or_else(
            || {
                item.as_ref()
                    .map_or_else(|| format!("{}-trigger", monitor.value), |i| i.value.clone())
            },
            |n| n.value,
        ),
        criterion,
        item: item.map(|i| i.value),
        monitor: index,
        when: when_rules,
        action: action.map(|a| a.value),
        timeout: timeout.unwrap_or(DEFAULT_ACTION_TIMEOUT),
        notifiers,
    })
}
