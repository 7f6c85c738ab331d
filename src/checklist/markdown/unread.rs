//! Boxes the importer did not read: every line outside code that holds one becomes a warning,
//! so nothing is dropped silently.

use super::Importer;
use crate::checklist::model::WarningKind;

impl Importer<'_> {
    /// Lines outside code blocks that hold a box golive did not read: never drop them silently.
    pub(super) fn report_unread_lines(&mut self) {
        for line in 1..=self.line_starts.len() {
            if self.read_lines.get(line).copied().unwrap_or(false) {
                continue;
            }
            let start = self.line_starts[line - 1];
            let end = self
                .line_starts
                .get(line)
                .copied()
                .unwrap_or(self.text.len());
            // Indented code blocks start after their indentation, so test for overlap.
            if self
                .code_blocks
                .iter()
                .any(|block| block.start < end && start < block.end)
            {
                continue;
            }
            let text = self.line_text(line);
            if let Some(problem) = unread_box(text).or_else(|| self.unread_emoji_box(text)) {
                let shown = text.trim();
                self.warn(
                    line,
                    WarningKind::Unreadable,
                    format!("{problem}: `{shown}`"),
                );
            }
        }
        self.warnings.sort_by_key(|warning| warning.line);
    }

    /// A list line that starts with an emoji box golive did not read (inside HTML, or in a
    /// list golive did not see as one).
    pub(super) fn unread_emoji_box(&self, line: &str) -> Option<String> {
        let trimmed = line.trim_start().trim_start_matches('>').trim_start();
        let rest = trimmed.strip_prefix(['-', '*', '+'])?;
        if !rest.starts_with(' ') {
            return None;
        }
        let (found, _) = self.emoji_box(rest, 0)?;
        let mark = &rest[found.at..][..found.glyph_len()];
        Some(format!(
            "emoji box `{mark}` was not read (inside HTML, or not in a list here?); start it on \
             its own line as `- {mark} text`"
        ))
    }
}

/// Why a line that carries a box was not read, if it does carry one.
fn unread_box(line: &str) -> Option<String> {
    let trimmed = line.trim_start().trim_start_matches('>').trim_start();
    let after_marker = trimmed.strip_prefix(['-', '*', '+']).or_else(|| {
        let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
        (digits > 0)
            .then(|| trimmed[digits..].strip_prefix(['.', ')']))
            .flatten()
    });
    if let Some(after_marker) = after_marker {
        let rest = after_marker.trim_start();
        let spaced = rest.len() < after_marker.len();
        if let Some(inner_and_rest) = rest.strip_prefix('[')
            && let Some(close) = inner_and_rest.find(']')
            && close <= 3
        {
            let inner = &inner_and_rest[..close];
            let text = inner_and_rest[close + 1..].trim();
            let problem = if !matches!(inner, " " | "x" | "X") {
                format!("box `[{inner}]` not understood; use `[ ]`, `[x]` or `[X]`")
            } else if text.is_empty() {
                "checklist item with no text; write what must be true after the box".to_string()
            } else if !spaced {
                "no space between the list marker and the box; write `- [ ] text`".to_string()
            } else {
                "looks like a checklist item but is not in a list here (inside HTML, or \
                 continuing the line above?); start it on its own line as `- [ ] text`"
                    .to_string()
            };
            return Some(problem);
        }
    }
    let has_box = line.contains("[ ]")
        || line
            .match_indices("[x]")
            .chain(line.match_indices("[X]"))
            .any(|(at, _)| {
                let before = line[..at].chars().next_back();
                let after = line[at + 3..].chars().next();
                before.is_none_or(char::is_whitespace) && after.is_none_or(char::is_whitespace)
            });
    has_box.then(|| {
        "box outside a list item or table status column was not read; put it at the start of \
         a list item (`- [ ] …`)"
            .to_string()
    })
}
