//! `golive suggest` measured on the five seeds against hand labels
//! (`fixtures/suggest/labels.txt`, which states the rule used), its stanzas validated by
//! `golive check --dry-run`, and `--write` appending without touching what is there.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{Sandbox, seed};

const LABELS: &str = include_str!("fixtures/suggest/labels.txt");

/// Seed file name → (item id → the probes that would verify it).
fn labels() -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let mut files: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut current = None;
    for line in LABELS.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(file) = line.strip_prefix("== ") {
            current = Some(file.to_owned());
            files.entry(file.to_owned()).or_default();
            continue;
        }
        let (item, probes) = line.split_once(' ').expect("`item probe[|probe]`");
        let file = current.clone().expect("a `== FILE` line first");
        let previous = files.entry(file).or_default().insert(
            item.to_owned(),
            probes.split('|').map(str::to_owned).collect(),
        );
        assert!(previous.is_none(), "{item} labelled twice");
    }
    files
}

fn suggest_json(sandbox: &Sandbox, path: &std::path::Path) -> Value {
    let output = sandbox
        .golive()
        .arg("suggest")
        .arg(path)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

struct Row {
    items: usize,
    verifiable: usize,
    suggested: usize,
    correct: usize,
}

#[test]
fn precision_and_recall_on_the_seeds() {
    let sandbox = Sandbox::new();
    let labels = labels();
    assert_eq!(
        labels.keys().filter(|f| !f.starts_with("corpus/")).count(),
        5,
        "five seeds labelled"
    );
    let mut rows = Vec::new();
    for number in 0..5 {
        let path = seed(number);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let expected = &labels[&name];
        let document = suggest_json(&sandbox, &path);
        let ids: Vec<String> = crate::support::status_json(&path)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_str().unwrap().to_owned())
            .collect();
        for id in expected.keys() {
            assert!(ids.contains(id), "{name}: labelled `{id}` is no item");
        }
        let suggestions = document["suggestions"].as_array().unwrap();
        let mut correct = 0;
        let mut wrong = Vec::new();
        for suggestion in suggestions {
            let item = suggestion["item"].as_str().unwrap();
            let probe = suggestion["probe"].as_str().unwrap();
            match expected.get(item) {
                Some(probes) if probes.iter().any(|p| p == probe) => correct += 1,
                _ => wrong.push(format!("{item} → {probe}")),
            }
        }
        let row = Row {
            items: ids.len(),
            verifiable: expected.len(),
            suggested: suggestions.len(),
            correct,
        };
        let precision = row.correct as f64 / row.suggested.max(1) as f64;
        let recall = row.correct as f64 / row.verifiable.max(1) as f64;
        eprintln!(
            "{name}: items {} verifiable {} suggested {} correct {} precision {:.1}% recall {:.1}%",
            row.items,
            row.verifiable,
            row.suggested,
            row.correct,
            precision * 100.0,
            recall * 100.0
        );
        if !wrong.is_empty() {
            eprintln!("  wrong: {}", wrong.join(", "));
        }
        assert!(
            precision >= 0.95,
            "{name}: precision {precision:.3}: {wrong:?}"
        );
        assert!(recall >= 0.60, "{name}: recall {recall:.3}");
        rows.push(row);
    }
    let total = |f: fn(&Row) -> usize| rows.iter().map(f).sum::<usize>();
    eprintln!(
        "all: items {} verifiable {} suggested {} correct {}",
        total(|r| r.items),
        total(|r| r.verifiable),
        total(|r| r.suggested),
        total(|r| r.correct)
    );
}

