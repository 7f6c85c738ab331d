//! List items: a task item becomes an item or, in a sign-off section, an approval; a bullet
//! without a box is read as its lead says (criteria, triggers, sign-offs, evidence), adds to
//! its parent's detail, or is a key-value line of a bulleted gate.

use std::collections::BTreeMap;

use super::inline::{split_key_value, tidy};
use super::{Frame, Importer};
use crate::checklist::classify::{self, ListLead};
use crate::checklist::marks;
use crate::checklist::model::{
    Approval, Checkbox, Decision, Item, Kind, Origin, Phase, Severity, Status, WarningKind,
};

impl Importer<'_> {
    /// Creates the item for the innermost list item once its own text is complete, so that
    /// nested items can point at it.
    pub(super) fn create_pending_item(&mut self) {
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
        // Only a sign-off section reads the whole text (for an approval's role).
        let full = if self.in_signoff_section() {
            frame.inline.plain()
        } else {
            String::new()
        };
        let bold_lead = frame.inline.has_bold_lead();
        let checkbox = self.checkbox_at(found);
        self.mark_read(self.line_of(found.at));
        if self.details_depth > 0 {
            // Mark the frame so the box is not read again when the item ends.
            self.frames[index].task = None;
            self.frames[index].inline.clear();
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
    pub(super) fn approval_role(
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
    pub(super) fn draft(
        &mut self,
        title: String,
        detail: String,
        line: usize,
        origin: Origin,
        status: Status,
        checkbox: Option<Checkbox>,
        parent: Option<usize>,
    ) -> Option<usize> {
        let title = self.clean_owned(title, line);
        let detail = self.clean_owned(detail, line);
        if title.is_empty() {
            self.warn(
                line,
                WarningKind::Unreadable,
                "checklist entry has no text; write what must be true after the box".to_string(),
            );
            return None;
        }
        let item = self.new_item(title, detail, line, origin, status, checkbox);
        self.drafts.push(item);
        self.draft_parents.push(parent);
        Some(self.drafts.len() - 1)
    }

    pub(super) fn new_item(
        &mut self,
        title: String,
        detail: String,
        line: usize,
        origin: Origin,
        status: Status,
        checkbox: Option<Checkbox>,
    ) -> Item {
        let mut all_text = std::mem::take(&mut self.scratch_text);
        all_text.clear();
        all_text.push_str(&title);
        all_text.push(' ');
        all_text.push_str(&detail);
        // Fold once: the word lists below all match on the folded text.
        let mut folded = std::mem::take(&mut self.scratch_folded);
        classify::fold_into(&all_text, &mut folded);
        let marks = marks::read(&folded, &all_text);
        let marked = self.legend.severity(&all_text);
        (self.scratch_text, self.scratch_folded) = (all_text, folded);
        let section = self.current.map(|index| &self.sections[index]);
        let severity = if section.is_some_and(|s| s.blocking)
            || marked == Some(Severity::Blocking)
            || (marked.is_none() && marks.blocking)
        {
            Severity::Blocking
        } else if marked == Some(Severity::Advisory) || (marked.is_none() && marks.advisory) {
            Severity::Advisory
        } else {
            Severity::Required
        };
        let trigger =
            section.is_some_and(|s| s.trigger) || self.active_lead == Some(ListLead::Triggers);
        Item {
            id: String::new(),
            section: self.current,
            conditional: section.is_some_and(|s| s.conditional) || marks.conditional,
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

    pub(super) fn end_item(&mut self) {
        self.create_pending_item();
        let Some(mut frame) = self.frames.pop() else {
            return;
        };
        self.read_bullet(&frame);
        frame.inline.clear();
        self.spare_inlines.push(frame.inline);
    }

    /// An ended list item without a box, read as its lead or its parent says.
    fn read_bullet(&mut self, frame: &Frame) {
        if frame.task.is_some() || frame.inline.is_empty() || frame.lead.is_some() {
            return;
        }
        let text = frame.inline.plain();
        let line = frame.line;
        // A bullet under `- Criteria:` (a bulleted gate) is read as the lead says.
        let parent_lead = self.frames.last().and_then(|parent| parent.lead);
        if parent_lead.is_some() || (self.frames.is_empty() && self.active_lead.is_some()) {
            let lead = parent_lead.or(self.active_lead);
            self.lead_bullet(lead, frame, &text, line);
            return;
        }
        // A plain bullet under a task item adds to its detail.
        if let Some(draft) = self.frames.iter().rev().find_map(|f| f.draft) {
            let extra = self.clean(&text, line);
            let detail = &mut self.drafts[draft].detail;
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
    pub(super) fn key_value_bullet(&mut self, text: &str, line: usize) {
        let Some((key, value)) = split_key_value(text.lines().next().unwrap_or("")) else {
            return;
        };
        // `- Freigabe: ☐ ja ☐ nein`: a sign-off written as a choice of boxes.
        if classify::signoff_row_role(&format!("{key} -")).is_none()
            && classify::is_signoff_heading(&key)
            && let Some((tick, status)) = self.line_choice(line)
        {
            let role = self.clean(&key, line);
            self.mark_read(line);
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
    pub(super) fn lead_bullet(
        &mut self,
        lead: Option<ListLead>,
        frame: &Frame,
        text: &str,
        line: usize,
    ) {
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
}
