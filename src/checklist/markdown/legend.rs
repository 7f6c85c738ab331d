//! A file's own legend for its priority markers: `🔴 = Blocker`, `Légende : P1 bloquant, P2
//! important`, or a `Legend:` line followed by `- 🟢 Nice to have` bullets. What the legend
//! says wins over golive's defaults (P0/P1 and 🔴 are blocking).

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use crate::checklist::classify;
use crate::checklist::model::Severity;

#[derive(Debug, Default)]
pub(super) struct Legend {
    marks: Vec<(String, Severity)>,
}

/// Emoji that teams use as priority markers (a few double as boxes: 🔴 🟡 🟢).
fn is_marker_emoji(ch: char) -> bool {
    matches!(
        ch,
        '🔴' | '🟠'
            | '🟡'
            | '🟢'
            | '🔵'
            | '🟣'
            | '⚪'
            | '⚫'
            | '⭐'
            | '❗'
            | '‼'
            | '⚠'
            | '🔥'
            | '🚨'
            | '🟥'
            | '🟧'
            | '🟨'
            | '🟩'
    )
}

fn is_legend_word(folded: &str) -> bool {
    [
        "legend",
        "legende",
        "signification",
        "zeichenerklarung",
        "priorities:",
        "prioritats",
        "marked with",
        "marques par",
        "gekennzeichnet mit",
    ]
    .iter()
    .any(|word| folded.contains(word))
}

/// Parts of the legend words, looked for in every line: one pass, not one per part.
static LEGEND_PARTS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    classify::automaton(&[
        "gend",
        "GEND",
        "riorit",
        "RIORIT",
        "ignific",
        "eichenerkl",
        "arked with",
        "arqués",
        "ekennzeichnet",
    ])
});

/// A `P` or `p` followed by a digit from 0 to 4 somewhere in `line`, as every `P0` … `P4`
/// token has.
fn may_hold_p_token(line: &str) -> bool {
    line.as_bytes()
        .windows(2)
        .any(|pair| matches!(pair, [b'P' | b'p', b'0'..=b'4']))
}

/// `P0` … `P4` as a word of its own.
fn p_token(word: &str) -> Option<String> {
    let word = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let mut chars = word.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (Some('P' | 'p'), Some(digit @ '0'..='4'), None) => Some(format!("P{digit}")),
        _ => None,
    }
}

impl Legend {
    /// Reads the legend lines of `text`. Cheap when there is none: one scan for the words.
    pub(super) fn read(text: &str) -> Legend {
        let mut legend = Legend::default();
        let mut in_legend = false;
        for line in text.lines() {
            let stripped = line
                .trim_start()
                .trim_start_matches(['>', ' '])
                .trim_start_matches(['-', '*', '+', ' ', '|']);
            if stripped.trim().is_empty() {
                in_legend = false;
                continue;
            }
            // Cheap looks first: every marker emoji is outside ASCII, and a `P1` token holds a
            // `P` or `p` followed by a digit.
            let has_marker = (!stripped.is_ascii() && stripped.chars().any(is_marker_emoji))
                || (may_hold_p_token(stripped)
                    && stripped.split_whitespace().any(|w| p_token(w).is_some()));
            if !has_marker && !in_legend {
                // Only a legend word opens a legend block; a cheap look before folding.
                let maybe = LEGEND_PARTS.is_match(line);
                if !maybe {
                    continue;
                }
                let folded = classify::fold(line);
                in_legend = is_legend_word(&folded);
                continue;
            }
            if !has_marker {
                continue;
            }
            let folded = classify::fold(line);
            let opens = is_legend_word(&folded);
            let defining = in_legend || opens || defines_with_separator(stripped);
            if defining {
                legend.read_pairs(stripped);
            }
            in_legend = in_legend || opens;
        }
        legend
    }

