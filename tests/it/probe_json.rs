//! The `command` probe with `format = "json"`: audit tools' reports (samples in
//! `fixtures/audit/`, see its README for where each shape comes from) become `json.PATH`
//! metrics that conditions read, counts and `[*]` included.

use std::path::PathBuf;
use std::time::Duration;

use golive::probe::Outcome;
use golive::probe::command::CommandSpec;

use crate::support::{assert_all_hold, assert_fails, check_fields, verdict};

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures/audit")
        .join(name)
}

async fn run_json(run: &str) -> Outcome {
    let snippet = format!("run = '''{run}'''\nformat = \"json\"");
    CommandSpec::from_fields(&mut check_fields(&snippet))
        .expect("valid command check")
        .run(Duration::from_secs(10))
        .await
}

/// `cat` of a report, then `exit 1` as the audit tools do when they find something: the
/// document is read whatever the exit code.
async fn report(name: &str) -> Outcome {
    let outcome = run_json(&format!("cat '{}'; exit 1", sample(name).display())).await;
    assert_eq!(outcome.problem, None, "{outcome:?}");
    outcome
}

#[tokio::test]
async fn npm_audit_counts_by_severity() {
    let outcome = report("npm-audit.json").await;
    assert_all_hold(
        &outcome,
        &[
            "exit_code == 1",
            "json.metadata.vulnerabilities.critical == 1",
            "json.metadata.vulnerabilities.high <= 1",
            "json.metadata.vulnerabilities.total == 2",
            "json.vulnerabilities.minimist.severity == \"critical\"",
            "json.vulnerabilities.lodash.via[0].cvss.score == 7.2",
            "json.vulnerabilities.lodash.via.count == 1",
        ],
    );
    assert_fails(&outcome, "json.metadata.vulnerabilities.critical == 0");
    assert_eq!(
        verdict(&outcome, "json.metadata.vulnerabilities.critical == 0").message(),
        Some("json.metadata.vulnerabilities.critical 1 != 0")
    );
}

#[tokio::test]
async fn cargo_audit_reads_its_own_count_and_lists() {
    let outcome = report("cargo-audit.json").await;
    assert_all_hold(
        &outcome,
        &[
            // An object's own `count` key is read as written…
            "json.vulnerabilities.count == 1",
            "json.vulnerabilities.found == true",
            // …and `count` on a list is its length.
            "json.vulnerabilities.list.count == 1",
            "json.vulnerabilities.list[0].advisory.id == \"RUSTSEC-2020-0071\"",
            "json.warnings.unmaintained.count == 1",
            "json.lockfile[\"dependency-count\"] > 100",
        ],
    );
    assert_fails(&outcome, "json.vulnerabilities.count == 0");
}

#[tokio::test]
async fn pip_audit_vulnerabilities_are_counted_across_dependencies() {
    let outcome = report("pip-audit.json").await;
    assert_all_hold(
        &outcome,
        &[
            "json.dependencies.count == 4",
            "json.dependencies[*].vulns.count == 3",
            "json.dependencies[*].name contains \"flask\"",
            "json.dependencies[1].vulns.count == 0",
            "json.fixes.count == 0",
        ],
    );
    assert_fails(&outcome, "json.dependencies[*].vulns.count == 0");
    // A misspelt key is not an empty list: the condition fails and says why.
    let typo = verdict(&outcome, "json.dependencies[*].vuln.count == 0");
    assert!(
        typo.message()
            .is_some_and(|m| m.contains("not observed") && m.contains("no key `vuln`")),
        "{typo:?}"
    );
}

#[tokio::test]
async fn osv_scanner_vulnerabilities_are_counted_across_sources_and_packages() {
    let outcome = report("osv-scanner.json").await;
    assert_all_hold(
        &outcome,
        &[
            "json.results.count == 2",
            "json.results[*].packages.count == 2",
            "json.results[*].packages[*].vulnerabilities.count == 3",
            "json.results[*].packages.vulnerabilities.count == 3",
            "json.results[*].packages[*].groups[*].max_severity contains \"9.8\"",
            "json.results[0].packages[0].vulnerabilities[1].id == \"GHSA-29mw-wpgm-hmr9\"",
        ],
    );
}

#[tokio::test]
async fn output_over_64_kib_is_still_parsed_whole() {
    // About 190 KB of JSON from a real program: far beyond what `stdout` keeps.
    let outcome = run_json("printf '{\"ids\": ['; seq -s, 1 30000; printf ']}'").await;
    assert_eq!(outcome.problem, None);
    assert_all_hold(
        &outcome,
        &["json.ids.count == 30000", "json.ids[29999] == 30000"],
    );
}

#[tokio::test]
async fn output_that_is_not_json_is_a_problem_not_a_pass() {
    let outcome = run_json("echo 'Scanning 3 packages...'; echo '{\"critical\": 0}'").await;
    let problem = outcome.problem.clone().unwrap_or_default();
    assert!(
        problem.starts_with("standard output is not JSON"),
        "{problem}"
    );
    assert_fails(&outcome, "json.critical == 0");
    assert_all_hold(
        &outcome,
        &["exit_code == 0", "stdout contains \"Scanning\""],
    );

    let empty = run_json("true").await;
    assert!(
        empty
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("standard output is empty")),
        "{empty:?}"
    );
}

#[test]
fn an_unknown_format_is_refused() {
    let errors = CommandSpec::from_fields(&mut check_fields("run = \"true\"\nformat = \"yaml\""))
        .expect_err("unknown format");
    assert!(
        errors[0].message.contains("unknown format `yaml`"),
        "{errors:?}"
    );
}

/// `examples/ml/` validates as written: per-column and per-group metrics such as
/// `drift.age.psi` are known names (`drift.COLUMN.psi` in the probe's list), and a misspelt
/// metric under them is still refused.
#[test]
fn the_ml_example_validates_with_per_column_metrics() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ml");
    let sandbox = crate::support::Sandbox::new();
    let output = sandbox
        .golive()
        .args(["check", &format!("{example}/go-live.md"), "--dry-run"])
        .env("MODEL_URL", "http://127.0.0.1:9/")
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let toml = std::fs::read_to_string(format!("{example}/golive.toml")).expect("read");
    let broken = toml.replace("drift.age.psi", "drift.age.psy");
    sandbox.write(
        "go-live.md",
        std::fs::read(format!("{example}/go-live.md")).expect("read"),
    );
    sandbox.write("golive.toml", broken);
    let output = sandbox
        .golive()
        .args(["check", "go-live.md", "--dry-run"])
        .env("MODEL_URL", "http://127.0.0.1:9/")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no metric `drift.age.psy`"));
}
