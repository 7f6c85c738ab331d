//! Concurrent edits of one checklist (issue 9, item 1): every `tick` lands, each recorded
//! once, and nothing written to the file by hand between two ticks is lost.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::support::Sandbox;

fn checklist(items: usize) -> String {
    let mut text = String::from("# Launch\n");
    for i in 0..items {
        text.push_str(&format!("- [ ] task{i}\n"));
    }
    text
}

fn spawn_tick(sandbox: &Sandbox, path: &Path, item: &str) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("golive"))
        .current_dir(sandbox.dir.path())
        .args(["tick"])
        .arg(path)
        .arg(item)
        .args(["--by", "ana"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start golive")
}

fn tick_events(sandbox: &Sandbox, path: &Path) -> usize {
    let output = sandbox
        .golive()
        .args(["audit", "log", "--format", "json"])
        .arg(path)
        .output()
        .expect("run golive");
    assert!(output.status.success());
    let log: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    log["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["kind"] == "tick")
        .count()
}

#[test]
fn sixteen_ticks_at_once_all_land_and_are_each_recorded_once() {
    const PROCESSES: usize = 16;
    const ROUNDS: usize = 3;
    let sandbox = Sandbox::new();
    let path = sandbox.write("launch.md", checklist(PROCESSES * ROUNDS));
    for round in 0..ROUNDS {
        let children: Vec<Child> = (0..PROCESSES)
            .map(|i| spawn_tick(&sandbox, &path, &format!("task{}", round * PROCESSES + i)))
            .collect();
        for child in children {
            let output = child.wait_with_output().expect("wait for golive");
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let landed = text.matches("- [x]").count();
        assert_eq!(landed, (round + 1) * PROCESSES, "round {round}:\n{text}");
    }
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        checklist(PROCESSES * ROUNDS).replace("- [ ]", "- [x]")
    );
    assert_eq!(tick_events(&sandbox, &path), PROCESSES * ROUNDS);
    let verify = sandbox
        .golive()
        .args(["audit", "verify"])
        .arg(&path)
        .output()
        .expect("run golive");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    // The lock is on the file itself: nothing is left beside it.
    let mut left: Vec<String> = std::fs::read_dir(sandbox.dir.path())
        .expect("list")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    left.sort();
    assert_eq!(left, [".golive", "launch.md"]);
}

#[test]
fn an_edit_by_hand_between_two_ticks_is_kept() {
    let sandbox = Sandbox::new();
    let path = sandbox.write("launch.md", checklist(2));
    let tick = |item: &str| {
        let output = sandbox
            .golive()
            .arg("tick")
            .arg(&path)
            .arg(item)
            .output()
            .expect("run golive");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    tick("task0");
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("- [ ] added by hand\n");
    std::fs::write(&path, &text).expect("edit by hand");
    tick("task1");
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "# Launch\n- [x] task0\n- [x] task1\n- [ ] added by hand\n"
    );
}

#[test]
fn a_tick_killed_at_any_moment_leaves_the_old_file_or_the_new_one() {
    let sandbox = Sandbox::new();
    let original = checklist(40);
    let path = sandbox.write("launch.md", &original);
    for i in 0..40u64 {
        let mut child = spawn_tick(&sandbox, &path, &format!("task{i}"));
        // Spread over the tick's life: start-up, store, write, record.
        std::thread::sleep(std::time::Duration::from_millis(i * 3));
        let _ = child.kill();
        let _ = child.wait();
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.len(), original.len(), "kill {i}:\n{text}");
        assert_eq!(text.replace("- [x]", "- [ ]"), original, "kill {i}");
    }
    // The file's lock died with the process: the next tick does not wait.
    let output = sandbox
        .golive()
        .args(["tick"])
        .arg(&path)
        .arg("task39")
        .args(["--undo"])
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .expect("run golive");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verify = sandbox
        .golive()
        .args(["audit", "verify"])
        .arg(&path)
        .output()
        .expect("run golive");
    assert!(verify.status.success());
}
