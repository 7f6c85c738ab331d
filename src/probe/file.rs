//! `file`: existence, permissions, size, age and owner of a file, or of the newest file
//! matching a glob (`newest = "/var/backups/*.dump"`: is the latest backup fresh?).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::Outcome;
use super::keys::{KeyDoc, KeyKind, ProbeDoc};
use crate::checklist::toml::Fields;
use crate::diagnostic::Diagnostic;
use crate::expr::Value;

pub const DOC: ProbeDoc = ProbeDoc {
    name: "file",
    summary: "a file's existence, mode, size, age and owner; or the newest file matching a glob",
    keys: &[
        KeyDoc {
            name: "path",
            kind: KeyKind::String,
            required: false,
            doc: "the file (give `path` or `newest`)",
        },
        KeyDoc {
            name: "newest",
            kind: KeyKind::String,
            required: false,
            doc: "a glob; the most recently modified match is examined",
        },
    ],
    metrics: &[
        ("exists", "whether the file (or any glob match) exists"),
        ("mode", "permission bits, compared as `mode == 0o600`"),
        ("size", "size in bytes, compared as `size > 1MB`"),
        (
            "age",
            "time since last modification, compared as `age < 1h`",
        ),
        ("owner", "owning user's name (or uid when it has none)"),
        ("path", "the file examined (useful with `newest`)"),
    ],
    default_expect: &["exists == true"],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSpec {
    Path(String),
    Newest(String),
}

impl FileSpec {
    pub fn from_fields(fields: &mut Fields) -> Result<Self, Vec<Diagnostic>> {
        let path = fields.string("path").map_err(|d| vec![d])?;
        let newest = fields.string("newest").map_err(|d| vec![d])?;
        match (path, newest) {
            (Some(path), None) => Ok(FileSpec::Path(path.value)),
            (None, Some(newest)) => match glob::Pattern::new(&newest.value) {
                Ok(_) => Ok(FileSpec::Newest(newest.value)),
                Err(error) => Err(vec![
                    Diagnostic::new(newest.span, format!("invalid glob: {}", error.msg))
                        .with_hint("use `*`, `?` and `[...]`, e.g. \"/var/backups/*.dump\""),
                ]),
            },
            (Some(path), Some(_)) => Err(vec![Diagnostic::new(
                path.span,
                "give `path` or `newest`, not both",
            )]),
            (None, None) => Err(vec![
                Diagnostic::new(fields.span.clone(), "missing key `path` or `newest`").with_hint(
                    "add `path = \"/etc/app/.env\"` or `newest = \"/var/backups/*.dump\"`",
                ),
            ]),
        }
    }

    pub(super) fn anchor(&mut self, base: &Path) {
        let (FileSpec::Path(path) | FileSpec::Newest(path)) = self;
        if Path::new(path.as_str()).is_relative() {
            // A glob is anchored the same way: its directory part is a path.
            *path = format!(
                "{}/{path}",
                glob::Pattern::escape(&base.display().to_string())
            );
        }
    }

    pub fn target(&self) -> String {
        match self {
            FileSpec::Path(path) => path.clone(),
            FileSpec::Newest(glob) => format!("newest of {glob}"),
        }
    }

    pub async fn run(&self) -> Outcome {
        let spec = self.clone();
        // Stat calls and glob walks block; keep them off the async workers.
        tokio::task::spawn_blocking(move || spec.examine())
            .await
            .unwrap_or_else(|error| Outcome::with_problem(format!("file probe failed: {error}")))
    }

    fn examine(&self) -> Outcome {
        let path = match self {
            FileSpec::Path(path) => PathBuf::from(path),
            FileSpec::Newest(pattern) => match newest(pattern) {
                Some(path) => path,
                None => {
                    let mut outcome = Outcome::with_problem(format!("no file matches `{pattern}`"));
                    outcome.observe("exists", Value::Bool(false));
                    return outcome;
                }
            },
        };
        let metadata = match std::fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(error) => {
                let mut outcome = Outcome::with_problem(format!("`{}`: {error}", path.display()));
                outcome.observe("exists", Value::Bool(false));
                return outcome;
            }
        };
        let mut outcome = Outcome::default();
        outcome.observe("exists", Value::Bool(true));
        outcome.observe("path", Value::Text(path.display().to_string()));
        outcome.observe("mode", Value::Mode(metadata.permissions().mode() & 0o7777));
        outcome.observe("size", Value::Bytes(metadata.len()));
        if let Ok(modified) = metadata.modified() {
            let age = SystemTime::now()
                .duration_since(modified)
                .unwrap_or_default();
            outcome.observe("age", Value::Duration(age));
        }
        let owner = nix::unistd::User::from_uid(metadata.uid().into())
            .ok()
            .flatten()
            .map_or_else(|| metadata.uid().to_string(), |user| user.name);
        outcome.observe("owner", Value::Text(owner));
        outcome
    }
}

/// The most recently modified file matching `pattern`.
fn newest(pattern: &str) -> Option<PathBuf> {
    glob::glob(pattern)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|path| {
            let metadata = std::fs::metadata(&path).ok()?;
            let modified = metadata.modified().ok()?;
            metadata.is_file().then_some((modified, path))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, path)| path)
}
