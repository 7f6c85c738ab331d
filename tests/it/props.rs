//! Property tests: checklists generated "from the rules" of DESIGN.md § Reading Markdown.
//!
//! The generator writes random but well-formed go-live checklists (headings, task items in
//! every list style at any depth, bold lead titles, paragraphs, fenced code blocks holding
//! fake task lines, tables with a `Status` column), then stores them as UTF-8 or
//! Windows-1252, with LF or CRLF, with or without a BOM. It remembers on which line it wrote
//! each box and which mark it put in it, so the properties can hold the importer and
//! `tick::set_checkbox` to what was written.

use std::fmt;

use encoding_rs::WINDOWS_1252;
use golive::checklist::{self, Checkbox, Checklist, WarningKind, tick::set_checkbox};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

/// Title and paragraph words that Windows-1252 can store (`œ`, `’`, `€` are in its 0x80-0x9F
/// range, the rest in Latin-1).
const LATIN_WORDS: &[&str] = &[
    "Préparation",
    "deploy",
    "rollback",
    "Vérifier la sauvegarde",
    "base de données",
    "Mise en œuvre",
    "l’équipe",
    "coût 5 €",
    "naïve",
    "déjà fait",
    "Über Straße",
    "monitoring",
];

/// Words only UTF-8 can store, mixed in when the document is not meant for Windows-1252.
const UNICODE_WORDS: &[&str] = &[
    "Sécurité ✅",
    "🚀 lancement",
    "monitoring 📈",
    "Déploiement ⚙️",
];

const OWNERS: &[&str] = &["Ops", "Équipe technique", "SRE", "", "DBA"];

/// Lines that look like checklist entries but sit inside fenced code blocks.
const CODE_LINES: &[&str] = &[
    "- [ ] not an item",
    "* [x] not an item either",
    "1. [ ] still not an item",
    "2) [X] never an item",
    "| Item | Owner | Status |",
    "| fake | Ops | [ ] |",
    "# not a heading",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Dash,
    Star,
    Plus,
    /// `1.`, `2.`, … numbered within its list.
    Dot,
    /// `1)`, `2)`, … numbered within its list.
    Paren,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Open,
    Lower,
    Upper,
}

impl Mark {
    fn byte(self) -> u8 {
        match self {
            Mark::Open => b' ',
            Mark::Lower => b'x',
            Mark::Upper => b'X',
        }
    }

    fn checked(self) -> bool {
        self != Mark::Open
    }
}

#[derive(Debug, Clone)]
struct Task {
    /// Wanted depth; clamped to one more than the previous item's.
    depth: usize,
    style: Style,
    mark: Mark,
    /// `**Title** detail` rather than `Title detail`.
    bold: bool,
    word: Index,
    detail: Vec<Index>,
    /// A blank line before the item (a loose list).
    blank_before: bool,
    /// A fenced code block with fake task lines inside the item, after its text.
    code: bool,
}

#[derive(Debug, Clone)]
struct Row {
    word: Index,
    owner: Index,
    mark: Mark,
    /// Spaces around the status cell's box.
    pad: usize,
}

#[derive(Debug, Clone)]
enum Block {
    Heading {
        level: usize,
        word: Index,
    },
    List(Vec<Task>),
    /// Words, each maybe followed by a line break.
    Paragraph(Vec<(Index, bool)>),
    Code {
        tildes: bool,
        info: bool,
        lines: Vec<Index>,
    },
    Table {
        /// Leading and trailing pipes.
        pipes: bool,
        separator: Index,
        rows: Vec<Row>,
    },
}

#[derive(Debug, Clone)]
struct Doc {
    /// Each block with the number of extra blank lines after it.
    blocks: Vec<(Block, usize)>,
    /// Only words Windows-1252 can store.
    latin: bool,
    crlf: bool,
    bom: bool,
    /// Stored as Windows-1252 (only ever with `latin`).
    cp1252: bool,
}

/// A box the generator wrote: its 1-based line and its mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Written {
    line: usize,
    mark: Mark,
    /// Line of the task item this one is nested in.
    parent: Option<usize>,
}

/// A generated checklist file and what the generator knows about it.
struct Rendered {
    text: String,
    bytes: Vec<u8>,
    crlf: bool,
    bom: bool,
    cp1252: bool,
    /// Every box written as a task item or a table row, in file order.
    boxes: Vec<Written>,
    /// Lines of fenced code blocks (fences included).
    code_lines: Vec<usize>,
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Rendered {{ crlf: {}, bom: {}, cp1252: {}, boxes: {}, code_lines: {:?} }}",
            self.crlf,
            self.bom,
            self.cp1252,
            self.boxes.len(),
            self.code_lines
        )?;
        for (number, line) in self.text.lines().enumerate() {
            writeln!(f, "{:>3} | {line}", number + 1)?;
        }
        writeln!(f, "text: {:?}", self.text)
    }
}

