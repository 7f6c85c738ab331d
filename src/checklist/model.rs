//! The checklist model: what golive knows about a go-live checklist, independent of where it
//! was read from. Nothing here does I/O.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Serialize;

use super::encoding::SourceEncoding;

/// A whole checklist, as read from one file.
#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    /// The first top-level heading, when there is one.
    pub title: Option<String>,
    pub sections: Vec<Section>,
    pub items: Vec<Item>,
    pub approvals: Vec<Approval>,
    pub warnings: Vec<Warning>,
    pub source: SourceInfo,
    /// Some table in the checklist has an owner column, so every item is expected to name one.
    pub has_owner_column: bool,
}

/// How the file was stored, so that edits keep it exactly as it was.
#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    pub encoding: SourceEncoding,
    pub bom: bool,
    pub crlf: bool,
}

/// A heading. Sections nest by heading level; `path` holds every heading from the outermost.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub path: Vec<String>,
    pub level: u8,
    pub line: usize,
    pub parent: Option<usize>,
    /// Items here are mandatory go/no-go criteria.
    pub blocking: bool,
    pub phase: Phase,
    /// Set by an `Owner:` / `Responsable :` line under the heading, inherited by sub-sections.
    pub owner: Option<String>,
    /// Nothing at all under the heading: no text, no items, no sub-section.
    pub empty: bool,
    /// "Critères de Rollback", "Rollback triggers": the items here are triggers.
    pub trigger: bool,
    /// "Communication Externe (si applicable)": every item here may be marked n/a.
    pub conditional: bool,
}

/// One thing that must be true before (or after) go-live.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: String,
    /// Index into [`Checklist::sections`]; `None` for items above the first heading.
    pub section: Option<usize>,
    pub title: String,
    pub detail: Option<String>,
    pub owner: Option<String>,
    pub severity: Severity,
    pub conditional: bool,
    pub phase: Phase,
    pub status: Status,
    pub evidence: Vec<Evidence>,
    /// Id of the item this one is nested under.
    pub parent: Option<String>,
    /// Table columns that have no dedicated field (target, date, current, …), by lowercase header.
    pub fields: BTreeMap<String, String>,
    /// 1-based line of the item in the file.
    pub line: usize,
    /// Where the tickable box is in the file; `None` when the item has no box (status then
    /// lives only in the store).
    pub checkbox: Option<Checkbox>,
    pub origin: Origin,
    /// A task to do, or a trigger: a condition that must never become true after launch.
    pub kind: Kind,
    /// The maturity levels (`Level A`, `GA`, …) at which a row of a level table applies, as the
    /// table's headers spell them; empty for items that apply whatever the level.
    pub levels: Vec<String>,
    /// Due once per period (a daily, weekly, … section): never gates a go-live. Boxed, as is
    /// `runbook`: most items have neither, and a smaller item is fewer pages to fault in for
    /// 100k of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Box<super::recurrence::Recurrence>>,
    /// A step of a runbook section, run once per incident or change: never gates a go-live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook: Option<Box<super::recurrence::Runbook>>,
}

/// What an item is for. Triggers are watched, never ticked off: they never block GO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Task,
    /// "Déclencher un rollback si : taux d'erreur > 5 %": `watch` evaluates it after launch.
    Trigger,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Task => "task",
            Kind::Trigger => "trigger",
        }
    }
}

/// The bytes of a box in the original file: `[ ]` / `[x]`, or an emoji box (`☐`, `⬜`, `✅`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Checkbox {
    /// Byte offset in the file of the character between the brackets, or of the first byte of
    /// an emoji box.
    pub mark_offset: usize,
    pub checked: bool,
    pub glyph: Glyph,
}

impl Checkbox {
    /// The bytes a tick rewrites: one for `[ ]`, the whole emoji otherwise.
    pub fn mark_range(&self) -> Range<usize> {
        self.mark_offset..self.mark_offset + self.glyph.width()
    }
}

/// How a box is written. Each emoji family ticks within itself, to a glyph of the same length
/// in UTF-8, so a tick never moves another byte of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Glyph {
    /// `[ ]` / `[x]` / `[X]`: the mark is one byte.
    Gfm,
    /// `☐` open, `☑` / `☒` ticked.
    Ballot,
    /// `⬜` / `⏳` open, `✅` done, `❌` failed.
    Square,
    /// `🔴` failed, `🟡` open, `🟢` done.
    Circle,
}

impl Glyph {
    /// Bytes of the mark in UTF-8.
    pub fn width(self) -> usize {
        match self {
            Glyph::Gfm => 1,
            Glyph::Ballot | Glyph::Square => 3,
            Glyph::Circle => 4,
        }
    }

