//! The approvals a runbook section names in its own words: "3. **Approbation** : Comité de
//! changement" (seed 003), "Approved by: CAB", "Sign-off: CTO + Security". Read line by line
//! from the decoded text, because such lines are prose (a numbered list, a paragraph), not
//! sign-off tables the importer models.
//!
//! The scope is the runbook's heading widened to the outermost enclosing heading of the same
//! kind: seed 003 writes its approval process under "6.1 Gestion des Changements" and the
//! steps under "6.2 Procédure de Changement", both inside "Procédures de Changement".

use super::{RunbookKind, detect_runbook, fold, last, words_of};
use crate::checklist::Checklist;
use crate::checklist::encoding::repair_mojibake;

/// Words before a colon that introduce the roles whose approval a procedure needs.
const KEYS: &[&str] = &[
    "approbation",
    "approbations",
    "approbateur",
    "approbateurs",
    "approuve par",
    "approuvee par",
    "approval",
    "approvals",
    "approver",
    "approvers",
    "approved by",
    "sign off",
    "sign offs",
    "signoff",
    "signoffs",
    "genehmigung",
    "genehmigt von",
    "freigabe",
    "freigegeben von",
];

/// The lines `[start, end)` (1-based, as sections count them) a runbook at section `index`
/// reads its approvals from.
pub(super) fn scope(checklist: &Checklist, index: usize, kind: RunbookKind) -> (usize, usize) {
    let sections = &checklist.sections;
    let mut outer = index;
    let mut current = sections[index].parent;
    while let Some(parent) = current {
        if detect_runbook(last(&sections[parent].path)) == Some(kind) {
            outer = parent;
        }
        current = sections[parent].parent;
    }
    let start = sections[outer].line;
    let end = sections
        .iter()
        .skip(outer + 1)
        .find(|s| s.level <= sections[outer].level)
        .map_or(usize::MAX, |s| s.line);
    (start, end)
}

/// The roles the prose lines `[start, end)` of `text` name as approvers, in order, repaired
/// like any other extracted text. Headings, tables and code blocks are not prose.
pub(super) fn named_in(text: &str, (start, end): (usize, usize)) -> Vec<String> {
    let mut roles = Vec::new();
    let mut fence: Option<&str> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if number >= end {
            break;
        }
        let trimmed = line.trim_start();
        for marker in ["```", "~~~"] {
            if trimmed.starts_with(marker) {
                fence = match fence {
                    Some(open) if open == marker => None,
                    None => Some(marker),
                    other => other,
                };
            }
        }
        if number < start || fence.is_some() || trimmed.starts_with(['#', '|', '`', '~']) {
            continue;
        }
        for role in roles_of(trimmed) {
            if !roles
                .iter()
                .any(|known: &String| fold(known) == fold(&role))
            {
                roles.push(role);
            }
        }
    }
    roles
}

/// `- 3. **Approbation** : Comité de changement` → `["Comité de changement"]`.
fn roles_of(line: &str) -> Vec<String> {
    let plain = line.replace("**", "").replace("__", "");
    let mut rest = plain.trim_start_matches(['>', ' ', '\t']);
    // List markers and numbering, possibly both: `- 3.`, `1)`.
    loop {
        let before = rest;
        rest = rest
            .strip_prefix(['-', '*', '+'])
            .map_or(rest, str::trim_start);
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && rest[digits..].starts_with(['.', ')']) {
            rest = rest[digits + 1..].trim_start();
        }
        if rest == before {
            break;
        }
    }
    let Some((key, value)) = rest.split_once(':') else {
        return Vec::new();
    };
    let key = fold(key);
    let key = words_of(&key).join(" ");
    if !KEYS.contains(&key.as_str()) {
        return Vec::new();
    }
    let value = repair_mojibake(value).map_or_else(|| value.to_string(), |(fixed, _)| fixed);
    let value = value.trim().trim_end_matches('.');
    let mut roles = Vec::new();
    let mut parts = vec![value.to_string()];
    for separator in [",", ";", "+", "/", "&", " et ", " and ", " und "] {
        parts = parts
            .iter()
            .flat_map(|part| part.split(separator).map(str::to_string))
            .collect();
    }
    for part in parts {
        let role = part.trim();
        // Placeholders ("[À définir]", "___", "TBD") name nobody.
        let placeholder = role.starts_with('[')
            || role.chars().all(|c| c == '_' || c == '.' || c == '-')
            || matches!(fold(role).as_str(), "tbd" | "a definir" | "n/a");
        if !role.is_empty() && !placeholder && role.chars().count() <= 60 {
            roles.push(role.to_string());
        }
    }
    roles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approval_lines_name_roles_and_nothing_else_does() {
        assert_eq!(
            roles_of("3. **Approbation** : Comité de changement"),
            ["Comité de changement"]
        );
        assert_eq!(
            roles_of("- Approved by: CTO + Security Lead."),
            ["CTO", "Security Lead"]
        );
        assert_eq!(roles_of("- Sign-off: CAB, [À définir]"), ["CAB"]);
        assert_eq!(
            roles_of("1. **Demande** : Formulaire de changement"),
            [""; 0]
        );
        assert_eq!(roles_of("- [ ] Approbation du comité de sécurité"), [""; 0]);
        assert_eq!(roles_of("Approval: ___"), [""; 0]);
    }

    #[test]
    fn headings_tables_and_code_are_not_prose() {
        let text = "## Change\n\n```\nApproval: Mallory\n```\n| Approval: Eve |\n### Approval: Heading\n- Approval: CAB\n## Next\n- Approval: Later\n";
        assert_eq!(named_in(text, (1, 9)), ["CAB"]);
    }
}
