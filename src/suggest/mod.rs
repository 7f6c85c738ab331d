//! `golive suggest`: proposes a `[[check]]` stanza for every item whose words name something a
//! machine can verify (an endpoint, a certificate, a port, a file mode, a backup's age, a p95,
//! a drift, a leak…), with placeholders for what the text does not say (hosts, URLs, paths)
//! and the thresholds it does say (`p95 < 200ms`, `< 30 days`, `→ 600`). Pure: text in, TOML
//! text out; the command line reads and writes the files.

mod monitors;
mod rules;
mod stanza;

pub use monitors::{MonitorSuggestion, monitors};

use serde::Serialize;

use crate::checklist::{Checklist, Item, fold};

pub(crate) use rules::Kind;

/// One proposed check.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    /// The item's id.
    pub item: String,
    /// The item's text as the checklist writes it (title, detail, table cells).
    pub text: String,
    /// 1-based line of the item.
    pub line: usize,
    /// The probe the stanza uses.
    pub probe: &'static str,
    /// The `[[check]]` stanza, commented with the item's text.
    pub stanza: String,
}

/// The item's text as one line: title, detail and the table cells (`target < 200ms`).
fn item_text(item: &Item) -> String {
    let mut text = item.title.clone();
    if let Some(detail) = &item.detail {
        text.push(' ');
        text.push_str(detail);
    }
    for (column, value) in &item.fields {
        text.push_str(&format!(" {column} {value}"));
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The suggestions for every item of `checklist`, in the file's order.
pub fn suggest(checklist: &Checklist) -> Vec<Suggestion> {
    checklist
        .items
        .iter()
        .filter_map(|item| {
            let text = item_text(item);
            let folded = fold(&text);
            let kind = rules::classify(&text, &folded)?;
            Some(Suggestion {
                item: item.id.clone(),
                line: item.line,
                probe: kind.probe(),
                stanza: stanza::render(kind, &item.id, item.line, &text, &folded),
                text,
            })
        })
        .collect()
}

/// The kind of check the text asks for (the probe), or `None` if no machine can verify it.
pub fn probe_for(text: &str) -> Option<&'static str> {
    rules::classify(text, &fold(text)).map(Kind::probe)
}
