//! Heuristics that read meaning from the words teams write: which sections are mandatory,
//! which happen after go-live, which items are optional, what a table column holds.
//! All matching is on [`fold`]ed text so French and English, accented or not, read alike.

use aho_corasick::{AhoCorasick, MatchKind};

use super::model::{Decision, Status};

/// Lowercase ASCII approximation of `text`, with emoji and symbols turned into spaces.
pub(crate) fn fold(text: &str) -> String {
    let mut folded = String::new();
    fold_into(text, &mut folded);
    folded
}

/// [`fold`] into a buffer the caller keeps: one allocation per import, not one per item.
pub(crate) fn fold_into(text: &str, folded: &mut String) {
    folded.clear();
    // Most titles are ASCII: folding is then lowercasing, without a look at each char.
    if text.is_ascii() {
        folded.push_str(text);
        folded.make_ascii_lowercase();
        return;
    }
    folded.reserve(text.len());
    for ch in text.chars() {
        if ch.is_ascii() {
            folded.push(ch.to_ascii_lowercase());
        } else if ch.is_alphanumeric() {
            match deunicode::deunicode_char(ch) {
                Some(ascii) => folded.extend(ascii.chars().map(|c| c.to_ascii_lowercase())),
                None => folded.push(' '),
            }
        } else {
            folded.push(' ');
        }
    }
}

fn contains_any(folded: &str, needles: &[&str]) -> bool {
    needles.iter().any(|needle| folded.contains(needle))
}

/// Word lists read on every item, each searched in one pass over the text: a `contains` per
/// word cost more than the rest of the import put together.
pub(crate) fn automaton(words: &[&str]) -> AhoCorasick {
    // Leftmost-first rather than the standard semantics: only then may a search skip ahead
    // with a prefilter instead of stepping through every byte (half the cost on item titles),
    // and whether a text holds one of the words at all is the same under both.
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(words)
        .expect("constant word lists make an automaton")
}

/// Sections whose items are mandatory go/no-go criteria.
pub(crate) fn is_blocking_heading(heading: &str) -> bool {
    let folded = fold(heading);
    contains_any(
        &folded,
        &[
            "go/no-go",
            "go / no-go",
            "go/no go",
            "go-no-go",
            "go no go",
            "mandatory",
            "obligatoire",
            "blocking",
            "bloquant",
            "all p1",
            "must have",
            "must-have",
            "decision",
        ],
    )
}

/// Sections that describe what happens after go-live; their items never block the gate.
pub(crate) fn is_post_heading(heading: &str) -> bool {
    let folded = fold(heading);
    contains_any(
        &folded,
        &[
            "post go-live",
            "post-go-live",
            "post golive",
            "post-launch",
            "post launch",
            "post-deploiement",
            "post deploiement",
            "post-deployment",
            "post deployment",
            "post-production",
            "after go-live",
            "after launch",
            "apres go-live",
            "apres la mise en production",
            "first 24 hours",
            "first week",
            "first month",
            "premieres 24",
            "premiers 7 jours",
            "premiere semaine",
            "premier mois",
            "j+1",
        ],
    )
}

const SIGNOFF_WORDS: &[&str] = &[
    "sign-off",
    "sign off",
    "signoff",
    "approval",
    "approbation",
    "signature",
    "visa",
    "validation finale",
    "freigabe",
    "abnahme",
    "genehmigung",
    "unterschrift",
];

/// Sections that hold sign-offs: task items there that name a role become approvals. A heading
/// that joins a sign-off to other work ("Feature Review & Approval") is a work section: every
/// part it joins must be about signing off or going live.
pub(crate) fn is_signoff_heading(heading: &str) -> bool {
    let folded = fold(heading);
    if !contains_any(&folded, SIGNOFF_WORDS) {
        return false;
    }
    // "Processus d'Approval", "Approval workflow": how approvals work, not a sign-off list.
    if contains_any(
        &folded,
        &[
            "process",
            "prozess",
            "workflow",
            "procedure",
            "ablauf",
            "flow",
        ],
    ) {
        return false;
    }
    folded
        .split(['&', ',', '/', '+'])
        .flat_map(|part| part.split(" and "))
        .flat_map(|part| part.split(" und "))
        .flat_map(|part| part.split(" et "))
        .filter(|part| part.chars().any(char::is_alphanumeric))
        .all(|part| {
            contains_any(part, SIGNOFF_WORDS)
                || contains_any(
                    part,
                    &[
                        "go-live",
                        "go live",
                        "golive",
                        "launch",
                        "release",
                        "no-go",
                        "go",
                        "final",
                        "mise en production",
                        "required",
                    ],
                )
        })
}

