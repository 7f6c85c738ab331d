//! Problems found in a file a person wrote, shown the way compilers show them:
//! `file:line:col`, the message, the line, and a caret under the offending text.

use std::fmt::Write as _;
use std::ops::Range;

use unicode_width::UnicodeWidthStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Byte range in the file's text.
    pub span: Range<usize>,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// 1-based line and column (in characters) of the span's start.
    pub fn line_col(&self, source: &str) -> (usize, usize) {
        let start = floor_char_boundary(source, self.span.start.min(source.len()));
        let before = &source[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        (line, source[line_start..start].chars().count() + 1)
    }

    /// ```text
    /// golive.toml:4:12: unknown key `urll` for probe `http`
    ///   |
    /// 4 | urll = "http://127.0.0.1:8080/health"
    ///   | ^^^^
    ///   = hint: did you mean `url`?
    /// ```
    pub fn render(&self, file: &str, source: &str) -> String {
        let (line, column) = self.line_col(source);
        let mut out = format!("{file}:{line}:{column}: {}\n", self.message);
        let start = floor_char_boundary(source, self.span.start.min(source.len()));
        let line_start = source[..start].rfind('\n').map_or(0, |at| at + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |at| start + at);
        let text = source[line_start..line_end].trim_end_matches('\r');
        let end = floor_char_boundary(source, self.span.end.clamp(start, line_end.max(start)));
        let gutter = " ".repeat(line.to_string().len());
        let pad = source[line_start..start].width();
        let carets = source[start..end].width().max(1);
        let _ = writeln!(out, "{gutter} |");
        let _ = writeln!(out, "{line} | {text}");
        let _ = writeln!(out, "{gutter} | {}{}", " ".repeat(pad), "^".repeat(carets));
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "{gutter} = hint: {hint}");
        }
        out
    }
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The closest of `candidates` to a misspelt `word`, if any is close enough to suggest.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_a_caret() {
        let source = "[[check]]\nurll = \"x\"\n";
        let diagnostic =
            Diagnostic::new(10..14, "unknown key `urll`").with_hint("did you mean `url`?");
        assert_eq!(diagnostic.line_col(source), (2, 1));
        assert_eq!(
            diagnostic.render("golive.toml", source),
            "golive.toml:2:1: unknown key `urll`\n  |\n2 | urll = \"x\"\n  | ^^^^\n  = hint: did you mean `url`?\n"
        );
    }

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(did_you_mean("urll", ["url", "method"]), Some("url"));
        assert_eq!(did_you_mean("zzz", ["url", "method"]), None);
    }
}
