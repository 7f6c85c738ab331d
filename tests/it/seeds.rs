//! The five real checklists in `../shared/seeds/`, read as they are.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{Sandbox, seed, status_json};

/// Lines holding a `[ ]`/`[x]` box outside fenced code blocks, found independently of the
/// importer so that the two can be compared.
fn box_lines(text: &str) -> BTreeSet<usize> {
    let mut in_fence = false;
    let mut lines = BTreeSet::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if !in_fence && (line.contains("[ ]") || line.contains("[x]") || line.contains("[X]")) {
            lines.insert(index + 1);
        }
    }
    lines
}

fn lines_of(values: &Value) -> BTreeSet<usize> {
    values
        .as_array()
        .expect("an array")
        .iter()
        .map(|value| value["line"].as_u64().expect("a line number") as usize)
        .collect()
}

struct Expected {
    seed: usize,
    items: u64,
    blocking: u64,
    approvals: usize,
    post: usize,
    conditional: usize,
}

const EXPECTED: [Expected; 5] = [
    Expected {
        seed: 0,
        // Plus five rollback triggers ("Déclencher un rollback si :"), counted apart.
        items: 94,
        blocking: 8,
        approvals: 4,
        post: 5,
        // "Communication Externe (si applicable)" carries its marker to its four items.
        conditional: 8,
    },
    Expected {
        seed: 1,
        items: 153,
        blocking: 0,
        // "Go-Live Date" and "Review 30-Days" in the Signoff section are not roles.
        approvals: 7,
        post: 5,
        // "Test Incrémental (optionnel)" carries its marker to its three items.
        conditional: 8,
    },
    Expected {
        seed: 2,
        items: 144,
        blocking: 3,
        approvals: 8,
        post: 22,
        conditional: 15,
    },
    Expected {
        seed: 3,
        items: 47,
        blocking: 0,
        approvals: 0,
        post: 0,
        conditional: 0,
    },
    Expected {
        seed: 4,
        items: 136,
        blocking: 7,
        approvals: 6,
        post: 18,
        conditional: 6,
    },
];

#[test]
fn every_seed_reads_with_expected_counts() {
    for expected in &EXPECTED {
        let status = status_json(&seed(expected.seed));
        let summary = &status["summary"];
        let items = status["items"].as_array().expect("items");
        let count = |key: &str, value: &str| items.iter().filter(|i| i[key] == value).count();
        let conditional = items.iter().filter(|i| i["conditional"] == true).count();
        let context = format!("seed {}", expected.seed);
        assert_eq!(summary["items"], expected.items, "{context}");
        assert_eq!(summary["done"], 0, "{context}");
        assert_eq!(summary["open"], expected.items, "{context}");
        assert_eq!(summary["blocking_open"], expected.blocking, "{context}");
        assert_eq!(
            status["approvals"].as_array().map(Vec::len),
            Some(expected.approvals),
            "{context}"
        );
        assert_eq!(count("phase", "post"), expected.post, "{context}");
        assert_eq!(conditional, expected.conditional, "{context}");
    }
}

