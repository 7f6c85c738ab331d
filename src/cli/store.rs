//! Opening the store for a checklist, knowing who is acting, and keeping the store's record
//! of the file in step with the file.

use std::path::Path;

use anyhow::Context as _;
use sha2::{Digest, Sha256};

use crate::store::event::{Event, Kind, NewEvent};
use crate::store::identity::{self, Adoption, Identity};
use crate::store::state::State;
use crate::store::{Location, Store, checklist_key};

/// `--store` / `GOLIVE_STORE`, shared by every command that records or reads history.
#[derive(Debug, Clone, clap::Args)]
pub(super) struct StoreArgs {
    /// Where history is kept: a SQLite path or a postgres:// URL (default: .golive/state.db beside the checklist)
    #[arg(long, env = "GOLIVE_STORE", value_name = "PATH|URL")]
    pub(super) store: Option<String>,
}

/// A checklist's store, opened, with the checklist's key (what new events are recorded
/// under) and its identity (whose events are its history: the key's, and those it adopted).
pub(super) struct Opened {
    pub(super) store: Store,
    pub(super) key: String,
    pub(super) identity: Identity,
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
    /// Opens the store to record in, creating it (and `.golive/`) if needed. A history an
    /// earlier golive kept under the file name that is unambiguously this checklist's is
    /// adopted here, by an `adopt` event, before anything else is recorded.
    pub(super) fn open(file: &Path, args: &StoreArgs) -> anyhow::Result<Opened> {
        let location = location(file, args);
        let runtime = runtime()?;
        let store = runtime
            .block_on(Store::open(&location))
            .with_context(|| format!("cannot open the store at `{}`", location.display()))?;
        let mut opened = Opened::with(store, runtime, file, args)?;
        if let Some(adopted) = &opened.identity.adopted
            && adopted.before.is_none()
        {
            let event = NewEvent {
                checklist: opened.key.clone(),
                kind: Kind::Adopt,
                item: None,
                actor: actor(None, file),
                payload: identity::payload(&adopted.from, true),
            };
            let sealed = opened.append(vec![event])?;
            if let Some(adopted) = opened.identity.adopted.as_mut() {
                adopted.before = sealed.first().map(|event| event.seq);
            }
        }
        Ok(opened)
    }

    /// Opens the store to read only: `None` when there is none yet, and nothing is created
    /// (see [`Store::open_existing`]). Read-only commands use this: an adoption that is due
    /// is folded as if recorded, and left for the next command that writes.
    pub(super) fn open_existing(file: &Path, args: &StoreArgs) -> anyhow::Result<Option<Opened>> {
        let location = location(file, args);
        let runtime = runtime()?;
        let store = runtime
            .block_on(Store::open_existing(&location))
            .with_context(|| format!("cannot read the store at `{}`", location.display()))?;
        store
            .map(|store| Opened::with(store, runtime, file, args))
            .transpose()
    }

    /// The opened store, with the checklist's key and identity, and a word on stderr when
    /// history under the file name needs a person to say whose it is.
    fn with(
        store: Store,
        runtime: tokio::runtime::Runtime,
        file: &Path,
        args: &StoreArgs,
    ) -> anyhow::Result<Opened> {
        let location = location(file, args);
        let key = checklist_key(file, &location);
        let adoption = adoption(&store, &runtime, file, &location, &key)?;
        if let Adoption::Ambiguous { from } = &adoption {
            eprintln!(
                "note: this store holds history an earlier golive kept under `{from}`, which may \
                 be this checklist's or another `{from}`'s sharing the store; `golive store adopt \
                 {}` makes it this one's, `--decline` says it is not",
                file.display()
            );
        }
        Ok(Opened {
            identity: adoption.identity(&key),
            store,
            key,
            runtime,
        })
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
            .block_on(self.store.latest(&self.identity, Kind::Import))?;
        let recorded = State::from_events(&self.identity, &last).imported_sha256;
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

/// What the store says of the history under `file`'s name for the checklist keyed `key`.
/// Only the default store beside the checklist adopts without asking: no other checklist of
/// that name can have written there.
fn adoption(
    store: &Store,
    runtime: &tokio::runtime::Runtime,
    file: &Path,
    location: &Location,
    key: &str,
) -> anyhow::Result<Adoption> {
    let name = identity::file_name(file);
    if key == name || std::env::var("GOLIVE_CHECKLIST_ID").is_ok_and(|id| !id.trim().is_empty()) {
        return Ok(Adoption::None);
    }
    let adopts = runtime.block_on(store.adopt_events())?;
    let named = runtime.block_on(store.has_events(&name))?;
    let automatic = *location == Location::beside(file);
    Ok(identity::decide(key, &name, &adopts, named, automatic))
}

/// `golive store adopt FILE [--decline]`: says whose the history an earlier golive kept under
/// the file's name is, where golive could not tell by itself.
pub(super) fn adopt(
    file: &Path,
    decline: bool,
    args: &StoreArgs,
) -> anyhow::Result<super::Outcome> {
    super::input::load(file)?;
    let location = location(file, args);
    let runtime = runtime()?;
    let store = runtime
        .block_on(Store::open(&location))
        .with_context(|| format!("cannot open the store at `{}`", location.display()))?;
    let key = checklist_key(file, &location);
    let name = identity::file_name(file);
    let shown = file.display();
    if key == name {
        super::output::say!(
            "`{shown}` is keyed `{key}`, the name earlier versions used: its history is already its own"
        )?;
        runtime.block_on(store.close());
        return Ok(super::Outcome::Ok);
    }
    let adopts = runtime.block_on(store.adopt_events())?;
    let named = runtime.block_on(store.has_events(&name))?;
    let decided = identity::decide(&key, &name, &adopts, named, true);
    let refusal = match (&decided, decline) {
        (Adoption::None, _) => Some(format!(
            "the store holds no history under `{name}`: nothing to adopt"
        )),
        (Adoption::Recorded { seq, .. }, _) => Some(format!(
            "`{key}` adopted the history under `{name}` already (event {seq})"
        )),
        (Adoption::Elsewhere { by: Some(by), .. }, true) => {
            super::output::say!(
                "the history under `{name}` is `{by}`'s already, not `{key}`'s: nothing to record"
            )?;
            runtime.block_on(store.close());
            return Ok(super::Outcome::Ok);
        }
        (Adoption::Elsewhere { by: Some(by), .. }, false) => Some(format!(
            "the history under `{name}` is `{by}`'s: it adopted it already"
        )),
        (Adoption::Elsewhere { by: None, .. }, true) => Some(format!(
            "`{key}` declined the history under `{name}` already"
        )),
        _ => None,
    };
    if let Some(refusal) = refusal {
        runtime.block_on(store.close());
        anyhow::bail!("`{shown}`: {refusal}");
    }
    let event = NewEvent {
        checklist: key.clone(),
        kind: Kind::Adopt,
        item: None,
        actor: actor(None, file),
        payload: identity::payload(&name, !decline),
    };
    let sealed = runtime.block_on(store.append(vec![event]));
    runtime.block_on(store.close());
    let seq = sealed?.first().map_or(0, |event| event.seq);
    if decline {
        super::output::say!(
            "`{key}` declined the history under `{name}` (event {seq}): it stays apart"
        )?;
    } else {
        super::output::say!("`{key}` adopted the history under `{name}` (event {seq})")?;
    }
    Ok(super::Outcome::Ok)
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
