use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};

use super::store::{Opened, actor};
use super::{Format, Outcome, input};
use crate::engine::plan::{Check, plan_file};
use crate::engine::run::{self, CheckResult, Progress};
use crate::engine::{apply, manual_items};
use crate::report::check::{self as report, CheckReport};
use crate::store::Store;
use crate::store::event::{Kind, NewEvent};

pub(super) struct Options {
    pub(super) file: PathBuf,
    pub(super) config: Option<PathBuf>,
    pub(super) jobs: usize,
    pub(super) format: Format,
    pub(super) dry_run: bool,
    pub(super) quiet: bool,
    pub(super) by: Option<String>,
    pub(super) store: super::store::StoreArgs,
}

/// The checks of golive.toml (`config`, else beside `file`), validated against `checklist`;
/// every problem is printed on stderr, and then nothing runs.
pub(super) fn read_plan(
    file: &Path,
    config: Option<&Path>,
    checklist: &crate::checklist::Checklist,
) -> anyhow::Result<crate::engine::plan::Plan> {
    let config = config.map_or_else(|| beside(file, "golive.toml"), Path::to_path_buf);
    let shown = config.display().to_string();
    let text = match std::fs::read_to_string(&config) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => bail!(
            "`{shown}`: no such file; `golive check` reads its checks from a golive.toml beside the checklist (or `--config PATH`); `golive schema` describes the format"
        ),
        Err(error) => return Err(error).context(format!("`{shown}`: cannot be read")),
    };
    let base = config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match plan_file(checklist, &text, base) {
        Ok(plan) => Ok(plan),
        Err(diagnostics) => {
            let mut err = std::io::stderr().lock();
            for diagnostic in &diagnostics {
                write!(err, "{}", diagnostic.render(&shown, &text))?;
            }
            let count = diagnostics.len();
            bail!(
                "{count} problem{} in `{shown}`; nothing was run",
                if count == 1 { "" } else { "s" }
            );
        }
    }
}

pub(super) fn run(options: Options) -> anyhow::Result<Outcome> {
    // Held until the run's opening events are stored: the import recorded is the file as it
    // is, not a version a concurrent `tick` has already replaced. Not held while checks run.
    let lock = input::lock(&options.file)?;
    let mut loaded = input::load(&options.file)?;
    let mut plan = read_plan(&options.file, options.config.as_deref(), &loaded.checklist)?;
    if options.dry_run {
        print_plan(&plan.checks, options.format, &plan.secrets)?;
        return Ok(Outcome::Ok);
    }
    let total = plan.checks.len();
    // A bar only where a person watches it: in a log (CI, a pipe, a file) every result is
    // printed once, by the report at the end, not also as progress lines on stderr.
    let display: Arc<dyn Progress> = if !options.quiet && std::io::stderr().is_terminal() {
        Arc::new(Bar::new(total))
    } else {
        Arc::new(Silent)
    };
    let opened = Opened::open(&options.file, &options.store)?;
    let who = actor(options.by.as_deref(), &options.file);
    let items = loaded.checklist.items.len();
    let mut opening: Vec<NewEvent> = opened
        .import_if_changed(&loaded.bytes, items, &who)?
        .into_iter()
        .collect();
    opening.push(NewEvent {
        checklist: opened.key.clone(),
        kind: Kind::Run,
        item: None,
        actor: who.clone(),
        payload: serde_json::json!({ "checks": total }),
    });
    let run_seq = opened.append(opening)?.last().map_or(0, |event| event.seq);
    drop(lock);
    super::drill::read_timed(&opened, &mut plan.checks)?;
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let writer = opened.runtime.spawn(record(opened.store.clone(), receiver));
    let progress: Arc<dyn Progress> = Arc::new(Recorder {
        display,
        sender,
        checklist: opened.key.clone(),
        run: run_seq,
        actor: who,
    });
    let (checks, results) = opened
        .runtime
        .block_on(run::run(plan, options.jobs, progress));
    // Every sender is gone once the run is over, so the writer drains and stops.
    let recorded = opened
        .runtime
        .block_on(writer)
        .context("the result writer stopped")?;
    recorded.context("results could not all be recorded")?;
    record_periods(&options, &opened, &mut loaded.checklist, &checks, &results)?;
    apply(&mut loaded.checklist, &checks, &results);
    let manual = manual_items(&loaded.checklist, &checks);
    let report = CheckReport::new(&checks, &results, manual);
    let mut out = super::output::stdout();
    match options.format {
        Format::Json => {
            super::print_json(&report)?;
        }
        Format::Table => report::render(&report, &mut out)?,
    }
    out.flush()?;
    Ok(if report.summary.failed == 0 {
        Outcome::Ok
    } else {
        Outcome::Findings
    })
}

fn beside(file: &Path, name: &str) -> PathBuf {
    match file.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => dir.join(name),
        None => PathBuf::from(name),
    }
}

