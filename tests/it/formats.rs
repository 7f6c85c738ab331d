//! The formats people really write (issue 10), each in English, French and German, written
//! for these tests: emoji boxes and choice cells, maturity-level tables, bulleted gates,
//! approval lists, priorities and legends, HTML.

use golive::checklist::{Checklist, Glyph, Kind, Origin, Severity, Status, import, lint, tick};
use serde_json::Value;

use crate::support::{Sandbox, status_json};

fn read(markdown: &str) -> Checklist {
    import(markdown.as_bytes()).expect("imports")
}

fn titles(checklist: &Checklist) -> Vec<&str> {
    checklist.items.iter().map(|i| i.title.as_str()).collect()
}

fn item<'a>(checklist: &'a Checklist, title: &str) -> &'a golive::checklist::Item {
    checklist
        .items
        .iter()
        .find(|i| i.title == title)
        .unwrap_or_else(|| panic!("no item `{title}` in {:?}", titles(checklist)))
}

fn roles(checklist: &Checklist) -> Vec<&str> {
    checklist
        .approvals
        .iter()
        .map(|a| a.role.as_str())
        .collect()
}

/// Bytes that differ between two files of the same length.
fn changed(a: &[u8], b: &[u8]) -> Vec<usize> {
    assert_eq!(a.len(), b.len(), "a tick changed the file's length");
    (0..a.len()).filter(|&i| a[i] != b[i]).collect()
}

const EMOJI_DE: &str = "# Go-Live\n\n## Voraussetzungen\n- ☐ Runbooks vorhanden\n- ☑ Backup/Restore getestet\n- ☒ Monitoring eingerichtet\n\n## Go-Live-Checkliste\n| Punkt | Verantwortlich | Status |\n|---|---|---|\n| Deployment Plan final | Ops | ☐ offen ☐ ok |\n| Rollback-Plan getestet | Ops | ☐ offen ☒ ok |\n| Betriebsteam geschult | HR | ☐ ja ☒ nein |\n";

const EMOJI_EN: &str = "# Launch\n\n## Readiness\n- ⬜ Load test at twice the peak\n- ✅ Backups restored once\n- ❌ DNS failover drill\n- ⏳ Status page live\n- [ ] ✅ Pager rotation staffed\n- [x] ✅ TLS certificates renewed\n\n| Check | Status |\n|---|---|\n| On-call briefed | ✅ |\n| Runbook reviewed | ⬜ |\n";

const EMOJI_FR: &str = "# Mise en production\n\n## Sécurité\n- [ ] ✅ **Aucune vulnérabilité critique** (audit)\n- [x] ❌ HTTPS actif\n- ⬜ Sauvegardes chiffrées\n";

#[test]
fn emoji_boxes_are_items_and_choice_cells_say_the_ticked_option() {
    let de = read(EMOJI_DE);
    assert_eq!(
        titles(&de),
        [
            "Runbooks vorhanden",
            "Backup/Restore getestet",
            "Monitoring eingerichtet",
            "Deployment Plan final",
            "Rollback-Plan getestet",
            "Betriebsteam geschult"
        ]
    );
    let statuses: Vec<Status> = de.items.iter().map(|i| i.status).collect();
    use Status::{Done, Failed, Todo};
    assert_eq!(statuses, [Todo, Done, Done, Todo, Done, Failed]);
    assert!(
        de.items.iter().all(|i| i.checkbox.is_some()),
        "all tickable"
    );
    assert_eq!(
        item(&de, "Deployment Plan final").owner.as_deref(),
        Some("Ops")
    );

    let en = read(EMOJI_EN);
    let statuses: Vec<(&str, Status)> = en
        .items
        .iter()
        .map(|i| (i.title.as_str(), i.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("Load test at twice the peak", Todo),
            ("Backups restored once", Done),
            ("DNS failover drill", Failed),
            ("Status page live", Todo),
            // The box wins over the emoji, and lint says so.
            ("Pager rotation staffed", Todo),
            ("TLS certificates renewed", Done),
            ("On-call briefed", Done),
            ("Runbook reviewed", Todo),
        ]
    );
    let fr = read(EMOJI_FR);
    assert_eq!(item(&fr, "Aucune vulnérabilité critique").status, Todo);
    assert_eq!(item(&fr, "HTTPS actif").status, Done);
    let findings: Vec<(usize, &str)> = lint::lint(&fr)
        .iter()
        .map(|f| (f.line, f.rule.as_str()))
        .collect();
    assert_eq!(
        findings,
        [(4, "contradictory-box"), (5, "contradictory-box")]
    );
    let en_findings: Vec<usize> = lint::lint(&en)
        .iter()
        .filter(|f| f.rule.as_str() == "contradictory-box")
        .map(|f| f.line)
        .collect();
    assert_eq!(en_findings, [8]);
}