/// Sections whose items are rollback triggers: conditions watched after launch, not tasks.
pub(crate) fn is_trigger_heading(heading: &str) -> bool {
    let folded = fold(heading);
    (folded.contains("rollback") || folded.contains("retour arriere"))
        && contains_any(
            &folded,
            &[
                "critere",
                "criteria",
                "trigger",
                "declench",
                "kriterien",
                "ausloser",
                "conditions",
            ],
        )
}

/// A lead line such as "Déclencher un rollback si :" or "Roll back if:".
fn is_trigger_lead(key: &str) -> bool {
    is_trigger_heading(key)
        || ((key.contains("rollback") || key.contains("roll back"))
            && contains_any(key, &[" si", " if", " when", " wenn", " falls"]))
}

/// The severity a priority cell or a legend's meaning stands for: P0/P1, 🔴, Blocker,
/// Bloquant, Must, Obligatoire are blocking; P3, Nice to have, Could, Optional are advisory.
pub(crate) fn severity_of_priority(text: &str) -> Option<super::model::Severity> {
    use super::model::Severity;
    if text.contains('🔴') {
        return Some(Severity::Blocking);
    }
    let folded = fold(text);
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .collect();
    let has = |wanted: &[&str]| words.iter().any(|word| wanted.contains(word));
    if has(&[
        "p0",
        "p1",
        "blocker",
        "blocking",
        "bloquant",
        "bloquante",
        "must",
        "obligatoire",
        "critical",
        "critique",
        "kritisch",
        "mandatory",
        "pflicht",
        "blocker",
        "showstopper",
        "blockers",
        "muss",
    ]) {
        Some(Severity::Blocking)
    } else if has(&[
        "p3",
        "p4",
        "nice",
        "could",
        "optional",
        "optionnel",
        "low",
        "advisory",
        "recommended",
        "recommande",
        "empfohlen",
        "kann",
        "faible",
        "niedrig",
        "confort",
        "komfort",
    ]) {
        Some(Severity::Advisory)
    } else if has(&[
        "p2",
        "should",
        "important",
        "high",
        "medium",
        "required",
        "majeur",
        "hoch",
        "mittel",
        "requis",
        "soll",
    ]) {
        Some(Severity::Required)
    } else {
        None
    }
}

/// Table headers naming a priority column.
pub(crate) fn is_priority_header(header: &str) -> bool {
    matches!(
        header_key(header).as_str(),
        "priority"
            | "priorite"
            | "prioritat"
            | "prio"
            | "severity"
            | "severite"
            | "criticite"
            | "criticality"
            | "kritikalitat"
            | "importance"
            | "blocking"
            | "bloquant"
            | "moscow"
    )
}

/// Maturity-level headers: `Level A`, `Niveau 2`, `Stufe 1`, `Tier 1`, `L2`, and release
/// stages `Experiment | Beta | GA`.
pub(crate) fn is_level_header(header: &str) -> bool {
    let key = header_key(header);
    let key = key.trim();
    let mut words = key.split_whitespace();
    let (Some(first), second, None) = (words.next(), words.next(), words.next()) else {
        return false;
    };
    match second {
        Some(name) => {
            matches!(first, "level" | "niveau" | "stufe" | "tier" | "maturity")
                && name.chars().count() <= 3
        }
        None => {
            matches!(
                first,
                "experiment"
                    | "experimental"
                    | "alpha"
                    | "beta"
                    | "ga"
                    | "preview"
                    | "stable"
                    | "mvp"
                    | "pilot"
                    | "l0"
                    | "l1"
                    | "l2"
                    | "l3"
                    | "l4"
                    | "l5"
            )
        }
    }
}

