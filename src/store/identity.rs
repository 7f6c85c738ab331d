//! Which events are one checklist's: its identity in the store, and the history it adopted
//! from the file name earlier versions keyed it by.
//!
//! A checklist is keyed by its path relative to its git repository's root (outside a
//! repository, to the folder the store serves), so two `launch.md` in two folders sharing a
//! store have two histories. golive before this keyed by file name alone; such a history is
//! taken over ("adopted") by one path-keyed checklist with that name, recorded as an
//! `adopt` event in the hash chain: from then on the events under the bare name that came
//! before the adoption are that checklist's. Pure: the store reads the events, the CLI says
//! whether the choice is unambiguous.

use std::path::{Component, Path, PathBuf};

use super::Location;
use super::event::{Event, Kind};

/// Whose events are whose: an event belongs to a checklist when this says so.
pub trait Owner {
    fn owns(&self, event: &Event) -> bool;
}

impl Owner for str {
    fn owns(&self, event: &Event) -> bool {
        event.checklist == self
    }
}

impl Owner for String {
    fn owns(&self, event: &Event) -> bool {
        event.checklist == *self
    }
}

/// A checklist's key, and the earlier key whose history it adopted (events under `from`
/// before `before`, the seq of the adoption; `None`: all of them, an adoption not recorded
/// yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub key: String,
    pub adopted: Option<Adopted>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adopted {
    pub from: String,
    pub before: Option<i64>,
}

impl Identity {
    pub fn plain(key: impl Into<String>) -> Identity {
        Identity {
            key: key.into(),
            adopted: None,
        }
    }
}

impl Owner for Identity {
    fn owns(&self, event: &Event) -> bool {
        event.checklist == self.key
            || self.adopted.as_ref().is_some_and(|adopted| {
                event.checklist == adopted.from && adopted.before.is_none_or(|seq| event.seq < seq)
            })
    }
}

/// What the store says of the history under a checklist's file name, for the checklist
/// keyed `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adoption {
    /// Nothing to adopt: the key is the file name, or there is no history under the name.
    None,
    /// Adopted by this checklist, by the event `seq`.
    Recorded { from: String, seq: i64 },
    /// Unambiguously this checklist's, not recorded yet: a writer records it, a reader
    /// folds it as if it were.
    Pending { from: String },
    /// Possibly this checklist's or another's of the same name: a person must say
    /// (`golive store adopt`).
    Ambiguous { from: String },
    /// This checklist declined it, or another one adopted it.
    Elsewhere { from: String, by: Option<String> },
}

impl Adoption {
    /// The identity whose events are `key`'s under this adoption.
    pub fn identity(&self, key: &str) -> Identity {
        let adopted = match self {
            Adoption::Recorded { from, seq } => Some(Adopted {
                from: from.clone(),
                before: Some(*seq),
            }),
            Adoption::Pending { from } => Some(Adopted {
                from: from.clone(),
                before: None,
            }),
            _ => None,
        };
        Identity {
            key: key.to_string(),
            adopted,
        }
    }
}

/// The payload of an `adopt` event: `{from, decision}`, `decision` being `adopt` or `decline`.
pub fn payload(from: &str, adopt: bool) -> serde_json::Value {
    serde_json::json!({
        "from": from,
        "decision": if adopt { "adopt" } else { "decline" },
    })
}

/// Decides, from every `adopt` event of the store (in seq order), whether `key` has, may or
/// must not take the history under `name`. `named_history`: the store has events under
/// `name`. `automatic`: no other checklist of that name can have written there (the store is
/// the default one beside the checklist), so adopting needs nobody's word.
///
/// A name is adopted once, by the first `adopt` that says so; a checklist's own `decline`
/// stops it being asked again.
pub fn decide(
    key: &str,
    name: &str,
    adopt_events: &[Event],
    named_history: bool,
    automatic: bool,
) -> Adoption {
    if key == name {
        return Adoption::None;
    }
    let from = name.to_string();
    let about_name = adopt_events.iter().filter(|event| {
        event.kind() == Some(Kind::Adopt)
            && event.payload.get("from").and_then(|f| f.as_str()) == Some(name)
    });
    let mut declined = false;
    for event in about_name {
        match event.payload.get("decision").and_then(|d| d.as_str()) {
            Some("adopt") if event.checklist == key => {
                return Adoption::Recorded {
                    from,
                    seq: event.seq,
                };
            }
            Some("adopt") => {
                return Adoption::Elsewhere {
                    from,
                    by: Some(event.checklist.clone()),
                };
            }
            Some("decline") if event.checklist == key => declined = true,
            _ => {}
        }
    }
    if declined {
        Adoption::Elsewhere { from, by: None }
    } else if !named_history {
        Adoption::None
    } else if automatic {
        Adoption::Pending { from }
    } else {
        Adoption::Ambiguous { from }
    }
}

/// The key a checklist's events are stored under: its path, `/`-separated, relative to the
/// root of the git repository holding it, so that cloning the repository elsewhere keeps its
/// history; outside a repository, relative to the folder the store serves (the folder holding
/// a SQLite file, or the one above it when that is `.golive`), which is the bare file name
/// for the default store; for PostgreSQL outside a repository, the absolute path.
///
/// `GOLIVE_CHECKLIST_ID`, when set and not blank, overrides it.
pub fn checklist_key(file: &Path, location: &Location) -> String {
    if let Ok(id) = std::env::var("GOLIVE_CHECKLIST_ID") {
        let id = id.trim();
        if !id.is_empty() {
            return id.to_string();
        }
    }
    let Some(name) = file.file_name() else {
        return file.display().to_string();
    };
    let dir = real(file.parent().unwrap_or(Path::new("")));
    let path = dir.join(name);
    let root = repository_root(&dir).or_else(|| match location {
        Location::Sqlite(db) => {
            let folder = real(db.parent().unwrap_or(Path::new("")));
            Some(match folder.file_name() {
                Some(last) if last == ".golive" => {
                    folder.parent().map(Path::to_path_buf).unwrap_or(folder)
                }
                _ => folder,
            })
        }
        Location::Postgres(_) => None,
    });
    match root {
        Some(root) => relative(&path, &root),
        None => path.to_string_lossy().into_owned(),
    }
}

