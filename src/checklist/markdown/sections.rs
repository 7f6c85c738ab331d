//! Headings, bold labels acting as headings, and the key-value lines of paragraphs: where the
//! importer opens sections and reads their owner, status and sign-off lines.

use std::ops::Range;

use super::Importer;
use super::inline::{Inline, split_key_value, tidy};
use crate::checklist::classify::{self};
use crate::checklist::marks;
use crate::checklist::model::{Approval, Decision, Phase, Section};

impl Importer<'_> {
    pub(super) fn heading(&mut self, level: u8, text: String, line: usize) {
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

    pub(super) fn open_section(&mut self, level: u8, text: String, line: usize) {
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
            parent_section.is_some_and(|s| s.conditional) || marks::is_conditional(&text);
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
    pub(super) fn paragraph(&mut self, inline: &Inline, range: Range<usize>) {
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
    pub(super) fn in_signoff_section(&self) -> bool {
        self.current
            .and_then(|index| self.signoff_sections.get(index))
            .copied()
            .unwrap_or(false)
    }

    pub(super) fn sections_path_text(&self) -> String {
        self.current
            .map(|index| self.sections[index].path.join(" "))
            .unwrap_or_default()
    }
}