/// "Every `- [ ]` line and every table row with a `[ ]` cell becomes an item or an approval,
/// none is lost": each box line is an item, an approval, or (seed 000's inline
/// `[ ] GO / [ ] NO-GO`) a warning that says it was not read.
#[test]
fn no_box_is_lost() {
    for number in 0..5 {
        let path = seed(number);
        let text = String::from_utf8(std::fs::read(&path).expect("read seed")).expect("UTF-8 seed");
        let status = status_json(&path);
        let item_lines = lines_of(&status["items"]);
        let mut read = item_lines.clone();
        read.extend(lines_of(&status["approvals"]));
        let warned: BTreeSet<usize> = status["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .filter(|w| w["kind"] == "unreadable")
            .map(|w| w["line"].as_u64().expect("line") as usize)
            .collect();
        let boxes = box_lines(&text);
        let unaccounted: Vec<usize> = boxes
            .iter()
            .filter(|line| !read.contains(line) && !warned.contains(line))
            .copied()
            .collect();
        assert!(
            unaccounted.is_empty(),
            "seed {number}: box lines not read: {unaccounted:?}"
        );
        // Items without a box exist only for gate-style criteria, which the seeds lack.
        // (Sign-off rows without a box, as in seed 000, are rightly approvals.)
        let invented: Vec<&usize> = item_lines
            .iter()
            .filter(|line| !boxes.contains(line))
            .collect();
        assert!(
            invented.is_empty(),
            "seed {number}: items on lines without a box: {invented:?}"
        );
    }
}

const MOJIBAKE: [&str; 6] = ["√©", "‚úÖ", "âœ…", "√", "Ã©", "üìã"];

#[test]
fn no_title_keeps_mojibake() {
    for number in 0..5 {
        let status = status_json(&seed(number));
        let mut texts: Vec<String> = Vec::new();
        texts.extend(status["title"].as_str().map(String::from));
        for item in status["items"].as_array().expect("items") {
            texts.extend(item["title"].as_str().map(String::from));
            texts.extend(item["detail"].as_str().map(String::from));
            texts.extend(
                item["section"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str().map(String::from)),
            );
        }
        for approval in status["approvals"].as_array().expect("approvals") {
            texts.extend(approval["role"].as_str().map(String::from));
        }
        for text in texts {
            for marker in MOJIBAKE {
                assert!(
                    !text.contains(marker),
                    "seed {number}: `{text}` keeps mojibake `{marker}`"
                );
            }
        }
    }
}

#[test]
fn repairs_are_reported_and_read_correctly() {
    let pra = status_json(&seed(1));
    assert_eq!(
        pra["title"],
        "✅ CHECKLIST D'IMPLÉMENTATION - PRA Production"
    );
    let repairs = pra["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w["kind"] == "encoding")
        .count();
    assert!(repairs > 100, "seed 001 repairs: {repairs}");
    let first = &pra["warnings"][0];
    assert_eq!(first["line"], 1);
    assert!(
        first["message"]
            .as_str()
            .is_some_and(|m| m.contains("Mac Roman")),
        "{first}"
    );
    let roles: Vec<&str> = pra["approvals"]
        .as_array()
        .expect("approvals")
        .iter()
        .filter_map(|a| a["role"].as_str())
        .collect();
    assert_eq!(&roles[..3], ["CTO", "VP Operations", "Audit/Compliance"]);
    let sections: BTreeSet<String> = pra["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["section"][0].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        sections.contains("Phase 1: Préparation (Jour 1-2)"),
        "{sections:?}"
    );

    let iso = status_json(&seed(3));
    assert_eq!(iso["title"], "⚙️ Procédures Opérationnelles - Profitum");

    let ml = status_json(&seed(2));
    let decision = ml["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["title"] == "All critical items completed")
        .expect("the decision item");
    assert_eq!(decision["detail"], "✅");
    assert_eq!(decision["severity"], "blocking");
    let warning = &ml["warnings"][0];
    assert_eq!(warning["line"], 235);
    assert!(
        warning["message"]
            .as_str()
            .is_some_and(|m| m.contains("Windows-1252")),
        "{warning}"
    );
}

#[test]
fn seed_tables_become_items_with_their_columns() {
    let status = status_json(&seed(4));
    let items = status["items"].as_array().expect("items");
    let eks = &items[0];
    assert_eq!(eks["id"], "eks-cluster");
    assert_eq!(eks["title"], "EKS Cluster");
    assert_eq!(eks["detail"], "Production cluster provisioned and healthy");
    assert_eq!(eks["owner"], "Platform");
    assert_eq!(
        eks["section"],
        serde_json::json!(["Go-Live Checklist", "Infrastructure Readiness"])
    );
    assert_eq!(eks["line"], 25);
    let p95 = items
        .iter()
        .find(|i| i["title"] == "API Response Time (p95)")
        .expect("p95 row");
    assert_eq!(p95["fields"]["target"], "< 200ms");
    assert_eq!(p95["fields"]["acceptable"], "< 500ms");
    let pci = items
        .iter()
        .find(|i| i["title"] == "PCI DSS")
        .expect("PCI row");
    assert_eq!(pci["conditional"], true);
    let approvals = status["approvals"].as_array().expect("approvals");
    assert_eq!(approvals[0]["role"], "Engineering Manager");
    assert_eq!(approvals[0]["required"], true);
    assert_eq!(approvals[0]["decision"], "pending");
}

#[test]
fn seed_nesting_and_signoffs() {
    let pra = status_json(&seed(1));
    let items = pra["items"].as_array().expect("items");
    let plannings = items
        .iter()
        .find(|i| i["title"] == "Plannings published:")
        .expect("parent");
    let children: Vec<&Value> = items
        .iter()
        .filter(|i| i["parent"] == plannings["id"])
        .collect();
    assert_eq!(children.len(), 3);
    let alert = items
        .iter()
        .find(|i| {
            i["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Simuler alerte"))
        })
        .expect("alert item");
    assert!(
        alert["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Attendre status.sh")),
        "{alert}"
    );

    let ai = status_json(&seed(0));
    let roles: Vec<&str> = ai["approvals"]
        .as_array()
        .expect("approvals")
        .iter()
        .filter_map(|a| a["role"].as_str())
        .collect();
    assert_eq!(roles, ["Product Owner", "Tech Lead", "Sécurité", "Métier"]);
    let ml = status_json(&seed(2));
    let roles: Vec<&str> = ml["approvals"]
        .as_array()
        .expect("approvals")
        .iter()
        .filter_map(|a| a["role"].as_str())
        .collect();
    assert_eq!(roles[0], "Technical Lead");
    assert_eq!(roles.len(), 8);
}

#[test]
fn seed_ids_are_unique_and_stable() {
    for number in 0..5 {
        let first = status_json(&seed(number));
        let second = status_json(&seed(number));
        let ids: Vec<&str> = first["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["id"].as_str())
            .collect();
        let unique: BTreeSet<&&str> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "seed {number} has duplicate ids");
        assert_eq!(first["items"], second["items"], "seed {number}");
    }
}

#[test]
fn status_table_snapshots() {
    let sandbox = Sandbox::new();
    for (number, name) in [(0, "ai-preprod.md"), (4, "saas.md")] {
        let path = sandbox.copy(&seed(number), name);
        let output = sandbox
            .golive()
            .args(["status"])
            .arg(&path)
            .output()
            .expect("run");
        assert!(output.status.success());
        let stdout = String::from_utf8(output.stdout).expect("UTF-8");
        let stdout = stdout.replace(&sandbox.dir.path().display().to_string(), "[DIR]");
        insta::assert_snapshot!(format!("status_seed_{number}"), stdout);
    }
}
