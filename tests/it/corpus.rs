//! "Nothing lost" on real checklists of other projects (`tests/corpus/`, sources and licences
//! in `tests/corpus/SOURCES.md`): every box, emoji box and status cell outside code is an
//! item, an approval, a trigger or a warning, and each file reads with the counts below.

use std::collections::BTreeSet;

use golive::checklist::{Kind, import};

/// Lines that carry a box or a status mark, found without the importer: `[ ]`/`[x]`, ☐ ☑ ☒ ⬜
/// anywhere, a list item opening with ✅ ❌ ⏳, a table cell that is only ✅ or
/// `:white_check_mark:`. Fenced code is skipped.
fn box_lines(text: &str) -> BTreeSet<usize> {
    let mut in_fence = false;
    let mut lines = BTreeSet::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let after_marker = trimmed
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start_matches(['-', '*', '+', '.', ')'])
            .trim_start();
        let cells = line.split('|').map(str::trim);
        let marked = line.contains("[ ]")
            || line.contains("[x]")
            || line.contains("[X]")
            || line.contains(['☐', '☑', '☒', '⬜'])
            || (after_marker.len() < trimmed.len() && after_marker.starts_with(['✅', '❌', '⏳']))
            || (line.trim_start().starts_with('|')
                && cells
                    .clone()
                    .any(|c| c == "✅" || c == ":white_check_mark:"));
        if marked {
            lines.insert(index + 1);
        }
    }
    lines
}

struct Expected {
    file: &'static str,
    items: usize,
    triggers: usize,
    approvals: usize,
    warnings: usize,
    blocking: usize,
}

const CORPUS: [Expected; 10] = [
    Expected {
        file: "de-betriebsuebergabe-golive.md",
        items: 12,
        triggers: 0,
        approvals: 1,
        warnings: 0,
        blocking: 0,
    },
    Expected {
        file: "de-anhang-checklisten.md",
        items: 10,
        triggers: 0,
        approvals: 0,
        warnings: 0,
        blocking: 0,
    },
    Expected {
        file: "de-change-release.md",
        items: 0,
        triggers: 0,
        approvals: 0,
        warnings: 0,
        blocking: 0,
    },
    Expected {
        file: "en-mercari-pre-production.md",
        items: 28,
        triggers: 0,
        approvals: 0,
        warnings: 0,
        blocking: 0,
    },
    Expected {
        file: "en-go-prod-guideline.md",
        items: 24,
        triggers: 0,
        approvals: 0,
        warnings: 0,
        blocking: 0,
    },
    Expected {
        file: "en-lifeready-go-no-go.md",
        items: 8,
        triggers: 0,
        approvals: 3,
        warnings: 0,
        blocking: 2,
    },
    Expected {
        file: "en-ossa-release.md",
        items: 16,
        triggers: 0,
        approvals: 0,
        warnings: 0,
        blocking: 0,
    },
    Expected {
        file: "en-launch-checklist-template.md",
        items: 12,
        triggers: 0,
        approvals: 0,
        warnings: 6,
        blocking: 3,
    },
    Expected {
        file: "fr-apilos-pr-template.md",
        items: 9,
        triggers: 0,
        approvals: 0,
        warnings: 0,
        blocking: 0,
    },
    Expected {
        file: "fr-immersion-facile-pr-template.md",
        items: 8,
        triggers: 0,
        approvals: 0,
        warnings: 0,
        blocking: 0,
    },
];

#[test]
fn every_box_in_the_corpus_is_read_and_counts_hold() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    for expected in &CORPUS {
        let bytes = std::fs::read(format!("{dir}/{}", expected.file)).expect("corpus file");
        let text = String::from_utf8(bytes.clone()).expect("UTF-8");
        let checklist = import(&bytes).expect("imports");
        let file = expected.file;
        let mut read: BTreeSet<usize> = checklist.items.iter().map(|i| i.line).collect();
        read.extend(checklist.approvals.iter().map(|a| a.line));
        read.extend(checklist.warnings.iter().map(|w| w.line));
        let lost: Vec<usize> = box_lines(&text).difference(&read).copied().collect();
        assert!(
            lost.is_empty(),
            "{file}: lines with a box not read: {lost:?}"
        );
        let triggers = checklist
            .items
            .iter()
            .filter(|i| i.kind == Kind::Trigger)
            .count();
        let summary = checklist.summary();
        assert_eq!(
            (
                summary.items,
                triggers,
                checklist.approvals.len(),
                checklist.warnings.len(),
                summary.blocking_open
            ),
            (
                expected.items,
                expected.triggers,
                expected.approvals,
                expected.warnings,
                expected.blocking
            ),
            "{file}: (items, triggers, approvals, warnings, blocking)"
        );
    }
}

/// The level tables of mercari's checklist: each row applies at the levels it marks.
#[test]
fn mercari_levels_select_rows() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/en-mercari-pre-production.md"
    );
    let mut checklist = import(&std::fs::read(path).expect("read")).expect("imports");
    let level_c: usize = {
        let mut c = checklist.clone();
        c.select_level("C").expect("level C");
        c.items.len()
    };
    checklist.select_level("Level A").expect("level A");
    assert_eq!((level_c, checklist.items.len()), (10, 28));
}
