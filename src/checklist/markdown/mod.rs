//! The Markdown importer: GitHub-flavoured Markdown in, a [`Checklist`] out.
//!
//! The importer never fails on content. Whatever it cannot read becomes a [`Warning`] with a
//! line number; only undecodable files (binary, empty, UTF-16) are errors.

mod finish;
mod inline;
mod items;
mod legend;
mod sections;
mod table;
mod unread;

use std::collections::BTreeMap;
use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::classify::{self, ListLead};
use super::encoding::{self, Codepage, DecodeError, Decoded};
use super::model::{
    Approval, Checkbox, Checklist, Glyph, Item, Section, Status, Warning, WarningKind,
};
use inline::{Inline, tidy, tidy_owned};

/// Reads a checklist from the bytes of a Markdown file.
pub fn import(bytes: &[u8]) -> Result<Checklist, DecodeError> {
    let decoded = encoding::decode(bytes)?;
    let mut checklist = Importer::new(&decoded).run();
    super::recurrence::mark(&mut checklist, &decoded.text);
    Ok(checklist)
}

/// A box found in the text: where its mark is (text offset), what it says, how it is written.
#[derive(Debug, Clone, Copy)]
struct FoundBox {
    at: usize,
    status: Status,
    glyph: Glyph,
}

impl FoundBox {
    fn glyph_len(&self) -> usize {
        self.glyph.width()
    }
}

/// A list item being read.
struct Frame {
    task: Option<FoundBox>,
    /// The item's own text is a `Criteria:` / `Evidence:` / `Sign-offs:` lead for its nested list.
    lead: Option<ListLead>,
    inline: Inline,
    /// Index into `drafts` once the item exists.
    draft: Option<usize>,
    line: usize,
    /// A nested block started: later inline text belongs to it, not to this item's title.
    closed: bool,
}

struct Importer<'a> {
    decoded: &'a Decoded,
    text: &'a str,
    line_starts: Vec<usize>,
    title: Option<String>,
    sections: Vec<Section>,
    current: Option<usize>,
    /// Items before ids are assigned; they become the checklist's items in place (a copy of
    /// 100k items into a second vector was a quarter of the import's page faults).
    drafts: Vec<Item>,
    /// Per draft: the index of the draft it is nested under.
    draft_parents: Vec<Option<usize>>,
    approvals: Vec<Approval>,
    warnings: Vec<Warning>,
    /// Per line (1-based, so index 0 is unused): its boxes were read into an item or approval.
    /// A flag per line, not a set of line numbers: an insert per item into a tree was a tenth of
    /// the import.
    read_lines: Vec<bool>,
    code_blocks: Vec<Range<usize>>,
    frames: Vec<Frame>,
    /// Heading, paragraph or table cell text outside list items.
    block: Option<Inline>,
    table: Option<table::TableBuf>,
    in_code: bool,
    /// The previous block was a thematic break (`---`).
    after_rule: bool,
    /// A `Sign-off` heading's key-value lines are approvals until the next break or heading.
    signoff_lines_open: bool,
    /// A `Criteria:` / `Sign-offs:` / `Evidence:` line waiting for its list.
    lead: Option<ListLead>,
    active_lead: Option<ListLead>,
    section_status: BTreeMap<usize, Status>,
    section_evidence: BTreeMap<usize, Vec<String>>,
    has_owner_column: bool,
    /// Inside a blockquote: a bold line there is emphasis, not a section.
    quote_depth: usize,
    /// Inside `<details>`: boxes there are collapsed away from readers, so they are warnings.
    details_depth: usize,
    /// Markers the file's legend defines (`🔴 = Blocker`), with the severity each stands for.
    legend: legend::Legend,
    /// Per section: its path names a sign-off section.
    signoff_sections: Vec<bool>,
    /// Buffers reused for every item's text and its folded copy (two allocations per item
    /// were a tenth of the import's time).
    scratch_text: String,
    scratch_folded: String,
    /// Cleared texts of ended list items, for the next ones to fill.
    spare_inlines: Vec<Inline>,
}

