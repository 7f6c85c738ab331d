//! `golive status`: where a checklist stands, per section.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::gate::{GateView, void_note};
use crate::checklist::{Decision, Kind, Severity, Status, Summary, WarningKind};
use crate::store::event::Verification;
use crate::store::sign::SignatureStatus;

/// The JSON document of `golive status --format json`. Its shape is documented in the README
/// and kept stable: fields may be added, never renamed or removed.
///
/// Built from the gate's [`GateView`], never from the file alone: statuses, totals and
/// approvals are the ones `gate` and `report` show (one resolution path, `decision`).
#[derive(Debug, Serialize)]
pub struct StatusReport<'a> {
    pub file: &'a str,
    pub title: Option<&'a str>,
    pub summary: Summary,
    pub sections: Vec<SectionView<'a>>,
    pub items: Vec<ItemView<'a>>,
    pub approvals: Vec<ApprovalView<'a>>,
    pub warnings: Vec<WarningView<'a>>,
    /// What verifying the store's chain found (`{events, head, first_bad}`).
    pub audit: &'a Verification,
    /// Per approval, why its word does not count (terminal only).
    #[serde(skip)]
    void: Vec<Option<&'static str>>,
}

#[derive(Debug, Serialize)]
pub struct SectionView<'a> {
    pub path: &'a [String],
    pub line: usize,
    pub blocking: bool,
    pub phase: crate::checklist::Phase,
    #[serde(flatten)]
    pub summary: Summary,
}

#[derive(Debug, Serialize)]
pub struct ItemView<'a> {
    pub id: &'a str,
    pub section: &'a [String],
    pub title: &'a str,
    pub detail: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub severity: Severity,
    pub conditional: bool,
    pub phase: crate::checklist::Phase,
    pub status: Status,
    pub line: usize,
    pub parent: Option<&'a str>,
    /// The item has a box in the file that `golive tick` can flip.
    pub tickable: bool,
    pub fields: &'a std::collections::BTreeMap<String, String>,
    /// `task`, or `trigger` (watched after launch, never blocks).
    pub kind: Kind,
    /// The maturity levels a level-table row applies at; empty for every other item.
    pub levels: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<&'a crate::checklist::recurrence::Recurrence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook: Option<&'a crate::checklist::recurrence::Runbook>,
}

#[derive(Debug, Serialize)]
pub struct ApprovalView<'a> {
    pub role: &'a str,
    /// The approver the file names for the role.
    pub name: Option<&'a str>,
    pub required: bool,
    /// The latest word, from the store, else the file's sign-off cell.
    pub decision: Decision,
    /// The sign-off's line; null for a role only the store knows.
    pub line: Option<usize>,
    pub by: Option<&'a str>,
    pub at: Option<&'a str>,
    pub signature: SignatureStatus,
    pub pinned: bool,
    /// The word counts toward the gate's decision.
    pub counts: bool,
}

#[derive(Debug, Serialize)]
pub struct WarningView<'a> {
    pub line: usize,
    pub kind: crate::checklist::WarningKind,
    pub message: &'a str,
}

impl<'a> StatusReport<'a> {
    pub fn new(view: &'a GateView<'a>) -> Self {
        let checklist = view.checklist;
        let sections = checklist
            .sections
            .iter()
            .zip(&view.section_summaries)
            .map(|(section, summary)| SectionView {
                path: &section.path,
                line: section.line,
                blocking: section.blocking,
                phase: section.phase,
                summary: *summary,
            })
            .collect();
        let items = view
            .items
            .iter()
            .map(|entry| {
                let item = entry.item;
                ItemView {
                    id: &item.id,
                    section: checklist.section_path(item),
                    title: &item.title,
                    detail: item.detail.as_deref(),
                    owner: item.owner.as_deref(),
                    severity: item.severity,
                    conditional: item.conditional,
                    phase: item.phase,
                    status: entry.status,
                    line: item.line,
                    parent: item.parent.as_deref(),
                    tickable: item.checkbox.is_some(),
                    fields: &item.fields,
                    kind: item.kind,
                    levels: &item.levels,
                    recurrence: item.recurrence.as_deref(),
                    runbook: item.runbook.as_deref(),
                }
            })
            .collect();
        let approvals = view
            .decision
            .approvals
            .iter()
            .map(|approval| {
                let name = approval
                    .line
                    .and_then(|line| checklist.approvals.iter().find(|a| a.line == line))
                    .and_then(|a| a.name.as_deref());
                ApprovalView {
                    role: &approval.role,
                    name,
                    required: approval.required,
                    decision: match approval.decision {
                        Some(true) => Decision::Go,
                        Some(false) => Decision::NoGo,
                        None => Decision::Pending,
                    },
                    line: approval.line,
                    by: approval.by.as_deref(),
                    at: approval.at.as_deref(),
                    signature: approval.signature,
                    pinned: approval.pinned,
                    counts: approval.counts(),
                }
            })
            .collect();
        let warnings = checklist
            .warnings
            .iter()
            .map(|warning| WarningView {
                line: warning.line,
                kind: warning.kind,
                message: &warning.message,
            })
            .collect();
        StatusReport {
            file: view.file,
            title: checklist.title.as_deref(),
            summary: view.decision.summary,
            sections,
            items,
            approvals,
            warnings,
            audit: view.audit,
            void: view.decision.approvals.iter().map(void_note).collect(),
        }
    }
}

