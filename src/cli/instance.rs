//! Runbook instances: `golive start`, `golive instances`, and `status`/`gate`/`approve`
//! with `--instance NAME`. An instance's state is events in the store; its name is only ever
//! a value (never a path), so `/` and spaces are fine.

use std::io::Write as _;
use std::path::Path;

use anyhow::bail;

use super::recurring::{configure, history, instant};
use super::store::{Opened, StoreArgs, actor};
use super::{Format, Outcome, input, print_json, say};
use crate::checklist::recurrence::heading_key;
use crate::decision::role_key;
use crate::report::recurring::{self as view, InstanceView, stamp};
use crate::store::event::{Kind, NewEvent};
use crate::store::recurring::{InstanceApproval, Recurring};
use crate::store::sign;

pub(super) struct StartArgs<'a> {
    pub(super) file: &'a Path,
    pub(super) section: &'a str,
    pub(super) name: &'a str,
    pub(super) at: Option<&'a str>,
    pub(super) by: Option<&'a str>,
    pub(super) store: &'a StoreArgs,
    pub(super) config: Option<&'a Path>,
}

pub(super) fn start(args: StartArgs<'_>) -> anyhow::Result<Outcome> {
    let shown = args.file.display();
    let name = args.name.trim();
    if name.is_empty() || name.chars().any(char::is_control) {
        bail!("an instance needs a name without control characters, e.g. `--name INC-42`");
    }
    let mut loaded = input::load(args.file)?;
    let settings = configure(args.file, args.config, &mut loaded.checklist)?;
    let wanted = heading_key(args.section);
    let runbooks: Vec<&crate::checklist::recurrence::Runbook> = loaded
        .checklist
        .items
        .iter()
        .filter_map(|item| item.runbook.as_deref())
        .collect();
    let Some(runbook) = runbooks.iter().find(|r| heading_key(&r.heading) == wanted) else {
        let mut known: Vec<&str> = runbooks.iter().map(|r| r.heading.as_str()).collect();
        known.dedup();
        bail!(
            "`{shown}`: no runbook section `{}`; runbook sections are {}{}",
            args.section,
            if known.is_empty() {
                "none".to_string()
            } else {
                format!("`{}`", known.join("`, `"))
            },
            if known.is_empty() {
                " (headings naming an incident, a change, a runbook, or set with `runbook = \"…\"` in golive.toml's [recurring.sections])"
            } else {
                ""
            }
        );
    };
    let at = instant(args.at, settings.tz)?;
    let opened = Opened::open(args.file, args.store)?;
    let events = opened
        .runtime
        .block_on(opened.store.events_of(&opened.identity))?;
    let recurring = Recurring::from_events(&opened.identity, &events);
    if let Some(existing) = recurring.instances.get(name) {
        bail!(
            "`{shown}`: an instance `{name}` already exists ({}, started {} by {}); choose another name",
            existing.section,
            existing.started,
            existing.by
        );
    }
    let who = actor(args.by, args.file);
    opened.append(vec![NewEvent {
        checklist: opened.key.clone(),
        kind: Kind::Start,
        item: None,
        actor: who.clone(),
        payload: serde_json::json!({
            "instance": name,
            "section": runbook.heading,
            "kind": runbook.kind.as_str(),
            "at": stamp(at),
        }),
    }])?;
    say!(
        "{shown}: started {} `{name}` of `{}` at {} by {who}; tick its steps with `golive tick {shown} STEP --instance \"{name}\"`",
        runbook.kind.as_str(),
        runbook.heading,
        stamp(at)
    )?;
    Ok(Outcome::Ok)
}

pub(super) fn list(
    file: &Path,
    format: Format,
    store: &StoreArgs,
    config: Option<&Path>,
) -> anyhow::Result<Outcome> {
    let mut loaded = input::load(file)?;
    configure(file, config, &mut loaded.checklist)?;
    let pins = super::view::pins(&super::view::config_path(file, config), &loaded.checklist)?;
    let (key, events, _) = history(file, store)?;
    let recurring = Recurring::from_events(&key, &events);
    let keys = view::Keys {
        checklist: &key.key,
        pins: &pins,
    };
    let views: Vec<InstanceView<'_>> = recurring
        .instances
        .values()
        .map(|instance| view::instance_view(&loaded.checklist, instance, keys))
        .collect();
    match format {
        Format::Json => print_json(&views)?,
        Format::Table => {
            if views.is_empty() {
                say!(
                    "no instances; open one with `golive start {} --section \"…\" --name ID`",
                    file.display()
                )?;
            }
            for v in &views {
                let done = v.steps.iter().filter(|s| s.done).count();
                say!(
                    "{:<7} {} ({} of `{}`), started {} by {}, {done}/{} steps, {}",
                    v.state,
                    v.name,
                    v.kind,
                    v.section,
                    v.started,
                    v.by,
                    v.steps.len(),
                    v.decision
                )?;
            }
        }
    }
    Ok(Outcome::Ok)
}

