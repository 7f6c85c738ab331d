use std::process::Command;

// `sqlx::migrate!` embeds src/store/migrations at compile time but cannot tell cargo to
// rebuild when a new migration file appears there; this does.
//
// `golive --version` names the commit it was built from, so a bug report or a CI log says
// exactly which code ran. Outside a git checkout (a crate tarball) it says so instead.
fn main() {
    println!("cargo:rerun-if-changed=src/store/migrations");
    println!("cargo:rerun-if-env-changed=GOLIVE_COMMIT");
    let commit = std::env::var("GOLIVE_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "commit unknown".to_owned());
    println!("cargo:rustc-env=GOLIVE_COMMIT={commit}");
    // Rebuild when HEAD moves: HEAD itself (a checkout) and the branch it points at (a commit).
    for path in ["HEAD", "packed-refs"] {
        if let Some(file) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={file}");
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(file) = git(&["rev-parse", "--git-path", &branch])
    {
        println!("cargo:rerun-if-changed={file}");
    }
}

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_owned())
}
