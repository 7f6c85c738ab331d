//! Helpers for the newcomer tests (issue 14): read-only folders that stay read-only when the
//! tests run as root, who ignores permission bits.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// `golive` run as an ordinary user: as `nobody` when the tests run as root, so a folder of
/// mode 0555 really is read-only for it.
pub(crate) fn golive_unprivileged() -> Command {
    let binary = assert_cmd::cargo::cargo_bin("golive");
    let mut command = if nix::unistd::Uid::effective().is_root() {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(binary);
        command
    } else {
        Command::new(binary)
    };
    command.env("NO_COLOR", "1").env_remove("GOLIVE_STORE");
    command
}

/// Makes `dir` (made by the tests) enterable by that user, and `locked` inside it read-only.
pub(crate) fn read_only_folder(dir: &Path, locked: &Path) {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(locked).unwrap();
    std::fs::set_permissions(locked, std::fs::Permissions::from_mode(0o555)).unwrap();
}

/// A folder anyone may write into (a TMPDIR for the unprivileged user).
pub(crate) fn open_folder(path: &Path) {
    std::fs::create_dir_all(path).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).unwrap();
}
