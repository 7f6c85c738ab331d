//! Tables: rows with a status column become items; sign-off tables become approvals.

use std::ops::Range;

use super::Importer;
use super::inline::Inline;
use crate::checklist::classify::{self, Column};
use crate::checklist::model::{Approval, Checkbox, Decision, Origin, Status, WarningKind};

pub(super) struct TableBuf {
    head: Vec<Cell>,
    rows: Vec<Row>,
    current: Vec<Cell>,
    cell: Option<(Inline, Range<usize>)>,
}

struct Cell {
    text: String,
    range: Range<usize>,
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
    /// The `[ ]` / `[x]` in a cell, as (text offset of the mark, checked).
    fn cell_box(&self, cell: &Cell) -> Option<(usize, bool)> {
        let content = self.text.get(cell.range.clone())?;
        let trimmed = content.trim();
        let inner = trimmed.strip_prefix('[')?;
        let mark = inner.chars().next()?;
        if !matches!(mark, ' ' | 'x' | 'X') || !inner[1..].starts_with(']') {
            return None;
        }
        let at = cell.range.start + (content.len() - content.trim_start().len()) + 1;
        Some((at, mark != ' '))
    }

    pub(super) fn table(&mut self, table: TableBuf) {
        let headers: Vec<String> = table.head.iter().map(|cell| cell.text.clone()).collect();
        if let Some(columns) = classify::signoff_columns(&headers) {
            self.signoff_table(&table, &columns);
            return;
        }
        let checkbox_column = table
            .rows
            .iter()
            .flat_map(|row| row.cells.iter().enumerate())
            .find(|(_, cell)| self.cell_box(cell).is_some())
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
        for row in &table.rows {
            self.item_row(row, &headers, &columns);
        }
    }

    fn warn_rows(&mut self, table: &TableBuf, message: &str) {
        let lines: Vec<usize> = table
            .rows
            .iter()
            .filter(|row| row.cells.iter().any(|cell| self.cell_box(cell).is_some()))
            .map(|row| row.line)
            .collect();
        for line in lines {
            self.read_lines.insert(line);
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
        let mut fields = Vec::new();
        for (index, cell) in row.cells.iter().enumerate() {
            let column = columns.get(index).copied().unwrap_or(Column::Other);
            match column {
                Column::Title => title = cell.text.clone(),
                Column::Description => detail = cell.text.clone(),
                Column::Owner => {
                    owner = Some(self.clean(&cell.text, line)).filter(|o| !o.is_empty())
                }
                Column::Status => match self.cell_box(cell) {
                    Some((at, checked)) => {
                        checkbox = Some(self.checkbox_at(at, checked));
                        status = if checked { Status::Done } else { Status::Todo };
                    }
                    None => status = classify::status_from_cell(&cell.text),
                },
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
        if checkbox.is_some() {
            self.read_lines.insert(line);
        }
        if title.trim().is_empty() && checkbox.is_none() && status == Status::Todo {
            // An empty row in a table of items: nothing to read, nothing lost.
            if row.cells.iter().all(|cell| cell.text.trim().is_empty()) {
                return;
            }
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
        let item = &mut self.drafts[draft].item;
        item.owner = owner;
        item.fields.extend(fields);
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
                    Column::Verdict => match self.cell_box(cell) {
                        Some((at, checked)) => {
                            checkbox = Some(self.checkbox_at(at, checked));
                            decision = if checked {
                                Decision::Go
                            } else {
                                Decision::Pending
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
                    self.read_lines.insert(line);
                }
                continue;
            }
            self.read_lines.insert(line);
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