/// A level table's cell saying "required at this level": ✅, `:white_check_mark:`, `x`, ✓.
pub(crate) fn is_level_mark(cell: &str) -> bool {
    let trimmed = cell.trim();
    trimmed.contains('✅')
        || trimmed.contains('✔')
        || trimmed.contains('✓')
        || trimmed.contains('☑')
        || trimmed.contains(":white_check_mark:")
        || trimmed.contains(":heavy_check_mark:")
        || matches!(
            trimmed,
            "x" | "X" | "yes" | "Yes" | "YES" | "required" | "Required" | "ja" | "oui"
        )
}

/// The role of a sign-off row inside an item table: "QA sign-off", "Sign-off by CTO",
/// "Freigabe durch Fachbereich", "Validation par le RSSI".
pub(crate) fn signoff_row_role(title: &str) -> Option<String> {
    let words: Vec<&str> = title.split_whitespace().collect();
    if words.is_empty() || words.len() > 7 {
        return None;
    }
    let word_key = |word: &str| {
        let folded = fold(word);
        folded
            .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            .to_string()
    };
    // Words that name a sign-off on their own, whatever surrounds them.
    let is_signoff = |word: &str| {
        matches!(
            word_key(word).as_str(),
            "sign-off" | "signoff" | "approval" | "freigabe" | "abnahme"
        )
    };
    // Words that name one only when followed by who: "Validation par le RSSI".
    let is_signoff_by = |word: &str| {
        is_signoff(word)
            || matches!(
                word_key(word).as_str(),
                "validation" | "signature" | "approbation" | "approved" | "approuve"
            )
    };
    let is_by = |word: &str| {
        matches!(
            word_key(word).as_str(),
            "by" | "from" | "par" | "du" | "de" | "durch" | "von" | "vom" | "der" | "le" | "la"
        )
    };
    let role = if is_signoff_by(words[0]) {
        let by = words
            .get(1)
            .is_some_and(|word| is_by(word) || word.ends_with(':'))
            || words[0].ends_with(':');
        if !is_signoff(words[0]) && !by {
            return None;
        }
        let rest: Vec<&str> = words[1..]
            .iter()
            .copied()
            .skip_while(|word| is_by(word) || *word == ":" || *word == "-")
            .collect();
        rest.join(" ")
    } else if words.len() >= 2 && is_signoff(words[words.len() - 1]) {
        words[..words.len() - 1].join(" ")
    } else {
        return None;
    };
    let role = role.trim_matches(|c: char| c == ':' || c == '-' || c.is_whitespace());
    (!role.is_empty() && role.split_whitespace().count() <= 4).then(|| role.to_string())
}

/// The label of one option of a choice cell (`☐ ja ☐ nein`): what ticking it says.
pub(crate) fn choice_status(label: &str) -> Option<Status> {
    match fold(label)
        .trim()
        .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '/')
    {
        "ok" | "ja" | "yes" | "oui" | "done" | "erledigt" | "fait" | "pass" | "go"
        | "bestanden" | "erfullt" | "valide" | "conforme" | "vorhanden" => Some(Status::Done),
        "nein" | "no" | "non" | "fail" | "ko" | "no-go" | "nicht ok" | "nok" | "echec"
        | "abgelehnt" => Some(Status::Failed),
        "n/a" | "na" | "entfallt" | "sans objet" | "not applicable" => Some(Status::Na),
        "offen" | "open" | "todo" | "ouvert" | "en cours" | "in arbeit" | "pending" => {
            Some(Status::Todo)
        }
        _ => None,
    }
}

/// What a table column holds, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    Title,
    Description,
    Owner,
    Status,
    /// A sign-off table's role column.
    Role,
    /// A sign-off table's person column.
    Name,
    /// A sign-off table's decision column (Approval, Go/No-Go, Signature).
    Verdict,
    /// A second name column (`Service | Metric`): joined to the title.
    Subtitle,
    /// P0/P1, Blocker, Must: the row's severity.
    Priority,
    Other,
}