fn style() -> impl Strategy<Value = Style> {
    prop_oneof![
        Just(Style::Dash),
        Just(Style::Star),
        Just(Style::Plus),
        Just(Style::Dot),
        Just(Style::Paren),
    ]
}

fn mark() -> impl Strategy<Value = Mark> {
    prop_oneof![Just(Mark::Open), Just(Mark::Lower), Just(Mark::Upper)]
}

fn task() -> impl Strategy<Value = Task> {
    (
        0usize..4,
        style(),
        mark(),
        any::<bool>(),
        any::<Index>(),
        prop::collection::vec(any::<Index>(), 0..3),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(depth, style, mark, bold, word, detail, blank_before, code)| Task {
                depth,
                style,
                mark,
                bold,
                word,
                detail,
                blank_before,
                code,
            },
        )
}

fn row() -> impl Strategy<Value = Row> {
    (any::<Index>(), any::<Index>(), mark(), 0usize..3).prop_map(|(word, owner, mark, pad)| Row {
        word,
        owner,
        mark,
        pad,
    })
}

fn block() -> impl Strategy<Value = Block> {
    prop_oneof![
        2 => (1usize..=4, any::<Index>()).prop_map(|(level, word)| Block::Heading { level, word }),
        4 => prop::collection::vec(task(), 1..7).prop_map(Block::List),
        1 => prop::collection::vec((any::<Index>(), prop::bool::weighted(0.2)), 1..8)
            .prop_map(Block::Paragraph),
        1 => (any::<bool>(), any::<bool>(), prop::collection::vec(any::<Index>(), 1..5))
            .prop_map(|(tildes, info, lines)| Block::Code { tildes, info, lines }),
        2 => (any::<bool>(), any::<Index>(), prop::collection::vec(row(), 1..6))
            .prop_map(|(pipes, separator, rows)| Block::Table { pipes, separator, rows }),
    ]
}

fn doc(max_blocks: usize) -> impl Strategy<Value = Doc> {
    (
        prop::collection::vec((block(), 0usize..3), 1..max_blocks),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(blocks, latin, crlf, bom, cp1252)| Doc {
            blocks,
            latin,
            crlf,
            bom,
            cp1252: cp1252 && latin,
        })
}

/// Generated checklists of up to 40 blocks, rendered to the bytes of a file.
fn checklist_file() -> impl Strategy<Value = Rendered> {
    doc(40).prop_map(|doc| render(&doc))
}

/// Shorter checklists, for properties that re-import the file once per box (quadratic).
fn short_checklist_file() -> impl Strategy<Value = Rendered> {
    doc(20).prop_map(|doc| render(&doc))
}

/// Writes lines and remembers what is on them.
struct Writer {
    words: Vec<&'static str>,
    lines: Vec<String>,
    boxes: Vec<Written>,
    code_lines: Vec<usize>,
    /// Makes every title unique.
    counter: usize,
}

impl Writer {
    fn line(&mut self, text: String) -> usize {
        self.lines.push(text);
        self.lines.len()
    }

    fn blank(&mut self) {
        self.line(String::new());
    }

