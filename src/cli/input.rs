//! Reading a checklist file, with errors that say what to do.

use std::io::ErrorKind;
use std::path::Path;

use anyhow::{Context, bail};

use crate::checklist::{self, Checklist, DecodeError};

/// A checklist file as read from disk: its bytes (for in-place edits) and what they mean.
pub(super) struct Loaded {
    pub(super) bytes: Vec<u8>,
    pub(super) checklist: Checklist,
}

pub(super) fn load(path: &Path) -> anyhow::Result<Loaded> {
    let shown = path.display();
    if path.is_dir() {
        bail!("`{shown}` is a directory; give the checklist's Markdown file inside it");
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            let what_to_do = match error.kind() {
                ErrorKind::NotFound => "no such file; check the path",
                ErrorKind::PermissionDenied => "permission denied; check the file's permissions",
                _ => "cannot be read",
            };
            return Err(error).context(format!("`{shown}`: {what_to_do}"));
        }
    };
    let checklist = checklist::import(&bytes).map_err(|error| {
        let hint = match error {
            DecodeError::Empty => "; a checklist needs at least one `- [ ] item`",
            DecodeError::Binary => "; give the checklist's Markdown file",
            DecodeError::Utf16 => "",
        };
        anyhow::anyhow!("`{shown}`: {error}{hint}")
    })?;
    Ok(Loaded { bytes, checklist })
}

/// Replaces `path` with `bytes` atomically: a reader sees the old file or the new one, never
/// half of each, and a crash leaves the old file in place. Permissions are kept.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let shown = path.display();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let permissions = std::fs::metadata(path)
        .with_context(|| format!("`{shown}`: cannot read its metadata"))?
        .permissions();
    let mut temp = tempfile::Builder::new()
        .prefix(".golive-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in `{}`", dir.display()))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("cannot write a temporary file in `{}`", dir.display()))?;
    temp.as_file()
        .set_permissions(permissions)
        .with_context(|| format!("cannot set permissions on the new `{shown}`"))?;
    temp.persist(path)
        .with_context(|| format!("cannot replace `{shown}`"))?;
    Ok(())
}