fn print_plan(
    checks: &[Check],
    format: Format,
    secrets: &crate::engine::secrets::Secrets,
) -> anyhow::Result<()> {
    let mut out = super::output::stdout();
    match format {
        Format::Json => {
            let plan: Vec<serde_json::Value> = checks
                .iter()
                .map(|check| {
                    serde_json::json!({
                        "name": check.name,
                        "items": check.items,
                        "probe": check.spec.name(),
                        "target": secrets.redact(&check.spec.target()),
                        "expect": check.conditions.iter().map(ToString::to_string).collect::<Vec<_>>(),
                        "timeout_ms": check.timeout.as_millis(),
                        "retries": check.retries,
                        "interval_ms": check.interval.as_millis(),
                        "after": check.after.iter().filter_map(|&i| checks.get(i).map(|c| c.name.as_str())).collect::<Vec<_>>(),
                        "line": check.line,
                    })
                })
                .collect();
            super::print_json(&serde_json::json!({ "checks": plan }))?;
        }
        Format::Table => {
            for check in checks {
                writeln!(
                    out,
                    "{} ({} {})",
                    check.name,
                    check.spec.name(),
                    secrets.redact(&check.spec.target())
                )?;
                writeln!(out, "    items: {}", check.items.join(", "))?;
                let expect: Vec<String> =
                    check.conditions.iter().map(ToString::to_string).collect();
                writeln!(out, "    expect: {}", expect.join(", "))?;
                let mut timing = format!(
                    "    timeout {}",
                    crate::expr::Value::Duration(check.timeout)
                );
                if check.retries > 0 {
                    timing.push_str(&format!(
                        ", {} every {}",
                        crate::report::count(check.retries as usize, "retry", "retries"),
                        crate::expr::Value::Duration(check.interval)
                    ));
                }
                writeln!(out, "{timing}")?;
                if !check.after.is_empty() {
                    let after: Vec<&str> = check
                        .after
                        .iter()
                        .filter_map(|&i| checks.get(i).map(|c| c.name.as_str()))
                        .collect();
                    writeln!(out, "    after: {}", after.join(", "))?;
                }
            }
            writeln!(
                out,
                "{} would run; configuration is valid",
                crate::report::count(checks.len(), "check", "checks")
            )?;
        }
    }
    Ok(())
}

/// Shows progress and hands each result to the writer as an event.
struct Recorder {
    display: Arc<dyn Progress>,
    sender: tokio::sync::mpsc::UnboundedSender<NewEvent>,
    checklist: String,
    run: i64,
    actor: String,
}

impl Progress for Recorder {
    fn finished(&self, check: &Check, result: &CheckResult) {
        self.display.finished(check, result);
        let observed: serde_json::Map<String, serde_json::Value> = result
            .outcome
            .observed
            .iter()
            .map(|(name, value)| (name.to_string(), report::value_json(value)))
            .collect();
        // The writer only stops after the run, so a send cannot fail while checks finish.
        let _ = self.sender.send(NewEvent {
            checklist: self.checklist.clone(),
            kind: Kind::Result,
            item: check.items.first().cloned(),
            actor: self.actor.clone(),
            payload: serde_json::json!({
                "run": self.run,
                "check": check.name,
                "probe": check.spec.name(),
                "target": result.target,
                "items": check.items,
                "passed": result.passed,
                "failures": result.failures,
                "problem": result.outcome.problem,
                "observed": observed,
                "attempts": result.attempts,
                "duration_ms": (result.duration.as_secs_f64() * 1e6).round() / 1e3,
            }),
        });
        if let Some(event) =
            crate::drill::history::event(&self.checklist, &self.actor, check, result)
        {
            let _ = self.sender.send(event);
        }
    }
}

/// Appends results as they arrive, in batches: each batch is one transaction, so a killed
/// run keeps every batch it committed, and thousands of results cost a few commits.
pub(super) async fn record(
    store: Store,
    mut receiver: tokio::sync::mpsc::UnboundedReceiver<NewEvent>,
) -> Result<usize, crate::store::StoreError> {
    const BATCH: usize = 512;
    let mut recorded = 0;
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match receiver.try_recv() {
                Ok(event) => batch.push(event),
                Err(_) => break,
            }
        }
        recorded += batch.len();
        store.append(batch).await?;
    }
    Ok(recorded)
}

struct Silent;

impl Progress for Silent {
    fn finished(&self, _: &Check, _: &CheckResult) {}
}

/// A bar on a terminal.
struct Bar(ProgressBar);

impl Bar {
    fn new(total: usize) -> Self {
        let bar = ProgressBar::new(total as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} checks {msg}")
        {
            bar.set_style(style.progress_chars("█▉░"));
        }
        Bar(bar)
    }
}

impl Progress for Bar {
    fn finished(&self, check: &Check, result: &CheckResult) {
        self.0.inc(1);
        if !result.passed {
            self.0
                .set_message(format!("(last failure: {})", check.name));
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// A passing check on a recurring item records its period (once per period).
fn record_periods(
    options: &Options,
    opened: &Opened,
    checklist: &mut crate::checklist::Checklist,
    checks: &[Check],
    results: &[crate::engine::run::CheckResult],
) -> anyhow::Result<()> {
    let settings =
        super::recurring::configure(&options.file, options.config.as_deref(), checklist)?;
    let passed: Vec<(String, String)> = results
        .iter()
        .filter(|result| result.passed)
        .filter_map(|result| checks.get(result.check))
        .flat_map(|check| {
            check
                .items
                .iter()
                .map(|item| (item.clone(), check.name.clone()))
        })
        .collect();
    if passed.is_empty() {
        return Ok(());
    }
    let who = actor(options.by.as_deref(), &options.file);
    super::recurring::record_checks(opened, checklist, &settings, &passed, &who)?;
    Ok(())
}