#[test]
fn ticking_an_emoji_box_changes_only_that_glyph() {
    for doc in [EMOJI_DE, EMOJI_EN, EMOJI_FR] {
        let checklist = read(doc);
        let bytes = doc.as_bytes();
        for item in &checklist.items {
            let checkbox = item.checkbox.expect("a box");
            let range = checkbox.mark_range();
            let flipped = tick::set_checkbox(bytes, &checkbox, !checkbox.checked).expect("box");
            let diff = changed(bytes, &flipped);
            assert!(
                !diff.is_empty() && diff.iter().all(|at| range.contains(at)),
                "{}: changed {diff:?}, box at {range:?}",
                item.title
            );
            let back = tick::set_checkbox(&flipped, &checkbox, checkbox.checked).expect("box");
            let again = import(&back).expect("imports");
            if item.status == Status::Failed && checkbox.glyph != Glyph::Gfm {
                // `❌` ticks to `✅` and unticks to `⬜`: open again, no longer failed.
                continue;
            }
            assert_eq!(
                again.items.iter().map(|i| i.status).collect::<Vec<_>>(),
                checklist.items.iter().map(|i| i.status).collect::<Vec<_>>()
            );
            // `⏳` unticks to `⬜`, the family's open mark; `☒` ticks back as `☑`.
            let open_mark = &bytes[range.clone()] == checkbox.glyph.mark(false).as_bytes();
            if checkbox.glyph == Glyph::Gfm || (item.status == Status::Todo && open_mark) {
                assert_eq!(back, bytes, "{}: round trip", item.title);
            }
        }
    }
    // The choice cell ticks its "ok" box: `☐ offen ☐ ok` → `☐ offen ☑ ok`.
    let checklist = read(EMOJI_DE);
    let plan = item(&checklist, "Deployment Plan final");
    let ticked =
        tick::set_checkbox(EMOJI_DE.as_bytes(), &plan.checkbox.expect("box"), true).expect("box");
    let text = String::from_utf8(ticked).expect("UTF-8");
    assert_eq!(
        text,
        EMOJI_DE.replace(
            "| Deployment Plan final | Ops | ☐ offen ☐ ok |",
            "| Deployment Plan final | Ops | ☐ offen ☑ ok |"
        )
    );
    assert_eq!(
        item(&read(&text), "Deployment Plan final").status,
        Status::Done
    );
    // `⬜` ticks to `✅`, the same three bytes.
    let en = read(EMOJI_EN);
    let load = item(&en, "Load test at twice the peak");
    let ticked =
        tick::set_checkbox(EMOJI_EN.as_bytes(), &load.checkbox.expect("box"), true).expect("box");
    assert_eq!(
        String::from_utf8(ticked).expect("UTF-8"),
        EMOJI_EN.replace("- ⬜ Load test", "- ✅ Load test")
    );
}