/// How to draw the terminal view.
#[derive(Debug, Clone, Copy)]
pub struct Look {
    /// Draw progress bars (a terminal); otherwise counts and percentages only.
    pub bars: bool,
    pub width: usize,
}

const BAR_WIDTH: usize = 20;
const GOOD: Style = AnsiColor::Green.on_default();
const BAD: Style = AnsiColor::Red.on_default();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

/// Writes the terminal view. Colours are plain ANSI; the caller's writer decides whether they
/// reach the screen (`anstream` strips them for pipes and `NO_COLOR`).
pub fn render(report: &StatusReport<'_>, look: Look, out: &mut dyn Write) -> io::Result<()> {
    let title = report.title.unwrap_or("Checklist");
    writeln!(out, "{BOLD}{title}{BOLD:#} {DIM}{}{DIM:#}", report.file)?;
    writeln!(out)?;
    let name_width = look.width.saturating_sub(BAR_WIDTH + 22).clamp(24, 60);
    for section in report.sections.iter().filter(|s| s.summary.items > 0) {
        let depth = section.path.len().saturating_sub(1);
        let name = section.path.last().map_or("", String::as_str);
        let label = pad(&format!("{}{name}", "  ".repeat(depth)), name_width);
        let summary = &section.summary;
        let counts = format!("{}/{}", summary.settled(), summary.items);
        let percent = summary.settled() * 100 / summary.items.max(1);
        let marker = if summary.failed > 0 {
            format!(" {BAD}{} failed{BAD:#}", summary.failed)
        } else {
            String::new()
        };
        if look.bars {
            let filled = summary.settled() * BAR_WIDTH / summary.items.max(1);
            writeln!(
                out,
                "  {label} {GOOD}{}{GOOD:#}{DIM}{}{DIM:#} {counts:>7} {percent:>3}%{marker}",
                "█".repeat(filled),
                "░".repeat(BAR_WIDTH - filled),
            )?;
        } else {
            writeln!(out, "  {label} {counts:>7} {percent:>3}%{marker}")?;
        }
    }
    let summary = &report.summary;
    writeln!(out)?;
    writeln!(
        out,
        "  {BOLD}{}{BOLD:#}: {} done, {} open, {} failed, {} waived, {} n/a",
        super::count(summary.items, "item", "items"),
        summary.done,
        summary.open,
        summary.failed,
        summary.waived,
        summary.na
    )?;
    let blocking: Vec<&ItemView<'_>> = report
        .items
        .iter()
        .filter(|item| {
            item.severity == Severity::Blocking
                && item.kind == Kind::Task
                && matches!(item.status, Status::Todo | Status::Failed)
        })
        .collect();
    if !blocking.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "  {BAD}Blocking items open ({}){BAD:#}",
            blocking.len()
        )?;
        for item in blocking {
            writeln!(
                out,
                "    {}  {DIM}({}, line {}){DIM:#}",
                item.title, item.id, item.line
            )?;
        }
    }
    render_triggers(report, out)?;
    if !report.approvals.is_empty() {
        let required: Vec<&ApprovalView<'_>> =
            report.approvals.iter().filter(|a| a.required).collect();
        let go = required
            .iter()
            .filter(|a| a.decision == Decision::Go && a.counts)
            .count();
        writeln!(out)?;
        writeln!(
            out,
            "  {BOLD}Approvals{BOLD:#}: {go}/{} required GO",
            required.len()
        )?;
        for (approval, void) in report.approvals.iter().zip(&report.void) {
            let decision = match approval.decision {
                Decision::Go if !approval.counts => format!("{BAD}GO, not counted{BAD:#}"),
                Decision::Go => format!("{GOOD}GO{GOOD:#}"),
                Decision::NoGo => format!("{BAD}NO-GO{BAD:#}"),
                Decision::Pending => format!("{DIM}pending{DIM:#}"),
            };
            let name = approval.name.map(|n| format!(" ({n})")).unwrap_or_default();
            let mut notes = Vec::new();
            if let Some(by) = approval.by.filter(|_| approval.at.is_some()) {
                notes.push(format!(
                    "{by}, {}",
                    super::gate::day(approval.at.unwrap_or(""))
                ));
            }
            if let Some(line) = approval.line {
                notes.push(format!("line {line}"));
            }
            if let Some(void) = void {
                notes.push((*void).to_string());
            }
            if !approval.required {
                notes.push("not required".into());
            }
            writeln!(
                out,
                "    {}{name}: {decision}  {DIM}({}){DIM:#}",
                approval.role,
                notes.join(", ")
            )?;
        }
    }
    render_audit(report, out)?;
    render_warnings(report, out)
}

