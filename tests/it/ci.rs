//! The CI recipes in `docs/ci/`, run as far as can be done here: each YAML parses (PyYAML),
//! and the exact command lines of the gate job run with the real binary, as the CI system
//! would run them, against a checklist that is NO-GO and then GO. The pre-push hook runs
//! under a real `git push` to a bare repository.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::Sandbox;

const DOCS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ci");

/// PATH with the built golive first, as an installed one would be.
fn path_with_golive() -> String {
    let binary = assert_cmd::cargo::cargo_bin("golive");
    let dir = binary.parent().unwrap().display().to_string();
    format!("{dir}:{}", std::env::var("PATH").unwrap_or_default())
}

fn yaml(name: &str) -> Value {
    let output = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
        ])
        .arg(Path::new(DOCS).join(name))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{name} does not parse: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A repository with `launch/go-live.md` and its golive.toml: one blocking item ticked, one
/// that a check verifies (`launch/release-notes.md` exists). GO once that file is there.
fn repository(sandbox: &Sandbox) -> PathBuf {
    let launch = sandbox.dir.path().join("launch");
    std::fs::create_dir_all(&launch).unwrap();
    std::fs::write(
        launch.join("go-live.md"),
        "# Launch\n\n## Go/No-Go\n\n- [x] Rollback plan written\n- [ ] Release notes published <!-- id: release-notes -->\n",
    )
    .unwrap();
    std::fs::write(
        launch.join("golive.toml"),
        "[[check]]\nitem = \"release-notes\"\nprobe = \"file\"\npath = \"release-notes.md\"\n",
    )
    .unwrap();
    launch
}

fn bash(dir: &Path, script: &str, env: &[(String, String)], flags: &[&str]) -> Output {
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc"])
        .args(flags)
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path_with_golive())
        .env("NO_COLOR", "1")
        .env_remove("GOLIVE_STORE")
        .env_remove("GITHUB_STEP_SUMMARY");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn env_of(table: &Value) -> Vec<(String, String)> {
    table
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs the workflow's `gate` job as the runner would: each step's `run` with
/// `bash --noprofile --norc -eo pipefail`, steps after a failure skipped unless `if:
/// always()`. Returns (step name, exit code or None if skipped) and whether the job failed.
fn run_github_job(dir: &Path, summary: &Path) -> (Vec<(String, Option<i32>)>, bool) {
    let workflow = yaml("github-actions.yml");
    // PyYAML reads the bare key `on` as YAML 1.1's boolean true.
    assert!(workflow.get("on").or(workflow.get("true")).is_some());
    let job = &workflow["jobs"]["gate"];
    let mut env = env_of(&job["env"]);
    env.push(("GITHUB_STEP_SUMMARY".into(), summary.display().to_string()));
    let mut failed = false;
    let mut steps = Vec::new();
    for step in job["steps"].as_array().unwrap() {
        let Some(run) = step["run"].as_str() else {
            continue;
        };
        let name = step["name"].as_str().unwrap_or_default().to_owned();
        if step["id"] == "install" {
            continue;
        }
        if failed && step["if"] != "always()" {
            steps.push((name, None));
            continue;
        }
        let output = bash(dir, run, &env, &["-eo", "pipefail"]);
        let code = output.status.code().unwrap();
        failed |= code != 0;
        steps.push((name, Some(code)));
    }
    (steps, failed)
}

#[test]
fn github_actions_gate_fails_the_job_on_no_go_and_passes_on_go() {
    let sandbox = Sandbox::new();
    let launch = repository(&sandbox);
    let summary = sandbox.dir.path().join("summary.md");
    let (steps, failed) = run_github_job(sandbox.dir.path(), &summary);
    assert!(failed, "{steps:?}");
    assert_eq!(
        steps,
        vec![
            ("Run the checks".to_owned(), Some(0)),
            ("Gate".to_owned(), Some(1)),
            ("JUnit report".to_owned(), Some(0)),
        ]
    );
    let junit = std::fs::read_to_string(sandbox.dir.path().join("golive-junit.xml")).unwrap();
    assert!(
        junit.contains("<testsuite") && junit.contains("release-notes"),
        "{junit}"
    );
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.contains("NO-GO"), "{text}");

    std::fs::write(launch.join("release-notes.md"), "v1\n").unwrap();
    std::fs::remove_file(&summary).unwrap();
    let (steps, failed) = run_github_job(sandbox.dir.path(), &summary);
    assert!(!failed, "{steps:?}");
    assert!(steps.iter().all(|(_, code)| *code == Some(0)), "{steps:?}");
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.contains("GO") && !text.contains("NO-GO"), "{text}");
}