/// The checklist's file name, the key earlier versions stored it under.
pub fn file_name(file: &Path) -> String {
    match file.file_name() {
        Some(name) => name.to_string_lossy().into_owned(),
        None => file.display().to_string(),
    }
}

/// `path` absolute with symbolic links resolved as far as it exists (a store's folder may not
/// exist yet), so that every spelling of a folder gives one key.
fn real(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut missing = Vec::new();
    let mut existing = absolute.as_path();
    loop {
        if let Ok(found) = existing.canonicalize() {
            let mut out = found;
            out.extend(missing.iter().rev());
            return normalise(&out);
        }
        match (existing.file_name(), existing.parent()) {
            (Some(last), Some(parent)) => {
                missing.push(last.to_os_string());
                existing = parent;
            }
            _ => return normalise(&absolute),
        }
    }
}

/// `.` and `..` resolved lexically.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The nearest folder at or above `dir` holding `.git` (a folder, or a file in a worktree or
/// submodule).
fn repository_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|folder| folder.join(".git").exists())
        .map(Path::to_path_buf)
}

/// `path` relative to `root`, with `..` where it lies outside it; both absolute and normal.
fn relative(path: &Path, root: &Path) -> String {
    let path: Vec<Component> = path.components().collect();
    let root: Vec<Component> = root.components().collect();
    let common = path.iter().zip(&root).take_while(|(a, b)| a == b).count();
    let ups = std::iter::repeat_n(Component::ParentDir, root.len() - common);
    slashed(ups.chain(path[common..].iter().copied()))
}

fn slashed<'a>(components: impl Iterator<Item = Component<'a>>) -> String {
    let parts: Vec<String> = components
        .filter(|c| !matches!(c, Component::RootDir | Component::Prefix(_)))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let joined = parts.join("/");
    if joined.is_empty() {
        "/".to_string()
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::event::{Event, GENESIS, NewEvent};

    fn adopt(seq: i64, checklist: &str, from: &str, yes: bool) -> Event {
        Event::seal(
            NewEvent {
                checklist: checklist.into(),
                kind: Kind::Adopt,
                item: None,
                actor: "ana".into(),
                payload: payload(from, yes),
            },
            seq,
            "2026-12-02T00:00:00.000Z".into(),
            GENESIS.into(),
        )
    }

    #[test]
    fn a_name_is_adopted_once_and_only_without_doubt() {
        let k = "ops/launch.md";
        assert_eq!(
            decide("launch.md", "launch.md", &[], true, true),
            Adoption::None
        );
        assert_eq!(decide(k, "launch.md", &[], false, true), Adoption::None);
        let pending = decide(k, "launch.md", &[], true, true);
        assert_eq!(
            pending,
            Adoption::Pending {
                from: "launch.md".into()
            }
        );
        assert!(matches!(
            decide(k, "launch.md", &[], true, false),
            Adoption::Ambiguous { .. }
        ));
        let log = [
            adopt(7, "web/launch.md", "launch.md", true),
            adopt(9, k, "launch.md", true),
        ];
        assert_eq!(
            decide(k, "launch.md", &log, true, true),
            Adoption::Elsewhere {
                from: "launch.md".into(),
                by: Some("web/launch.md".into())
            }
        );
        let recorded = decide("web/launch.md", "launch.md", &log, true, false);
        assert_eq!(
            recorded,
            Adoption::Recorded {
                from: "launch.md".into(),
                seq: 7
            }
        );
        let declined = [adopt(3, k, "launch.md", false)];
        assert_eq!(
            decide(k, "launch.md", &declined, true, true),
            Adoption::Elsewhere {
                from: "launch.md".into(),
                by: None
            }
        );
    }

    #[test]
    fn an_adopted_history_ends_at_the_adoption() {
        let identity = Adoption::Recorded {
            from: "launch.md".into(),
            seq: 5,
        }
        .identity("a/launch.md");
        let event = |seq: i64, checklist: &str| adopt(seq, checklist, "x", true);
        assert!(identity.owns(&event(4, "launch.md")));
        assert!(!identity.owns(&event(6, "launch.md")));
        assert!(identity.owns(&event(6, "a/launch.md")));
        assert!(!identity.owns(&event(1, "b/launch.md")));
    }

    #[test]
    fn keys_are_paths_from_the_repository_or_the_store_folder() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let base = real(dir.path());
        std::fs::create_dir_all(base.join("a/.golive")).expect("mkdir");
        let file = base.join("a/launch.md");
        let beside = Location::beside(&file);
        assert_eq!(checklist_key(&file, &beside), "launch.md");
        let shared = Location::Sqlite(base.join("store/state.db"));
        assert_eq!(checklist_key(&file, &shared), "../a/launch.md");
        std::fs::create_dir_all(base.join(".git")).expect("mkdir");
        assert_eq!(checklist_key(&file, &beside), "a/launch.md");
        assert_eq!(checklist_key(&file, &shared), "a/launch.md");
    }
}
