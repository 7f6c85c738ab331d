//! The Markdown importer: GitHub-flavoured Markdown in, a [`Checklist`] out.
//!
//! The importer never fails on content. Whatever it cannot read becomes a [`Warning`] with a
//! line number; only undecodable files (binary, empty, UTF-16) are errors.

mod inline;
mod legend;
mod table;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::classify::{self, ListLead};
use super::encoding::{self, Codepage, DecodeError, Decoded};
use super::ids::{self, IdRequest};
use super::model::{
    Approval, Checkbox, Checklist, Decision, Glyph, Item, Kind, Origin, Phase, Section, Severity,
    SourceInfo, Status, Warning, WarningKind,
};
use inline::{Inline, split_key_value, tidy};

/// Reads a checklist from the bytes of a Markdown file.
pub fn import(bytes: &[u8]) -> Result<Checklist, DecodeError> {
    let decoded = encoding::decode(bytes)?;
    let mut checklist = Importer::new(&decoded).run();
    super::recurrence::mark(&mut checklist, &decoded.text);
    Ok(checklist)
}

/// An item before ids are assigned.
struct Draft {
    item: Item,
    parent: Option<usize>,
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
    drafts: Vec<Draft>,
    approvals: Vec<Approval>,
    warnings: Vec<Warning>,
    /// Lines whose boxes were read into an item or approval.
    read_lines: BTreeSet<usize>,
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
}

impl<'a> Importer<'a> {
    fn new(decoded: &'a Decoded) -> Self {
        let text = decoded.text.as_str();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Importer {
            decoded,
            text,
            line_starts,
            title: None,
            sections: Vec::new(),
            current: None,
            drafts: Vec::new(),
            approvals: Vec::new(),
            warnings: Vec::new(),
            read_lines: BTreeSet::new(),
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
        }
    }