const LEVELS_EN: &str = "# Production readiness\n\n## Reliability\n\n| Check name | Short Description | Level C | Level B | Level A |\n| :--- | :--- | :--- | :--- | :--- |\n| Manual Scale | It can be scaled by hand. | :white_check_mark: |  |  |\n| [Auto Scale](auto.md) | It scales itself. |  | :white_check_mark: | :white_check_mark: |\n| PDB | It has a PodDisruptionBudget. | :white_check_mark: | :white_check_mark: | :white_check_mark: |\n| Smart retry | It retries with backoff. |  |  | :white_check_mark: |\n\n## Stages\n\n| Capability | Experiment | Beta | GA |\n|---|---|---|---|\n| Feature flag | x | x | x |\n| SLO defined |  | x | x |\n| 24/7 on-call |  |  | x |\n";

const LEVELS_FR_DE: &str = "# Maturité\n\n## Exploitation\n\n| Contrôle | Description | Niveau 1 | Niveau 2 |\n|---|---|---|---|\n| Supervision | Sondes en place | ✅ | ✅ |\n| PRA testé | Bascule réelle |  | ✅ |\n\n## Betrieb\n\n| Prüfpunkt | Stufe 1 | Stufe 2 |\n|---|---|---|\n| Backups | ✓ | ✓ |\n| **Sicherheit** |  |  |\n| Pentest |  | ✓ |\n";

