//! Opening the store for a checklist, knowing who is acting, and keeping the store's record
//! of the file in step with the file.

use std::path::Path;

use anyhow::Context as _;
use sha2::{Digest, Sha256};

use crate::store::event::{Event, Kind, NewEvent};
use crate::store::state::State;
use crate::store::{Location, Store, checklist_key};

/// `--store` / `GOLIVE_STORE`, shared by every command that records or reads history.
#[derive(Debug, Clone, clap::Args)]
pub(super) struct StoreArgs {
    /// Where history is kept: a SQLite path or a postgres:// URL (default: .golive/state.db beside the checklist)
    #[arg(long, env = "GOLIVE_STORE", value_name = "PATH|URL")]
    pub(super) store: Option<String>,
}

/// A checklist's store, opened, with the checklist's key and current state.
pub(super) struct Opened {
    pub(super) store: Store,
    pub(super) key: String,
    pub(super) runtime: tokio::runtime::Runtime,
}

impl Drop for Opened {
    // A clean close checkpoints SQLite's write-ahead log: a finished command leaves one
    // self-contained `state.db`, which can be copied, backed up or read from read-only media
    // as it is. Without it the history could sit in a `-wal` file beside it.
    fn drop(&mut self) {
        self.runtime.block_on(self.store.close());
    }
}

impl Opened {
    /// Opens the store to record in, creating it (and `.golive/`) if needed.
    pub(super) fn open(file: &Path, args: &StoreArgs) -> anyhow::Result<Opened> {
        let location = location(file, args);
        let runtime = runtime()?;
        let store = runtime
            .block_on(Store::open(&location))
            .with_context(|| format!("cannot open the store at `{}`", location.display()))?;
        Ok(Opened {
            store,
            key: checklist_key(file),
            runtime,
        })
    }

    /// Opens the store to read only: `None` when there is none yet, and nothing is created
    /// (see [`Store::open_existing`]). Read-only commands use this.
    pub(super) fn open_existing(file: &Path, args: &StoreArgs) -> anyhow::Result<Option<Opened>> {
        let location = location(file, args);
        let runtime = runtime()?;
        let store = runtime
            .block_on(Store::open_existing(&location))
            .with_context(|| format!("cannot read the store at `{}`", location.display()))?;
        Ok(store.map(|store| Opened {
            store,
            key: checklist_key(file),
            runtime,
        }))
    }

    pub(super) fn append(&self, events: Vec<NewEvent>) -> anyhow::Result<Vec<Event>> {
        Ok(self.runtime.block_on(self.store.append(events))?)
    }

    /// An `import` event when the file's bytes differ from the last ones recorded, so the
    /// history says which version of the checklist every later event applies to. Reads only
    /// the last import, not the whole state.
    pub(super) fn import_if_changed(
        &self,
        bytes: &[u8],
        items: usize,
        actor: &str,
    ) -> anyhow::Result<Option<NewEvent>> {
        let last = self
            .runtime
            .block_on(self.store.latest(&self.key, Kind::Import))?;
        let recorded = State::from_events(&self.key, &last).imported_sha256;
        let event = self.import(bytes, items, actor);
        let sha = event
            .payload
            .get("sha256")
            .and_then(serde_json::Value::as_str);
        Ok((recorded.as_deref() != sha).then_some(event))
    }

    /// The `import` event recording these bytes as the checklist's current version.
    pub(super) fn import(&self, bytes: &[u8], items: usize, actor: &str) -> NewEvent {
        NewEvent {
            checklist: self.key.clone(),
            kind: Kind::Import,
            item: None,
            actor: actor.to_string(),
            payload: serde_json::json!({
                "sha256": hex::encode(Sha256::digest(bytes)),
                "items": items,
            }),
        }
    }
}

/// `--store`, else `.golive/state.db` beside the checklist.
pub(super) fn location(file: &Path, args: &StoreArgs) -> Location {
    match &args.store {
        Some(text) => Location::parse(text),
        None => Location::beside(file),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Who is acting: `--by`, else git's `user.name` where the checklist lives, else `$USER`.
pub(super) fn actor(by: Option<&str>, file: &Path) -> String {
    if let Some(by) = by.map(str::trim).filter(|by| !by.is_empty()) {
        return by.to_string();
    }
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let git = std::process::Command::new("git")
        .args(["config", "--get", "user.name"])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
        .filter(|name| !name.is_empty());
    git.or_else(|| std::env::var("USER").ok().filter(|user| !user.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

/// Today's date (UTC), as waivers compare it.
pub(super) fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}
