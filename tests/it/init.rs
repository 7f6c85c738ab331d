//! `golive init`: every template, in every language, gives a checklist that imports cleanly and
//! a golive.toml that `check --dry-run` accepts as written; nothing is ever overwritten.

use crate::support::{Sandbox, status_json};
use crate::support_newcomer::{golive_unprivileged, read_only_folder};

const TEMPLATES: &[(&str, &str)] = &[
    ("saas", "go-live.md"),
    ("ml", "ml-preprod.md"),
    ("dr", "dr-plan.md"),
    ("iso27001", "iso27001-ops.md"),
    ("maturity", "readiness-review.md"),
];

#[test]
fn list_names_every_template_one_per_line() {
    let output = Sandbox::new()
        .golive()
        .args(["init", "--list"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let names: Vec<&str> = text
        .lines()
        .map(|line| line.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        TEMPLATES.iter().map(|(name, _)| *name).collect::<Vec<_>>()
    );
}

#[test]
fn every_template_in_every_language_checks_dry_run_clean() {
    let sandbox = Sandbox::new();
    for (template, file) in TEMPLATES {
        for lang in ["en", "fr"] {
            let dir = sandbox.dir.path().join(format!("{template}-{lang}"));
            let init = sandbox
                .golive()
                .args(["init", "--template", template, "--lang", lang, "--dir"])
                .arg(&dir)
                .output()
                .unwrap();
            assert!(
                init.status.success(),
                "{template} {lang}: {}",
                String::from_utf8_lossy(&init.stderr)
            );
            let checklist = dir.join(file);
            let dry = sandbox
                .golive()
                .args(["check", "--dry-run"])
                .arg(&checklist)
                .output()
                .unwrap();
            assert!(
                dry.status.success(),
                "{template} {lang}: {}",
                String::from_utf8_lossy(&dry.stderr)
            );
            assert!(
                dry.stderr.is_empty(),
                "{template} {lang}: {}",
                String::from_utf8_lossy(&dry.stderr)
            );
            let lint = sandbox
                .golive()
                .arg("lint")
                .arg(&checklist)
                .output()
                .unwrap();
            assert!(
                lint.status.success(),
                "{template} {lang}: {}",
                String::from_utf8_lossy(&lint.stdout)
            );
            let status = status_json(&checklist);
            assert!(
                status["warnings"].as_array().is_none_or(Vec::is_empty),
                "{template} {lang}: {}",
                status["warnings"]
            );
            assert!(
                status["summary"]["items"].as_u64().unwrap() >= 10,
                "{template} {lang}"
            );
            assert_eq!(
                status["approvals"].as_array().unwrap().len(),
                2,
                "{template} {lang}"
            );
        }
    }
}

#[test]
fn both_languages_share_item_ids() {
    let sandbox = Sandbox::new();
    for (template, file) in TEMPLATES {
        let ids = |lang: &str| {
            let dir = sandbox.dir.path().join(format!("{template}-{lang}"));
            sandbox
                .golive()
                .args(["init", "-t", template, "--lang", lang, "--dir"])
                .arg(&dir)
                .assert()
                .success();
            let status = status_json(&dir.join(file));
            status["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids("en"), ids("fr"), "{template}");
    }
}

#[test]
fn init_never_overwrites_a_file() {
    let sandbox = Sandbox::new();
    sandbox.write("golive.toml", "# mine\n");
    let output = sandbox.golive().arg("init").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("golive.toml") && stderr.contains("never overwrites"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(sandbox.dir.path().join("golive.toml")).unwrap(),
        "# mine\n"
    );
    assert!(
        !sandbox.dir.path().join("go-live.md").exists(),
        "half a template was written"
    );
    // A second init over a first one is refused too, and the first one's files stay.
    let other = sandbox.dir.path().join("other");
    sandbox
        .golive()
        .args(["init", "--dir"])
        .arg(&other)
        .assert()
        .success();
    let before = std::fs::read(other.join("go-live.md")).unwrap();
    sandbox
        .golive()
        .args(["init", "--lang", "fr", "--dir"])
        .arg(&other)
        .assert()
        .code(2);
    assert_eq!(std::fs::read(other.join("go-live.md")).unwrap(), before);
}

#[test]
fn init_into_a_read_only_folder_says_so_and_writes_nothing() {
    let sandbox = Sandbox::new();
    let locked = sandbox.dir.path().join("locked");
    read_only_folder(sandbox.dir.path(), &locked);
    let output = golive_unprivileged()
        .arg("init")
        .current_dir(&locked)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot create") && stderr.contains("writable"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(&locked).unwrap().count(), 0);
    let unknown = sandbox
        .golive()
        .args(["init", "-t", "bank"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}
