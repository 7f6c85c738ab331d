//! Every fenced block opened with ```` ```sh runnable ```` in the README and in `docs/*.md`
//! runs, as written, with the built binary first on PATH, in a fresh folder (HOME and TMPDIR
//! too), under `bash -e`: a command the docs show that stops working fails this test.
//! Blocks without the marker (ones that need a server, a key or a database) are not run.

use std::path::{Path, PathBuf};
use std::process::Command;

const MARKER: &str = "```sh runnable";

/// (file, line of the fence, script) for every runnable block of `text`.
fn runnable_blocks(file: &Path, text: &str) -> Vec<(PathBuf, usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        match &mut open {
            None if line.trim_end() == MARKER => open = Some((index + 1, String::new())),
            None => {}
            Some(_) if line.trim_start().starts_with("```") => {
                if let Some((start, script)) = open.take() {
                    blocks.push((file.to_owned(), start, script));
                }
            }
            Some((_, script)) => {
                script.push_str(line);
                script.push('\n');
            }
        }
    }
    assert!(
        open.is_none(),
        "{}: a runnable block is never closed",
        file.display()
    );
    blocks
}

fn documents() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        let mut docs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        docs.sort();
        files.extend(docs);
    }
    files
}

#[test]
fn the_marker_is_found_and_only_on_sh_fences() {
    let blocks = runnable_blocks(
        Path::new("x.md"),
        "a\n```sh runnable\necho 1\n```\n```sh\nexit 1\n```\n",
    );
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].1, 2);
    assert_eq!(blocks[0].2, "echo 1\n");
}

#[test]
fn every_runnable_block_in_the_docs_runs() {
    let binary = assert_cmd::cargo::cargo_bin("golive");
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut blocks = Vec::new();
    for file in documents() {
        let text = std::fs::read_to_string(&file).unwrap();
        blocks.extend(runnable_blocks(&file, &text));
    }
    assert!(
        blocks.len() >= 2,
        "the README's runnable blocks were not found"
    );
    for (file, line, script) in blocks {
        let dir = tempfile::tempdir().unwrap();
        let output = Command::new("bash")
            .args(["--noprofile", "--norc", "-e", "-c", &script])
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("HOME", dir.path())
            .env("TMPDIR", dir.path())
            .env("NO_COLOR", "1")
            .env_remove("GOLIVE_STORE")
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}:{line}: the block exits {:?}\n--- script\n{script}--- stdout\n{}--- stderr\n{}",
            file.display(),
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