    fn word(&self, index: &Index) -> &'static str {
        index.get::<&str>(&self.words)
    }

    fn title(&mut self, index: &Index) -> String {
        self.counter += 1;
        format!("{} {}", self.word(index), self.counter)
    }

    fn code(&mut self, indent: &str, tildes: bool, info: bool, lines: &[&str]) {
        let fence = if tildes { "~~~" } else { "```" };
        let info = if info { "markdown" } else { "" };
        let at = self.line(format!("{indent}{fence}{info}"));
        self.code_lines.push(at);
        for code_line in lines {
            let at = self.line(format!("{indent}{code_line}"));
            self.code_lines.push(at);
        }
        let at = self.line(format!("{indent}{fence}"));
        self.code_lines.push(at);
    }

    fn list(&mut self, tasks: &[Task]) {
        // The last item seen at each depth: its style, its number, its content column and its
        // line.
        let mut open: Vec<(Style, usize, usize, usize)> = Vec::new();
        for (position, task) in tasks.iter().enumerate() {
            let depth = task.depth.min(open.len());
            open.truncate(depth + 1);
            let number = match open.get(depth) {
                Some(&(style, number, _, _)) if style == task.style => number + 1,
                _ => 1,
            };
            let parent = depth.checked_sub(1).map(|parent| open[parent]);
            let indent = parent.map_or(0, |parent| parent.2);
            let marker = match task.style {
                Style::Dash => "-".to_string(),
                Style::Star => "*".to_string(),
                Style::Plus => "+".to_string(),
                Style::Dot => format!("{number}."),
                Style::Paren => format!("{number})"),
            };
            let content = indent + marker.len() + 1;
            if task.blank_before && position > 0 {
                self.blank();
            }
            let line = self.lines.len() + 1;
            open.truncate(depth);
            open.push((task.style, number, content, line));
            let title = self.title(&task.word);
            let detail: Vec<&str> = task.detail.iter().map(|index| self.word(index)).collect();
            let detail = detail.join(" ");
            let text = match (task.bold, detail.is_empty()) {
                (true, true) => format!("**{title}**"),
                (true, false) => format!("**{title}** {detail}"),
                (false, true) => title,
                (false, false) => format!("{title} {detail}"),
            };
            let pad = " ".repeat(indent);
            let mark = char::from(task.mark.byte());
            self.line(format!("{pad}{marker} [{mark}] {text}"));
            self.boxes.push(Written {
                line,
                mark: task.mark,
                parent: parent.map(|parent| parent.3),
            });
            if task.code {
                let pad = " ".repeat(content);
                self.code(&pad, false, false, &CODE_LINES[..2]);
            }
        }
    }

    fn table(&mut self, pipes: bool, separator: &Index, rows: &[Row]) {
        let cells = |cells: [&str; 3]| {
            let inner = cells.join(" | ");
            if pipes { format!("| {inner} |") } else { inner }
        };
        self.line(cells(["Item", "Owner", "Status"]));
        let separators = [
            ["------", "-------", "--------"],
            [":---", ":---:", "---:"],
            ["---", "---", "---"],
        ];
        self.line(cells(*separator.get(&separators)));
        for row in rows {
            let title = self.title(&row.word);
            let owner = *row.owner.get(OWNERS);
            let pad = " ".repeat(row.pad);
            let mark = char::from(row.mark.byte());
            let status = format!("{pad}[{mark}]{pad}");
            let line = self.line(cells([&title, owner, &status]));
            self.boxes.push(Written {
                line,
                mark: row.mark,
                parent: None,
            });
        }
    }
}

fn render(doc: &Doc) -> Rendered {
    let mut words = LATIN_WORDS.to_vec();
    if !doc.latin {
        words.extend_from_slice(UNICODE_WORDS);
    }
    let mut writer = Writer {
        words,
        lines: Vec::new(),
        boxes: Vec::new(),
        code_lines: Vec::new(),
        counter: 0,
    };
    for (position, (block, _)) in doc.blocks.iter().enumerate() {
        if position > 0 {
            // Blocks are separated by a blank line, except that an ATX heading needs none on
            // either side.
            let previous_heading = matches!(doc.blocks[position - 1].0, Block::Heading { .. });
            let heading = matches!(block, Block::Heading { .. });
            let previous_blanks = doc.blocks[position - 1].1;
            let needed = usize::from(!(heading || previous_heading));
            for _ in 0..needed.max(previous_blanks) {
                writer.blank();
            }
        }
        match block {
            Block::Heading { level, word } => {
                let title = writer.title(word);
                writer.line(format!("{} {title}", "#".repeat(*level)));
            }
            Block::List(tasks) => writer.list(tasks),
            Block::Paragraph(words) => {
                let mut line = String::new();
                for (word, line_break) in words {
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(writer.word(word));
                    if *line_break {
                        writer.line(std::mem::take(&mut line));
                    }
                }
                if !line.is_empty() {
                    writer.line(line);
                }
            }
            Block::Code {
                tildes,
                info,
                lines,
            } => {
                let lines: Vec<&str> = lines.iter().map(|index| *index.get(CODE_LINES)).collect();
                writer.code("", *tildes, *info, &lines);
            }
            Block::Table {
                pipes,
                separator,
                rows,
            } => writer.table(*pipes, separator, rows),
        }
    }
    let mut text = writer.lines.join("\n");
    text.push('\n');
    if doc.crlf {
        text = text.replace('\n', "\r\n");
    }
    let mut bytes = Vec::new();
    if doc.bom {
        bytes.extend_from_slice(b"\xEF\xBB\xBF");
    }
    if doc.cp1252 {
        let (encoded, _, unmappable) = WINDOWS_1252.encode(&text);
        assert!(!unmappable, "Windows-1252 cannot store {text:?}");
        bytes.extend_from_slice(&encoded);
    } else {
        bytes.extend_from_slice(text.as_bytes());
    }
    Rendered {
        text,
        bytes,
        crlf: doc.crlf,
        bom: doc.bom,
        cp1252: doc.cp1252,
        boxes: writer.boxes,
        code_lines: writer.code_lines,
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        // Failures are reported with the rendered file; do not write regression files into
        // the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn import(bytes: &[u8]) -> Result<Checklist, TestCaseError> {
    checklist::import(bytes).map_err(|error| TestCaseError::fail(format!("import failed: {error}")))
}

/// Every box the importer read (items, then approvals) with its line.
fn boxes(checklist: &Checklist) -> Vec<(usize, Checkbox)> {
    let items = checklist
        .items
        .iter()
        .filter_map(|item| item.checkbox.map(|checkbox| (item.line, checkbox)));
    let approvals = checklist
        .approvals
        .iter()
        .filter_map(|approval| approval.checkbox.map(|checkbox| (approval.line, checkbox)));
    items.chain(approvals).collect()
}

/// Line and checked state of every item and approval, in the importer's order.
fn statuses(checklist: &Checklist) -> Vec<(usize, Option<bool>)> {
    let items = checklist
        .items
        .iter()
        .map(|item| (item.line, item.checkbox.map(|c| c.checked)));
    let approvals = checklist
        .approvals
        .iter()
        .map(|approval| (approval.line, approval.checkbox.map(|c| c.checked)));
    items.chain(approvals).collect()
}

/// Offsets where two files of the same length differ.
fn differences(a: &[u8], b: &[u8]) -> Vec<usize> {
    a.iter()
        .zip(b)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(at, _)| at)
        .collect()
}