/// Triggers: what must never become true after launch. Listed, never counted as open.
fn render_triggers(report: &StatusReport<'_>, out: &mut dyn Write) -> io::Result<()> {
    let triggers: Vec<&ItemView<'_>> = report
        .items
        .iter()
        .filter(|item| item.kind == Kind::Trigger)
        .collect();
    if triggers.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "  {BOLD}Triggers ({}){BOLD:#}: watched after launch, never block GO",
        triggers.len()
    )?;
    for item in triggers {
        writeln!(
            out,
            "    {}  {DIM}({}, line {}){DIM:#}",
            item.title, item.id, item.line
        )?;
    }
    Ok(())
}

/// A store whose chain does not verify: said loudly, since every count above includes what
/// it records.
fn render_audit(report: &StatusReport<'_>, out: &mut dyn Write) -> io::Result<()> {
    if let Some(broken) = &report.audit.first_bad {
        writeln!(out)?;
        writeln!(
            out,
            "  {BAD}audit trail BROKEN at event {}: {}{BAD:#}",
            broken.seq,
            broken.problem.describe()
        )?;
        writeln!(
            out,
            "    the store's history cannot be trusted, and the gate says NO-GO; `golive audit verify` shows the break"
        )?;
    }
    Ok(())
}

/// Warnings, with the many one-per-line encoding repairs folded into one entry: they matter as
/// a fact about the file, and listing hundreds would hide the warnings that need a person.
fn render_warnings(report: &StatusReport<'_>, out: &mut dyn Write) -> io::Result<()> {
    let (repairs, others): (Vec<&WarningView<'_>>, Vec<&WarningView<'_>>) = report
        .warnings
        .iter()
        .partition(|w| w.kind == WarningKind::Encoding && w.message.starts_with("repaired"));
    let shown = others.len() + usize::from(!repairs.is_empty());
    if shown == 0 {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "  {BOLD}Warnings ({shown}){BOLD:#}")?;
    if let Some(first) = repairs.first() {
        let codepage = if repairs.iter().all(|w| w.message.contains("Mac Roman")) {
            "Mac Roman"
        } else if repairs.iter().all(|w| w.message.contains("Windows-1252")) {
            "Windows-1252"
        } else {
            "Mac Roman or Windows-1252"
        };
        let lines = if repairs.len() == 1 {
            format!("line {}", first.line)
        } else {
            format!("{} lines from line {}", repairs.len(), first.line)
        };
        writeln!(
            out,
            "    repaired UTF-8 text mis-decoded as {codepage} on {lines} (the file is unchanged; `--format json` lists each)"
        )?;
    }
    for warning in others {
        writeln!(out, "    line {}: {}", warning.line, warning.message)?;
    }
    Ok(())
}

/// `text` cut or padded to exactly `width` terminal columns (emoji and CJK take two).
fn pad(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = UnicodeWidthChar::width(ch).unwrap_or(0);
        if used + w > width.saturating_sub(1) && text.width() > width {
            out.push('…');
            used += 1;
            break;
        }
        out.push(ch);
        used += w;
    }
    out.push_str(&" ".repeat(width.saturating_sub(used)));
    out
}
