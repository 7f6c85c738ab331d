//! `golive tick`: only the box's byte changes, whatever the file's encoding and line endings.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::{Sandbox, seed, status_json};

/// Byte offsets where two files differ.
fn differences(a: &[u8], b: &[u8]) -> Vec<usize> {
    assert_eq!(
        a.len(),
        b.len(),
        "ticking must not change the file's length"
    );
    a.iter()
        .zip(b)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, _)| i)
        .collect()
}

fn tick(sandbox: &Sandbox, path: &Path, item: &str, undo: bool) -> std::process::Output {
    let mut golive = sandbox.golive();
    golive.arg("tick").arg(path).arg(item).args(["--by", "ana"]);
    if undo {
        golive.arg("--undo");
    }
    golive.output().expect("run golive")
}

#[test]
fn ticks_list_items_and_table_rows_changing_one_byte() {
    let sandbox = Sandbox::new();
    let original =
        "# L\n- [ ] **Health checks** pass\n\n| Item | Status |\n|---|---|\n| **DNS** | [ ] |\n";
    let path = sandbox.write("c.md", original);
    let output = tick(&sandbox, &path, "health", false);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!(
            "{}:2: ticked `Health checks` (health-checks) by ana",
            path.display()
        )
    );
    let ticked = std::fs::read(&path).expect("read");
    assert_eq!(differences(original.as_bytes(), &ticked), [7]);
    let output = tick(&sandbox, &path, "dns", false);
    assert!(output.status.success());
    let both = std::fs::read(&path).expect("read");
    assert_eq!(
        String::from_utf8(both.clone()).expect("utf8"),
        original
            .replace("- [ ]", "- [x]")
            .replace("| [ ] |", "| [x] |")
    );
    tick(&sandbox, &path, "dns", true);
    tick(&sandbox, &path, "health-checks", true);
    assert_eq!(std::fs::read(&path).expect("read"), original.as_bytes());
}

#[test]
fn keeps_bom_crlf_and_windows_1252_bytes() {
    let sandbox = Sandbox::new();
    let cases: [(&str, &[u8]); 3] = [
        (
            "bom-crlf.md",
            b"\xEF\xBB\xBF# L\r\n\r\n- [ ] Pr\xC3\xA9paration\r\n- [ ] S\xC3\xA9curit\xC3\xA9\r\n",
        ),
        (
            "cp1252.md",
            b"# L\r\n- [ ] Pr\xE9paration \x80\r\n- [ ] S\xE9curit\xE9\r\n",
        ),
        (
            "mojibake.md",
            "# L\n- [ ] Pr√©paration\n- [ ] S√©curit√©\n".as_bytes(),
        ),
    ];
    for (name, original) in cases {
        let path = sandbox.write(name, original);
        let output = tick(&sandbox, &path, "securit", false);
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let ticked = std::fs::read(&path).expect("read");
        let changed = differences(original, &ticked);
        assert_eq!(changed.len(), 1, "{name}");
        assert_eq!(ticked[changed[0]], b'x', "{name}");
        assert_eq!(original[changed[0] - 1], b'[', "{name}");
        tick(&sandbox, &path, "securit", true);
        assert_eq!(std::fs::read(&path).expect("read"), original, "{name}");
    }
}

#[test]
fn ambiguous_and_unknown_items_are_errors_with_candidates() {
    let sandbox = Sandbox::new();
    let original = "# L\n## A\n- [ ] Deploy database\n- [ ] Deploy web\n";
    let path = sandbox.write("c.md", original);
    let output = tick(&sandbox, &path, "deploy", false);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr)
        .replace(&sandbox.dir.path().display().to_string(), "[DIR]");
    insta::assert_snapshot!("tick_ambiguous", stderr);
    let output = tick(&sandbox, &path, "kubernetes", false);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no item matches `kubernetes`"));
    assert_eq!(std::fs::read(&path).expect("read"), original.as_bytes());
}