fn set(bytes: &[u8], checkbox: &Checkbox, checked: bool) -> Result<Vec<u8>, TestCaseError> {
    set_checkbox(bytes, checkbox, checked).ok_or_else(|| {
        TestCaseError::fail(format!(
            "set_checkbox({checked}) found no box at byte {}",
            checkbox.mark_offset
        ))
    })
}

/// Ticks (or unticks) one box and checks that exactly its mark changed, on disk and as the
/// importer reads it back.
fn flip_one(
    file: &Rendered,
    before: &Checklist,
    index: usize,
    checkbox: &Checkbox,
    checked: bool,
) -> Result<Vec<u8>, TestCaseError> {
    let edited = set(&file.bytes, checkbox, checked)?;
    prop_assert_eq!(edited.len(), file.bytes.len());
    prop_assert_eq!(
        differences(&file.bytes, &edited),
        vec![checkbox.mark_offset],
        "setting box {} to {} must change exactly its mark",
        index,
        checked
    );
    let after = import(&edited)?;
    let mut expected = statuses(before);
    expected[index].1 = Some(checked);
    prop_assert_eq!(
        statuses(&after),
        expected,
        "after setting box {} to {}, only that box may change",
        index,
        checked
    );
    Ok(edited)
}

proptest! {
    #![proptest_config(config())]

    /// Guards "every task item and every table row is read, and nothing else": the number of
    /// items plus approvals is the number of boxes the generator wrote, each on the line it was
    /// written with the state it was written, and no line of a fenced code block (which holds
    /// `- [ ] not an item`, tables and headings) becomes an item.
    #[test]
    fn every_written_box_is_one_item_and_code_blocks_are_not(file in checklist_file()) {
        let checklist = import(&file.bytes)?;
        prop_assert_eq!(
            checklist.items.len() + checklist.approvals.len(),
            file.boxes.len(),
            "items + approvals must equal the task items and table rows written"
        );
        let mut read: Vec<(usize, Option<bool>)> = statuses(&checklist);
        read.sort_unstable();
        let written: Vec<(usize, Option<bool>)> = file
            .boxes
            .iter()
            .map(|written| (written.line, Some(written.mark.checked())))
            .collect();
        prop_assert_eq!(read, written, "(line, checked) read vs written");
        for item in &checklist.items {
            prop_assert!(
                !file.code_lines.contains(&item.line),
                "line {} is in a code block but became item `{}`",
                item.line,
                item.title
            );
            prop_assert!(!item.title.contains("not an item"), "code line read: {}", item.title);
        }
    }

    /// Guards "a nested item is a sub-item of its parent", at any depth and across list
    /// styles: each item's `parent` is the item on the line the generator nested it under.
    #[test]
    fn nested_items_name_the_item_they_are_nested_in(file in checklist_file()) {
        let checklist = import(&file.bytes)?;
        let lines: std::collections::HashMap<&str, usize> = checklist
            .items
            .iter()
            .map(|item| (item.id.as_str(), item.line))
            .collect();
        for item in &checklist.items {
            let written = file.boxes.iter().find(|written| written.line == item.line);
            let want = written.and_then(|written| written.parent);
            let got = item.parent.as_deref().map(|id| lines.get(id).copied());
            prop_assert_eq!(
                got,
                want.map(Some),
                "parent of `{}` (line {})",
                item.title,
                item.line
            );
        }
    }

    /// Guards the byte offsets behind ticking, through BOMs, CRLF and Windows-1252 (where one
    /// char is one byte but several in the decoded text): each box's `mark_offset` points at
    /// the mark the generator wrote, between `[` and `]`.
    #[test]
    fn checkbox_offsets_point_at_the_written_marks(file in checklist_file()) {
        let checklist = import(&file.bytes)?;
        let mut read = boxes(&checklist);
        read.sort_unstable_by_key(|(line, _)| *line);
        prop_assert_eq!(read.len(), file.boxes.len());
        for ((line, checkbox), written) in read.iter().zip(&file.boxes) {
            prop_assert_eq!(*line, written.line);
            let at = checkbox.mark_offset;
            prop_assert!(at > 0 && at + 1 < file.bytes.len(), "offset {} out of the file", at);
            prop_assert_eq!(
                &file.bytes[at - 1..=at + 1],
                &[b'[', written.mark.byte(), b']'][..],
                "box on line {} at byte {}",
                line,
                at
            );
        }
    }

    /// Guards "nothing is silently dropped, and nothing well-formed is complained about": a
    /// checklist written by the rules raises no `Unreadable` warning (code blocks included).
    #[test]
    fn well_formed_checklists_raise_no_unreadable_warnings(file in checklist_file()) {
        let checklist = import(&file.bytes)?;
        let unreadable: Vec<_> = checklist
            .warnings
            .iter()
            .filter(|warning| warning.kind == WarningKind::Unreadable)
            .collect();
        prop_assert!(unreadable.is_empty(), "{:?}", unreadable);
    }

    /// Guards the round trip of DESIGN.md ("ticking an item rewrites only the bytes of its
    /// checkbox"), box by box: ticking an open box changes exactly its one byte, the file
    /// re-imports with that box checked and every other status unchanged, and unticking gives
    /// back the original bytes; a box checked with `x` unticks and ticks back to the original
    /// bytes (with `X`, to the original but for `X` → `x`); ticking a checked box is a no-op.
    #[test]
    fn ticking_one_box_round_trips_and_touches_nothing_else(file in short_checklist_file()) {
        let checklist = import(&file.bytes)?;
        for (index, (_, checkbox)) in boxes(&checklist).iter().enumerate() {
            let at = checkbox.mark_offset;
            if checkbox.checked {
                prop_assert_eq!(set(&file.bytes, checkbox, true)?, file.bytes.clone());
                let unticked = flip_one(&file, &checklist, index, checkbox, false)?;
                let reticked = set(&unticked, checkbox, true)?;
                let mut expected = file.bytes.clone();
                expected[at] = b'x';
                prop_assert_eq!(reticked, expected, "untick then tick box {}", index);
            } else {
                prop_assert_eq!(set(&file.bytes, checkbox, false)?, file.bytes.clone());
                let ticked = flip_one(&file, &checklist, index, checkbox, true)?;
                prop_assert_eq!(ticked[at], b'x');
                let unticked = set(&ticked, checkbox, false)?;
                prop_assert_eq!(unticked, file.bytes.clone(), "tick then untick box {}", index);
            }
        }
    }

    /// Guards that ticks compose: ticking every open box (in file order) and then unticking
    /// them all in reverse order gives back the original bytes, and in between the file
    /// re-imports with every box checked.
    #[test]
    fn ticking_all_then_unticking_all_restores_the_file(file in checklist_file()) {
        let checklist = import(&file.bytes)?;
        let open: Vec<Checkbox> = boxes(&checklist)
            .into_iter()
            .map(|(_, checkbox)| checkbox)
            .filter(|checkbox| !checkbox.checked)
            .collect();
        let mut bytes = file.bytes.clone();
        for checkbox in &open {
            bytes = set(&bytes, checkbox, true)?;
        }
        let all_ticked = import(&bytes)?;
        prop_assert!(
            statuses(&all_ticked).iter().all(|(_, checked)| *checked == Some(true)),
            "every box must read as checked: {:?}",
            statuses(&all_ticked)
        );
        prop_assert_eq!(statuses(&all_ticked).len(), statuses(&checklist).len());
        for checkbox in open.iter().rev() {
            bytes = set(&bytes, checkbox, false)?;
        }
        prop_assert_eq!(bytes, file.bytes.clone());
    }
}
