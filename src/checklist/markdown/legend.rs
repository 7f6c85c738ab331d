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
const MARKER_EMOJI: [char; 18] = [
    '🔴', '🟠', '🟡', '🟢', '🔵', '🟣', '⚪', '⚫', '⭐', '❗', '‼', '⚠', '🔥', '🚨', '🟥', '🟧',
    '🟨', '🟩',
];

fn is_marker_emoji(ch: char) -> bool {
    MARKER_EMOJI.contains(&ch)
}

/// A line's text after quote, list and table marks.
fn strip_lead(line: &str) -> &str {
    line.trim_start()
        .trim_start_matches(['>', ' '])
        .trim_start_matches(['-', '*', '+', ' ', '|'])
}

/// A line that ends a legend block: nothing but quote, list or table marks.
fn is_blank(line: &str) -> bool {
    strip_lead(line).trim().is_empty()
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
const LEGEND_PARTS: [&str; 9] = [
    "gend",
    "GEND",
    "riorit",
    "RIORIT",
    "ignific",
    "eichenerkl",
    "arked with",
    "arqués",
    "ekennzeichnet",
];

static LEGEND_WORD_PARTS: LazyLock<AhoCorasick> =
    LazyLock::new(|| classify::automaton(&LEGEND_PARTS));

/// Everything that makes a line worth a look: a legend word's part, a marker emoji, or the
/// `P0` … `P4` a priority token holds. One search over the whole file finds the few lines
/// that have one; a look at every line cost a tenth of the import.
static LINE_LOOKS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let emoji: Vec<String> = MARKER_EMOJI.iter().map(|ch| ch.to_string()).collect();
    let tokens: Vec<String> = ["P", "p"]
        .iter()
        .flat_map(|p| (0..=4).map(move |digit| format!("{p}{digit}")))
        .collect();
    let mut looks: Vec<&str> = LEGEND_PARTS.to_vec();
    looks.extend(emoji.iter().map(String::as_str));
    looks.extend(tokens.iter().map(String::as_str));
    classify::automaton(&looks)
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
    /// Reads the legend lines of `text`. Cheap when there is none: one search of the whole
    /// text finds the lines that may define a marker or open a legend block.
    pub(super) fn read(text: &str) -> Legend {
        let mut legend = Legend::default();
        let mut in_legend = false;
        // Start of the line after the last one looked at.
        let mut done = 0;
        for found in LINE_LOOKS.find_iter(text) {
            if found.start() < done {
                continue;
            }
            let start =
                memchr::memrchr(b'\n', &text.as_bytes()[..found.start()]).map_or(0, |at| at + 1);
            let end = memchr::memchr(b'\n', &text.as_bytes()[found.end()..])
                .map_or(text.len(), |at| found.end() + at);
            // A legend block ends at a blank line; only the lines skipped can hold one.
            if in_legend && text[done..start].lines().any(is_blank) {
                in_legend = false;
            }
            done = (end + 1).min(text.len());
            let line = text[start..end].trim_end_matches('\r');
            legend.read_line(line, &mut in_legend);
        }
        legend
    }

    fn read_line(&mut self, line: &str, in_legend: &mut bool) {
        let stripped = strip_lead(line);
        if stripped.trim().is_empty() {
            *in_legend = false;
            return;
        }
        let has_marker = (!stripped.is_ascii() && stripped.chars().any(is_marker_emoji))
            || (may_hold_p_token(stripped)
                && stripped.split_whitespace().any(|w| p_token(w).is_some()));
        if !has_marker {
            // Only a legend word opens a legend block; a cheap look before folding.
            if !*in_legend && LEGEND_WORD_PARTS.is_match(line) {
                *in_legend = is_legend_word(&classify::fold(line));
            }
            return;
        }
        let opens = is_legend_word(&classify::fold(line));
        if *in_legend || opens || defines_with_separator(stripped) {
            self.read_pairs(stripped);
        }
        *in_legend = *in_legend || opens;
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

    #[test]
    fn a_blank_line_between_looks_ends_the_legend_block() {
        // The line in between has nothing to look at; only the blank one ends the block.
        let legend = Legend::read("Legend:\nas follows\n- 🔴 Blocker\n\n- 🟢 Nice to have\n");
        assert!(legend.defines("🔴") && !legend.defines("🟢"), "{legend:?}");
        for blank in ["\n", ">\n", "  - \n", "|\r\n"] {
            let text = format!("Legend:\n{blank}- 🔴 Blocker\n");
            assert!(!Legend::read(&text).defines("🔴"), "{text:?}");
        }
    }

    /// The reading the one search replaced, as it was written: every line in turn.
    fn read_line_by_line(text: &str) -> Legend {
        let mut legend = Legend::default();
        let mut in_legend = false;
        for line in text.lines() {
            let stripped = strip_lead(line);
            if stripped.trim().is_empty() {
                in_legend = false;
                continue;
            }
            let has_marker = (!stripped.is_ascii() && stripped.chars().any(is_marker_emoji))
                || (may_hold_p_token(stripped)
                    && stripped.split_whitespace().any(|w| p_token(w).is_some()));
            if !has_marker && !in_legend {
                if LEGEND_WORD_PARTS.is_match(line) {
                    in_legend = is_legend_word(&classify::fold(line));
                }
                continue;
            }
            if !has_marker {
                continue;
            }
            let opens = is_legend_word(&classify::fold(line));
            if in_legend || opens || defines_with_separator(stripped) {
                legend.read_pairs(stripped);
            }
            in_legend = in_legend || opens;
        }
        legend
    }

    proptest::proptest! {
        #[test]
        fn one_search_reads_what_every_line_reads(
            lines in proptest::collection::vec(
                proptest::sample::select(vec![
                    "", " ", ">", "- ", "|", "Legend:", "**Légende :**", "Zeichenerklärung", "as follows",
                    "- 🔴 Blocker", "🟢 = nice to have", "- P1 : bloquant", "P2: important",
                    "- [ ] P3 thing", "step 1", "🔴 Backups", "Priorities: P0 blocker, P4 nice to have",
                    "x P1 = optional", "| 🟡 | Important |", "LeGend:", "LEGENDE", "⚠ risky",
                    "(P1) = blocker", "\u{a0}", "- 🔴=Blocker", "\t",
                ]),
                0..12,
            ),
            crlf in proptest::bool::ANY,
        ) {
            let text = lines.join(if crlf { "\r\n" } else { "\n" });
            let (fast, slow) = (Legend::read(&text), read_line_by_line(&text));
            proptest::prop_assert_eq!(&fast.marks, &slow.marks, "{:?}", text);
        }
    }
}
