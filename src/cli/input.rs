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

/// How long a command waits for another one editing the same checklist. Edits hold the
/// lock for milliseconds (read, flip a byte, rename, append an event); reaching this means
/// a process is stuck.
const FILE_LOCK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// An exclusive advisory lock on a checklist file, held while a command reads it, edits it
/// and records the edit: two `tick`s on one file take turns instead of each writing its own
/// copy of the file read before the other's rename (which lost all ticks but one).
///
/// The lock is on the file itself (no lock file beside it, so nothing is left behind and a
/// read-only folder needs nothing written). Replacing the file by rename gives the path a
/// new inode, so a waiter that wakes up holding the old one's lock retries on the new one.
/// Released when dropped, and by the kernel when the process dies: a killed tick never
/// leaves it held.
pub(super) struct FileLock {
    _lock: nix::fcntl::Flock<std::fs::File>,
}

pub(super) fn lock(path: &Path) -> anyhow::Result<FileLock> {
    use nix::fcntl::{Flock, FlockArg};
    use std::os::unix::fs::MetadataExt;
    let shown = path.display();
    let deadline = std::time::Instant::now() + FILE_LOCK_TIMEOUT;
    loop {
        // `load` gives the messages for a missing or unreadable file; here, only the lock.
        let Ok(file) = std::fs::File::open(path) else {
            return load(path).and_then(|_| bail!("`{shown}`: cannot be opened to lock it"));
        };
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => {
                let same = match (locked.metadata(), std::fs::metadata(path)) {
                    (Ok(held), Ok(now)) => held.dev() == now.dev() && held.ino() == now.ino(),
                    _ => false,
                };
                if same {
                    return Ok(FileLock { _lock: locked });
                }
                // Replaced while we waited: lock the file now at the path.
            }
            Err((_, nix::errno::Errno::EWOULDBLOCK)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err((_, nix::errno::Errno::EWOULDBLOCK)) => bail!(
                "`{shown}` is being edited by another golive process (waited {}s); check for a \
                 stuck golive and try again",
                FILE_LOCK_TIMEOUT.as_secs()
            ),
            Err((_, errno)) => bail!("`{shown}`: cannot be locked for editing: {errno}"),
        }
    }
}

/// [`write_atomically`], unless the file no longer holds `read`: someone (an editor, a
/// script not taking golive's lock) changed it since, and writing would destroy that edit.
/// Checked just before the rename, under [`lock`]; the window left is the rename itself.
pub(super) fn replace_if_unchanged(path: &Path, read: &[u8], bytes: &[u8]) -> anyhow::Result<()> {
    write_atomically_checked(path, bytes, Some(read))
}

/// Replaces `path` with `bytes` atomically: a reader sees the old file or the new one, never
/// half of each, and a crash leaves the old file in place. Permissions are kept.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomically_checked(path, bytes, None)
}

/// The temporary file is removed on every error (dropped unpersisted); a process killed
/// mid-way leaves at most a `.golive-*` file beside the checklist, never half a checklist.
fn write_atomically_checked(
    path: &Path,
    bytes: &[u8],
    unchanged: Option<&[u8]>,
) -> anyhow::Result<()> {
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
        .map_err(|error| {
            let why = if error.kind() == ErrorKind::PermissionDenied {
                "permission denied: golive replaces the file by writing its new version beside \
                 it, so the folder must be writable by this user"
            } else {
                "cannot create a temporary file there"
            };
            anyhow::anyhow!(
                "`{shown}`: not changed: {why} (`{}`: {error})",
                dir.display()
            )
        })?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("cannot write a temporary file in `{}`", dir.display()))?;
    temp.as_file()
        .set_permissions(permissions)
        .with_context(|| format!("cannot set permissions on the new `{shown}`"))?;
    if let Some(read) = unchanged
        && std::fs::read(path).ok().as_deref() != Some(read)
    {
        bail!(
            "`{shown}` changed while golive was editing it (another program wrote it); \
             nothing was written; run the command again"
        );
    }
    temp.persist(path)
        .with_context(|| format!("cannot replace `{shown}`"))?;
    Ok(())
}
