//! Tables: rows with a status column become items; sign-off tables become approvals.

use std::ops::Range;

use super::inline::Inline;
use super::{FoundBox, Importer};
use crate::checklist::classify::{self, Column};
use crate::checklist::model::{
    Approval, Checkbox, Decision, Glyph, Origin, Severity, Status, WarningKind,
};

/// What a status cell holds: a box to tick (if any) and the status it says.
struct CellState {
    tick: Option<FoundBox>,
    status: Status,
}

pub(super) struct TableBuf {
    head: Vec<Cell>,
    rows: Vec<Row>,
    current: Vec<Cell>,
    cell: Option<(Inline, Range<usize>)>,
}

struct Cell {
    text: String,
    range: Range<usize>,
    /// The whole cell is one bold phrase (`**Security**`).
    bold: bool,
}

struct Row {
    line: usize,
    cells: Vec<Cell>,
}

impl TableBuf {
    pub(super) fn new() -> Self {
        TableBuf {
            head: Vec::new(),
            rows: Vec::new(),
            current: Vec::new(),
            cell: None,
        }
    }

    pub(super) fn start_cell(&mut self, range: Range<usize>) {
        self.cell = Some((Inline::default(), range));
    }

    pub(super) fn inline(&mut self) -> Option<&mut Inline> {
        self.cell.as_mut().map(|(inline, _)| inline)
    }

    pub(super) fn push_text(&mut self, text: &str) {
        if let Some(inline) = self.inline() {
            inline.push(text);
        }
    }

    pub(super) fn end_cell(&mut self) {
        if let Some((inline, range)) = self.cell.take() {
            self.current.push(Cell {
                text: inline.plain(),
                range,
                bold: inline.is_bold_label(),
            });
        }
    }

    pub(super) fn end_head(&mut self) {
        self.head = std::mem::take(&mut self.current);
    }

    pub(super) fn end_row(&mut self, line: usize) {
        let cells = std::mem::take(&mut self.current);
        self.rows.push(Row { line, cells });
    }
}

