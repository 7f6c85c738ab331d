//! `golive gate` (GO / NO-GO, for people and CI) and `golive report` (the same, as files).

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use clap::ValueEnum;

use super::store::{Opened, StoreArgs};
use super::{Format, Outcome, input};
use crate::report::gate::{self, GateJson, GateView};
use crate::report::{html, junit, markdown};
use crate::store::event::now;

/// Reads the checklist and its history, and hands the gate's view to `use_view`.
fn with_view<T>(
    file: &Path,
    store: &StoreArgs,
    use_view: impl FnOnce(&GateView<'_>) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let loaded = input::load(file)?;
    let opened = Opened::open(file, store)?;
    let state = opened.state()?;
    if !state.unreadable.is_empty() {
        eprintln!(
            "warning: {} events in the store could not be read and were ignored (seq {:?}); run `golive audit verify`",
            state.unreadable.len(),
            state.unreadable
        );
    }
    let now = now();
    // Event times are UTC; so is the day waivers are compared with.
    let today = &now[..10];
    let shown = file.display().to_string();
    let mut view = GateView::new(&shown, &opened.key, &loaded.checklist, &state, today, &now);
    view.audit_head = opened.head()?;
    use_view(&view)
}

pub(super) fn gate(file: &Path, store: &StoreArgs, format: Format) -> anyhow::Result<Outcome> {
    with_view(file, store, |view| {
        match format {
            Format::Json => super::print_json(&GateJson::new(view))?,
            Format::Table => {
                let mut out = super::output::stdout();
                gate::render(view, &mut out)?;
                out.flush()?;
            }
        }
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            append(Path::new(&path), &markdown::summary(view)).with_context(|| {
                format!(
                    "cannot append to GITHUB_STEP_SUMMARY `{}`",
                    Path::new(&path).display()
                )
            })?;
        }
        Ok(if view.decision.go {
            Outcome::Ok
        } else {
            Outcome::Findings
        })
    })
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        file.write_all(b"\n")?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum ReportFormat {
    /// The checklist with ticks, owners, evidence and the decision
    Md,
    /// One self-contained HTML page: decision, section progress, items, approvals, latency charts
    Html,
    /// The gate's JSON document
    Json,
    /// JUnit XML: one test case per item, for CI test views
    Junit,
}

pub(super) fn report(
    file: &Path,
    store: &StoreArgs,
    format: ReportFormat,
    out: &Path,
) -> anyhow::Result<Outcome> {
    let text = with_view(file, store, |view| {
        Ok(match format {
            ReportFormat::Md => markdown::render(view),
            ReportFormat::Html => html::render(view, &[]),
            ReportFormat::Json => {
                let mut json = serde_json::to_string_pretty(&GateJson::new(view))?;
                json.push('\n');
                json
            }
            ReportFormat::Junit => junit::render(view),
        })
    })?;
    if out == Path::new("-") {
        super::output::raw_stdout().write_all(text.as_bytes())?;
    } else {
        write_new_or_replace(out, text.as_bytes())?;
        eprintln!("wrote {}", out.display());
    }
    Ok(Outcome::Ok)
}

fn write_new_or_replace(out: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if out.exists() {
        input::write_atomically(out, bytes)
    } else {
        std::fs::write(out, bytes).with_context(|| format!("cannot write `{}`", out.display()))
    }
}