fn header_key(header: &str) -> String {
    fold(header)
        .trim()
        .trim_end_matches([':', '.', '*'])
        .trim()
        .to_string()
}

fn is_status_header(key: &str) -> bool {
    matches!(
        key,
        "status"
            | "statut"
            | "etat"
            | "state"
            | "met"
            | "done"
            | "fait"
            | "ok"
            | "complete"
            | "completed"
            | "result"
            | "resultat"
            | "valide"
            | "validated"
            | "checked"
            | "coche"
            | "erledigt"
            | "stand"
            | "ergebnis"
            | "ja/nein"
            | "yes/no"
            | "oui/non"
    ) || key.contains("status")
        || key.contains("statut")
}

fn is_verdict_header(key: &str) -> bool {
    key.contains("go/no-go")
        || key.contains("go / no-go")
        || key.contains("go/no go")
        || key.contains("approval")
        || key.contains("approbation")
        || key.contains("approved")
        || key.contains("signature")
        || key.contains("sign-off")
        || key.contains("signoff")
        || key.contains("decision")
        || key == "visa"
        || key == "validation"
}

fn is_role_header(key: &str) -> bool {
    matches!(
        key,
        "role" | "roles" | "approver" | "approbateur" | "signataire" | "fonction"
    )
}

fn is_title_header(key: &str) -> bool {
    matches!(
        key,
        "item"
            | "items"
            | "element"
            | "criteria"
            | "criterion"
            | "critere"
            | "criteres"
            | "requirement"
            | "exigence"
            | "metric"
            | "metrique"
            | "test scenario"
            | "scenario"
            | "service"
            | "control"
            | "controle"
            | "check"
            | "task"
            | "tache"
            | "action"
            | "point"
            | "verification"
            | "objective"
            | "objectif"
            | "name"
            | "nom"
            | "check name"
            | "check item"
            | "checkpoint"
            | "prufpunkt"
            | "aufgabe"
            | "punkt"
            | "anforderung"
            | "kriterium"
            | "massnahme"
            | "thema"
            | "bezeichnung"
            | "pruefpunkt"
    )
}

fn is_owner_header(key: &str) -> bool {
    matches!(
        key,
        "verantwortlich"
            | "zustandig"
            | "owner"
            | "owners"
            | "responsable"
            | "role"
            | "assignee"
            | "who"
            | "qui"
            | "porteur"
            | "team"
            | "equipe"
            | "proprietaire"
    )
}

fn is_description_header(key: &str) -> bool {
    matches!(
        key,
        "description"
            | "details"
            | "detail"
            | "what"
            | "quoi"
            | "descriptif"
            | "short description"
            | "beschreibung"
    )
}

/// Some header names a status column, so the table's rows are items even without boxes.
pub(crate) fn has_status_header(headers: &[String]) -> bool {
    headers
        .iter()
        .map(|h| header_key(h))
        .any(|k| is_status_header(&k) || is_verdict_header(&k))
}

/// A table whose rows are sign-offs: it has a role column and a verdict column.
pub(crate) fn signoff_columns(headers: &[String]) -> Option<Vec<Column>> {
    let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
    let role = keys.iter().position(|k| is_role_header(k))?;
    let verdict = keys.iter().position(|k| is_verdict_header(k))?;
    let name = keys
        .iter()
        .position(|k| matches!(k.as_str(), "name" | "nom" | "who" | "qui"));
    Some(
        (0..keys.len())
            .map(|index| match index {
                _ if index == role => Column::Role,
                _ if index == verdict => Column::Verdict,
                _ if Some(index) == name => Column::Name,
                _ => Column::Other,
            })
            .collect(),
    )
}