impl Importer<'_> {
    /// The box in a cell: `[ ]` / `[x]`, an emoji box (`☐`, `✅`), or a choice of boxes
    /// (`☐ offen ☐ ok`, `☐ ja ☐ nein`) whose ticked option is the status. `strict` accepts
    /// only boxes that look like boxes (`[ ]`, ☐ ☑ ☒ ⬜), for finding the status column of a
    /// table without a status header.
    fn cell_state(&self, cell: &Cell, strict: bool) -> Option<CellState> {
        let content = self.text.get(cell.range.clone())?;
        let lead = content.len() - content.trim_start().len();
        let trimmed = content.trim();
        if let Some(inner) = trimmed.strip_prefix('[') {
            let mark = inner.chars().next()?;
            if !matches!(mark, ' ' | 'x' | 'X') || !inner[1..].starts_with(']') {
                return None;
            }
            let status = if mark == ' ' {
                Status::Todo
            } else {
                Status::Done
            };
            return Some(CellState {
                tick: Some(FoundBox {
                    at: cell.range.start + lead + 1,
                    status,
                    glyph: Glyph::Gfm,
                }),
                status,
            });
        }
        let (first, _) = self.emoji_box(content, cell.range.start)?;
        if strict && !matches!(trimmed.chars().next(), Some('☐' | '☑' | '☒' | '⬜')) {
            return None;
        }
        // Every box in the cell, with the words after it.
        let mut options: Vec<(FoundBox, String)> = Vec::new();
        let mut offset = 0;
        while offset < content.len() {
            let rest = &content[offset..];
            if let Some((glyph, status, width)) = Glyph::read(rest) {
                let found = FoundBox {
                    at: cell.range.start + offset,
                    status,
                    glyph,
                };
                options.push((found, String::new()));
                offset += width;
                continue;
            }
            let Some(ch) = rest.chars().next() else { break };
            if let Some((_, label)) = options.last_mut() {
                label.push(ch);
            }
            offset += ch.len_utf8();
        }
        if options.len() < 2 {
            return Some(CellState {
                tick: Some(first),
                status: first.status,
            });
        }
        // A choice: tick the option that says yes; the ticked option is the status.
        let positive = options
            .iter()
            .find(|(_, label)| classify::choice_status(label) == Some(Status::Done))
            .map(|(found, _)| *found);
        let status = options
            .iter()
            .filter(|(found, _)| found.status == Status::Done)
            .map(|(_, label)| classify::choice_status(label).unwrap_or(Status::Done))
            .min_by_key(|status| match status {
                Status::Done => 0,
                Status::Failed => 1,
                Status::Na => 2,
                Status::Waived => 3,
                Status::Todo => 4,
            })
            .unwrap_or(Status::Todo);
        Some(CellState {
            tick: positive,
            status,
        })
    }

    /// The boxes after the key of a `- Freigabe: ☐ ja ☐ nein` line, as the cell of a table
    /// would hold them: (the box to tick, the status the ticked option says).
    pub(super) fn line_choice(&self, line: usize) -> Option<(Option<FoundBox>, Status)> {
        let start = *self.line_starts.get(line - 1)?;
        let text = self.line_text(line);
        let colon = text.find(':')?;
        let cell = Cell {
            text: String::new(),
            range: start + colon + 1..start + text.len(),
            bold: false,
        };
        self.cell_state(&cell, false)
            .map(|state| (state.tick, state.status))
    }

    pub(super) fn table(&mut self, table: TableBuf) {
        let headers: Vec<String> = table.head.iter().map(|cell| cell.text.clone()).collect();
        if self.details_depth > 0 {
            self.warn_rows(
                &table,
                "table row with a box inside an HTML `<details>` block was not read; move the \
                 table out of the block",
            );
            return;
        }
        if let Some(columns) = classify::signoff_columns(&headers) {
            self.signoff_table(&table, &columns);
            return;
        }
        let levels: Vec<usize> = headers
            .iter()
            .enumerate()
            .filter(|(_, header)| classify::is_level_header(header))
            .map(|(index, _)| index)
            .collect();
        if levels.len() >= 2 {
            self.level_table(&table, &headers, &levels);
            return;
        }
        let checkbox_column = table
            .rows
            .iter()
            .flat_map(|row| row.cells.iter().enumerate())
            .find(|(_, cell)| self.cell_state(cell, true).is_some())
            .map(|(index, _)| index);
        if checkbox_column.is_none() && !classify::has_status_header(&headers) {
            return;
        }
        let Some(columns) = classify::item_columns(&headers, checkbox_column) else {
            self.warn_rows(
                &table,
                "table row with a box was not read: the table has no column to hold it",
            );
            return;
        };
        if columns.contains(&Column::Owner) {
            self.has_owner_column = true;
        }
        let outer = self.current;
        for row in &table.rows {
            if self.sub_section_row(row, outer) {
                continue;
            }
            self.item_row(row, &headers, &columns);
        }
        self.current = outer;
    }

    /// A bold row with every other cell empty (`| **Security** | | |`) heads the rows under
    /// it, as a sub-section of the table's section until the table ends.
    fn sub_section_row(&mut self, row: &Row, outer: Option<usize>) -> bool {
        let filled: Vec<&Cell> = row
            .cells
            .iter()
            .filter(|cell| !cell.text.trim().is_empty())
            .collect();
        let [cell] = filled.as_slice() else {
            return false;
        };
        if !cell.bold || self.cell_state(cell, false).is_some() || row.cells.len() < 2 {
            return false;
        }
        let label = cell.text.trim().trim_end_matches(':').trim().to_string();
        let label = self.clean(&label, row.line);
        self.current = outer;
        let level = outer.map_or(2, |index| self.sections[index].level + 1);
        self.open_section(level, label, row.line);
        true
    }

    fn warn_rows(&mut self, table: &TableBuf, message: &str) {
        let lines: Vec<usize> = table
            .rows
            .iter()
            .filter(|row| {
                row.cells
                    .iter()
                    .any(|cell| self.cell_state(cell, false).is_some())
            })
            .map(|row| row.line)
            .collect();
        for line in lines {
            self.mark_read(line);
            self.warn(line, WarningKind::Unreadable, message.to_string());
        }
    }

    fn item_row(&mut self, row: &Row, headers: &[String], columns: &[Column]) {
        let line = row.line;
        let mut title = String::new();
        let mut detail = String::new();
        let mut owner = None;
        let mut status = Status::Todo;
        let mut checkbox = None;
        let mut priority = None;
        let mut fields = Vec::new();
        for (index, cell) in row.cells.iter().enumerate() {
            let column = columns.get(index).copied().unwrap_or(Column::Other);
            match column {
                Column::Title if title.trim().is_empty() => title = cell.text.clone(),
                // A second name column (`Service | Metric`): both make the title.
                Column::Title | Column::Subtitle => {
                    let more = cell.text.trim();
                    if !more.is_empty() {
                        if title.trim().is_empty() {
                            title = more.to_string();
                        } else {
                            title = format!("{} — {more}", title.trim());
                        }
                    }
                }
                Column::Description => detail = cell.text.clone(),
                Column::Owner => {
                    owner = Some(self.clean(&cell.text, line)).filter(|o| !o.is_empty())
                }
                Column::Status => match self.cell_state(cell, false) {
                    Some(state) => {
                        checkbox = state.tick.map(|found| self.checkbox_at(found));
                        status = state.status;
                    }
                    None => status = classify::status_from_cell(&cell.text),
                },
                Column::Priority => {
                    priority = classify::severity_of_priority(&cell.text);
                    let value = self.clean(&cell.text, line);
                    if !value.is_empty() {
                        fields.push((classify::field_name(&headers[index]), value));
                    }
                }
                _ => {
                    let value = self.clean(&cell.text, line);
                    if !value.is_empty() {
                        let name = headers
                            .get(index)
                            .map_or("column".to_string(), |h| classify::field_name(h));
                        fields.push((name, value));
                    }
                }
            }
        }
        self.mark_read(line);
        if title.trim().is_empty() && checkbox.is_none() && status == Status::Todo {
            // An empty row in a table of items: nothing to read, nothing lost.
            if row.cells.iter().all(|cell| cell.text.trim().is_empty()) {
                return;
            }
        }
        if let Some(role) = classify::signoff_row_role(&tidy_title(&title)) {
            let role = self.clean(&role, line);
            self.approvals.push(Approval {
                role,
                name: owner,
                required: true,
                decision: match status {
                    Status::Done => Decision::Go,
                    Status::Failed => Decision::NoGo,
                    _ => Decision::Pending,
                },
                line,
                checkbox,
            });
            return;
        }
        let Some(draft) = self.draft(
            title,
            detail,
            line,
            Origin::TableRow,
            status,
            checkbox,
            None,
        ) else {
            return;
        };
        let item = &mut self.drafts[draft];
        item.owner = owner;
        item.fields.extend(fields);
        if let Some(priority) = priority
            && item.severity != Severity::Blocking
        {
            item.severity = priority;
        }
    }

    /// A maturity-level table (`Check | Description | Level C | Level B | Level A`): each row
    /// is an item applicable at the levels whose cell is marked (✅, `:white_check_mark:`, `x`).
    /// The rows hold no box, so their status lives in the store.
    fn level_table(&mut self, table: &TableBuf, headers: &[String], levels: &[usize]) {
        let others: Vec<String> = headers
            .iter()
            .enumerate()
            .map(|(index, header)| {
                if levels.contains(&index) {
                    // Not a title, description or owner column.
                    "level".to_string()
                } else {
                    header.clone()
                }
            })
            .collect();
        // `item_columns` wants a status column: lend it the first level column.
        let Some(columns) = classify::item_columns(&others, levels.first().copied()) else {
            return;
        };
        let names: Vec<String> = headers.iter().map(|h| tidy_title(h)).collect();
        let outer = self.current;
        for row in &table.rows {
            let line = row.line;
            if row.cells.iter().all(|cell| cell.text.trim().is_empty()) {
                continue;
            }
            if self.sub_section_row(row, outer) {
                continue;
            }
            let mut title = String::new();
            let mut detail = String::new();
            let mut owner = None;
            let mut marked = Vec::new();
            let mut fields = Vec::new();
            for (index, cell) in row.cells.iter().enumerate() {
                if levels.contains(&index) {
                    let raw = self.text.get(cell.range.clone()).unwrap_or("");
                    if classify::is_level_mark(raw) || classify::is_level_mark(&cell.text) {
                        marked.push(names[index].clone());
                    } else if !cell.text.trim().is_empty() {
                        let value = self.clean(raw.trim(), line);
                        fields.push((classify::field_name(&headers[index]), value));
                    }
                    continue;
                }
                match columns.get(index).copied().unwrap_or(Column::Other) {
                    Column::Title if title.trim().is_empty() => title = cell.text.clone(),
                    Column::Title | Column::Subtitle => {
                        let more = cell.text.trim();
                        if !more.is_empty() {
                            title = format!("{} — {more}", title.trim());
                        }
                    }
                    Column::Description => detail = cell.text.clone(),
                    Column::Owner => {
                        owner = Some(self.clean(&cell.text, line)).filter(|o| !o.is_empty())
                    }
                    _ => {
                        let value = self.clean(&cell.text, line);
                        if !value.is_empty() {
                            fields.push((classify::field_name(&headers[index]), value));
                        }
                    }
                }
            }
            self.mark_read(line);
            let Some(draft) = self.draft(
                title,
                detail,
                line,
                Origin::LevelRow,
                Status::Todo,
                None,
                None,
            ) else {
                continue;
            };
            let item = &mut self.drafts[draft];
            item.owner = owner;
            item.fields.extend(fields);
            item.levels = marked;
        }
        self.current = outer;
    }

    fn signoff_table(&mut self, table: &TableBuf, columns: &[Column]) {
        for row in &table.rows {
            let line = row.line;
            let mut role = String::new();
            let mut name = String::new();
            let mut decision = Decision::Pending;
            let mut checkbox: Option<Checkbox> = None;
            for (index, cell) in row.cells.iter().enumerate() {
                match columns.get(index).copied().unwrap_or(Column::Other) {
                    Column::Role => role = self.clean(&cell.text, line),
                    Column::Name => name = self.clean(&cell.text, line),
                    Column::Verdict => match self.cell_state(cell, false) {
                        Some(state) => {
                            checkbox = state.tick.map(|found| self.checkbox_at(found));
                            decision = match state.status {
                                Status::Done => Decision::Go,
                                Status::Failed => Decision::NoGo,
                                _ => Decision::Pending,
                            };
                        }
                        None => decision = classify::decision_from_cell(&cell.text),
                    },
                    _ => {}
                }
            }
            if role.is_empty() {
                if checkbox.is_some() {
                    self.warn(
                        line,
                        WarningKind::Unreadable,
                        "sign-off row has a box but no role; fill in the role column".to_string(),
                    );
                    self.mark_read(line);
                }
                continue;
            }
            self.mark_read(line);
            self.approvals.push(Approval {
                role,
                name: (!name.is_empty()).then_some(name),
                required: true,
                decision,
                line,
                checkbox,
            });
        }
    }
}

/// A header or title without its emphasis and links' brackets.
fn tidy_title(text: &str) -> String {
    super::inline::tidy(text.trim_matches(|c: char| c == '*' || c == '_' || c.is_whitespace()))
}
