//! What an item's own words mark it as: blocking (`(P1)`, `[blocker]`, `MUST`, 🔴),
//! advisory (`(nice-to-have)`, `[P3]`) or conditional (`(if applicable)`, `optionnel`).
//! Matched on [`fold`]ed text, like the rest of [`super::classify`].

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use super::classify::{automaton, fold};

/// The marks found in an item's text.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Marks {
    pub(crate) blocking: bool,
    pub(crate) advisory: bool,
    pub(crate) conditional: bool,
}

const BLOCKING_WORDS: &[&str] = &[
    "(blocking)",
    "[blocking]",
    "(bloquant)",
    "[bloquant]",
    "(blocker)",
    "[blocker]",
    "(p0)",
    "[p0]",
    "(p1)",
    "[p1]",
    "(must)",
    "[must]",
    "(obligatoire)",
    "[obligatoire]",
    "(pflicht)",
    "[pflicht]",
    "(kritisch)",
    "(critical)",
    "[critical]",
];

const ADVISORY_WORDS: &[&str] = &[
    "(advisory)",
    "[advisory]",
    "(recommended)",
    "(recommande)",
    "(empfohlen)",
    "nice to have",
    "(nice-to-have)",
    "(p3)",
    "[p3]",
];

/// Items that may be marked n/a: "(if applicable)", "optionnel", "(si requis)", "If used, …".
const CONDITIONAL_WORDS: &[&str] = &[
    "if applicable",
    "si applicable",
    "optional",
    "optionnel",
    "if required",
    "si requis",
    "if needed",
    "si necessaire",
    "if used",
    "when applicable",
    "le cas echeant",
    "falls zutreffend",
    "falls erforderlich",
    "wenn zutreffend",
    "wenn erforderlich",
];

/// The three word lists in one automaton, in the order above: one pass over every item's
/// text instead of one per list (three passes were an eighth of the import). No word of one
/// list overlaps a word of another (see the tests), so a search that reports only matches
/// that do not overlap still finds each list that occurs.
static WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let words: Vec<&str> = [BLOCKING_WORDS, ADVISORY_WORDS, CONDITIONAL_WORDS].concat();
    automaton(&words)
});

/// The marks in `text`, whose [`fold`] is `folded`; the raw text is needed for emoji markers
/// (🔴) and for upper-case `MUST`, which fold away.
pub(crate) fn read(folded: &str, text: &str) -> Marks {
    let mut marks = Marks::default();
    for found in WORDS.find_iter(folded) {
        let mut index = found.pattern().as_usize();
        if index < BLOCKING_WORDS.len() {
            marks.blocking = true;
            continue;
        }
        index -= BLOCKING_WORDS.len();
        if index < ADVISORY_WORDS.len() {
            marks.advisory = true;
        } else {
            marks.conditional = true;
        }
    }
    marks.blocking = marks.blocking || blocking_lead(folded, text);
    marks.conditional = marks.conditional || conditional_parenthesis(folded);
    marks
}

/// Items that may be marked n/a (see [`read`]): section headings read this too.
pub(crate) fn is_conditional(text: &str) -> bool {
    read(&fold(text), text).conditional
}

fn blocking_lead(folded: &str, text: &str) -> bool {
    let lead = folded.trim_start();
    [
        "p0 ",
        "p0:",
        "p1 ",
        "p1:",
        "blocker:",
        "bloquant :",
        "bloquant:",
        "must:",
    ]
    .iter()
    .any(|marker| lead.starts_with(marker))
        || text.contains('🔴')
        // A look for the capital first: splitting every title into words is the costly part.
        || (text.contains('M') && text.split_whitespace().any(|word| word == "MUST"))
}

/// A parenthesis that opens with a condition: "(if handling EU data)", "(si complexe)".
fn conditional_parenthesis(folded: &str) -> bool {
    folded.match_indices('(').any(|(at, _)| {
        let rest = folded[at + 1..].trim_start();
        rest.starts_with("if ") || rest.starts_with("si ") || rest.starts_with("when ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(text: &str) -> Marks {
        read(&fold(text), text)
    }

    #[test]
    fn recognises_conditional_items() {
        assert!(is_conditional("Auto-scaling configuré (si applicable)"));
        assert!(is_conditional("`ALERT_SMS` configuré (optionnel)"));
        assert!(is_conditional(
            "GDPR compliance verified (if handling EU data)"
        ));
        assert!(is_conditional("If used, properly implemented"));
        assert!(!is_conditional("Authentification forte (MFA si sensible)"));
        assert!(!is_conditional("Load balancing configured"));
    }

    /// `a` and `b` can share letters in a text: one holds the other, or one ends with how the
    /// other starts.
    fn overlap(a: &str, b: &str) -> bool {
        a.contains(b)
            || b.contains(a)
            || (1..a.len().min(b.len())).any(|n| a.ends_with(&b[..n]) || b.ends_with(&a[..n]))
    }

    #[test]
    fn no_word_overlaps_a_word_of_another_list() {
        let lists = [BLOCKING_WORDS, ADVISORY_WORDS, CONDITIONAL_WORDS];
        for (i, list) in lists.iter().enumerate() {
            for other in &lists[i + 1..] {
                for a in *list {
                    for b in *other {
                        assert!(!overlap(a, b), "{a:?} overlaps {b:?}");
                    }
                }
            }
        }
        assert!(overlap("(p1)", "p1) x") && overlap("if used", "used"));
    }

    #[test]
    fn reads_each_list() {
        assert!(marks("Backups [P1]").blocking);
        assert_eq!(
            marks("MUST rotate keys"),
            Marks {
                blocking: true,
                ..Marks::default()
            }
        );
        assert_eq!(
            marks("Dark mode (P3)"),
            Marks {
                advisory: true,
                ..Marks::default()
            }
        );
        // Words of different lists sharing letters are all found.
        assert_eq!(
            marks("Status page (nice-to-have) (optional) (blocking)"),
            Marks {
                blocking: true,
                advisory: true,
                conditional: true
            }
        );
        assert_eq!(marks("Load balancing configured"), Marks::default());
    }
}
