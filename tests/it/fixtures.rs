//! Hand-made checklists, one per importer rule, plus the CLI's input errors.

use serde_json::{Value, json};

use crate::support::{Sandbox, status_json};

fn read(markdown: &str) -> Value {
    read_bytes(markdown.as_bytes())
}

fn read_bytes(bytes: &[u8]) -> Value {
    let sandbox = Sandbox::new();
    let path = sandbox.write("checklist.md", bytes);
    status_json(&path)
}

fn items(status: &Value) -> &Vec<Value> {
    status["items"].as_array().expect("items")
}

fn titles(status: &Value) -> Vec<String> {
    items(status)
        .iter()
        .map(|i| i["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn every_list_style_is_an_item() {
    let status = read(
        "# Launch\n\n- [ ] dash\n* [x] star\n+ [X] plus\n1. [ ] numbered\n2) [x] paren\n\n- plain bullet\n",
    );
    assert_eq!(
        titles(&status),
        ["dash", "star", "plus", "numbered", "paren"]
    );
    let statuses: Vec<&str> = items(&status)
        .iter()
        .filter_map(|i| i["status"].as_str())
        .collect();
    assert_eq!(statuses, ["todo", "done", "done", "todo", "done"]);
    assert_eq!(
        status["summary"],
        json!({"items": 5, "done": 3, "open": 2, "failed": 0, "waived": 0, "na": 0, "blocking_open": 0, "triggers": 0})
    );
}

#[test]
fn nested_items_are_sub_items_at_any_depth() {
    let status = read(
        "# L\n## S\n- [ ] parent\n  - [ ] child\n    - [ ] grandchild\n  - note on parent\n- [ ] sibling\n",
    );
    let all = items(&status);
    assert_eq!(all[1]["parent"], all[0]["id"]);
    assert_eq!(all[2]["parent"], all[1]["id"]);
    assert_eq!(all[3]["parent"], Value::Null);
    assert_eq!(all[0]["detail"], "note on parent");
}

#[test]
fn bold_lead_is_the_title_and_the_rest_the_detail() {
    let status = read(
        "# L\n- [ ] **Tests de charge réalisés** (volume prévu × 2)\n- [ ] Plain title\n  continued here\n",
    );
    let all = items(&status);
    assert_eq!(all[0]["title"], "Tests de charge réalisés");
    assert_eq!(all[0]["detail"], "(volume prévu × 2)");
    assert_eq!(all[1]["title"], "Plain title");
    assert_eq!(all[1]["detail"], "continued here");
}

#[test]
fn headings_nest_as_sections() {
    let status =
        read("# Title\n## A\n### B\n- [ ] in b\n## C\n- [ ] in c\n#### deep\n- [ ] in deep\n");
    let sections: Vec<&Value> = items(&status).iter().map(|i| &i["section"]).collect();
    assert_eq!(
        sections,
        [&json!(["A", "B"]), &json!(["C"]), &json!(["C", "deep"])]
    );
    assert_eq!(status["title"], "Title");
}

#[test]
fn tables_with_a_status_column_are_items() {
    let status = read(
        "# L\n## Infra\n| Item | Description | Owner | Status | Date | Target | Acceptable | Region |\n|---|---|---|---|---|---|---|---|\n| **DNS** | Domains verified | Platform | [x] | 2025-01-02 | 100% | 99% | eu |\n| **TLS** | Valid certs | Security | [ ] | | | | |\n",
    );
    let all = items(&status);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["title"], "DNS");
    assert_eq!(all[0]["detail"], "Domains verified");
    assert_eq!(all[0]["owner"], "Platform");
    assert_eq!(all[0]["status"], "done");
    assert_eq!(
        all[0]["fields"],
        json!({"date": "2025-01-02", "target": "100%", "acceptable": "99%", "region": "eu"})
    );
    assert_eq!(all[1]["status"], "todo");
    assert_eq!(all[1]["tickable"], true);
}

#[test]
fn status_cells_without_boxes_are_read() {
    let status = read(
        "# L\n| Criteria | Status |\n|---|---|\n| one | ✅ |\n| two | N/A |\n| three | FAIL |\n| four | |\n",
    );
    let statuses: Vec<&str> = items(&status)
        .iter()
        .filter_map(|i| i["status"].as_str())
        .collect();
    assert_eq!(statuses, ["done", "na", "failed", "todo"]);
    // A ✅ cell is an emoji box golive can tick back and forth; words are not.
    assert_eq!(items(&status)[0]["tickable"], true);
    assert_eq!(items(&status)[1]["tickable"], false);
}

#[test]
fn signoff_tables_are_approvals_not_items() {
    let status = read(
        "# L\n## Sign-off\n| Role | Name | Approval | Signature |\n|---|---|---|---|\n| **Security Lead** | Ana | [x] | |\n| QA Lead | | [ ] | |\n\n| Role | Contact | Phone |\n|---|---|---|\n| On-call | PagerDuty | n/a |\n",
    );
    assert_eq!(items(&status).len(), 0);
    // The fields the file gives (status adds the gate's: by, at, signature, pinned, counts).
    let approvals: Vec<serde_json::Value> = status["approvals"]
        .as_array()
        .expect("approvals")
        .iter()
        .map(|a| json!({"role": a["role"], "name": a["name"], "required": a["required"], "decision": a["decision"], "line": a["line"]}))
        .collect();
    assert_eq!(
        approvals,
        [
            json!({"role": "Security Lead", "name": "Ana", "required": true, "decision": "go", "line": 5}),
            json!({"role": "QA Lead", "name": null, "required": true, "decision": "pending", "line": 6})
        ]
    );
}

#[test]
fn signoff_lists_are_approvals() {
    let status = read(
        "# L\n## Final Sign-offs\n- [ ] **Technical Lead** approval: ________ Date: ____\n- [x] PRA approuvé par CTO\n- [ ] Budget allocated\n\n## Signoff\n**Préparation:** ________\n**Go-Live Date:** ________\n",
    );
    let roles: Vec<(&str, &str)> = status["approvals"]
        .as_array()
        .expect("approvals")
        .iter()
        .map(|a| {
            (
                a["role"].as_str().unwrap_or_default(),
                a["decision"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("Technical Lead", "pending"),
            ("CTO", "go"),
            ("Préparation", "pending")
        ]
    );
    assert_eq!(titles(&status), ["Budget allocated"]);
}

#[test]
fn mandatory_sections_hold_blocking_items() {
    for heading in [
        "Go/No-Go",
        "Critères obligatoires",
        "Mandatory criteria",
        "All P1 items",
    ] {
        let status = read(&format!(
            "# L\n## {heading}\n- [ ] must\n## Other\n- [ ] may\n"
        ));
        let severities: Vec<&str> = items(&status)
            .iter()
            .filter_map(|i| i["severity"].as_str())
            .collect();
        assert_eq!(severities, ["blocking", "required"], "{heading}");
        assert_eq!(status["summary"]["blocking_open"], 1);
    }
}

#[test]
fn conditional_items_are_marked() {
    let status = read(
        "# L\n- [ ] CDN configured (if applicable)\n- [ ] Serveur DR (si applicable)\n- [ ] SMS alerts (optional)\n- [ ] Chiffrement (optionnel)\n- [ ] Backups tested\n",
    );
    let conditional: Vec<bool> = items(&status)
        .iter()
        .filter_map(|i| i["conditional"].as_bool())
        .collect();
    assert_eq!(conditional, [true, true, true, true, false]);
}

#[test]
fn code_blocks_hold_no_items() {
    let status = read(
        "# L\n```bash\n- [ ] not an item\n```\n~~~\n- [x] nor this\n~~~\n\n    - [ ] indented code\n\n- [ ] real\n",
    );
    assert_eq!(titles(&status), ["real"]);
    assert_eq!(status["warnings"], json!([]));
}

#[test]
fn post_go_live_sections_are_post_phase() {
    let status = read(
        "# L\n## Pre\n- [ ] before\n## Post Go-Live\n### First 24 hours\n- [ ] watch\n## Post-Déploiement (J+1 à J+7)\n- [ ] review\n",
    );
    let phases: Vec<&str> = items(&status)
        .iter()
        .filter_map(|i| i["phase"].as_str())
        .collect();
    assert_eq!(phases, ["pre", "post", "post"]);
}

#[test]
fn gate_style_sections() {
    let status = read(
        "# L\n## Gate 1: Security\nOwner: Security Lead\nStatus: PASS / FAIL\n\nCriteria:\n- No critical CVEs\n- Pen test done\n\nEvidence:\n- Scanner report\n\nSign-offs:\n- CISO: ________\n",
    );
    let all = items(&status);
    assert_eq!(titles(&status), ["No critical CVEs", "Pen test done"]);
    assert_eq!(all[0]["owner"], "Security Lead");
    assert_eq!(all[0]["tickable"], false);
    assert_eq!(all[0]["fields"]["evidence_expected"], "Scanner report");
    assert_eq!(status["approvals"][0]["role"], "CISO");
}

#[test]
fn ids_are_stable_and_can_be_written() {
    let before = read("# L\n## A\n- [ ] Deploy\n- [ ] Migrate <!-- id: db-migrate -->\n");
    let after = read(
        "# L\n## A\n- [ ] New first item\n- [ ] Deploy\n- [ ] Migrate <!-- id: db-migrate -->\n## B\n- [ ] Other\n",
    );
    let ids = |status: &Value| -> Vec<String> {
        items(status)
            .iter()
            .map(|i| i["id"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(ids(&before), ["deploy", "db-migrate"]);
    assert_eq!(
        ids(&after),
        ["new-first-item", "deploy", "db-migrate", "other"]
    );
}

#[test]
fn bom_crlf_and_windows_1252_are_read() {
    let utf8 = read_bytes(b"\xEF\xBB\xBF# Lancement\r\n\r\n- [ ] Pr\xC3\xA9paration\r\n");
    assert_eq!(titles(&utf8), ["Préparation"]);
    assert_eq!(utf8["title"], "Lancement");
    let cp1252 = read_bytes(b"# Lancement\r\n- [ ] Pr\xE9paration \x80\r\n");
    assert_eq!(titles(&cp1252), ["Préparation €"]);
    assert!(
        cp1252["warnings"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Windows-1252"))
    );
}

#[test]
fn mojibake_is_repaired_with_a_warning() {
    let status = read("# L\n- [ ] Pr√©paration termin√©e\n- [ ] Done âœ…\n");
    assert_eq!(titles(&status), ["Préparation terminée", "Done ✅"]);
    let lines: Vec<u64> = status["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["line"].as_u64())
        .collect();
    assert_eq!(lines, [2, 3]);
}

#[test]
fn unreadable_lines_are_warnings_never_dropped() {
    let status =
        read("# L\n-[ ] squashed\n- [] empty box\n**Decision:** [ ] GO / [ ] NO-GO\n- [ ] fine\n");
    assert_eq!(titles(&status), ["fine"]);
    let lines: Vec<u64> = status["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["line"].as_u64())
        .collect();
    assert_eq!(lines, [2, 3, 4]);
}

#[test]
fn input_errors_are_one_clear_line() {
    let sandbox = Sandbox::new();
    sandbox.write("empty.md", "");
    sandbox.write("blank.md", " \n\n");
    sandbox.write("binary.md", b"\x00\x01\x02ELF");
    sandbox.write("utf16.md", b"\xFF\xFE#\x00 \x00");
    std::fs::create_dir(sandbox.dir.path().join("folder")).expect("mkdir");
    let cases = [
        ("missing.md", "`missing.md`: no such file"),
        ("empty.md", "`empty.md`: the file is empty"),
        ("blank.md", "`blank.md`: the file is empty"),
        ("binary.md", "`binary.md`"),
        ("utf16.md", "UTF-8"),
        ("folder", "`folder` is a directory"),
    ];
    for command in ["status", "lint", "tick"] {
        for (file, expected) in cases {
            let mut golive = sandbox.golive();
            golive.args([command, file]);
            if command == "tick" {
                golive.arg("anything");
            }
            let output = golive.output().expect("run");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{command} {file}: {stderr}");
            assert!(stderr.contains(expected), "{command} {file}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{command} {file}: {stderr}");
            assert!(stderr.starts_with("golive: error: "), "{stderr}");
            assert!(output.stdout.is_empty());
        }
    }
}

#[test]
fn usage_errors_exit_2_and_help_teaches() {
    let sandbox = Sandbox::new();
    sandbox.golive().arg("frobnicate").assert().code(2);
    sandbox.golive().args(["status"]).assert().code(2);
    sandbox
        .golive()
        .args(["status", "x.md", "--format", "yaml"])
        .assert()
        .code(2);
    let help = sandbox
        .golive()
        .args(["tick", "--help"])
        .output()
        .expect("run");
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Examples:") && help.contains("--undo"),
        "{help}"
    );
}

#[test]
fn lint_finds_each_problem_and_exits_1() {
    let sandbox = Sandbox::new();
    let clean = sandbox.write("clean.md", "# L\n## A\n- [ ] one\n");
    sandbox.golive().arg("lint").arg(&clean).assert().code(0);
    let messy = sandbox.write(
        "messy.md",
        "# L\n## Infra\n| Item | Owner | Status |\n|---|---|---|\n| DNS | Ops | [ ] |\n| TLS | | [ ] |\n## Empty\n## Dup\n- [ ] Same\n- [ ] same\n-[ ] broken\n",
    );
    let output = sandbox
        .golive()
        .args(["lint"])
        .arg(&messy)
        .current_dir(sandbox.dir.path())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout)
        .replace(&sandbox.dir.path().display().to_string(), "[DIR]");
    insta::assert_snapshot!(stdout);
    let json = sandbox
        .golive()
        .args(["lint", "--format", "json"])
        .arg(&messy)
        .output()
        .expect("run");
    let findings: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let rules: Vec<&str> = findings["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(
        rules,
        [
            "missing-owner",
            "empty-section",
            "missing-owner",
            "duplicate-title",
            "missing-owner",
            "unreadable-line"
        ]
    );
}

#[test]
fn status_json_snapshot() {
    let sandbox = Sandbox::new();
    let path = sandbox.write(
        "launch.md",
        "# Launch\n## Checks\n- [x] **Health** endpoint returns 200\n- [ ] CDN (if applicable)\n  - [ ] purge cache\n## Go/No-Go\n| Criteria | Met |\n|---|---|\n| Rollback tested | [ ] |\n## Sign-off\n| Role | Go/No-Go |\n|---|---|\n| Tech Lead | GO |\n",
    );
    let output = sandbox
        .golive()
        .args(["status", "--format", "json", "launch.md"])
        .output()
        .expect("run");
    assert!(output.status.success());
    let _ = path;
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}

/// `golive status --format json | head -c 10`: the reader goes away long before the document
/// (far larger than a pipe's buffer) is written, and golive ends quietly, as Unix tools do.
#[test]
fn json_into_a_closed_pipe_ends_quietly() {
    let sandbox = Sandbox::new();
    let mut markdown = String::from("# Big\n## Items\n");
    for n in 0..3000 {
        markdown.push_str(&format!("- [ ] item number {n} with a long enough title\n"));
    }
    sandbox.write("big.md", markdown);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("golive"))
        .current_dir(sandbox.dir.path())
        .args(["status", "big.md", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("golive starts");
    let mut stdout = child.stdout.take().expect("a stdout pipe");
    let mut start = [0u8; 10];
    std::io::Read::read_exact(&mut stdout, &mut start).expect("the document begins");
    drop(stdout);
    let output = child.wait_with_output().expect("golive ends");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}
