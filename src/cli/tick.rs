use std::path::Path;

use anyhow::bail;

use super::{Outcome, input};
use crate::checklist::{Status, tick};

pub(super) fn run(path: &Path, query: &str, undo: bool) -> anyhow::Result<Outcome> {
    let shown = path.display();
    let loaded = input::load(path)?;
    let item = tick::find_item(&loaded.checklist, query)
        .map_err(|error| anyhow::anyhow!("`{shown}`: {error}"))?;
    let Some(checkbox) = item.checkbox else {
        bail!(
            "`{shown}:{}`: `{}` has no box in the file to tick; its status is kept in golive's store",
            item.line,
            item.title
        );
    };
    let wanted = !undo;
    let verb = if undo { "unticked" } else { "ticked" };
    if checkbox.checked == wanted {
        println!(
            "{shown}:{}: `{}` is already {verb}; nothing to change",
            item.line, item.title
        );
        return Ok(Outcome::Ok);
    }
    let Some(edited) = tick::set_checkbox(&loaded.bytes, &checkbox, wanted) else {
        bail!(
            "`{shown}:{}`: the box moved while golive read the file; run the command again",
            item.line
        );
    };
    input::write_atomically(path, &edited)?;
    println!(
        "{shown}:{}: {verb} `{}` ({})",
        item.line, item.title, item.id
    );
    let open_children = loaded
        .checklist
        .items
        .iter()
        .filter(|child| child.parent.as_deref() == Some(item.id.as_str()))
        .filter(|child| child.status == Status::Todo)
        .count();
    if wanted && open_children > 0 {
        println!("note: {open_children} of its sub-items are still open");
    }
    Ok(Outcome::Ok)
}