/// The five held-out corpus files: measured and printed, with floors at about the level they
/// reach (precision 62 %, recall 38 % when labelled) so that a rule change that makes
/// suggestions carry over worse to unseen checklists fails here.
#[test]
fn held_out_corpus_files_keep_their_floor() {
    let sandbox = Sandbox::new();
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let (mut verifiable, mut suggested, mut correct) = (0, 0, 0);
    for (file, expected) in labels().iter().filter(|(f, _)| f.starts_with("corpus/")) {
        let path = std::path::Path::new(corpus).join(file.trim_start_matches("corpus/"));
        let document = suggest_json(&sandbox, &path);
        let suggestions = document["suggestions"].as_array().unwrap();
        let right = suggestions
            .iter()
            .filter(|s| {
                expected
                    .get(s["item"].as_str().unwrap())
                    .is_some_and(|probes| probes.iter().any(|p| p == s["probe"].as_str().unwrap()))
            })
            .count();
        eprintln!(
            "{file}: items {} verifiable {} suggested {} correct {right}",
            document["items"],
            expected.len(),
            suggestions.len()
        );
        verifiable += expected.len();
        suggested += suggestions.len();
        correct += right;
    }
    let precision = correct as f64 / suggested.max(1) as f64;
    let recall = correct as f64 / verifiable.max(1) as f64;
    eprintln!(
        "held out: verifiable {verifiable} suggested {suggested} correct {correct} precision {:.1}% recall {:.1}%",
        precision * 100.0,
        recall * 100.0
    );
    assert!(
        verifiable > 15 && precision >= 0.55 && recall >= 0.33,
        "{precision:.3} {recall:.3}"
    );
}

/// Every stanza suggested for every seed is a check golive accepts as written.
#[test]
fn written_suggestions_pass_dry_run_on_every_seed() {
    for number in 0..5 {
        let sandbox = Sandbox::new();
        let checklist = sandbox.copy(&seed(number), "checklist.md");
        let write = sandbox
            .golive()
            .args(["suggest", "checklist.md", "--write"])
            .output()
            .unwrap();
        assert!(
            write.status.success(),
            "seed {number}: {}",
            String::from_utf8_lossy(&write.stderr)
        );
        let dry = sandbox
            .golive()
            .args(["check", "--dry-run"])
            .arg(&checklist)
            .output()
            .unwrap();
        assert!(
            dry.status.success(),
            "seed {number}: {}\n{}",
            String::from_utf8_lossy(&dry.stderr),
            std::fs::read_to_string(sandbox.dir.path().join("golive.toml")).unwrap()
        );
    }
}

#[test]
fn write_appends_and_never_touches_existing_checks() {
    let sandbox = Sandbox::new();
    sandbox.copy(&seed(3), "ops.md");
    // Odd spacing and a comment: kept byte for byte. One item by id, others by a title glob.
    let existing = "# ours\n[[check]]\nitem   = \"verification-des-certificats-ssl\"\nprobe = \"tls\"\nhost = \"ours.example.test:443\"\n\n[[check]]\nitem = \"title:Tests unitaires*\"\nprobe = \"command\"\nrun = \"cargo test\"";
    let config = sandbox.write("golive.toml", existing);
    let before = suggest_json(&sandbox, &sandbox.dir.path().join("ops.md"));
    let all = before["suggestions"].as_array().unwrap().len();
    let output = sandbox
        .golive()
        .args(["suggest", "ops.md", "--write", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["already_checked"],
        serde_json::json!(["tests-unitaires-passes", "verification-des-certificats-ssl"])
    );
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(written.starts_with(existing), "{written}");
    assert_eq!(
        written.matches("[[check]]").count(),
        all,
        "2 of ours and the {all} suggested minus the 2 we have"
    );
    assert_eq!(
        written
            .matches("item = \"verification-des-certificats-ssl\"")
            .count(),
        0
    );
    // A second run finds every item checked and leaves the file alone.
    let again = sandbox
        .golive()
        .args(["suggest", "ops.md", "--write"])
        .output()
        .unwrap();
    assert!(again.status.success());
    assert_eq!(std::fs::read_to_string(&config).unwrap(), written);
    // A file that does not parse is refused, not appended to.
    let broken = "[[check]\nitem = 1\n";
    std::fs::write(&config, broken).unwrap();
    let refused = sandbox
        .golive()
        .args(["suggest", "ops.md", "--write"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("golive.toml"));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), broken);
}

#[test]
fn suggest_output_on_seed_3() {
    let sandbox = Sandbox::new();
    sandbox.copy(&seed(3), "ops.md");
    let output = sandbox
        .golive()
        .args(["suggest", "ops.md"])
        .output()
        .unwrap();
    assert!(output.status.success());
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}