    /// The mark written for a ticked (`true`) or open box.
    pub fn mark(self, checked: bool) -> &'static str {
        match (self, checked) {
            (Glyph::Gfm, true) => "x",
            (Glyph::Gfm, false) => " ",
            (Glyph::Ballot, true) => "☑",
            (Glyph::Ballot, false) => "☐",
            (Glyph::Square, true) => "✅",
            (Glyph::Square, false) => "⬜",
            (Glyph::Circle, true) => "🟢",
            (Glyph::Circle, false) => "🟡",
        }
    }

    /// The glyph and the status an emoji box at the start of `text` stands for.
    pub fn read(text: &str) -> Option<(Glyph, Status, usize)> {
        let ch = text.chars().next()?;
        let (glyph, status) = match ch {
            '☐' => (Glyph::Ballot, Status::Todo),
            '☑' | '☒' => (Glyph::Ballot, Status::Done),
            '⬜' | '⏳' => (Glyph::Square, Status::Todo),
            '✅' => (Glyph::Square, Status::Done),
            '❌' => (Glyph::Square, Status::Failed),
            '🟡' => (Glyph::Circle, Status::Todo),
            '🟢' => (Glyph::Circle, Status::Done),
            '🔴' => (Glyph::Circle, Status::Failed),
            _ => return None,
        };
        Some((glyph, status, ch.len_utf8()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// `- [ ] …` at any depth, in any list style.
    TaskList,
    /// A row of a table with a status column.
    TableRow,
    /// A bullet under a `Criteria:` line in a gate-style section (no box: status lives in the store).
    Criterion,
    /// A row of a maturity-level table (`Level C | Level B | Level A`); no box either.
    LevelRow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Blocking,
    Required,
    Advisory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Must hold before go-live; counts for the gate.
    Pre,
    /// Checked after go-live ("First 24 hours", "J+1 à J+7"); never blocks the gate.
    Post,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Todo,
    Done,
    Failed,
    Waived,
    Na,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Todo => "todo",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Waived => "waived",
            Status::Na => "na",
        }
    }
}

/// What supports an item's status: a check result, a manual tick, a waiver.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub source: String,
    pub summary: String,
}

/// A role whose GO is needed before go-live.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub role: String,
    pub name: Option<String>,
    pub required: bool,
    pub decision: Decision,
    pub line: usize,
    pub checkbox: Option<Checkbox>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Pending,
    Go,
    NoGo,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Pending => "pending",
            Decision::Go => "go",
            Decision::NoGo => "no-go",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub line: usize,
    pub kind: WarningKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningKind {
    /// Text was repaired (mojibake) or the file's encoding was guessed.
    Encoding,
    /// A line looks like a checklist entry but could not be read as one.
    Unreadable,
    /// The line says two things at once: a `[ ]` box and a `✅` (the box wins).
    Contradiction,
}

/// Counts over a set of items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub items: usize,
    pub done: usize,
    pub open: usize,
    pub failed: usize,
    pub waived: usize,
    pub na: usize,
    pub blocking_open: usize,
    /// Triggers: watched after launch, never counted as items to do.
    pub triggers: usize,
}

impl Summary {
    pub fn of<'a>(items: impl IntoIterator<Item = &'a Item>) -> Summary {
        let mut summary = Summary::default();
        for item in items {
            if item.kind == Kind::Trigger {
                summary.triggers += 1;
                continue;
            }
            summary.items += 1;
            match item.status {
                Status::Todo => summary.open += 1,
                Status::Done => summary.done += 1,
                Status::Failed => summary.failed += 1,
                Status::Waived => summary.waived += 1,
                Status::Na => summary.na += 1,
            }
            if item.severity == Severity::Blocking
                && matches!(item.status, Status::Todo | Status::Failed)
            {
                summary.blocking_open += 1;
            }
        }
        summary
    }

    /// Share of items settled (done, waived or n/a), for progress bars.
    pub fn settled(&self) -> usize {
        self.done + self.waived + self.na
    }
}

impl Checklist {
    /// Every level the checklist's level tables name, in the order first seen.
    pub fn levels(&self) -> Vec<&str> {
        let mut levels: Vec<&str> = Vec::new();
        for level in self.items.iter().flat_map(|item| &item.levels) {
            if !levels.contains(&level.as_str()) {
                levels.push(level);
            }
        }
        levels
    }

    /// Keeps the level-table rows that apply at `level` (and every other item). `level` is
    /// matched ignoring case and accents, whole (`Level A`) or by its last word (`A`, `ga`).
    /// Errs with the levels the checklist knows when none matches.
    pub fn select_level(&mut self, level: &str) -> Result<(), Vec<String>> {
        let wanted = super::classify::fold(level);
        let wanted = wanted.split_whitespace().collect::<Vec<_>>().join(" ");
        let matches = |name: &str| {
            let folded = super::classify::fold(name);
            let folded = folded.split_whitespace().collect::<Vec<_>>().join(" ");
            !wanted.is_empty()
                && (folded == wanted || folded.rsplit(' ').next() == Some(wanted.as_str()))
        };
        let known = self.levels();
        if !known.iter().any(|name| matches(name)) {
            return Err(known.iter().map(|name| name.to_string()).collect());
        }
        self.items.retain(|item| {
            item.origin != Origin::LevelRow || item.levels.iter().any(|l| matches(l))
        });
        Ok(())
    }

    pub fn summary(&self) -> Summary {
        Summary::of(&self.items)
    }

    pub fn section_path(&self, item: &Item) -> &[String] {
        item.section
            .and_then(|index| self.sections.get(index))
            .map_or(&[], |section| section.path.as_slice())
    }

    /// Whether `section` is `ancestor` or nested somewhere inside it.
    pub fn is_within(&self, section: Option<usize>, ancestor: usize) -> bool {
        let mut current = section;
        while let Some(index) = current {
            if index == ancestor {
                return true;
            }
            current = self.sections.get(index).and_then(|s| s.parent);
        }
        false
    }
}