#[test]
fn maturity_level_tables_are_items_applicable_at_their_levels() {
    let en = read(LEVELS_EN);
    let levels: Vec<(&str, Vec<&str>)> = en
        .items
        .iter()
        .map(|i| {
            (
                i.title.as_str(),
                i.levels.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        levels,
        [
            ("Manual Scale", vec!["Level C"]),
            ("Auto Scale", vec!["Level B", "Level A"]),
            ("PDB", vec!["Level C", "Level B", "Level A"]),
            ("Smart retry", vec!["Level A"]),
            ("Feature flag", vec!["Experiment", "Beta", "GA"]),
            ("SLO defined", vec!["Beta", "GA"]),
            ("24/7 on-call", vec!["GA"]),
        ]
    );
    assert!(en.items.iter().all(|i| i.origin == Origin::LevelRow));
    assert!(en.items.iter().all(|i| i.checkbox.is_none()));
    assert_eq!(
        item(&en, "PDB").detail.as_deref(),
        Some("It has a PodDisruptionBudget.")
    );
    // A level may require a row a higher one does not: Manual Scale is Level C only.
    let mut level_a = en.clone();
    level_a.select_level("a").expect("level A");
    // Rows of the other table (Experiment | Beta | GA) do not apply at Level A.
    assert_eq!(titles(&level_a), ["Auto Scale", "PDB", "Smart retry"]);
    let mut level_c = en.clone();
    level_c.select_level("Level C").expect("level C");
    assert!(titles(&level_c).contains(&"Manual Scale"));
    assert!(!titles(&level_c).contains(&"Auto Scale"));
    let mut unknown = en.clone();
    let known = unknown.select_level("Platinum").expect_err("no such level");
    assert!(known.contains(&"Level B".to_string()), "{known:?}");

    let fr_de = read(LEVELS_FR_DE);
    let levels: Vec<(&str, Vec<&str>)> = fr_de
        .items
        .iter()
        .map(|i| {
            (
                i.title.as_str(),
                i.levels.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        levels,
        [
            ("Supervision", vec!["Niveau 1", "Niveau 2"]),
            ("PRA testé", vec!["Niveau 2"]),
            ("Backups", vec!["Stufe 1", "Stufe 2"]),
            ("Pentest", vec!["Stufe 2"]),
        ]
    );
    // `| **Sicherheit** | | |` heads the rows under it.
    assert_eq!(
        fr_de.section_path(item(&fr_de, "Pentest")),
        ["Betrieb", "Sicherheit"]
    );
    assert!(fr_de.warnings.is_empty(), "{:?}", fr_de.warnings);
}

#[test]
fn level_flag_selects_rows_in_status_gate_and_report() {
    let sandbox = Sandbox::new();
    let path = sandbox.write("levels.md", LEVELS_EN);
    let status = |args: &[&str]| -> Value {
        let output = sandbox
            .golive()
            .args(["status", "levels.md", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    };
    assert_eq!(status(&[])["summary"]["items"], 7);
    let ga = status(&["--level", "GA"]);
    assert_eq!(ga["summary"]["items"], 3);
    assert_eq!(
        ga["items"][0]["levels"],
        serde_json::json!(["Experiment", "Beta", "GA"])
    );
    let unknown = sandbox
        .golive()
        .args(["gate", "levels.md", "--level", "Z9"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("no level `Z9`") && stderr.contains("Level A"),
        "{stderr}"
    );
    let plain = sandbox.write("plain.md", "# T\n- [ ] one\n");
    let none = sandbox
        .golive()
        .args(["status"])
        .arg(&plain)
        .args(["--level", "A"])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no maturity-level table"));
    let report = sandbox
        .golive()
        .args([
            "report",
            "levels.md",
            "--format",
            "json",
            "-o",
            "-",
            "--level",
            "b",
        ])
        .output()
        .unwrap();
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    drop(path);
}

const GATES: &str = "# Release gates\n\n## Performance gate\n\n- Owner: SRE team\n- Status: PASS / FAIL\n- Criteria:\n  - p95 latency under 300 ms at peak\n  - error rate under 1 %\n- Evidence:\n  - Grafana dashboard export\n  - k6 report\n\nSign-offs:\n- SRE Lead: Alice\n- Product Owner: Bob\n\n## Porte sécurité\n\n- Responsable : Équipe sécurité\n- Statut : PASS\n- Critères :\n  - Pentest sans faille critique\n\n## Betriebsfreigabe\n\n- Verantwortlich: Betrieb\n- Kriterien:\n  - Runbooks geprüft\n- Nachweise:\n  - Protokoll der Übergabe\n";

#[test]
fn bulleted_key_value_gates() {
    let checklist = read(GATES);
    assert_eq!(
        titles(&checklist),
        [
            "p95 latency under 300 ms at peak",
            "error rate under 1 %",
            "Pentest sans faille critique",
            "Runbooks geprüft"
        ]
    );
    assert!(
        checklist
            .items
            .iter()
            .all(|i| i.origin == Origin::Criterion)
    );
    let p95 = item(&checklist, "p95 latency under 300 ms at peak");
    assert_eq!(p95.owner.as_deref(), Some("SRE team"));
    assert_eq!(p95.status, Status::Todo);
    assert_eq!(
        p95.fields.get("evidence_expected").map(String::as_str),
        Some("Grafana dashboard export; k6 report")
    );
    let pentest = item(&checklist, "Pentest sans faille critique");
    assert_eq!(pentest.owner.as_deref(), Some("Équipe sécurité"));
    assert_eq!(pentest.status, Status::Done);
    let runbooks = item(&checklist, "Runbooks geprüft");
    assert_eq!(runbooks.owner.as_deref(), Some("Betrieb"));
    assert_eq!(
        runbooks.fields.get("evidence_expected").map(String::as_str),
        Some("Protokoll der Übergabe")
    );
    assert_eq!(roles(&checklist), ["SRE Lead", "Product Owner"]);
    assert_eq!(checklist.approvals[0].name.as_deref(), Some("Alice"));
}

const APPROVALS: &str = "# Launch\n\n## Feature Review & Approval\n- [ ] Design approved by PM\n- [ ] Copy approved by marketing\n\n## Checks\n| Item | Owner | Status |\n|---|---|---|\n| Smoke tests green | QA | [ ] |\n| QA sign-off | Dana | [x] |\n| Freigabe durch Fachbereich | | [ ] |\n\n## Approvals\n- Product Owner: ____\n- Engineering Manager:\n- Date: ____\n- Go-Live Date: ____\n\n## Validation finale\n- Responsable produit : ____\n- Date : ____\n\n## Freigabe\n- Fachbereich: ____\n- Datum: ____\n- Review 30-Days: ____\n";

#[test]
fn approval_lists_and_signoff_rows_are_approvals_and_dates_are_not() {
    let checklist = read(APPROVALS);
    assert_eq!(
        titles(&checklist),
        [
            "Design approved by PM",
            "Copy approved by marketing",
            "Smoke tests green"
        ]
    );
    assert_eq!(
        roles(&checklist),
        [
            "QA",
            "Fachbereich",
            "Product Owner",
            "Engineering Manager",
            "Responsable produit",
            "Fachbereich"
        ]
    );
    let qa = &checklist.approvals[0];
    assert_eq!(qa.decision, golive::checklist::Decision::Go);
    assert_eq!(qa.name.as_deref(), Some("Dana"));
    assert!(qa.checkbox.is_some(), "the row's box is the sign-off's box");
}

const PRIORITIES: &str = "# Launch\n\n## Items\n| Item | Priority | Status |\n|---|---|---|\n| Backups restored | P0 | [ ] |\n| Docs polished | P3 | [ ] |\n| Alerts routed | Should | [ ] |\n\n| Élément | Priorité | Statut |\n|---|---|---|\n| PRA testé | Bloquant | [ ] |\n\n| Punkt | Priorität | Status |\n|---|---|---|\n| Pentest | Muss | [ ] |\n\n## Inline\n- [ ] 🔴 Restore rehearsed\n- [ ] [Blocker] TLS everywhere\n- [ ] P1: Rollback plan\n- [ ] (obligatoire) Astreinte\n- [ ] Nice extras (nice to have)\n- [ ] Plain task\n";

const LEGEND: &str = "# Launch\n\n**Légende :** 🟢 = confort, 🟠 = important, P1 = confort\n\n- [ ] 🟢 Thème sombre\n- [ ] 🟠 Documentation\n- [ ] P1 Export CSV\n- [ ] Sauvegardes\n\n## Liste\n- 🟢 Légende répétée ici sans case\n";

#[test]
fn priority_columns_markers_and_legends_set_severity() {
    let checklist = read(PRIORITIES);
    let severities: Vec<(&str, Severity)> = checklist
        .items
        .iter()
        .map(|i| (i.title.as_str(), i.severity))
        .collect();
    use Severity::{Advisory, Blocking, Required};
    assert_eq!(
        severities,
        [
            ("Backups restored", Blocking),
            ("Docs polished", Advisory),
            ("Alerts routed", Required),
            ("PRA testé", Blocking),
            ("Pentest", Blocking),
            ("🔴 Restore rehearsed", Blocking),
            ("[Blocker] TLS everywhere", Blocking),
            ("P1: Rollback plan", Blocking),
            ("(obligatoire) Astreinte", Blocking),
            ("Nice extras (nice to have)", Advisory),
            ("Plain task", Required),
        ]
    );
    // The file's own legend wins: here P1 is only a comfort, and 🟢 a marker, not a box.
    let legend = read(LEGEND);
    let severities: Vec<(&str, Severity)> = legend
        .items
        .iter()
        .map(|i| (i.title.as_str(), i.severity))
        .collect();
    assert_eq!(
        severities,
        [
            ("🟢 Thème sombre", Advisory),
            ("🟠 Documentation", Required),
            ("P1 Export CSV", Advisory),
            ("Sauvegardes", Required),
        ]
    );
}

const HTML: &str = "# Release\n\n## Steps\n- [ ] Tag the release\n\n<details>\n<summary>Old steps</summary>\n\n- [ ] Hidden step\n- ☐ Hidden emoji step\n\n| Item | Status |\n|---|---|\n| Hidden row | [ ] |\n\n</details>\n\n<!--\n- [ ] Commented-out step\n-->\n\n/assign @release-manager\n/label ~\"type::release\"\n";

#[test]
fn html_blocks_comments_and_quick_actions_hold_no_items() {
    let checklist = read(HTML);
    assert_eq!(titles(&checklist), ["Tag the release"]);
    assert!(checklist.approvals.is_empty());
    let warned: Vec<usize> = checklist.warnings.iter().map(|w| w.line).collect();
    assert_eq!(warned, [9, 10, 14, 19], "{:?}", checklist.warnings);
    assert!(
        checklist.warnings[0].message.contains("<details>"),
        "{}",
        checklist.warnings[0].message
    );
}

#[test]
fn triggers_never_block_and_are_listed() {
    let doc = "# Launch\n\n## Go/No-Go\n- [x] Tests pass\n\n### Rollback criteria\n- [ ] Error rate above 5 % for 5 minutes\n\n## Après\nDéclencher un rollback si :\n- Latence p95 > 2 s\n";
    let checklist = read(doc);
    let kinds: Vec<(&str, Kind)> = checklist
        .items
        .iter()
        .map(|i| (i.title.as_str(), i.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("Tests pass", Kind::Task),
            ("Error rate above 5 % for 5 minutes", Kind::Trigger),
            ("Latence p95 > 2 s", Kind::Trigger),
        ]
    );
    let sandbox = Sandbox::new();
    let path = sandbox.write("launch.md", doc);
    let status = status_json(&path);
    assert_eq!(status["summary"]["items"], 1);
    assert_eq!(status["summary"]["triggers"], 2);
    assert_eq!(status["items"][1]["kind"], "trigger");
    let gate = sandbox
        .golive()
        .args(["gate", "launch.md"])
        .output()
        .unwrap();
    assert!(
        gate.status.success(),
        "{}",
        String::from_utf8_lossy(&gate.stdout)
    );
    let table = sandbox
        .golive()
        .args(["status", "launch.md"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("Triggers (2)"), "{text}");
}

#[test]
fn headings_carry_markers_and_blockquotes_are_not_sections() {
    let doc = "# Plan\n\n> **Vérifications avant déploiement**\n\n## Communication externe (si applicable)\n- [ ] Annonce clients\n\n## Test incrémental (optionnel)\n### Étapes\n- [ ] Lancer le test\n\n## Kommunikation (falls zutreffend)\n- [ ] Kunden informieren\n";
    let checklist = read(doc);
    assert!(checklist.items.iter().all(|i| i.conditional));
    assert!(
        checklist
            .sections
            .iter()
            .all(|s| !s.path.iter().any(|p| p.contains("Vérifications"))),
        "{:?}",
        checklist.sections
    );
}

#[test]
fn a_readme_that_documents_golive_names_no_roles() {
    let readme = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let checklist = import(&readme).expect("imports");
    assert!(
        checklist.approvals.iter().all(|a| !a.role.contains('`')),
        "{:?}",
        roles(&checklist)
    );
    let doc = "# Docs\n\n## Approvals\n\n`--role QA`: the role that approves.\n- `golive approve`: records a GO\n";
    assert!(read(doc).approvals.is_empty(), "{:?}", read(doc).approvals);
}

/// Hostile shapes: lists nested thousands deep and a table ten thousand columns wide read
/// without a stack overflow or a quadratic walk; every box is still accounted for.
#[test]
fn deep_lists_and_wide_tables_are_read() {
    let mut deep = String::from("# Deep\n");
    for level in 0..3000 {
        deep.push_str(&"  ".repeat(level));
        deep.push_str(&format!("- [ ] level {level}\n"));
    }
    let checklist = read(&deep);
    assert_eq!(checklist.items.len(), 3000);
    assert_eq!(
        checklist.items[2999].parent.as_deref(),
        Some(checklist.items[2998].id.as_str())
    );
    let columns = 10_000;
    let header: Vec<String> = (0..columns)
        .map(|c| {
            if c == 1 {
                "Status".to_string()
            } else {
                format!("c{c}")
            }
        })
        .collect();
    let row: Vec<&str> = (0..columns)
        .map(|c| if c == 1 { "[ ]" } else { "✅" })
        .collect();
    let wide = format!(
        "# Wide\n|{}|\n|{}|\n|{}|\n",
        header.join("|"),
        vec!["---"; columns].join("|"),
        row.join("|")
    );
    let checklist = read(&wide);
    assert_eq!(checklist.items.len(), 1);
    assert!(checklist.items[0].checkbox.is_some());
    assert_eq!(checklist.items[0].fields.len(), columns - 2);
}