/// `status --instance` (`gate: false`) and `gate --instance` (exit 1 unless GO).
pub(super) fn show(
    file: &Path,
    name: &str,
    format: Format,
    store: &StoreArgs,
    config: Option<&Path>,
    gate: bool,
) -> anyhow::Result<Outcome> {
    let mut loaded = input::load(file)?;
    configure(file, config, &mut loaded.checklist)?;
    let pins = super::view::pins(&super::view::config_path(file, config), &loaded.checklist)?;
    let (key, events, audit) = history(file, store)?;
    let recurring = Recurring::from_events(&key, &events);
    let Some(instance) = recurring.instances.get(name) else {
        bail!(
            "`{}`: no instance `{name}` (see `golive instances {}`)",
            file.display(),
            file.display()
        );
    };
    let keys = view::Keys {
        checklist: &key.key,
        pins: &pins,
    };
    let mut v = view::instance_view(&loaded.checklist, instance, keys);
    if audit.first_bad.is_some() {
        v.decision = "NO-GO";
        v.reasons
            .push("the audit trail is broken; run `golive audit verify`".to_string());
    }
    match format {
        Format::Json => print_json(&v)?,
        Format::Table => {
            let mut text = String::new();
            crate::report::pack::instance_markdown(&mut text, &v);
            super::output::raw_stdout().write_all(text.as_bytes())?;
        }
    }
    Ok(if gate && v.decision != "GO" {
        Outcome::Findings
    } else {
        Outcome::Ok
    })
}

pub(super) struct ApproveArgs<'a> {
    pub(super) file: &'a Path,
    pub(super) name: &'a str,
    pub(super) role: &'a str,
    pub(super) go: bool,
    pub(super) comment: Option<&'a str>,
    pub(super) by: Option<&'a str>,
    pub(super) at: Option<&'a str>,
    pub(super) sign: Option<&'a Path>,
    pub(super) store: &'a StoreArgs,
    pub(super) config: Option<&'a Path>,
}

pub(super) fn approve(args: ApproveArgs<'_>) -> anyhow::Result<Outcome> {
    let shown = args.file.display();
    let mut loaded = input::load(args.file)?;
    let settings = configure(args.file, args.config, &mut loaded.checklist)?;
    let at = instant(args.at, settings.tz)?;
    let key = args.sign.map(sign::read_key).transpose()?;
    let opened = Opened::open(args.file, args.store)?;
    let events = opened
        .runtime
        .block_on(opened.store.events_of(&opened.identity))?;
    let recurring = Recurring::from_events(&opened.identity, &events);
    let Some(instance) = recurring.instances.get(args.name) else {
        bail!(
            "`{shown}`: no instance `{}` (see `golive instances {shown}`)",
            args.name
        );
    };
    // Recorded under the runbook's own spelling of the role, so the gate lines it up.
    let typed = args.role.trim();
    let role = crate::report::recurring::steps_of(&loaded.checklist, &instance.section)
        .first()
        .and_then(|item| item.runbook.as_ref())
        .and_then(|runbook| {
            runbook
                .approvals
                .iter()
                .find(|role| role_key(role) == role_key(typed))
        })
        .map_or(typed, String::as_str);
    let config = super::view::config_path(args.file, args.config);
    let pins = super::view::pins(&config, &loaded.checklist)?;
    super::people::refuse_uncounted(&pins, &config, role, args.go, key.as_ref(), args.sign)?;
    let who = actor(args.by, args.file);
    let decision = if args.go { "go" } else { "no-go" };
    let comment = args.comment.filter(|c| !c.trim().is_empty());
    let signature = key.as_ref().map(|key| {
        let message = InstanceApproval::signed_message(
            &opened.key,
            args.name,
            role,
            &who,
            args.go,
            comment,
            &stamp(at),
        );
        sign::sign(key, &message)
    });
    opened.append(vec![NewEvent {
        checklist: opened.key.clone(),
        kind: Kind::InstanceApprove,
        item: None,
        actor: who.clone(),
        payload: serde_json::json!({
            "instance": args.name,
            "role": role,
            "decision": decision,
            "comment": comment,
            "at": stamp(at),
            "signature": signature,
        }),
    }])?;
    say!(
        "{shown}: {role} said {} on `{}` ({}) by {who}{}",
        decision.to_uppercase(),
        args.name,
        instance.section,
        if signature.is_some() { ", signed" } else { "" }
    )?;
    Ok(Outcome::Ok)
}
