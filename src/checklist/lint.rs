//! Problems a person should fix in the checklist itself.

use std::collections::HashMap;

use serde::Serialize;

use super::classify::fold;
use super::model::{Checklist, WarningKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub line: usize,
    pub rule: Rule,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    DuplicateTitle,
    MissingOwner,
    EmptySection,
    UnreadableLine,
    /// `- [ ] ✅ …`: the box and the emoji disagree.
    ContradictoryBox,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::DuplicateTitle => "duplicate-title",
            Rule::MissingOwner => "missing-owner",
            Rule::EmptySection => "empty-section",
            Rule::UnreadableLine => "unreadable-line",
            Rule::ContradictoryBox => "contradictory-box",
        }
    }
}

pub fn lint(checklist: &Checklist) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut first_seen: HashMap<(Option<usize>, String), usize> = HashMap::new();
    for item in &checklist.items {
        let key = (
            item.section,
            fold(&item.title)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        );
        match first_seen.get(&key) {
            Some(first) => findings.push(Finding {
                line: item.line,
                rule: Rule::DuplicateTitle,
                message: format!(
                    "`{}` already appears in this section at line {first}; merge them or reword one",
                    item.title
                ),
            }),
            None => {
                first_seen.insert(key, item.line);
            }
        }
        if checklist.has_owner_column && item.owner.is_none() {
            findings.push(Finding {
                line: item.line,
                rule: Rule::MissingOwner,
                message: format!(
                    "`{}` has no owner while this checklist assigns owners; name one (an `Owner` column, or an `Owner:` line under its heading)",
                    item.title
                ),
            });
        }
    }
    for section in checklist.sections.iter().filter(|section| section.empty) {
        let name = section.path.last().map_or("", String::as_str);
        findings.push(Finding {
            line: section.line,
            rule: Rule::EmptySection,
            message: format!("section `{name}` is empty; add its items or remove the heading"),
        });
    }
    for warning in &checklist.warnings {
        let rule = match warning.kind {
            WarningKind::Unreadable => Rule::UnreadableLine,
            WarningKind::Contradiction => Rule::ContradictoryBox,
            WarningKind::Encoding => continue,
        };
        findings.push(Finding {
            line: warning.line,
            rule,
            message: warning.message.clone(),
        });
    }
    findings.sort_by_key(|finding| finding.line);
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::import;

    fn rules(doc: &str) -> Vec<(usize, Rule)> {
        lint(&import(doc.as_bytes()).unwrap())
            .iter()
            .map(|f| (f.line, f.rule))
            .collect()
    }

    #[test]
    fn clean_checklist_has_no_findings() {
        assert_eq!(rules("# T\n## A\n- [ ] One\n- [ ] Two\n"), []);
    }

    #[test]
    fn finds_each_rule() {
        assert_eq!(
            rules("# T\n## A\n- [ ] One\n- [ ] one\n"),
            [(4, Rule::DuplicateTitle)]
        );
        assert_eq!(
            rules("# T\n## Empty\n## B\n- [ ] x\n"),
            [(2, Rule::EmptySection)]
        );
        assert_eq!(
            rules("# T\n## A\n-[ ] squashed\n"),
            [(3, Rule::UnreadableLine)]
        );
        assert_eq!(
            rules("# T\n## A\n- [ ] ✅ Backups\n- [x] ✅ Restore\n- [x] ❌ DNS\n"),
            [(3, Rule::ContradictoryBox), (5, Rule::ContradictoryBox)]
        );
        let owners = "# T\n## A\n| Item | Owner | Status |\n|--|--|--|\n| A | Ops | [ ] |\n| B |  | [ ] |\n- [ ] listed\n";
        assert_eq!(
            rules(owners),
            [(6, Rule::MissingOwner), (7, Rule::MissingOwner)]
        );
    }
}
