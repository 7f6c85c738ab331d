//! `golive drill`: the backup and restore drills of golive.toml run alone, and drills people
//! run, timed with `start` and `stop`. Every drill, here or in `golive check`, lands in the
//! audit log as a `drill` event with its evidence, which `report` and `gate` show.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Subcommand;

use super::store::{Opened, StoreArgs, actor};
use super::{Format, Outcome, input, say};
use crate::drill::history::{self, Entry, Record};
use crate::drill::{Action, DrillSpec};
use crate::engine::plan::Check;
use crate::engine::run::{self, CheckResult, Progress};
use crate::expr::Value;
use crate::probe::Spec;
use crate::report::check::{self as report, CheckReport};
use crate::store::event::{Kind, NewEvent};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    command: DrillCommand,
}

/// What every drill command reads: the checklist, its configuration, its store, who acts.
#[derive(Debug, clap::Args)]
struct Common {
    /// The checklist's Markdown file
    file: PathBuf,
    /// The check configuration (default: golive.toml beside FILE)
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Who runs the drill (default: git's user.name, else $USER)
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Subcommand)]
enum DrillCommand {
    /// Run the backup drills of FILE's golive.toml (or only the one named NAME)
    Backup {
        #[command(flatten)]
        common: Common,
        /// The drill check's name (default: every `action = "backup"` drill)
        name: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Run the restore drills of FILE's golive.toml alone: restore, verify, `then` checks
    #[command(
        long_about = "Run the restore drills of FILE's golive.toml (`probe = \"drill\"`, `action = \
\"restore\"`) and nothing else: the newest backup (or --backup PATH) restored into a scratch \
database, verified by checksum, row counts and sequences against its manifest, pg_amcheck where \
installed and the `verify` queries, then the `then` checks with their retries; the scratch \
database is dropped whatever happened, and only if golive created it. Each drill is recorded in \
the audit log with its evidence; the checklist's items and the latest check run are left as \
they are."
    )]
    Restore {
        #[command(flatten)]
        common: Common,
        /// The drill check's name (default: every `action = "restore"` drill)
        name: Option<String>,
        /// Restore this backup (its dump or its manifest) rather than the newest
        #[arg(long, value_name = "PATH")]
        backup: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Start timing a drill people run ("Drill P1: Team mobilisée en < 5 min")
    #[command(
        long_about = "Record that a drill people run has started: who and when. NAME is a check \
of golive.toml with `probe = \"drill\"` and `action = \"human\"` (its `rto` is the objective), \
or an item of the checklist (its id or a unique fragment of its title) whose text states the \
objective (`< 5 min`, `within 30 minutes`, `en moins de 2 h`). `golive drill stop` ends it."
    )]
    Start {
        #[command(flatten)]
        common: Common,
        /// The drill: a human drill check's name, or an item id or title fragment
        name: String,
        /// When it started (default: now)
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Stop timing a drill people run: MET or MISSED against its objective (exit 1 when missed)
    Stop {
        #[command(flatten)]
        common: Common,
        /// The drill, as given to `golive drill start`
        name: String,
        /// When it was done (default: now)
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
}

pub(super) fn run(args: Args) -> anyhow::Result<Outcome> {
    match args.command {
        DrillCommand::Backup {
            common,
            name,
            format,
        } => run_drills(&common, Action::Backup, name.as_deref(), None, format),
        DrillCommand::Restore {
            common,
            name,
            backup,
            format,
        } => run_drills(
            &common,
            Action::Restore,
            name.as_deref(),
            backup.as_deref(),
            format,
        ),
        DrillCommand::Start { common, name, at } => start(&common, &name, at.as_deref()),
        DrillCommand::Stop { common, name, at } => stop(&common, &name, at.as_deref()),
    }
}

/// Gives each `action = "human"` check the latest timing of its drill from the store.
pub(super) fn read_timed(opened: &Opened, checks: &mut [Check]) -> anyhow::Result<()> {
    let human = |check: &Check| matches!(&check.spec, Spec::Drill(d) if d.action == Action::Human);
    if !checks.iter().any(human) {
        return Ok(());
    }
    let (state, _) = opened
        .runtime
        .block_on(opened.store.verified_state(&opened.identity, &[]))?;
    for check in checks {
        let name = check.name.clone();
        if let Spec::Drill(spec) = &mut check.spec
            && spec.action == Action::Human
        {
            spec.recorded = state
                .drills
                .iter()
                .rev()
                .find(|entry| entry.record.drill == name)
                .cloned()
                .map(Box::new);
        }
    }
    Ok(())
}

fn run_drills(
    common: &Common,
    action: Action,
    name: Option<&str>,
    backup: Option<&Path>,
    format: Format,
) -> anyhow::Result<Outcome> {
    let loaded = input::load(&common.file)?;
    let mut plan =
        super::check::read_plan(&common.file, common.config.as_deref(), &loaded.checklist)?;
    let all: Vec<String> = plan
        .checks
        .iter()
        .filter(|check| matches!(&check.spec, Spec::Drill(d) if d.action == action))
        .map(|check| check.name.clone())
        .collect();
    let kind = action.as_str();
    if all.is_empty() {
        bail!(
            "`{}`'s golive.toml has no {kind} drill: add a check with `probe = \"drill\"` and `action = \"{kind}\"`",
            common.file.display()
        );
    }
    if let Some(name) = name
        && !all.iter().any(|n| n == name)
    {
        bail!(
            "no {kind} drill named `{name}` in golive.toml; its {kind} drills: {}",
            all.join(", ")
        );
    }
    // A path given on the command line is the caller's, relative to where they stand.
    let chosen = match backup {
        Some(path) if path.is_relative() => Some(
            std::env::current_dir()
                .context("cannot read the current directory")?
                .join(path),
        ),
        other => other.map(Path::to_path_buf),
    };
    plan.checks.retain(|check| {
        matches!(&check.spec, Spec::Drill(d) if d.action == action)
            && name.is_none_or(|n| check.name == n)
    });
    for check in &mut plan.checks {
        // Run alone: what these drills waited for (a backup before a restore) is not run.
        check.after.clear();
        if let (Spec::Drill(spec), Some(chosen)) = (&mut check.spec, &chosen) {
            spec.chosen = Some(chosen.clone());
        }
    }
    let opened = Opened::open(&common.file, &common.store)?;
    let who = actor(common.by.as_deref(), &common.file);
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let writer = opened
        .runtime
        .spawn(super::check::record(opened.store.clone(), receiver));
    let progress: Arc<dyn Progress> = Arc::new(Recorder {
        sender,
        checklist: opened.key.clone(),
        actor: who,
    });
    let (checks, results) = opened.runtime.block_on(run::run(plan, 4, progress));
    opened
        .runtime
        .block_on(writer)
        .context("the drill writer stopped")?
        .context("drills could not all be recorded")?;
    let report = CheckReport::new(&checks, &results, Vec::new());
    let mut out = super::output::stdout();
    match format {
        Format::Json => super::print_json(&report)?,
        Format::Table => report::render(&report, &mut out)?,
    }
    out.flush()?;
    Ok(if report.summary.failed == 0 {
        Outcome::Ok
    } else {
        Outcome::Findings
    })
}

/// Hands each drill's result to the writer as a `drill` event.
struct Recorder {
    sender: tokio::sync::mpsc::UnboundedSender<NewEvent>,
    checklist: String,
    actor: String,
}

impl Progress for Recorder {
    fn finished(&self, check: &Check, result: &CheckResult) {
        if let Some(event) = history::event(&self.checklist, &self.actor, check, result) {
            // The writer only stops after the run, so a send cannot fail while drills finish.
            let _ = self.sender.send(event);
        }
    }
}

/// A drill people run: its name in the store, its item, its objective and where it was read.
struct Timed {
    name: String,
    item: Option<String>,
    objective: Duration,
    source: String,
}

/// NAME as a human drill check of golive.toml, else as an item of the checklist.
fn timed(
    common: &Common,
    checklist: &crate::checklist::Checklist,
    query: &str,
) -> anyhow::Result<Timed> {
    let config = super::view::config_path(&common.file, common.config.as_deref());
    let checks = if config.exists() {
        super::check::read_plan(&common.file, common.config.as_deref(), checklist)?.checks
    } else {
        Vec::new()
    };
    let human: Vec<(&Check, &DrillSpec)> = checks
        .iter()
        .filter_map(|check| match &check.spec {
            Spec::Drill(spec) if spec.action == Action::Human => Some((check, spec)),
            _ => None,
        })
        .collect();
    let item = crate::checklist::tick::find_item(checklist, query);
    let found = human
        .iter()
        .find(|(check, _)| check.name == query)
        .or_else(|| {
            let item = item.as_ref().ok()?;
            human
                .iter()
                .find(|(check, _)| check.items.contains(&item.id))
        });
    let text_of = |id: &str| {
        checklist
            .items
            .iter()
            .find(|i| i.id == id)
            .map(|i| format!("{} {}", i.title, i.detail.as_deref().unwrap_or_default()))
    };
    if let Some((check, spec)) = found {
        let first = check.items.first().cloned();
        let from_text = first
            .as_deref()
            .and_then(text_of)
            .and_then(|text| history::objective_in_text(&text));
        let (objective, source) = match (spec.rto, from_text) {
            (Some(rto), _) => (
                rto,
                format!("`rto` of check `{}` in golive.toml", check.name),
            ),
            (None, Some(found)) => (
                found,
                format!("the text of item `{}`", first.clone().unwrap_or_default()),
            ),
            (None, None) => bail!(
                "drill `{}` has no objective: add `rto = \"5m\"` to its check in golive.toml",
                check.name
            ),
        };
        return Ok(Timed {
            name: check.name.clone(),
            item: first,
            objective,
            source,
        });
    }
    let item = item.map_err(|error| {
        anyhow::anyhow!(
            "`{}`: {error}; NAME is a check with `action = \"human\"` in golive.toml or an item of the checklist",
            common.file.display()
        )
    })?;
    let text = text_of(&item.id).unwrap_or_default();
    let Some(objective) = history::objective_in_text(&text) else {
        bail!(
            "item `{}` states no objective to time the drill against: write it in the item (\"… en < 5 min\") or add a check with `probe = \"drill\"`, `action = \"human\"` and `rto` to golive.toml",
            item.title
        );
    };
    Ok(Timed {
        name: item.id.clone(),
        item: Some(item.id.clone()),
        objective,
        source: format!("the text of item `{}`", item.id),
    })
}

fn at_time(at: Option<&str>) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    super::recurring::instant(at, chrono_tz::UTC)
}

fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The drill's latest event, from the store's verified history.
fn latest(opened: &Opened, name: &str) -> anyhow::Result<Option<Entry>> {
    let (state, audit) = opened
        .runtime
        .block_on(opened.store.verified_state(&opened.identity, &[]))?;
    if let Some(bad) = &audit.first_bad {
        bail!(
            "the audit trail is broken at event {}: a drill cannot be timed on a history that cannot be trusted (`golive audit verify`)",
            bad.seq
        );
    }
    Ok(state
        .drills
        .into_iter()
        .rev()
        .find(|entry| entry.record.drill == name))
}

/// NAME as a shell would need it again.
fn quoted(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.is_alphanumeric() || "-_.".contains(c))
    {
        text.to_owned()
    } else {
        format!("\"{}\"", text.replace('"', "\\\""))
    }
}

fn shown(duration: Duration) -> String {
    Value::Duration(duration).to_string()
}

fn start(common: &Common, query: &str, at: Option<&str>) -> anyhow::Result<Outcome> {
    let loaded = input::load(&common.file)?;
    let drill = timed(common, &loaded.checklist, query)?;
    let started = at_time(at)?;
    let opened = Opened::open(&common.file, &common.store)?;
    if let Some(running) = latest(&opened, &drill.name)?.filter(|e| e.record.is_running()) {
        bail!(
            "drill `{}` is already running: started at {} by {}; `golive drill stop` ends it",
            drill.name,
            running.record.started_at.as_deref().unwrap_or(&running.at),
            running.by
        );
    }
    let who = actor(common.by.as_deref(), &common.file);
    let record = Record {
        drill: drill.name.clone(),
        action: "human".into(),
        verdict: "started".into(),
        rto_ms: None,
        rto_objective_ms: Some(drill.objective.as_millis() as u64),
        rpo_ms: None,
        rpo_objective_ms: None,
        evidence: vec![
            format!("started by {who} at {}", rfc3339(started)),
            format!("objective < {} ({})", shown(drill.objective), drill.source),
        ],
        started_at: Some(rfc3339(started)),
        stopped_at: None,
    };
    opened.append(vec![NewEvent {
        checklist: opened.key.clone(),
        kind: Kind::Drill,
        item: drill.item.clone(),
        actor: who.clone(),
        payload: serde_json::to_value(&record)?,
    }])?;
    say!(
        "drill `{}` started at {} by {who}; objective < {} ({}); `golive drill stop {} {}` when it is done",
        drill.name,
        rfc3339(started),
        shown(drill.objective),
        drill.source,
        common.file.display(),
        quoted(query)
    )?;
    Ok(Outcome::Ok)
}

