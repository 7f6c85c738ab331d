//! Inline text gathered from Markdown events, remembering which parts were bold so that
//! "bold lead text is the title, the rest is the detail".

/// The text in one buffer and where each bold or plain run ends in it: two allocations
/// for a list item however its text is split into events, and a cleared `Inline` keeps them.
#[derive(Debug, Default)]
pub(super) struct Inline {
    text: String,
    spans: Vec<Span>,
    strong_depth: usize,
}

#[derive(Debug, Clone, Copy)]
struct Span {
    /// Byte offset in `text` where the run ends (it starts where the previous one ends).
    end: usize,
    strong: bool,
}

impl Inline {
    pub(super) fn push(&mut self, text: &str) {
        let strong = self.strong_depth > 0;
        self.text.push_str(text);
        let end = self.text.len();
        match self.spans.last_mut() {
            Some(last) if last.strong == strong => last.end = end,
            _ => self.spans.push(Span { end, strong }),
        }
    }

    /// Empties the text, keeping the buffers for the next list item.
    pub(super) fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
        self.strong_depth = 0;
    }

    /// Each run's text and whether it was bold.
    fn runs(&self) -> impl Iterator<Item = (&str, bool)> {
        let mut start = 0;
        self.spans.iter().map(move |span| {
            let text = &self.text[start..span.end];
            start = span.end;
            (text, span.strong)
        })
    }

    pub(super) fn enter_strong(&mut self) {
        self.strong_depth += 1;
    }

    pub(super) fn leave_strong(&mut self) {
        self.strong_depth = self.strong_depth.saturating_sub(1);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
    }

    pub(super) fn plain(&self) -> String {
        self.text.clone()
    }

    pub(super) fn has_bold_lead(&self) -> bool {
        self.runs()
            .find(|(text, _)| !text.trim().is_empty())
            .is_some_and(|(_, strong)| strong)
    }

    /// The whole text is one bold phrase, perhaps followed by a colon: `**Deployment Decision**:`.
    pub(super) fn is_bold_label(&self) -> bool {
        let mut runs = self.runs().filter(|(text, _)| !text.trim().is_empty());
        let Some((first, strong)) = runs.next() else {
            return false;
        };
        let rest: String = runs.map(|(text, _)| text.trim()).collect();
        strong && !first.contains('\n') && matches!(rest.as_str(), "" | ":")
    }

    /// Title and detail: a bold lead is the title and everything after it the detail;
    /// otherwise the first line is the title and the following lines the detail.
    pub(super) fn title_and_detail(&self) -> (String, String) {
        let mut start = 0;
        for span in &self.spans {
            let text = &self.text[start..span.end];
            if text.trim().is_empty() {
                start = span.end;
                continue;
            }
            if span.strong {
                let title = text.trim().trim_end_matches(':').trim().to_string();
                let detail = self.text[span.end..].trim_start_matches(|c: char| {
                    c.is_whitespace() || matches!(c, ':' | '-' | '—' | '–')
                });
                return (title, detail.to_string());
            }
            break;
        }
        let plain = self.text.trim();
        match plain.split_once('\n') {
            Some((first, rest)) => (first.trim().to_string(), rest.to_string()),
            None => (plain.to_string(), String::new()),
        }
    }
}

/// Collapses whitespace and drops fill-in blanks (`_______`, `****_****`) that templates leave
/// for a hand-written answer.
pub(super) fn tidy(text: &str) -> String {
    if is_tidy(text) {
        return text.to_string();
    }
    let mut tidied = String::with_capacity(text.len());
    for word in text
        .split_whitespace()
        .filter(|word| !word.chars().all(|c| matches!(c, '_' | '*')))
    {
        if !tidied.is_empty() {
            tidied.push(' ');
        }
        tidied.push_str(word);
    }
    tidied
}

/// [`tidy`] that keeps `text` itself when there is nothing to tidy: most titles.
pub(super) fn tidy_owned(text: String) -> String {
    if is_tidy(&text) { text } else { tidy(&text) }
}

/// `text` is already what [`tidy`] makes of it, as one look at its bytes can tell: ASCII
/// without `_` or `*` (no fill-in blank to drop), one space between words, none at the ends.
/// Splitting into words and joining them again cost more than everything else done to a title.
fn is_tidy(text: &str) -> bool {
    let mut after_space = true;
    for &byte in text.as_bytes() {
        if byte == b' ' {
            if after_space {
                return false;
            }
            after_space = true;
        } else if byte.is_ascii_graphic() && byte != b'_' && byte != b'*' {
            after_space = false;
        } else {
            // Other whitespace, a possible blank, or not ASCII: the long way.
            return false;
        }
    }
    !after_space || text.is_empty()
}

/// `Key: value` on one line, with the key short enough to be a label.
pub(super) fn split_key_value(line: &str) -> Option<(String, String)> {
    let (key, value) = line.split_once(':')?;
    let key = key.trim();
    let words = key.split_whitespace().count();
    // `https://…` is a URL, not a label.
    if key.is_empty() || words > 5 || value.starts_with("//") {
        return None;
    }
    Some((key.to_string(), tidy(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inline(parts: &[(&str, bool)]) -> Inline {
        let mut inline = Inline::default();
        for (text, strong) in parts {
            if *strong {
                inline.enter_strong();
            }
            inline.push(text);
            if *strong {
                inline.leave_strong();
            }
        }
        inline
    }

    #[test]
    fn bold_lead_is_title() {
        let text = inline(&[
            ("Tests de charge réalisés", true),
            (" (volume prévu × 2)", false),
        ]);
        assert_eq!(
            text.title_and_detail(),
            (
                "Tests de charge réalisés".to_string(),
                "(volume prévu × 2)".to_string()
            )
        );
    }

    #[test]
    fn first_line_is_title_without_bold() {
        let text = inline(&[("sub\nmore text", false)]);
        assert_eq!(
            text.title_and_detail(),
            ("sub".to_string(), "more text".to_string())
        );
    }

    #[test]
    fn recognises_bold_labels() {
        assert!(inline(&[("Deployment Decision", true), (":", false)]).is_bold_label());
        assert!(!inline(&[("Version", true), (": 1.0", false)]).is_bold_label());
    }

    #[test]
    fn tidies_fill_in_blanks() {
        assert_eq!(tidy(" approval: ****_**** Date: ___ "), "approval: Date:");
    }

    #[test]
    fn tidy_text_is_kept_as_it_is() {
        for text in [
            "",
            "a",
            "step 1 is verified",
            " a",
            "a ",
            "a  b",
            "a\tb",
            "a\nb",
            "a\r",
            "a\u{b}b",
            "a\u{c}b",
            "BACKUP_DIR set",
            "**bold**",
            "café ouvert",
            "a\u{a0}b",
            "___",
        ] {
            // A look that may send tidy text the long way, never untidy text the short one.
            if is_tidy(text) {
                assert_eq!(tidy(text), text);
            }
            assert_eq!(tidy_owned(text.to_string()), tidy(text), "{text:?}");
        }
        assert!(is_tidy("") && is_tidy("step 1 is verified"));
    }

    #[test]
    fn splits_key_values() {
        assert_eq!(
            split_key_value("Responsable : Équipe technique"),
            Some(("Responsable".to_string(), "Équipe technique".to_string()))
        );
        assert_eq!(split_key_value("see https://example.test"), None);
    }
}
