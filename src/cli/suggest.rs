//! `golive suggest FILE`: the checks a machine could run for the checklist's items, as
//! `golive.toml` text (or JSON), and `--write` to append them to golive.toml. Appending never
//! touches what is there: items that already have a check get no new one, and the existing
//! bytes are kept as they are, the new stanzas after them.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::Serialize;

use super::output::say;
use super::{Format, Outcome, print_json};
use crate::suggest::{MonitorSuggestion, Suggestion, monitors, suggest};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The checklist's Markdown file
    file: PathBuf,
    /// `table` prints golive.toml text; `json` lists {item, probe, stanza} per suggestion
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Append the suggestions to golive.toml (items that already have a check are skipped)
    #[arg(long)]
    write: bool,
    /// The check configuration (default: golive.toml beside FILE)
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
}

#[derive(Serialize)]
struct Document<'a> {
    file: String,
    items: usize,
    suggestions: &'a [Suggestion],
    /// Watch monitors for the rows of the checklist's alert-threshold tables.
    monitors: &'a [MonitorSuggestion],
    /// Items skipped because golive.toml already has a check for them (with --write).
    already_checked: Vec<String>,
}

const HEADER: &str = "# Checks proposed by `golive suggest` from the checklist's words. Values marked\n# `placeholder` are examples: replace them with your hosts, URLs and paths, then run\n# `golive check FILE --dry-run`.\n";

pub(super) fn run(args: Args) -> anyhow::Result<Outcome> {
    let loaded = super::input::load(&args.file)?;
    let mut suggestions = suggest(&loaded.checklist);
    let markdown = crate::checklist::encoding::decode(&loaded.bytes)
        .map(|d| d.text)
        .unwrap_or_default();
    let mut monitors = monitors(&loaded.checklist, &markdown);
    let config = args.config.clone().unwrap_or_else(|| {
        args.file
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("golive.toml")
    });
    let mut already_checked = Vec::new();
    let existing = if args.write {
        read_existing(&config)?
    } else {
        None
    };
    if let Some((_, selectors)) = &existing {
        let checked = covered(&loaded.checklist, selectors);
        suggestions.retain(|s| {
            let keep = !checked.iter().any(|id| id == &s.item);
            if !keep {
                already_checked.push(s.item.clone());
            }
            keep
        });
        // A threshold monitor is one per row, not per item: written once, found by its name.
        let text = existing
            .as_ref()
            .map(|(bytes, _)| String::from_utf8_lossy(bytes).into_owned())
            .unwrap_or_default();
        monitors.retain(|m| !text.contains(&format!("name = \"{}\"", m.name)));
    }
    if args.write && !(suggestions.is_empty() && monitors.is_empty()) {
        let is_new = existing.is_none();
        let mut bytes = existing.map(|(bytes, _)| bytes).unwrap_or_default();
        if bytes.is_empty() {
            bytes.extend_from_slice(HEADER.as_bytes());
        } else if !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        for stanza in suggestions
            .iter()
            .map(|s| &s.stanza)
            .chain(monitors.iter().map(|m| &m.stanza))
        {
            bytes.push(b'\n');
            bytes.extend_from_slice(stanza.as_bytes());
        }
        if is_new {
            // `create_new`: a golive.toml made between our read and now is not overwritten.
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&config)
                .and_then(|mut file| file.write_all(&bytes))
        } else {
            // Replaced by rename, keeping the file's permissions: a reader never sees half.
            super::input::write_atomically(&config, &bytes).map_err(std::io::Error::other)
        }
        .with_context(|| format!("cannot write `{}`", config.display()))?;
    }
    match args.format {
        Format::Json => print_json(&Document {
            file: args.file.display().to_string(),
            items: loaded.checklist.items.len(),
            suggestions: &suggestions,
            monitors: &monitors,
            already_checked,
        })?,
        Format::Table if args.write => {
            say!(
                "{} check(s) and {} threshold monitor(s) appended to {} ({} item(s) already had one); run `golive check {} --dry-run`",
                suggestions.len(),
                monitors.len(),
                config.display(),
                already_checked.len(),
                args.file.display()
            )?;
        }
        Format::Table => {
            let mut out = super::output::stdout();
            out.write_all(HEADER.as_bytes())?;
            for stanza in suggestions
                .iter()
                .map(|s| &s.stanza)
                .chain(monitors.iter().map(|m| &m.stanza))
            {
                out.write_all(b"\n")?;
                out.write_all(stanza.as_bytes())?;
            }
            out.flush()?;
            eprintln!(
                "golive: {} check(s) suggested for {} item(s); `--write` appends them to {}",
                suggestions.len(),
                loaded.checklist.items.len(),
                config.display()
            );
        }
    }
    Ok(Outcome::Ok)
}

/// The item ids that checks' `item` selectors (ids or `title:GLOB`, as the planner reads
/// them) already cover.
fn covered(checklist: &crate::checklist::Checklist, selectors: &[String]) -> Vec<String> {
    let options = glob::MatchOptions {
        case_sensitive: false,
        ..Default::default()
    };
    let mut ids = Vec::new();
    for selector in selectors {
        match selector.strip_prefix("title:") {
            Some(pattern) => {
                if let Ok(glob) = glob::Pattern::new(pattern) {
                    ids.extend(
                        checklist
                            .items
                            .iter()
                            .filter(|item| glob.matches_with(&item.title, options))
                            .map(|item| item.id.clone()),
                    );
                }
            }
            None => ids.push(selector.clone()),
        }
    }
    ids
}

/// The configuration's bytes and the items its checks already name, or `None` when there is
/// no file yet. A file that does not parse is refused: appending to it would hide the error.
fn read_existing(config: &Path) -> anyhow::Result<Option<(Vec<u8>, Vec<String>)>> {
    let bytes = match std::fs::read(config) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read `{}`", config.display()));
        }
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        bail!("`{}` is not UTF-8 text", config.display());
    };
    let parsed = match crate::checklist::toml::parse(text) {
        Ok(parsed) => parsed,
        Err(errors) => {
            let shown = config.display().to_string();
            let rendered: Vec<String> = errors.iter().map(|e| e.render(&shown, text)).collect();
            bail!(
                "{}\nfix `{shown}` first: suggestions are only appended to a file that parses",
                rendered.join("\n")
            );
        }
    };
    let mut checked = Vec::new();
    for mut check in parsed.checks {
        if let Ok(Some(item)) = check.string("item") {
            checked.push(item.value);
        }
    }
    Ok(Some((bytes, checked)))
}