#[test]
fn ticking_twice_changes_nothing_and_says_so() {
    let sandbox = Sandbox::new();
    let path = sandbox.write("c.md", "# L\n- [x] done already\n");
    let output = tick(&sandbox, &path, "done already", false);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("already ticked"));
}

/// Criteria bullets have no box: `tick` records their status in the store, never in the file.
#[test]
fn items_without_a_box_are_ticked_in_the_store() {
    let sandbox = Sandbox::new();
    let doc = "# L\n## Gate\nCriteria:\n- Rollback tested\n";
    let path = sandbox.write("c.md", doc);
    let output = tick(&sandbox, &path, "rollback", false);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("the store holds its status"));
    assert_eq!(std::fs::read(&path).expect("read"), doc.as_bytes());
    let status = crate::support::status_json(&path);
    assert_eq!(status["items"][0]["status"], "done");
    let output = tick(&sandbox, &path, "rollback", true);
    assert!(output.status.success());
    assert_eq!(
        crate::support::status_json(&path)["items"][0]["status"],
        "todo"
    );
}

#[test]
fn keeps_permissions_and_leaves_no_temporary_files() {
    let sandbox = Sandbox::new();
    let path = sandbox.write("c.md", "# L\n- [ ] one\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    assert!(tick(&sandbox, &path, "one", false).status.success());
    let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let entries: Vec<String> = std::fs::read_dir(sandbox.dir.path())
        .expect("ls")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    // The file and golive's store beside it; no temporary file left behind.
    let mut entries = entries;
    entries.sort();
    assert_eq!(entries, [".golive", "c.md"]);
}

#[test]
fn reports_open_sub_items() {
    let sandbox = Sandbox::new();
    let path = sandbox.write(
        "c.md",
        "# L\n- [ ] parent\n  - [ ] child one\n  - [x] child two\n",
    );
    let output = tick(&sandbox, &path, "parent", false);
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 of its sub-items are still open"));
}

/// Round trip on a real seed through the real binary: tick every item, then untick every
/// item, and the file is byte for byte what it was.
#[test]
fn seed_round_trip_through_the_binary() {
    let sandbox = Sandbox::new();
    let path = sandbox.copy(&seed(4), "saas.md");
    let original = std::fs::read(&path).expect("read");
    let status = status_json(&path);
    let ids: Vec<String> = status["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str().map(String::from))
        .collect();
    for id in &ids {
        assert!(
            tick(&sandbox, &path, id, false).status.success(),
            "tick {id}"
        );
    }
    let all_done = status_json(&path);
    assert_eq!(all_done["summary"]["done"], ids.len());
    assert_eq!(
        differences(&original, &std::fs::read(&path).expect("read")).len(),
        ids.len()
    );
    for id in ids.iter().rev() {
        assert!(
            tick(&sandbox, &path, id, true).status.success(),
            "untick {id}"
        );
    }
    assert_eq!(std::fs::read(&path).expect("read"), original);
}

/// The same round trip on every seed, through the library (hundreds of items).
#[test]
fn every_seed_round_trips_through_the_library() {
    use golive::checklist::{import, tick::set_checkbox};
    for number in 0..5 {
        let original = std::fs::read(seed(number)).expect("read seed");
        let checklist = import(&original).expect("import");
        let mut bytes = original.clone();
        for item in &checklist.items {
            let checkbox = item.checkbox.expect("every seed item has a box");
            bytes = set_checkbox(&bytes, &checkbox, true).expect("a box");
        }
        let ticked = import(&bytes).expect("re-import");
        // Triggers (seed 000's rollback criteria) have boxes too, but are not counted as items.
        let tasks = checklist
            .items
            .iter()
            .filter(|item| item.kind == golive::checklist::Kind::Task)
            .count();
        assert_eq!(ticked.summary().done, tasks, "seed {number}");
        assert!(
            ticked
                .items
                .iter()
                .all(|item| item.status == golive::checklist::Status::Done),
            "seed {number}"
        );
        for item in &checklist.items {
            bytes = set_checkbox(&bytes, &item.checkbox.expect("box"), false).expect("a box");
        }
        assert_eq!(bytes, original, "seed {number}");
    }
}