/// Column roles of an item table. `checkbox_column` is the column where `[ ]` cells were seen,
/// used when no header names the status.
pub(crate) fn item_columns(
    headers: &[String],
    checkbox_column: Option<usize>,
) -> Option<Vec<Column>> {
    let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
    let status = keys
        .iter()
        .position(|k| is_status_header(k) || is_verdict_header(k))
        .or(checkbox_column)?;
    let title = keys
        .iter()
        .enumerate()
        .position(|(index, k)| index != status && is_title_header(k))
        .or_else(|| (0..keys.len()).find(|&index| index != status))?;
    let mut columns = vec![Column::Other; keys.len()];
    columns[status] = Column::Status;
    columns[title] = Column::Title;
    let mut owner_taken = false;
    let mut description_taken = false;
    let mut subtitle_taken = false;
    for (index, key) in keys.iter().enumerate() {
        if columns[index] != Column::Other {
            continue;
        }
        if is_priority_header(key) {
            columns[index] = Column::Priority;
        } else if !subtitle_taken && is_title_header(key) && key != "name" && key != "nom" {
            columns[index] = Column::Subtitle;
            subtitle_taken = true;
        } else if !owner_taken && is_owner_header(key) {
            columns[index] = Column::Owner;
            owner_taken = true;
        } else if !description_taken && is_description_header(key) {
            columns[index] = Column::Description;
            description_taken = true;
        }
    }
    Some(columns)
}

/// The field name a table column is kept under.
pub(crate) fn field_name(header: &str) -> String {
    let key = header_key(header);
    let mut name = String::with_capacity(key.len());
    for word in key
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !name.is_empty() {
            name.push('_');
        }
        name.push_str(word);
    }
    if name.is_empty() {
        "column".to_string()
    } else {
        name
    }
}

/// Status written in a table cell without a checkbox: ✅, PASS, N/A, …
pub(crate) fn status_from_cell(cell: &str) -> Status {
    let trimmed = cell.trim();
    if trimmed.contains('✅')
        || trimmed.contains('✔')
        || trimmed.contains('☑')
        || trimmed.contains('✓')
    {
        return Status::Done;
    }
    if trimmed.contains('❌') || trimmed.contains('✗') || trimmed.contains('✘') {
        return Status::Failed;
    }
    match fold(trimmed).trim() {
        "done" | "fait" | "ok" | "pass" | "passed" | "yes" | "oui" | "go" | "complete"
        | "completed" | "termine" | "valide" | "met" => Status::Done,
        "fail" | "failed" | "ko" | "no" | "non" | "no-go" | "echec" | "not met" => Status::Failed,
        "n/a" | "na" | "n.a." | "non applicable" | "not applicable" => Status::Na,
        "waived" | "waiver" | "derogation" => Status::Waived,
        _ => Status::Todo,
    }
}

/// Decision written in a sign-off cell: a ticked box or GO means GO.
pub(crate) fn decision_from_cell(cell: &str) -> Decision {
    let folded = fold(cell);
    let folded = folded.trim();
    if folded.contains("no-go") || folded.contains("no go") || folded == "nogo" {
        return Decision::NoGo;
    }
    match status_from_cell(cell) {
        Status::Done => Decision::Go,
        Status::Failed => Decision::NoGo,
        _ => Decision::Pending,
    }
}

/// Keys of `Key: value` lines that name a section's owner.
pub(crate) fn is_owner_key(key: &str) -> bool {
    matches!(
        header_key(key).as_str(),
        "owner"
            | "responsable"
            | "proprietaire"
            | "porteur"
            | "accountable"
            | "assignee"
            | "verantwortlich"
            | "zustandig"
    )
}

pub(crate) fn is_status_key(key: &str) -> bool {
    matches!(
        header_key(key).as_str(),
        "status" | "statut" | "etat" | "result" | "resultat" | "ergebnis"
    )
}

/// Lines that open a list of criteria, evidence or sign-offs in gate-style sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListLead {
    Criteria,
    Evidence,
    Signoffs,
    /// "Déclencher un rollback si :", "Rollback if:": the list holds triggers.
    Triggers,
}

