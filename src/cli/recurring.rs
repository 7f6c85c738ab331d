//! `golive due`, ticking recurring items and runbook steps, `golive start`, `golive
//! instances`, and an instance's status, gate and approvals. Period records and instances
//! live in the store as events; the file is never edited.

use std::path::Path;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::store::{Opened, StoreArgs, actor};
use super::{Format, Outcome, input, print_json, say};
use crate::checklist::recurrence::{self, Settings, heading_key};
use crate::checklist::{Checklist, Item};
use crate::report::recurring::{self as view, DueState, stamp};
use crate::store::event::{Event, Kind, NewEvent, Verification};
use crate::store::identity::Identity;
use crate::store::recurring::Recurring;
use crate::store::{Location, checklist_key};

/// Applies `golive.toml`'s `[recurring]` (beside `file`, or `config`) to the checklist, and
/// gives its settings. No file: the headings alone, in UTC.
pub(super) fn configure(
    file: &Path,
    config: Option<&Path>,
    checklist: &mut Checklist,
) -> anyhow::Result<Settings> {
    let path = super::view::config_path(file, config);
    let shown = path.display().to_string();
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let settings = Settings::default();
            recurrence::configure(checklist, &settings).ok();
            return Ok(settings);
        }
        Err(error) => return Err(error).context(format!("`{shown}`: cannot be read")),
    };
    let report = |diagnostics: Vec<crate::diagnostic::Diagnostic>| {
        for diagnostic in &diagnostics {
            eprint!("{}", diagnostic.render(&shown, &text));
        }
        anyhow::anyhow!(
            "{} in `{shown}`; recurring sections cannot be read",
            crate::report::count(diagnostics.len(), "problem", "problems")
        )
    };
    let parsed = crate::checklist::toml::parse(&text).map_err(report)?;
    let settings = recurrence::settings(parsed.recurring).map_err(report)?;
    recurrence::configure(checklist, &settings).map_err(report)?;
    Ok(settings)
}

/// `--at`, else now.
pub(super) fn instant(at: Option<&str>, tz: Tz) -> anyhow::Result<DateTime<Utc>> {
    match at {
        None => Ok(Utc::now()),
        Some(text) => recurrence::parse_instant(text, tz).with_context(|| {
            format!(
                "`{text}` is not a time: write 2026-12-02, 2026-12-02T09:30 (in the configured \
                 time zone) or RFC 3339 (2026-12-02T09:30:00Z)"
            )
        }),
    }
}

/// The store's events (all of them) and their verification; none when the SQLite store does
/// not exist yet (reading never creates one).
pub(super) fn history(
    file: &Path,
    store: &StoreArgs,
) -> anyhow::Result<(Identity, Vec<Event>, Verification)> {
    let location = match &store.store {
        Some(text) => Location::parse(text),
        None => Location::beside(file),
    };
    if let Location::Sqlite(path) = &location
        && !path.exists()
    {
        let audit = crate::store::event::verify_anchored(&[], &[]);
        return Ok((
            Identity::plain(checklist_key(file, &location)),
            Vec::new(),
            audit,
        ));
    }
    let opened = Opened::open(file, store)?;
    let (events, audit) = opened.runtime.block_on(opened.store.verified_events(&[]))?;
    Ok((opened.identity.clone(), events, audit))
}

fn warn_broken(audit: &Verification) {
    if let Some(broken) = &audit.first_bad {
        eprintln!(
            "warning: the audit trail is BROKEN at event {}: {}; run `golive audit verify`",
            broken.seq,
            broken.problem.describe()
        );
    }
}

pub(super) struct DueArgs<'a> {
    pub(super) file: &'a Path,
    pub(super) at: Option<&'a str>,
    pub(super) owner: Option<&'a str>,
    pub(super) format: Format,
    pub(super) store: &'a StoreArgs,
    pub(super) config: Option<&'a Path>,
}

pub(super) fn due(args: DueArgs<'_>) -> anyhow::Result<Outcome> {
    let mut loaded = input::load(args.file)?;
    let settings = configure(args.file, args.config, &mut loaded.checklist)?;
    let at = instant(args.at, settings.tz)?;
    let (key, events, audit) = history(args.file, args.store)?;
    warn_broken(&audit);
    let recurring = Recurring::from_events(&key, &events);
    let due = view::due(&loaded.checklist, &recurring, at, settings.tz, args.owner);
    if due.items.is_empty()
        && loaded
            .checklist
            .items
            .iter()
            .all(|i| i.recurrence.is_none())
    {
        eprintln!(
            "note: `{}` has no recurring items (headings such as \"Daily\", \"Maintenance \
             Hebdomadaire\", \"Chaque lundi\"); set some in golive.toml's [recurring.sections]",
            args.file.display()
        );
    }
    match args.format {
        Format::Json => print_json(&due)?,
        Format::Table => {
            let mut owner = None;
            for entry in &due.items {
                if owner != Some(entry.owner) {
                    owner = Some(entry.owner);
                    say!("{}", entry.owner.unwrap_or("(no owner)"))?;
                }
                let state = match entry.state {
                    DueState::Done => "done",
                    DueState::Due => "due",
                    DueState::Overdue => "OVERDUE",
                };
                let last = entry
                    .last_done
                    .map_or("never".to_string(), |r| format!("{} by {}", r.at, r.by));
                let missed = entry
                    .missed
                    .as_ref()
                    .map(|p| format!(", missed {p}"))
                    .unwrap_or_default();
                say!(
                    "  {state:<8} {} [{} {}] due by {}{missed}; last done {last}",
                    entry.title,
                    entry.recurrence.every.as_str(),
                    entry.period,
                    entry.due
                )?;
            }
            say!(
                "{} done, {} due, {} overdue at {} ({})",
                due.done,
                due.due,
                due.overdue,
                due.at,
                due.tz
            )?;
        }
    }
    Ok(if due.overdue > 0 {
        Outcome::Findings
    } else {
        Outcome::Ok
    })
}