    /// `MARK meaning` pairs on one line, separated by `,`, `;`, `|`, `·` or the next marker.
    fn read_pairs(&mut self, line: &str) {
        let mut current: Option<String> = None;
        let mut meaning = String::new();
        let flush = |legend: &mut Legend, mark: &Option<String>, meaning: &str| {
            if let Some(mark) = mark
                && let Some(severity) = classify::severity_of_priority(meaning)
                && !legend.marks.iter().any(|(m, _)| m == mark)
            {
                legend.marks.push((mark.clone(), severity));
            }
        };
        for word in line.split_inclusive(char::is_whitespace) {
            let trimmed = word.trim();
            let emoji = trimmed.chars().next().filter(|ch| is_marker_emoji(*ch));
            let mark = emoji.map(String::from).or_else(|| p_token(trimmed));
            if let Some(mark) = mark {
                flush(self, &current, &meaning);
                current = Some(mark);
                meaning.clear();
                // The rest of the word after an emoji (`🔴=Blocker`) is meaning.
                if let Some(ch) = emoji {
                    meaning.push_str(&trimmed[ch.len_utf8()..]);
                    meaning.push(' ');
                }
                continue;
            }
            if trimmed.ends_with([',', ';', '|', '·']) || trimmed == "|" {
                meaning.push_str(trimmed.trim_end_matches([',', ';', '|', '·']));
                flush(self, &current, &meaning);
                current = None;
                meaning.clear();
                continue;
            }
            meaning.push_str(word);
        }
        flush(self, &current, &meaning);
    }

    /// The legend gives `mark` a meaning, so it is a marker, not a box.
    pub(super) fn defines(&self, mark: &str) -> bool {
        self.marks.iter().any(|(m, _)| m == mark)
    }

    /// The severity the legend's markers in `text` stand for (the strongest when several).
    pub(super) fn severity(&self, text: &str) -> Option<Severity> {
        if self.marks.is_empty() {
            return None;
        }
        self.marks
            .iter()
            .filter(|(mark, _)| {
                if mark.starts_with('P') && mark.len() == 2 {
                    text.split_whitespace()
                        .any(|word| p_token(word).as_deref() == Some(mark.as_str()))
                } else {
                    text.contains(mark.as_str())
                }
            })
            .map(|(_, severity)| *severity)
            .min()
    }
}

/// `🔴 = Blocker`, `P1: bloquant`: a marker, a separator, a meaning golive knows.
fn defines_with_separator(line: &str) -> bool {
    let line = line.trim_start_matches(['*', '_', ' ']);
    let rest = if let Some(ch) = line.chars().next().filter(|ch| is_marker_emoji(*ch)) {
        &line[ch.len_utf8()..]
    } else {
        match line.split_whitespace().next().and_then(p_token) {
            Some(_) => line.trim_start_matches(|c: char| c.is_ascii_alphanumeric()),
            None => return false,
        }
    };
    let rest = rest.trim_start_matches(['*', '_', ' ', '\u{fe0f}']);
    let Some(meaning) = rest
        .strip_prefix(['=', ':', '→'])
        .or_else(|| rest.strip_prefix("–"))
        .or_else(|| rest.strip_prefix("—"))
        .or_else(|| rest.strip_prefix("- "))
    else {
        return false;
    };
    classify::severity_of_priority(meaning.split([',', ';', '.']).next().unwrap_or("")).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_inline_and_bulleted_legends() {
        let legend = Legend::read("Legend: 🔴 Blocker, 🟡 Important, 🟢 Nice to have\n");
        assert_eq!(legend.severity("🔴 Backups"), Some(Severity::Blocking));
        assert_eq!(legend.severity("🟢 Dark mode"), Some(Severity::Advisory));
        assert_eq!(legend.severity("🟡 Docs"), Some(Severity::Required));
        let legend = Legend::read(
            "**Légende :**\n- P1 : bloquant\n- P2 : important\n- P3 : confort\n\n- [ ] P3 thing\n",
        );
        assert_eq!(
            legend.severity("[P1] Sauvegardes"),
            Some(Severity::Blocking)
        );
        assert!(legend.defines("P2"));
        let legend = Legend::read("- 🔴 = Muss vor dem Go-Live erledigt sein (Blocker)\n");
        assert_eq!(legend.severity("🔴 Backup"), Some(Severity::Blocking));
    }

    #[test]
    fn a_list_of_items_is_no_legend() {
        let legend = Legend::read("- 🔴 Backups configured\n- 🟢 Monitoring live\n");
        assert!(legend.marks.is_empty(), "{legend:?}");
        // The legend says P1 is only nice to have: golive's default (blocking) gives way.
        let legend = Legend::read("Legend: P1 = nice to have\n");
        assert_eq!(legend.severity("P1 dark mode"), Some(Severity::Advisory));
    }
}