pub(crate) fn list_lead(line: &str) -> Option<ListLead> {
    let key = header_key(line.trim().trim_end_matches(':'));
    match key.as_str() {
        "criteria" | "criteres" | "critere" | "acceptance criteria" | "criteres d'acceptation" => {
            Some(ListLead::Criteria)
        }
        "evidence" | "preuves" | "preuve" | "evidences" => Some(ListLead::Evidence),
        "sign-offs" | "sign-off" | "signoffs" | "signoff" | "approvals" | "approbations"
        | "validations" | "freigaben" | "freigabe" | "signatures" | "unterschriften" => {
            Some(ListLead::Signoffs)
        }
        "kriterien" | "abnahmekriterien" | "exit criteria" | "go criteria" => {
            Some(ListLead::Criteria)
        }
        "nachweise" | "nachweis" => Some(ListLead::Evidence),
        _ if line.trim_end().ends_with(':') && is_trigger_lead(&key) => Some(ListLead::Triggers),
        _ => None,
    }
}

/// `Key: value` keys that hold a date or a version rather than a role, in sign-off lists.
pub(crate) fn is_date_key(key: &str) -> bool {
    let folded = fold(key);
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let dated = |word: &str| {
        word.ends_with("date")
            || word.ends_with("datum")
            || matches!(
                word,
                "version"
                    | "jour"
                    | "jours"
                    | "day"
                    | "days"
                    | "tage"
                    | "tag"
                    | "uhrzeit"
                    | "heure"
                    | "time"
                    | "ort"
                    | "lieu"
                    | "place"
            )
    };
    words.iter().any(|word| dated(word))
        // "Review 30-Days": a later review, not a role to sign before launch.
        || (words.contains(&"review") && folded.chars().any(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_and_drops_emoji() {
        assert_eq!(fold("Critères Obligatoires ✅"), "criteres obligatoires  ");
    }

    #[test]
    fn recognises_section_kinds() {
        assert!(is_blocking_heading(
            "Critères Obligatoires (tous doivent être ✅)"
        ));
        assert!(is_blocking_heading("Go/No-Go Final"));
        assert!(is_blocking_heading("Go-Live Decision"));
        assert!(!is_blocking_heading("Infrastructure Readiness"));
        assert!(is_post_heading("Post-Déploiement Immédiat (J+1 à J+7)"));
        assert!(is_post_heading("Immediate (First 24 Hours)"));
        assert!(!is_post_heading("Pre-Deployment"));
        assert!(is_signoff_heading("Required Approvals"));
        assert!(is_signoff_heading("Signoff"));
    }

    #[test]
    fn maps_item_table_columns() {
        let headers: Vec<String> = ["Item", "Description", "Owner", "Status", "Date"]
            .map(String::from)
            .to_vec();
        let columns = item_columns(&headers, None).unwrap();
        assert_eq!(
            columns,
            [
                Column::Title,
                Column::Description,
                Column::Owner,
                Column::Status,
                Column::Other
            ]
        );
        let headers: Vec<String> = ["Criteria", "Met", "Notes"].map(String::from).to_vec();
        assert_eq!(
            item_columns(&headers, None).unwrap(),
            [Column::Title, Column::Status, Column::Other]
        );
    }

    #[test]
    fn maps_signoff_table_columns() {
        let headers: Vec<String> = ["Rôle", "Nom", "Go/No-Go", "Signature"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            signoff_columns(&headers).unwrap(),
            [Column::Role, Column::Name, Column::Verdict, Column::Other]
        );
        let contacts: Vec<String> = ["Role", "Contact", "Phone"].map(String::from).to_vec();
        assert!(signoff_columns(&contacts).is_none());
    }

    #[test]
    fn reads_cell_statuses() {
        assert_eq!(status_from_cell(" ✅ "), Status::Done);
        assert_eq!(status_from_cell("N/A"), Status::Na);
        assert_eq!(status_from_cell(""), Status::Todo);
        assert_eq!(decision_from_cell("NO-GO"), Decision::NoGo);
        assert_eq!(decision_from_cell("GO"), Decision::Go);
    }
}