/// GitLab runs `script` lines in one shell, stopping at the first that fails, then
/// `after_script` in a new shell whatever happened.
fn run_gitlab_job(dir: &Path) -> (i32, i32) {
    let pipeline = yaml("gitlab-ci.yml");
    let job = &pipeline["golive-gate"];
    let env = env_of(&job["variables"]);
    let lines = |key: &str| -> String {
        job[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| line.as_str().unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(job["artifacts"]["reports"]["junit"], "golive-junit.xml");
    assert_eq!(job["artifacts"]["when"], "always");
    let script = bash(dir, &lines("script"), &env, &["-e"]);
    let after = bash(dir, &lines("after_script"), &env, &["-e"]);
    (script.status.code().unwrap(), after.status.code().unwrap())
}

#[test]
fn gitlab_job_fails_on_no_go_and_keeps_the_junit_report() {
    let sandbox = Sandbox::new();
    let launch = repository(&sandbox);
    assert_eq!(run_gitlab_job(sandbox.dir.path()), (1, 0));
    let junit = sandbox.dir.path().join("golive-junit.xml");
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("<testsuite")
    );
    std::fs::remove_file(&junit).unwrap();
    std::fs::write(launch.join("release-notes.md"), "v1\n").unwrap();
    assert_eq!(run_gitlab_job(sandbox.dir.path()), (0, 0));
    assert!(junit.exists());
}

fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(["-c", "user.name=ci", "-c", "user.email=ci@example.test"])
        .args(["-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .env("PATH", path_with_golive())
        .env("NO_COLOR", "1")
        .env_remove("GOLIVE_STORE")
        .output()
        .unwrap()
}

#[test]
fn pre_push_hook_refuses_the_deploy_branch_on_no_go_only() {
    let sandbox = Sandbox::new();
    let root = sandbox.dir.path();
    let remote = root.join("remote.git");
    assert!(
        git(root, &["init", "--bare", "-q", remote.to_str().unwrap()])
            .status
            .success()
    );
    let work = root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let work_sandbox = Sandbox {
        dir: tempfile::tempdir_in(&work).unwrap(),
    };
    let repo = work_sandbox.dir.path();
    let launch = repository(&work_sandbox);
    assert!(git(repo, &["init", "-q"]).status.success());
    std::fs::write(repo.join(".gitignore"), ".golive/\n").unwrap();
    assert!(git(repo, &["add", "."]).status.success());
    assert!(
        git(repo, &["commit", "-qm", "launch checklist"])
            .status
            .success()
    );
    assert!(
        git(repo, &["remote", "add", "origin", remote.to_str().unwrap()])
            .status
            .success()
    );
    let hook = repo.join(".git/hooks/pre-push");
    std::fs::copy(Path::new(DOCS).join("pre-push"), &hook).unwrap();

    let refused = git(
        repo,
        &["push", "-q", "origin", "HEAD:refs/heads/production"],
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("NO-GO for production"), "{stderr}");
    let on_remote = git(
        &remote,
        &["rev-parse", "-q", "--verify", "refs/heads/production"],
    );
    assert!(!on_remote.status.success(), "the refused push landed");

    let feature = git(repo, &["push", "-q", "origin", "HEAD:refs/heads/feature"]);
    assert!(
        feature.status.success(),
        "{}",
        String::from_utf8_lossy(&feature.stderr)
    );

    std::fs::write(launch.join("release-notes.md"), "v1\n").unwrap();
    let accepted = git(
        repo,
        &["push", "-q", "origin", "HEAD:refs/heads/production"],
    );
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    assert!(
        git(
            &remote,
            &["rev-parse", "-q", "--verify", "refs/heads/production"]
        )
        .status
        .success()
    );
}
