use std::path::Path;

use anyhow::bail;

use super::store::{Opened, StoreArgs, actor};
use super::{Outcome, input, say};
use crate::checklist::{Status, tick};
use crate::store::event::{Kind, NewEvent};

/// `--instance`, `--at` and `--config`: what ticking a recurring item or a runbook step needs.
pub(super) struct Recurring<'a> {
    pub(super) instance: Option<&'a str>,
    pub(super) at: Option<&'a str>,
    pub(super) config: Option<&'a Path>,
}

pub(super) fn run(
    path: &Path,
    query: &str,
    undo: bool,
    by: Option<&str>,
    store: &StoreArgs,
    recurring: Recurring<'_>,
) -> anyhow::Result<Outcome> {
    let shown = path.display();
    // Held from the read to the recorded event: every tick reads the file as the one before
    // left it, and the events are in the order of the writes.
    let _lock = input::lock(path)?;
    let mut loaded = input::load(path)?;
    let settings = super::recurring::configure(path, recurring.config, &mut loaded.checklist)?;
    let item = tick::find_item(&loaded.checklist, query)
        .map_err(|error| anyhow::anyhow!("`{shown}`: {error}"))?;
    if let Some(outcome) = recurring_tick(path, item, undo, by, store, &recurring, &settings)? {
        return Ok(outcome);
    }
    let Some(checkbox) = item.checkbox else {
        return tick_in_store(path, &loaded, item, undo, by, store);
    };
    let wanted = !undo;
    let verb = if undo { "unticked" } else { "ticked" };
    if checkbox.checked == wanted {
        say!(
            "{shown}:{}: `{}` is already {verb}; nothing to change",
            item.line,
            item.title
        )?;
        return Ok(Outcome::Ok);
    }
    let Some(edited) = tick::set_checkbox(&loaded.bytes, &checkbox, wanted) else {
        bail!(
            "`{shown}:{}`: the box moved while golive read the file; run the command again",
            item.line
        );
    };
    // Open the store first: a store that cannot be opened must not leave an unrecorded tick.
    let opened = Opened::open(path, store)?;
    let who = actor(by, path);
    let items = loaded.checklist.items.len();
    // Read before writing, for the same reason.
    let mut events: Vec<NewEvent> = opened
        .import_if_changed(&loaded.bytes, items, &who)?
        .into_iter()
        .collect();
    // Only after the write: an event is stored only for a write that happened.
    input::replace_if_unchanged(path, &loaded.bytes, &edited)?;
    events.push(NewEvent {
        checklist: opened.key.clone(),
        kind: Kind::Tick,
        item: Some(item.id.clone()),
        actor: who.clone(),
        payload: serde_json::json!({ "done": wanted }),
    });
    events.push(opened.import(&edited, items, &who));
    opened.append(events).map_err(|error| {
        error.context(format!(
            "`{shown}` was {verb} but the tick could not be recorded"
        ))
    })?;
    say!(
        "{shown}:{}: {verb} `{}` ({}) by {who}",
        item.line,
        item.title,
        item.id
    )?;
    let open_children = loaded
        .checklist
        .items
        .iter()
        .filter(|child| child.parent.as_deref() == Some(item.id.as_str()))
        .filter(|child| child.status == Status::Todo)
        .count();
    if wanted && open_children > 0 {
        say!("note: {open_children} of its sub-items are still open")?;
    }
    Ok(Outcome::Ok)
}

/// An item without a box (a criteria bullet, a level-table row): its status lives only in the
/// store, so the tick is recorded there and the file is left as it is.
fn tick_in_store(
    path: &Path,
    loaded: &input::Loaded,
    item: &crate::checklist::Item,
    undo: bool,
    by: Option<&str>,
    store: &StoreArgs,
) -> anyhow::Result<Outcome> {
    let shown = path.display();
    let opened = Opened::open(path, store)?;
    let who = actor(by, path);
    let items = loaded.checklist.items.len();
    let mut events: Vec<NewEvent> = opened
        .import_if_changed(&loaded.bytes, items, &who)?
        .into_iter()
        .collect();
    events.push(NewEvent {
        checklist: opened.key.clone(),
        kind: Kind::Tick,
        item: Some(item.id.clone()),
        actor: who.clone(),
        payload: serde_json::json!({ "done": !undo }),
    });
    opened
        .append(events)
        .map_err(|error| error.context(format!("`{shown}`: the tick could not be recorded")))?;
    let verb = if undo { "unticked" } else { "ticked" };
    say!(
        "{shown}:{}: {verb} `{}` ({}) by {who}; it has no box in the file, so the store holds its status",
        item.line,
        item.title,
        item.id
    )?;
    Ok(Outcome::Ok)
}

/// Recurring items and runbook steps are recorded in the store, never in the file.
fn recurring_tick(
    path: &Path,
    item: &crate::checklist::Item,
    undo: bool,
    by: Option<&str>,
    store: &StoreArgs,
    recurring: &Recurring<'_>,
    settings: &crate::checklist::recurrence::Settings,
) -> anyhow::Result<Option<Outcome>> {
    if recurring.instance.is_none() && item.recurrence.is_none() {
        if let Some(runbook) = &item.runbook {
            bail!(
                "`{}:{}`: `{}` is a step of the runbook `{}`; tick it in an instance: `--instance NAME` (open one with `golive start`)",
                path.display(),
                item.line,
                item.title,
                runbook.heading
            );
        }
        if recurring.at.is_some() {
            bail!(
                "`{}:{}`: --at is for recurring items and runbook steps",
                path.display(),
                item.line
            );
        }
        return Ok(None);
    }
    super::recurring::tick(super::recurring::TickArgs {
        path,
        item,
        undo,
        by,
        at: recurring.at,
        instance: recurring.instance,
        settings,
        store,
    })
    .map(Some)
}
