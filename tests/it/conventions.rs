//! What a newcomer expects of any command-line tool: completions for their shell, a man page,
//! `--version` naming the commit.

use std::process::Command;

use crate::support::Sandbox;

#[test]
fn completions_for_every_shell_know_every_command() {
    let sandbox = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = sandbox
            .golive()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        for command in ["demo", "check", "gate", "completions", "man"] {
            assert!(
                script.contains(command),
                "{shell} completion lacks {command}"
            );
        }
    }
    let unknown = sandbox
        .golive()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn the_bash_completion_loads_and_completes_a_command() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .golive()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let script = sandbox.write("golive.bash", &output.stdout);
    let completed = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(golive ga); COMP_CWORD=1; _golive golive ga golive; echo \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .unwrap();
    let words = String::from_utf8_lossy(&completed.stdout);
    assert!(
        words.split_whitespace().any(|w| w == "gate"),
        "{words} {}",
        String::from_utf8_lossy(&completed.stderr)
    );
}

#[test]
fn the_man_page_covers_every_command() {
    let sandbox = Sandbox::new();
    let output = sandbox.golive().arg("man").output().unwrap();
    assert!(output.status.success());
    let page = String::from_utf8(output.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.starts_with(".TH"),
        "{}",
        &page[..80]
    );
    assert!(page.contains(".TH golive 1"));
    let dir = sandbox.dir.path().join("man1");
    let written = sandbox
        .golive()
        .args(["man", "--out-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(written.status.success());
    for page in [
        "golive.1",
        "golive-check.1",
        "golive-demo.1",
        "golive-audit-verify.1",
    ] {
        assert!(dir.join(page).exists(), "{page} missing");
    }
}

#[test]
fn version_names_the_commit() {
    let output = Sandbox::new().golive().arg("--version").output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let re =
        regex::Regex::new(r"^golive \d+\.\d+\.\d+ \(([0-9a-f]{12}|commit unknown)\)\n$").unwrap();
    assert!(re.is_match(&text), "{text}");
}