impl<'a> Importer<'a> {
    fn new(decoded: &'a Decoded) -> Self {
        let text = decoded.text.as_str();
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1))
            .collect();
        let read_lines = vec![false; line_starts.len() + 1];
        Importer {
            decoded,
            text,
            line_starts,
            title: None,
            sections: Vec::new(),
            current: None,
            drafts: Vec::new(),
            draft_parents: Vec::new(),
            approvals: Vec::new(),
            warnings: Vec::new(),
            read_lines,
            code_blocks: Vec::new(),
            frames: Vec::new(),
            block: None,
            table: None,
            in_code: false,
            after_rule: false,
            signoff_lines_open: false,
            lead: None,
            active_lead: None,
            section_status: BTreeMap::new(),
            section_evidence: BTreeMap::new(),
            has_owner_column: false,
            quote_depth: 0,
            details_depth: 0,
            legend: legend::Legend::read(text),
            signoff_sections: Vec::new(),
            scratch_text: String::new(),
            scratch_folded: String::new(),
            spare_inlines: Vec::new(),
        }
    }

    /// 1-based line of a text offset.
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset)
    }

    fn mark_read(&mut self, line: usize) {
        if let Some(read) = self.read_lines.get_mut(line) {
            *read = true;
        }
    }

    fn line_text(&self, line: usize) -> &'a str {
        let start = self
            .line_starts
            .get(line - 1)
            .copied()
            .unwrap_or(self.text.len());
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    fn checkbox_at(&self, found: FoundBox) -> Checkbox {
        Checkbox {
            mark_offset: self.decoded.byte_offset(found.at),
            checked: found.status == Status::Done,
            glyph: found.glyph,
        }
    }

    /// An emoji box at the start of `text` (which starts at text offset `at`), unless the
    /// file's legend makes that emoji a priority marker.
    fn emoji_box(&self, text: &str, at: usize) -> Option<(FoundBox, usize)> {
        let lead = text.len() - text.trim_start().len();
        let (glyph, status, mut width) = Glyph::read(&text[lead..])?;
        if self.legend.defines(&text[lead..lead + width]) {
            return None;
        }
        if text[lead + width..].starts_with('\u{fe0f}') {
            width += '\u{fe0f}'.len_utf8();
        }
        // `✅ = done`, `⏳: in progress`: a legend of the marks, not a box.
        if text[lead + width..].trim_start().starts_with(['=', ':']) {
            return None;
        }
        // Emoji read as boxes only where the file holds UTF-8 bytes for them.
        if self.decoded.encoding != encoding::SourceEncoding::Utf8 {
            return None;
        }
        Some((
            FoundBox {
                at: at + lead,
                status,
                glyph,
            },
            lead + width,
        ))
    }

    /// Repairs mojibake (with a warning) and tidies whitespace and fill-in blanks.
    fn clean(&mut self, text: &str, line: usize) -> String {
        self.repair(tidy(text), line)
    }

    /// [`Importer::clean`] for text the caller is done with: kept, not copied, when already
    /// clean.
    fn clean_owned(&mut self, text: String, line: usize) -> String {
        self.repair(tidy_owned(text), line)
    }

    fn repair(&mut self, tidied: String, line: usize) -> String {
        match encoding::repair_mojibake(&tidied) {
            Some((repaired, codepage)) => {
                let already = self
                    .warnings
                    .iter()
                    .any(|w| w.line == line && w.kind == WarningKind::Encoding);
                if !already {
                    let codepage = match codepage {
                        Codepage::MacRoman => "Mac Roman",
                        Codepage::Windows1252 => "Windows-1252",
                    };
                    self.warn(
                        line,
                        WarningKind::Encoding,
                        format!("repaired UTF-8 text mis-decoded as {codepage}: `{tidied}` → `{repaired}`"),
                    );
                }
                repaired
            }
            None => tidied,
        }
    }

    fn warn(&mut self, line: usize, kind: WarningKind, message: String) {
        self.warnings.push(Warning {
            line,
            kind,
            message,
        });
    }

    fn run(mut self) -> Checklist {
        if self.decoded.encoding == encoding::SourceEncoding::Windows1252 {
            self.warn(
                1,
                WarningKind::Encoding,
                "the file is not valid UTF-8; read it as Windows-1252 (edits keep that encoding)"
                    .to_string(),
            );
        }
        let mut options = Options::empty();
        options.insert(Options::ENABLE_TABLES);
        options.insert(Options::ENABLE_TASKLISTS);
        options.insert(Options::ENABLE_STRIKETHROUGH);
        let text = self.text;
        for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
            self.event(event, range);
        }
        self.report_unread_lines();
        self.finish()
    }

    fn event(&mut self, event: Event<'_>, range: Range<usize>) {
        match event {
            Event::Start(tag) => self.start(tag, range),
            Event::End(tag) => self.end(tag, range),
            Event::Text(text) if !self.in_code => self.list_text(&text, range.start),
            // Keep the backticks: `BACKUP_DIR` must stay recognisable in titles.
            Event::Code(text) => self.push_text(&format!("`{text}`")),
            Event::SoftBreak | Event::HardBreak => self.push_text("\n"),
            Event::TaskListMarker(checked) => {
                if let Some(frame) = self.frames.last_mut() {
                    frame.task = Some(FoundBox {
                        at: range.start + 1,
                        status: if checked { Status::Done } else { Status::Todo },
                        glyph: Glyph::Gfm,
                    });
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => self.html(&html),
            Event::Rule => {
                self.after_rule = true;
                self.signoff_lines_open = false;
                self.lead = None;
            }
            _ => {}
        }
    }

    /// `<details>` opens and closes; comments and other HTML hold nothing to read.
    fn html(&mut self, html: &str) {
        let lower = html.to_ascii_lowercase();
        let opened = lower.matches("<details").count();
        let closed = lower.matches("</details").count();
        self.details_depth = (self.details_depth + opened).saturating_sub(closed);
    }

    /// Text, noticing an emoji box (`- ☐ Runbooks vorhanden`) at the start of a list item,
    /// and an emoji that contradicts a `[ ]` box (`- [ ] ✅ done`): the box wins.
    fn list_text(&mut self, text: &str, at: usize) {
        let starts_item = self.table.is_none()
            && self.block.is_none()
            && self
                .frames
                .last()
                .is_some_and(|frame| !frame.closed && frame.inline.is_empty());
        if starts_item && let Some((found, used)) = self.emoji_box(text, at) {
            let line = self.line_of(found.at);
            let Some(frame) = self.frames.last_mut() else {
                return;
            };
            match frame.task {
                None => frame.task = Some(found),
                // `- [ ] 🔴 …`: after a box, a coloured circle is a priority marker.
                Some(_) if found.glyph == Glyph::Circle => {
                    self.push_text(text);
                    return;
                }
                Some(gfm) if gfm.status != found.status => {
                    let (said, box_says) = (found.status.as_str(), gfm.status.as_str());
                    let mark = &text[found.at - at..][..found.glyph_len()];
                    self.warn(
                        line,
                        WarningKind::Contradiction,
                        format!(
                            "the box says {box_says} but `{mark}` says {said}; golive reads the box: \
                             tick it (`golive tick`) or remove the `{mark}`"
                        ),
                    );
                }
                Some(_) => {}
            }
            self.push_text(&text[used..]);
            return;
        }
        self.push_text(text);
    }

    fn push_text(&mut self, text: &str) {
        if let Some(table) = &mut self.table {
            table.push_text(text);
        } else if let Some(block) = &mut self.block {
            block.push(text);
        } else if let Some(frame) = self.frames.last_mut()
            && !frame.closed
        {
            frame.inline.push(text);
        }
    }

    fn strong(&mut self, enter: bool) {
        let inline = if let Some(table) = &mut self.table {
            table.inline()
        } else if let Some(block) = &mut self.block {
            Some(block)
        } else {
            self.frames
                .last_mut()
                .filter(|frame| !frame.closed)
                .map(|frame| &mut frame.inline)
        };
        if let Some(inline) = inline {
            if enter {
                inline.enter_strong()
            } else {
                inline.leave_strong()
            }
        }
    }

    fn mark_content(&mut self) {
        if self.frames.is_empty()
            && let Some(section) = self.current.and_then(|index| self.sections.get_mut(index))
        {
            section.empty = false;
        }
    }

    fn start(&mut self, tag: Tag<'_>, range: Range<usize>) {
        match tag {
            Tag::Heading { .. } => {
                self.block = Some(Inline::default());
            }
            Tag::Paragraph => {
                self.mark_content();
                if self.frames.is_empty() && self.table.is_none() {
                    self.block = Some(Inline::default());
                }
            }
            Tag::List(_) => {
                self.mark_content();
                if self.frames.is_empty() {
                    self.active_lead = self.lead.take();
                }
                if let Some(frame) = self.frames.last_mut() {
                    if !frame.closed && frame.task.is_none() {
                        frame.lead = classify::list_lead(&tidy(&frame.inline.plain()));
                    }
                    frame.closed = true;
                }
                self.create_pending_item();
            }
            Tag::Item => {
                let line = self.line_of(range.start);
                self.frames.push(Frame {
                    task: None,
                    lead: None,
                    inline: self.spare_inlines.pop().unwrap_or_default(),
                    draft: None,
                    line,
                    closed: false,
                });
            }
            Tag::CodeBlock(_) => {
                self.mark_content();
                self.in_code = true;
                self.code_blocks.push(range);
                if let Some(frame) = self.frames.last_mut() {
                    frame.closed = true;
                }
            }
            Tag::Table(_) => {
                self.mark_content();
                self.table = Some(table::TableBuf::new());
            }
            Tag::TableCell => {
                if let Some(table) = &mut self.table {
                    table.start_cell(range);
                }
            }
            Tag::BlockQuote(_) => {
                self.mark_content();
                self.quote_depth += 1;
            }
            Tag::HtmlBlock => self.mark_content(),
            Tag::Strong => self.strong(true),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd, range: Range<usize>) {
        match tag {
            TagEnd::Heading(level) => {
                let inline = self.block.take().unwrap_or_default();
                let line = self.line_of(range.start);
                let text = self.clean(&inline.plain(), line);
                self.heading(level_number(level), text, line);
            }
            TagEnd::Paragraph => {
                if self.frames.is_empty()
                    && let Some(inline) = self.block.take()
                {
                    self.paragraph(&inline, range);
                } else if let Some(frame) = self.frames.last_mut()
                    && !frame.closed
                {
                    // A second paragraph in a loose list item continues its detail.
                    frame.inline.push("\n");
                }
            }
            TagEnd::Item => self.end_item(),
            TagEnd::List(_) if self.frames.is_empty() => self.active_lead = None,
            TagEnd::CodeBlock => self.in_code = false,
            TagEnd::TableCell => {
                if let Some(table) = &mut self.table {
                    table.end_cell();
                }
            }
            TagEnd::TableHead => {
                if let Some(table) = &mut self.table {
                    table.end_head();
                }
            }
            TagEnd::TableRow => {
                let line = self.line_of(range.start);
                if let Some(table) = &mut self.table {
                    table.end_row(line);
                }
            }
            TagEnd::Table => {
                if let Some(table) = self.table.take() {
                    self.table(table);
                }
            }
            TagEnd::Strong => self.strong(false),
            TagEnd::BlockQuote(_) => self.quote_depth = self.quote_depth.saturating_sub(1),
            _ => {}
        }
        if matches!(
            tag,
            TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::List(_)
                | TagEnd::Table
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_)
                | TagEnd::HtmlBlock
        ) {
            self.after_rule = false;
        }
    }
}

fn level_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests;