    /// 1-based line of a text offset.
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset)
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
        let tidied = tidy(text);
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
                    inline: Inline::default(),
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

    fn heading(&mut self, level: u8, text: String, line: usize) {
        if self.title.is_none() && self.sections.is_empty() && level == 1 {
            self.title = Some(text);
            return;
        }
        self.open_section(level, text, line);
        self.signoff_lines_open = self.current.is_some_and(|index| {
            classify::is_signoff_heading(&self.sections[index].path.join(" "))
        });
        self.lead = None;
    }

    fn open_section(&mut self, level: u8, text: String, line: usize) {
        let mut parent = self.current;
        while let Some(index) = parent
            && self.sections[index].level >= level
        {
            parent = self.sections[index].parent;
        }
        let parent_section = parent.map(|index| &self.sections[index]);
        let mut path = parent_section.map(|s| s.path.clone()).unwrap_or_default();
        path.push(text.clone());
        let blocking =
            parent_section.is_some_and(|s| s.blocking) || classify::is_blocking_heading(&text);
        let post = parent_section.is_some_and(|s| s.phase == Phase::Post)
            || classify::is_post_heading(&text);
        let trigger =
            parent_section.is_some_and(|s| s.trigger) || classify::is_trigger_heading(&text);
        let conditional =
            parent_section.is_some_and(|s| s.conditional) || classify::is_conditional(&text);
        if let Some(index) = parent {
            self.sections[index].empty = false;
        }
        self.sections.push(Section {
            path,
            level,
            line,
            parent,
            blocking,
            phase: if post { Phase::Post } else { Phase::Pre },
            owner: None,
            empty: true,
            trigger,
            conditional,
        });
        let signoff = self
            .sections
            .last()
            .is_some_and(|section| classify::is_signoff_heading(&section.path.join(" ")));
        self.signoff_sections.push(signoff);
        self.current = Some(self.sections.len() - 1);
    }

    /// Key-value lines, bold labels acting as headings, and leads of gate-style lists.
    fn paragraph(&mut self, inline: &Inline, range: Range<usize>) {
        let first_line = self.line_of(range.start);
        if inline.is_bold_label() && self.quote_depth == 0 {
            let (label, _) = inline.title_and_detail();
            let label = self.clean(&label, first_line);
            if classify::list_lead(&label).is_some() {
                self.lead = classify::list_lead(&label);
                return;
            }
            // `**Deployment Decision**:` after a `---` starts a top-level section;
            // elsewhere a sub-section of the current one.
            let level = if self.after_rule {
                self.sections.iter().map(|s| s.level).min().unwrap_or(2)
            } else {
                self.current
                    .map_or(2, |index| self.sections[index].level + 1)
            };
            self.open_section(level, label, first_line);
            self.signoff_lines_open = classify::is_signoff_heading(&self.sections_path_text());
            return;
        }
        let plain = inline.plain();
        let lines: Vec<&str> = plain.lines().collect();
        for (offset, line_text) in lines.iter().enumerate() {
            let line = first_line + offset;
            if let Some(lead) = classify::list_lead(&tidy(line_text)) {
                self.lead = Some(lead);
                continue;
            }
            let Some((key, value)) = split_key_value(line_text) else {
                continue;
            };
            let key = self.clean(&key, line);
            let value = self.clean(&value, line);
            if classify::is_owner_key(&key) {
                if let Some(section) = self.current.and_then(|i| self.sections.get_mut(i))
                    && !value.is_empty()
                {
                    section.owner = Some(value);
                }
            } else if classify::is_status_key(&key) {
                if let Some(index) = self.current {
                    self.section_status
                        .insert(index, classify::status_from_cell(&value));
                }
            } else if self.signoff_lines_open
                && !classify::is_date_key(&key)
                // Prose that documents a command (`--role QA`) names no role.
                && !key.contains('`')
            {
                self.approvals.push(Approval {
                    role: key,
                    name: (!value.is_empty()).then_some(value),
                    required: true,
                    decision: Decision::Pending,
                    line,
                    checkbox: None,
                });
            }
        }
    }

    /// The current section, or one it is nested in, holds sign-offs. Read once per section
    /// (at its heading), not once per item: folding the path is the costly part.
    fn in_signoff_section(&self) -> bool {
        self.current
            .and_then(|index| self.signoff_sections.get(index))
            .copied()
            .unwrap_or(false)
    }

    fn sections_path_text(&self) -> String {
        self.current
            .map(|index| self.sections[index].path.join(" "))
            .unwrap_or_default()
    }

    /// Creates the item for the innermost list item once its own text is complete, so that
    /// nested items can point at it.
    fn create_pending_item(&mut self) {
        let Some(index) = self.frames.len().checked_sub(1) else {
            return;
        };
        let frame = &self.frames[index];
        if frame.draft.is_some() {
            return;
        }
        let Some(found) = frame.task else {
            return;
        };
        let checked = found.status == Status::Done;
        let line = frame.line;
        let (title, detail) = frame.inline.title_and_detail();
        let full = frame.inline.plain();
        let bold_lead = frame.inline.has_bold_lead();
        let checkbox = self.checkbox_at(found);
        self.read_lines.insert(self.line_of(found.at));
        if self.details_depth > 0 {
            // Mark the frame so the box is not read again when the item ends.
            self.frames[index].task = None;
            self.frames[index].inline = Inline::default();
            self.warn(
                line,
                WarningKind::Unreadable,
                "box inside an HTML `<details>` block was not read (readers may never see it); \
                 move it out of the block"
                    .to_string(),
            );
            return;
        }
        let parent = self.frames[..index].iter().rev().find_map(|f| f.draft);
        if let Some(role) = self.approval_role(&title, &full, bold_lead, line) {
            self.approvals.push(Approval {
                role,
                name: None,
                required: true,
                decision: if checked {
                    Decision::Go
                } else {
                    Decision::Pending
                },
                line,
                checkbox: Some(checkbox),
            });
            return;
        }
        let draft = self.draft(
            title,
            detail,
            line,
            Origin::TaskList,
            found.status,
            Some(checkbox),
            parent,
        );
        self.frames[index].draft = draft;
    }

    /// A task item in a sign-off section that names a role: `**QA Team** approval: ___`,
    /// `PRA approuvé par CTO`.
    fn approval_role(
        &mut self,
        title: &str,
        full: &str,
        bold_lead: bool,
        line: usize,
    ) -> Option<String> {
        if !self.in_signoff_section() {
            return None;
        }
        let folded = classify::fold(full);
        // "approve", "approval", "approuvé", "sign-off", "signé"
        if !["approv", "approu", "sign"]
            .iter()
            .any(|stem| folded.contains(stem))
        {
            return None;
        }
        let text = tidy(full);
        let words: Vec<&str> = text.split_whitespace().collect();
        let by = words
            .iter()
            .position(|word| word.eq_ignore_ascii_case("par"));
        let role = if bold_lead {
            title.to_string()
        } else if let Some(by) = by {
            // "PRA approuvé par CTO"
            words[by + 1..].join(" ")
        } else if let Some((role, _)) = text.split_once(':') {
            role.trim().trim_end_matches(" approval").to_string()
        } else {
            text.trim_end_matches(" approval").to_string()
        };
        let role = self.clean(&role, line);
        (!role.is_empty()).then_some(role)
    }

    #[allow(clippy::too_many_arguments)]
    fn draft(
        &mut self,
        title: String,
        detail: String,
        line: usize,
        origin: Origin,
        status: Status,
        checkbox: Option<Checkbox>,
        parent: Option<usize>,
    ) -> Option<usize> {
        let title = self.clean(&title, line);
        let detail = self.clean(&detail, line);
        if title.is_empty() {
            self.warn(
                line,
                WarningKind::Unreadable,
                "checklist entry has no text; write what must be true after the box".to_string(),
            );
            return None;
        }
        let item = self.new_item(title, detail, line, origin, status, checkbox);
        self.drafts.push(Draft { item, parent });
        Some(self.drafts.len() - 1)
    }

    fn new_item(
        &self,
        title: String,
        detail: String,
        line: usize,
        origin: Origin,
        status: Status,
        checkbox: Option<Checkbox>,
    ) -> Item {
        let section = self.current.map(|index| &self.sections[index]);
        let mut all_text = String::with_capacity(title.len() + detail.len() + 1);
        all_text.push_str(&title);
        all_text.push(' ');
        all_text.push_str(&detail);
        // Fold once: the word lists below all match on the folded text.
        let folded = classify::fold(&all_text);
        let marked = self.legend.severity(&all_text);
        let severity = if section.is_some_and(|s| s.blocking)
            || marked == Some(Severity::Blocking)
            || (marked.is_none() && classify::marked_blocking_folded(&folded, &all_text))
        {
            Severity::Blocking
        } else if marked == Some(Severity::Advisory)
            || (marked.is_none() && classify::marked_advisory_folded(&folded))
        {
            Severity::Advisory
        } else {
            Severity::Required
        };
        let trigger =
            section.is_some_and(|s| s.trigger) || self.active_lead == Some(ListLead::Triggers);
        Item {
            id: String::new(),
            section: self.current,
            conditional: section.is_some_and(|s| s.conditional)
                || classify::is_conditional_folded(&folded),
            title,
            detail: (!detail.is_empty()).then_some(detail),
            owner: None,
            severity,
            phase: section.map_or(Phase::Pre, |s| s.phase),
            status,
            evidence: Vec::new(),
            parent: None,
            fields: BTreeMap::new(),
            line,
            checkbox,
            origin,
            kind: if trigger { Kind::Trigger } else { Kind::Task },
            levels: Vec::new(),
            recurrence: None,
            runbook: None,
        }
    }

    fn end_item(&mut self) {
        self.create_pending_item();
        let Some(frame) = self.frames.pop() else {
            return;
        };
        if frame.task.is_some() || frame.inline.is_empty() || frame.lead.is_some() {
            return;
        }
        let text = frame.inline.plain();
        let line = frame.line;
        // A bullet under `- Criteria:` (a bulleted gate) is read as the lead says.
        let parent_lead = self.frames.last().and_then(|parent| parent.lead);
        if parent_lead.is_some() || (self.frames.is_empty() && self.active_lead.is_some()) {
            let lead = parent_lead.or(self.active_lead);
            self.lead_bullet(lead, &frame, &text, line);
            return;
        }
        // A plain bullet under a task item adds to its detail.
        if let Some(draft) = self.frames.iter().rev().find_map(|f| f.draft) {
            let extra = self.clean(&text, line);
            let detail = &mut self.drafts[draft].item.detail;
            *detail = Some(match detail.take() {
                Some(existing) => format!("{existing}; {extra}"),
                None => extra,
            });
            return;
        }
        if !self.frames.is_empty() {
            return;
        }
        self.key_value_bullet(&text, line);
    }

    /// A top-level bullet without a box: `- Owner: X` and `- Status: PASS / FAIL` set the
    /// section's owner and status (a bulleted gate); in a sign-off section, `- QA Lead: ___` is
    /// a required approval unless it is a date.
    fn key_value_bullet(&mut self, text: &str, line: usize) {
        let Some((key, value)) = split_key_value(text.lines().next().unwrap_or("")) else {
            return;
        };
        // `- Freigabe: ☐ ja ☐ nein`: a sign-off written as a choice of boxes.
        if classify::signoff_row_role(&format!("{key} -")).is_none()
            && classify::is_signoff_heading(&key)
            && let Some((tick, status)) = self.line_choice(line)
        {
            let role = self.clean(&key, line);
            self.read_lines.insert(line);
            self.approvals.push(Approval {
                role,
                name: None,
                required: true,
                decision: match status {
                    Status::Done => Decision::Go,
                    Status::Failed => Decision::NoGo,
                    _ => Decision::Pending,
                },
                line,
                checkbox: tick.map(|found| self.checkbox_at(found)),
            });
            return;
        }
        // Cleaned (and any repair reported) only once the line is used.
        if classify::is_owner_key(&key) {
            let value = self.clean(&value, line);
            if let Some(section) = self.current.and_then(|i| self.sections.get_mut(i))
                && !value.is_empty()
            {
                section.owner = Some(value);
            }
        } else if classify::is_status_key(&key) {
            if let Some(index) = self.current {
                self.section_status
                    .insert(index, classify::status_from_cell(&value));
            }
        } else if self.in_signoff_section()
            && !classify::is_date_key(&key)
            && key.split_whitespace().count() <= 4
            && !key.contains('`')
        {
            let key = self.clean(&key, line);
            let name = self.clean(&value, line);
            self.approvals.push(Approval {
                role: key,
                name: (!name.is_empty()).then_some(name),
                required: true,
                decision: Decision::Pending,
                line,
                checkbox: None,
            });
        }
    }

    /// A bullet of a `Criteria:` / `Evidence:` / `Sign-offs:` / rollback-trigger list.
    fn lead_bullet(&mut self, lead: Option<ListLead>, frame: &Frame, text: &str, line: usize) {
        let text = text.to_string();
        match lead {
            Some(ListLead::Criteria | ListLead::Triggers) => {
                let (title, detail) = frame.inline.title_and_detail();
                let saved = self.active_lead;
                if lead == Some(ListLead::Triggers) {
                    self.active_lead = Some(ListLead::Triggers);
                }
                self.draft(
                    title,
                    detail,
                    line,
                    Origin::Criterion,
                    Status::Todo,
                    None,
                    None,
                );
                self.active_lead = saved;
            }
            Some(ListLead::Signoffs) => {
                let (role, name) = match split_key_value(&text) {
                    Some((role, name)) => (role, name),
                    None => (text.clone(), String::new()),
                };
                let role = self.clean(&role, line);
                let name = self.clean(&name, line);
                if !role.is_empty() {
                    self.approvals.push(Approval {
                        role,
                        name: (!name.is_empty()).then_some(name),
                        required: true,
                        decision: Decision::Pending,
                        line,
                        checkbox: None,
                    });
                }
            }
            Some(ListLead::Evidence) => {
                if let Some(section) = self.current {
                    let evidence = self.clean(&text, line);
                    self.section_evidence
                        .entry(section)
                        .or_default()
                        .push(evidence);
                }
            }
            None => {}
        }
    }

    /// Lines outside code blocks that hold a box golive did not read: never drop them silently.
    fn report_unread_lines(&mut self) {
        for line in 1..=self.line_starts.len() {
            if self.read_lines.contains(&line) {
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

    fn finish(mut self) -> Checklist {
        // Owners written under a heading apply to the sections nested in it.
        for index in 0..self.sections.len() {
            if self.sections[index].owner.is_none()
                && let Some(parent) = self.sections[index].parent
            {
                self.sections[index].owner = self.sections[parent].owner.clone();
            }
        }
        let explicit: Vec<Option<String>> = self
            .drafts
            .iter()
            .map(|draft| ids::explicit_id(self.line_text(draft.item.line)))
            .collect();
        let paths: Vec<Vec<String>> = self
            .drafts
            .iter()
            .map(|draft| {
                draft
                    .item
                    .section
                    .map(|i| self.sections[i].path.clone())
                    .unwrap_or_default()
            })
            .collect();
        let requests: Vec<IdRequest<'_>> = self
            .drafts
            .iter()
            .zip(&explicit)
            .zip(&paths)
            .map(|((draft, explicit), path)| IdRequest {
                explicit: explicit.as_deref(),
                title: &draft.item.title,
                path,
            })
            .collect();
        let assigned = ids::assign(&requests);
        let mut items = Vec::with_capacity(self.drafts.len());
        for (index, draft) in self.drafts.iter().enumerate() {
            let mut item = draft.item.clone();
            item.id = assigned[index].clone();
            item.parent = draft.parent.map(|parent| assigned[parent].clone());
            if let Some(section) = item.section {
                if item.owner.is_none() {
                    item.owner = self.sections[section].owner.clone();
                }
                if item.checkbox.is_none()
                    && let Some(status) = self.section_status.get(&section)
                {
                    item.status = *status;
                }
                if item.origin == Origin::Criterion
                    && let Some(evidence) = self.section_evidence.get(&section)
                {
                    item.fields
                        .insert("evidence_expected".to_string(), evidence.join("; "));
                }
            }
            items.push(item);
        }
        Checklist {
            title: self.title,
            sections: self.sections,
            items,
            approvals: self.approvals,
            warnings: self.warnings,
            source: SourceInfo {
                encoding: self.decoded.encoding,
                bom: self.decoded.bom,
                crlf: self.decoded.crlf,
            },
            has_owner_column: self.has_owner_column,
        }
    }
}

impl Importer<'_> {
    /// A list line that starts with an emoji box golive did not read (inside HTML, or in a
    /// list golive did not see as one).
    fn unread_emoji_box(&self, line: &str) -> Option<String> {
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

#[cfg(test)]
mod tests;
