//! `golive gate` (GO / NO-GO, for people and CI) and `golive report` (the same, as files).

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use clap::ValueEnum;

use super::store::StoreArgs;
use super::view::{self, ConfigArgs, Inputs, Items};
use super::{Format, Outcome, input};
use crate::decision::Trust;
use crate::report::gate::{self, GateJson, GateView};
use crate::report::{html, junit, markdown};
use crate::store::event::{Anchor, now};

/// What `status`, `gate` and `report` are given to find the checklist's history.
pub(super) struct Sources<'a> {
    pub(super) store: &'a StoreArgs,
    pub(super) config: &'a ConfigArgs,
    /// Earlier audit heads (`--anchor SEQ:HASH`) that must still be in the chain.
    pub(super) anchors: &'a [Anchor],
    /// `--level NAME`: only the level-table rows that apply at that maturity level.
    pub(super) level: Option<&'a str>,
}

/// Applies `--level` to what was read: an unknown level is a usage error naming the known ones.
pub(super) fn select_level(
    file: &Path,
    inputs: &mut Inputs,
    level: Option<&str>,
) -> anyhow::Result<()> {
    let Some(level) = level else {
        return Ok(());
    };
    inputs
        .loaded
        .checklist
        .select_level(level)
        .map_err(|known| {
            if known.is_empty() {
                anyhow::anyhow!(
                    "`{}`: --level {level}: this checklist has no maturity-level table \
                     (`Level A | Level B`, `Experiment | Beta | GA`); drop --level",
                    file.display()
                )
            } else {
                anyhow::anyhow!(
                    "`{}`: no level `{level}`; its level tables name: {}",
                    file.display(),
                    known.join(", ")
                )
            }
        })
}

/// The gate's view of `inputs`: resolved, decided, with what was verified.
pub(super) fn with_view<T>(
    file: &Path,
    inputs: &Inputs,
    use_view: impl FnOnce(&GateView<'_>) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let now = now();
    // Event times are UTC; so is the day waivers are compared with.
    let today = &now[..10];
    let shown = file.display().to_string();
    let trust = Trust {
        audit: &inputs.audit,
        pins: &inputs.pins,
    };
    let view = GateView::new(
        &shown,
        &inputs.key,
        &inputs.loaded.checklist,
        &inputs.state,
        trust,
        today,
        &now,
    );
    use_view(&view)
}

pub(super) fn gate(file: &Path, sources: Sources<'_>, format: Format) -> anyhow::Result<Outcome> {
    let mut inputs = view::read(
        file,
        sources.store,
        sources.config,
        sources.anchors,
        Items::Required,
    )?;
    select_level(file, &mut inputs, sources.level)?;
    with_view(file, &inputs, |view| {
        if view.decision.go && inputs.state.went_live.is_none() {
            // A gate in a read-only checkout still answers; only hypercare's start waits.
            if let Err(error) = record_go(file, sources.store) {
                eprintln!(
                    "warning: the GO could not be recorded, so hypercare does not start yet: {error:#}"
                );
            }
        }
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

/// The first GO starts hypercare: post-go-live items are due from here. Recorded only in a
/// store that exists: a gate in a read-only checkout without one writes nothing.
fn record_go(file: &Path, store: &StoreArgs) -> anyhow::Result<()> {
    let exists = match (&store.store, crate::store::Location::beside(file)) {
        (Some(_), _) => true,
        (None, crate::store::Location::Sqlite(path)) => path.exists(),
        (None, _) => true,
    };
    if !exists {
        return Ok(());
    }
    let opened = super::store::Opened::open(file, store)?;
    opened.append(vec![crate::store::event::NewEvent {
        checklist: opened.key.clone(),
        kind: crate::store::event::Kind::Golive,
        item: None,
        actor: super::store::actor(None, file),
        payload: serde_json::json!({ "decision": "go" }),
    }])?;
    Ok(())
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
    /// The evidence pack (with --since): one row per recurring item and period
    Csv,
}

pub(super) fn report(
    file: &Path,
    sources: Sources<'_>,
    format: ReportFormat,
    out: &Path,
) -> anyhow::Result<Outcome> {
    let mut inputs = view::read(
        file,
        sources.store,
        sources.config,
        sources.anchors,
        Items::Required,
    )?;
    select_level(file, &mut inputs, sources.level)?;
    let to_stdout = out == Path::new("-");
    if !to_stdout {
        view::refuse_inputs(out, &inputs.files)?;
    }
    let text = with_view(file, &inputs, |view| {
        Ok(match format {
            ReportFormat::Md => markdown::render(view),
            ReportFormat::Html => html::render(view, &[]),
            ReportFormat::Json => {
                let mut json = serde_json::to_string_pretty(&GateJson::new(view))?;
                json.push('\n');
                json
            }
            ReportFormat::Junit => junit::render(view),
            ReportFormat::Csv => anyhow::bail!(
                "csv is the evidence pack's format: add --since DATE (and --until DATE)"
            ),
        })
    })?;
    if to_stdout {
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
