//! `golive audit verify|log`: the audit trail itself.

use std::path::Path;

use super::store::{Opened, StoreArgs};
use super::{Format, Outcome, say};
use crate::store::event::Anchor;

pub(super) fn verify(
    file: &Path,
    anchors: &[Anchor],
    store: &StoreArgs,
    format: Format,
) -> anyhow::Result<Outcome> {
    // Reading: a missing checklist is an error (exit 2), and no store is created.
    super::input::load(file)?;
    let verification = match Opened::open_existing(file, store)? {
        Some(opened) => opened
            .runtime
            .block_on(opened.store.verify_anchored(anchors))?,
        None => crate::store::event::verify_anchored(&[], anchors),
    };
    match format {
        Format::Json => super::print_json(&verification)?,
        Format::Table => match &verification.first_bad {
            None => {
                say!(
                    "audit trail intact: {}, every hash chains to the one before",
                    crate::report::count(verification.events, "event", "events")
                )?;
                if !anchors.is_empty() {
                    say!("every anchor is in the chain ({} given)", anchors.len())?;
                }
                if let Some(head) = &verification.head {
                    say!("head: {head}")?;
                    say!(
                        "  (keep it elsewhere; `--anchor {head}` later proves no event up to it \
                         was deleted or rewritten)"
                    )?;
                }
            }
            Some(broken) => say!(
                "audit trail BROKEN at event {}: {} ({} checked)",
                broken.seq,
                broken.problem.describe(),
                crate::report::count(verification.events, "event", "events")
            )?,
        },
    }
    Ok(if verification.first_bad.is_none() {
        Outcome::Ok
    } else {
        Outcome::Findings
    })
}

pub(super) fn log(
    file: &Path,
    store: &StoreArgs,
    format: Format,
    all: bool,
) -> anyhow::Result<Outcome> {
    super::input::load(file)?;
    let events = match Opened::open_existing(file, store)? {
        Some(opened) if all => opened.runtime.block_on(opened.store.events(None))?,
        Some(opened) => opened
            .runtime
            .block_on(opened.store.events_of(&opened.identity))?,
        None => Vec::new(),
    };
    match format {
        Format::Json => super::print_json(&serde_json::json!({ "events": events }))?,
        Format::Table => {
            for event in &events {
                let item = event
                    .item
                    .as_deref()
                    .map(|item| format!(" {item}"))
                    .unwrap_or_default();
                let payload = crate::store::event::canonical_json(&event.payload);
                let payload = if payload.chars().count() > 100 {
                    format!("{}…", payload.chars().take(99).collect::<String>())
                } else {
                    payload
                };
                say!(
                    "{:>6}  {}  {:<8} {}{item}  {payload}",
                    event.seq,
                    event.at,
                    event.kind,
                    event.actor
                )?;
            }
            say!("{}", crate::report::count(events.len(), "event", "events"))?;
        }
    }
    Ok(Outcome::Ok)
}