/// What `tick` needs to record a period or a step instead of flipping a box.
pub(super) struct TickArgs<'a> {
    pub(super) path: &'a Path,
    pub(super) item: &'a Item,
    pub(super) undo: bool,
    pub(super) by: Option<&'a str>,
    pub(super) at: Option<&'a str>,
    pub(super) instance: Option<&'a str>,
    pub(super) settings: &'a Settings,
    pub(super) store: &'a StoreArgs,
}

/// Records the period of a recurring item, or a runbook instance's step, as done.
pub(super) fn tick(args: TickArgs<'_>) -> anyhow::Result<Outcome> {
    let shown = args.path.display();
    let item = args.item;
    let at = instant(args.at, args.settings.tz)?;
    let opened = Opened::open(args.path, args.store)?;
    let who = actor(args.by, args.path);
    let events = opened
        .runtime
        .block_on(opened.store.events_of(&opened.identity))?;
    let recurring = Recurring::from_events(&opened.identity, &events);
    if let Some(name) = args.instance {
        let Some(instance) = recurring.instances.get(name) else {
            bail!(
                "`{shown}`: no instance `{name}`; open it with `golive start {shown} --section \"…\" --name \"{name}\"` (see `golive instances {shown}`)"
            );
        };
        let in_section = item
            .runbook
            .as_ref()
            .is_some_and(|r| heading_key(&r.heading) == heading_key(&instance.section));
        if !in_section {
            bail!(
                "`{shown}:{}`: `{}` is not a step of `{}` (instance `{name}`)",
                item.line,
                item.title,
                instance.section
            );
        }
        opened.append(vec![NewEvent {
            checklist: opened.key.clone(),
            kind: Kind::Step,
            item: Some(item.id.clone()),
            actor: who.clone(),
            payload: serde_json::json!({ "instance": name, "done": !args.undo, "at": stamp(at) }),
        }])?;
        let verb = if args.undo { "reopened" } else { "done" };
        say!(
            "{shown}:{}: {name}: `{}` {verb} at {} by {who}",
            item.line,
            item.title,
            stamp(at)
        )?;
        return Ok(Outcome::Ok);
    }
    let Some(rule) = &item.recurrence else {
        bail!(
            "`{shown}:{}`: `{}` is not a recurring item",
            item.line,
            item.title
        );
    };
    if args.undo {
        bail!(
            "`{shown}:{}`: a recurring item's period, once recorded, stays in the audit log; \
             record what really happened with `golive waive` or a note instead",
            item.line
        );
    }
    let period = rule.period(at, args.settings.tz);
    if let Some(done) = recurring
        .periods
        .get(&item.id)
        .and_then(|p| p.get(&period.key))
    {
        say!(
            "{shown}:{}: `{}` was already done for {} ({} by {}); nothing recorded",
            item.line,
            item.title,
            period.key,
            done.at,
            done.by
        )?;
        return Ok(Outcome::Ok);
    }
    opened.append(vec![period_event(
        &opened.key,
        item,
        &period.key,
        rule.every.as_str(),
        at,
        &who,
        "tick",
        None,
    )])?;
    let late = if at > period.due { " (late)" } else { "" };
    say!(
        "{shown}:{}: `{}` done for {}{late} at {} by {who}; the file is unchanged",
        item.line,
        item.title,
        period.key,
        stamp(at)
    )?;
    Ok(Outcome::Ok)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn period_event(
    key: &str,
    item: &Item,
    period: &str,
    every: &str,
    at: DateTime<Utc>,
    who: &str,
    source: &str,
    evidence: Option<&str>,
) -> NewEvent {
    crate::store::recurring::PeriodDone {
        item: &item.id,
        period,
        every,
        at: &stamp(at),
        source,
        evidence,
    }
    .event(key, who)
}

/// Passing checks on recurring items record their period (`golive check`).
pub(super) fn record_checks(
    opened: &Opened,
    checklist: &Checklist,
    settings: &Settings,
    passed: &[(String, String)],
    who: &str,
) -> anyhow::Result<usize> {
    let now = Utc::now();
    let events = opened
        .runtime
        .block_on(opened.store.events_of(&opened.identity))?;
    let recurring = Recurring::from_events(&opened.identity, &events);
    let mut new = Vec::new();
    for (item_id, check) in passed {
        let Some(item) = checklist.items.iter().find(|i| &i.id == item_id) else {
            continue;
        };
        let Some(rule) = &item.recurrence else {
            continue;
        };
        let period = rule.period(now, settings.tz);
        let done = recurring
            .periods
            .get(&item.id)
            .is_some_and(|p| p.contains_key(&period.key));
        if !done
            && !new
                .iter()
                .any(|e: &NewEvent| e.item.as_deref() == Some(item_id.as_str()))
        {
            let evidence = format!("check `{check}` passed");
            new.push(period_event(
                &opened.key,
                item,
                &period.key,
                rule.every.as_str(),
                now,
                who,
                "check",
                Some(&evidence),
            ));
        }
    }
    let count = new.len();
    opened.append(new)?;
    Ok(count)
}
