//! What `status`, `gate` and `report` read before they show anything: the checklist, the
//! keys `golive.toml` pins to its roles, and the store's state folded from events whose
//! hash chain was verified (with the anchors given). One function for all three, so they
//! cannot see different things.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use super::input;
use super::store::{Opened, StoreArgs};
use crate::checklist::Checklist;
use crate::decision::Pins;
use crate::store::event::{self, Anchor, Verification};
use crate::store::sign;
use crate::store::state::State;
use crate::store::{Location, checklist_key};

/// `--config` for the commands that read `golive.toml`'s `[roles]`.
#[derive(Debug, Clone, clap::Args)]
pub(super) struct ConfigArgs {
    /// The configuration whose [roles] pin approvers' keys (default: golive.toml beside FILE)
    #[arg(long, value_name = "PATH")]
    pub(super) config: Option<PathBuf>,
}

/// Everything a view of the checklist is drawn from.
pub(super) struct Inputs {
    pub(super) loaded: input::Loaded,
    /// The key the store files the checklist under (approvals are signed for it).
    pub(super) key: String,
    pub(super) state: State,
    /// What verifying the chain found; an intact empty chain when there is no store.
    pub(super) audit: Verification,
    pub(super) pins: Pins,
    /// Files read (or, for a store not made yet, that would be): a report never replaces one.
    pub(super) files: Vec<(PathBuf, &'static str)>,
}

/// Whether the checklist must have items: the gate never decides on a file without any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Items {
    Required,
    Optional,
}

pub(super) fn read(
    file: &Path,
    store: &StoreArgs,
    config: &ConfigArgs,
    anchors: &[Anchor],
    items: Items,
) -> anyhow::Result<Inputs> {
    let mut loaded = input::load(file)?;
    super::recurring::configure(file, config.config.as_deref(), &mut loaded.checklist)?;
    if items == Items::Required && loaded.checklist.items.is_empty() {
        bail!(
            "`{}`: no items: is this a checklist? golive reads task items (`- [ ] …`), rows of \
             tables with a status column and `Criteria:` lists; this file has none, so there \
             is nothing to decide",
            file.display()
        );
    }
    let config_path = config_path(file, config.config.as_deref());
    let pins = pins(&config_path, &loaded.checklist)?;
    let mut files = vec![
        (file.to_path_buf(), "the checklist"),
        (config_path, "its configuration"),
    ];
    files.extend(
        pins.files()
            .map(|key| (key.to_path_buf(), "a key pinned in its configuration")),
    );
    let location = super::store::location(file, store);
    if let Location::Sqlite(path) = &location {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            files.push((PathBuf::from(name), "the store's database"));
        }
    }
    let (key, state, audit) = history(file, store, anchors)?;
    if !state.unreadable.is_empty() {
        eprintln!(
            "warning: {} in the store could not be read and {} ignored (seq {:?}); run `golive audit verify`",
            crate::report::count(state.unreadable.len(), "event", "events"),
            if state.unreadable.len() == 1 {
                "was"
            } else {
                "were"
            },
            state.unreadable
        );
    }
    Ok(Inputs {
        loaded,
        key,
        state,
        audit,
        pins,
        files,
    })
}

/// The store's state for `file`, folded from the very events whose chain was verified. A
/// store that does not exist is an empty history, and is not created: reading never writes,
/// so a read-only checkout (or store) is read as it is.
fn history(
    file: &Path,
    store: &StoreArgs,
    anchors: &[Anchor],
) -> anyhow::Result<(String, State, Verification)> {
    let Some(opened) = Opened::open_existing(file, store)? else {
        // No events: anchors, which name events, cannot hold.
        let audit = event::verify_anchored(&[], anchors);
        let location = super::store::location(file, store);
        return Ok((checklist_key(file, &location), State::default(), audit));
    };
    let (state, audit) = opened
        .runtime
        .block_on(opened.store.verified_state(&opened.identity, anchors))?;
    Ok((opened.key.clone(), state, audit))
}

/// `--config`, else `golive.toml` beside the checklist.
pub(super) fn config_path(file: &Path, config: Option<&Path>) -> PathBuf {
    match config {
        Some(config) => config.to_path_buf(),
        None => match file.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            Some(dir) => dir.join("golive.toml"),
            None => PathBuf::from("golive.toml"),
        },
    }
}

/// The keys `golive.toml` pins to the checklist's roles; none when there is no such file.
/// A file that cannot be read, or pins that cannot be verified, stop the command (exit 2):
/// the gate must not count approvals it was told to check and cannot.
pub(super) fn pins(config: &Path, checklist: &Checklist) -> anyhow::Result<Pins> {
    let shown = config.display().to_string();
    let text = match std::fs::read_to_string(config) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Pins::NONE),
        Err(error) => return Err(error).context(format!("`{shown}`: cannot be read")),
    };
    let report = |diagnostics: Vec<crate::diagnostic::Diagnostic>| {
        for diagnostic in &diagnostics {
            eprint!("{}", diagnostic.render(&shown, &text));
        }
        let count = diagnostics.len();
        anyhow::anyhow!(
            "{count} problem{} in `{shown}`; approvals cannot be checked against its pinned keys",
            if count == 1 { "" } else { "s" }
        )
    };
    let parsed = crate::checklist::toml::parse(&text).map_err(report)?;
    let base = config
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let pinned = sign::read_pins(parsed.roles, base).map_err(report)?;
    Pins::new(pinned, checklist).map_err(report)
}

/// Refuses an output path that is one of `inputs` (compared as files: through symlinks, hard
/// links and `..`), or a key: a report written there would destroy it.
pub(super) fn refuse_inputs(out: &Path, inputs: &[(PathBuf, &'static str)]) -> anyhow::Result<()> {
    let shown = out.display();
    if out.is_dir() {
        bail!(
            "`{shown}` is a directory; give a file path for the report, e.g. `{shown}/report.html`"
        );
    }
    for (input, what) in inputs {
        if same_file(out, input) {
            bail!(
                "refusing to write the report to `{shown}`: it is {what}, an input of this \
                 report; choose another path"
            );
        }
    }
    if sign::is_key_file(out) {
        bail!(
            "refusing to write the report to `{shown}`: it is a golive key (an input of \
             `approve` and of the gate's pins); choose another path"
        );
    }
    Ok(())
}

/// Whether `a` and `b` are one file: the same inode when both exist; otherwise the same
/// place, once their folders are resolved (a store not created yet is still where it will be).
fn same_file(a: &Path, b: &Path) -> bool {
    if let (Ok(a), Ok(b)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        return a.dev() == b.dev() && a.ino() == b.ino();
    }
    match (resolved(a), resolved(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn resolved(path: &Path) -> Option<PathBuf> {
    if let Ok(path) = std::fs::canonicalize(path) {
        return Some(path);
    }
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Some(std::fs::canonicalize(dir).ok()?.join(path.file_name()?))
}