fn stop(common: &Common, query: &str, at: Option<&str>) -> anyhow::Result<Outcome> {
    let loaded = input::load(&common.file)?;
    let drill = timed(common, &loaded.checklist, query)?;
    let stopped = at_time(at)?;
    let opened = Opened::open(&common.file, &common.store)?;
    let Some(running) = latest(&opened, &drill.name)?.filter(|e| e.record.is_running()) else {
        bail!(
            "drill `{}` is not running: `golive drill start {} {}` records its start first",
            drill.name,
            common.file.display(),
            quoted(query)
        );
    };
    let began = running
        .record
        .started_at
        .as_deref()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .map(|at| at.with_timezone(&chrono::Utc))
        .context("the drill's start event has no readable start time")?;
    let Ok(took) = (stopped - began).to_std() else {
        bail!(
            "drill `{}` started at {}, after the stop time {}",
            drill.name,
            rfc3339(began),
            rfc3339(stopped)
        );
    };
    // The objective recorded at the start is the one the drill was run against.
    let objective = running
        .record
        .rto_objective_ms
        .map_or(drill.objective, Duration::from_millis);
    let met = took < objective;
    let word = if met { "MET" } else { "MISSED" };
    let compare = if met { "<" } else { ">=" };
    let who = actor(common.by.as_deref(), &common.file);
    let verdict_line = format!(
        "took {}: {word} ({} {compare} {})",
        shown(took),
        shown(took),
        shown(objective)
    );
    let mut evidence = running.record.evidence.clone();
    evidence.push(format!("stopped by {who} at {}", rfc3339(stopped)));
    evidence.push(verdict_line.clone());
    let record = Record {
        drill: drill.name.clone(),
        action: "human".into(),
        verdict: if met { "met" } else { "missed" }.into(),
        rto_ms: Some(took.as_millis() as u64),
        rto_objective_ms: Some(objective.as_millis() as u64),
        rpo_ms: None,
        rpo_objective_ms: None,
        evidence,
        started_at: running.record.started_at.clone(),
        stopped_at: Some(rfc3339(stopped)),
    };
    opened.append(vec![NewEvent {
        checklist: opened.key.clone(),
        kind: Kind::Drill,
        item: drill.item.clone(),
        actor: who.clone(),
        payload: serde_json::to_value(&record)?,
    }])?;
    say!(
        "drill `{}`: {verdict_line}; started by {} at {}, stopped by {who} at {}",
        drill.name,
        running.by,
        running.record.started_at.as_deref().unwrap_or_default(),
        rfc3339(stopped)
    )?;
    Ok(if met { Outcome::Ok } else { Outcome::Findings })
}
