//! SQLite writers in separate processes: the OS's file locks are what serialize them there
//! (connections inside one process share SQLite's in-process lock table instead), and a
//! process can be killed in the middle of a commit. The children are this test binary run
//! again on [`child_appender`], so no CLI is needed.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use golive::store::{Location, Store};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use super::{Fixture, tick};

const CHILD_STORE: &str = "GOLIVE_TEST_CHILD_STORE";
const CHILD_COUNT: &str = "GOLIVE_TEST_CHILD_COUNT";

/// The body of the child processes: appends `GOLIVE_TEST_CHILD_COUNT` events one at a time
/// (0: until killed) to the SQLite store at `GOLIVE_TEST_CHILD_STORE`, printing
/// `committed SEQ` after each commit. Does nothing when run by hand.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "the body of the child processes of the tests below"]
async fn child_appender() {
    let Some(path) = std::env::var_os(CHILD_STORE) else {
        return;
    };
    let count: usize = std::env::var(CHILD_COUNT).unwrap().parse().unwrap();
    let store = Store::open(&Location::Sqlite(path.into())).await.unwrap();
    let me = format!("process-{}", std::process::id());
    for n in (0..).take_while(|n| count == 0 || *n < count) {
        let stored = store.append(vec![tick("launch.md", &me, json!({"n": n}))]);
        println!("committed {}", stored.await.unwrap()[0].seq);
    }
}

fn spawn_child(store: &Path, count: usize) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "store::processes::child_appender",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_STORE, store)
        .env(CHILD_COUNT, count.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

fn committed(line: &str) -> Option<i64> {
    line.strip_prefix("committed ")?.parse().ok()
}

fn sqlite_path(fixture: &Fixture) -> &Path {
    match &fixture.location {
        Location::Sqlite(path) => path,
        Location::Postgres(_) => unreachable!("a SQLite fixture"),
    }
}

/// Four processes open a store that does not exist yet, at once (racing to create the file,
/// switch it to WAL and create the table), then append 50 events each. None may fail.
#[tokio::test(flavor = "multi_thread")]
async fn sqlite_appenders_in_separate_processes_take_turns() {
    const CHILDREN: usize = 4;
    const EACH: usize = 50;
    let fixture = Fixture::sqlite();
    let children: Vec<Child> = (0..CHILDREN)
        .map(|_| spawn_child(sqlite_path(&fixture), EACH))
        .collect();
    let mut all = BTreeSet::new();
    for child in children {
        let output = child.wait_with_output().await.unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "a child failed: {stderr}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let seqs: Vec<i64> = stdout.lines().filter_map(committed).collect();
        assert_eq!(seqs.len(), EACH, "{stdout}");
        assert!(seqs.is_sorted());
        all.extend(seqs);
    }
    assert_eq!(all, (1..=(CHILDREN * EACH) as i64).collect());
    let verification = fixture.open().await.verify().await.unwrap();
    assert_eq!(
        (verification.events, verification.first_bad),
        (CHILDREN * EACH, None)
    );
}

/// Three rounds of two processes appending as fast as they can, killed with SIGKILL once each
/// has committed a few events: whatever moment the kill lands on, every event a child saw
/// committed is there, the chain verifies, and the next writer carries on.
#[tokio::test(flavor = "multi_thread")]
async fn sqlite_appenders_killed_mid_write_lose_no_committed_event() {
    let fixture = Fixture::sqlite();
    fixture.open().await.close().await;
    let mut reported = BTreeSet::new();
    for _round in 0..3 {
        let (sender, mut receiver) = mpsc::unbounded_channel();
        let mut children = Vec::new();
        for child_index in 0..2 {
            let mut child = spawn_child(sqlite_path(&fixture), 0);
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            let sender = sender.clone();
            tokio::spawn(async move {
                while let Ok(Some(line)) = lines.next_line().await {
                    let _ = sender.send((child_index, Some(committed(&line))));
                }
                let _ = sender.send((child_index, None));
            });
            children.push(child);
        }
        drop(sender);
        let mut counts = [0; 2];
        while counts.iter().any(|count| *count < 10) {
            let next = tokio::time::timeout(Duration::from_secs(60), receiver.recv());
            let (child_index, line) = next.await.expect("a commit within 60 s").unwrap();
            let Some(seq) = line else {
                let child = &mut children[child_index];
                let status = child.wait().await.unwrap();
                let mut stderr = String::new();
                let mut pipe = child.stderr.take().unwrap();
                pipe.read_to_string(&mut stderr).await.unwrap();
                panic!("child {child_index} ended before the kill ({status}): {stderr}");
            };
            counts[child_index] += usize::from(seq.is_some());
            reported.extend(seq);
        }
        for child in &mut children {
            child.start_kill().unwrap();
        }
        for mut child in children {
            child.wait().await.unwrap();
        }
        // Lines already written before the kill are commits too.
        while let Some((_, line)) = receiver.recv().await {
            reported.extend(line.flatten());
        }
    }
    let store = fixture.open().await;
    let stored: BTreeSet<i64> = store
        .events(None)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert!(
        reported.is_subset(&stored),
        "lost: {:?}",
        reported.difference(&stored)
    );
    assert_eq!(store.verify().await.unwrap().first_bad, None);
    let next = store
        .append(vec![tick("launch.md", "after", json!({}))])
        .await
        .unwrap();
    assert_eq!(next[0].seq, stored.len() as i64 + 1);
}
