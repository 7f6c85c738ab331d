//! Parse errors that point at the offending part of the condition.

use unicode_width::UnicodeWidthChar;

use super::ast::Span;

/// A condition that cannot be read. `Display` gives the one-line message (with its hint);
/// [`render`](ParseError::render) adds the condition and a caret under the problem.
///
/// The `golive.toml` loader knows where the condition sits in the file; it prefixes
/// `file:line:col`, using [`line_col`](ParseError::line_col) for the position inside it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", .hint.as_ref().map(|hint| format!("; {hint}")).unwrap_or_default())]
pub struct ParseError {
    message: String,
    hint: Option<String>,
    span: Span,
    /// The whole condition, so the error can be shown on its own.
    text: String,
}

impl ParseError {
    pub(super) fn new(text: &str, span: Span, message: String, hint: Option<String>) -> ParseError {
        // Clamp to char boundaries so rendering can slice safely whatever the caller gave.
        let clamp = |at: usize| {
            let mut at = at.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        let start = clamp(span.start);
        let end = clamp(span.end).max(start);
        ParseError {
            message,
            hint,
            span: Span::new(start, end),
            text: text.to_owned(),
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// Byte range of the offending part in [`text`](ParseError::text).
    pub fn span(&self) -> Span {
        self.span
    }

    /// The condition as it was given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line and column (in characters) of the span's start within the condition.
    pub fn line_col(&self) -> (usize, usize) {
        let before = &self.text[..self.span.start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// The message, the condition's line, and carets under the offending part:
    ///
    /// ```text
    /// unknown operator `=>`; did you mean `>=`?
    ///   | latency => 300ms
    ///   |         ^^
    /// ```
    pub fn render(&self) -> String {
        let start = self.span.start;
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let line = &self.text[line_start..line_end];
        let end = self.span.end.min(line_end);
        // Control characters would move the caret; show them as spaces, one column each.
        let shown: String = line
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let indent = width(&self.text[line_start..start]);
        let carets = width(&self.text[start..end]).max(1);
        format!(
            "{self}\n  | {shown}\n  | {}{}",
            " ".repeat(indent),
            "^".repeat(carets)
        )
    }
}

fn width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            if c.is_control() {
                1
            } else {
                c.width().unwrap_or(1)
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_carets_under_the_span() {
        let error = ParseError::new(
            "latency => 300ms",
            Span::new(8, 10),
            "unknown operator `=>`".into(),
            Some("did you mean `>=`?".into()),
        );
        assert_eq!(
            error.render(),
            "unknown operator `=>`; did you mean `>=`?\n  | latency => 300ms\n  |         ^^"
        );
        assert_eq!(error.line_col(), (1, 9));
    }

    #[test]
    fn empty_spans_get_one_caret_and_wide_characters_two_columns() {
        let error = ParseError::new("状態 ==", Span::new(9, 9), "missing value".into(), None);
        assert_eq!(error.render(), "missing value\n  | 状態 ==\n  |        ^");
        assert_eq!(error.line_col(), (1, 6));
    }

    #[test]
    fn spans_are_clamped_to_char_boundaries() {
        let error = ParseError::new("é", Span::new(1, 9), "bad".into(), None);
        assert_eq!(error.span(), Span::new(0, 2));
    }

    #[test]
    fn multi_line_text_shows_the_line_of_the_span() {
        let error = ParseError::new("status\n== x y", Span::new(12, 13), "bad".into(), None);
        assert_eq!(error.render(), "bad\n  | == x y\n  |      ^");
        assert_eq!(error.line_col(), (2, 6));
    }
}
