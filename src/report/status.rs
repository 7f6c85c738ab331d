//! `golive status`: where a checklist stands, per section.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::checklist::{Checklist, Decision, Severity, Status, Summary, WarningKind};

/// The JSON document of `golive status --format json`. Its shape is documented in the README
/// and kept stable: fields may be added, never renamed or removed.
#[derive(Debug, Serialize)]
pub struct StatusReport<'a> {
    pub file: &'a str,
    pub title: Option<&'a str>,
    pub summary: Summary,
    pub sections: Vec<SectionView<'a>>,
    pub items: Vec<ItemView<'a>>,
    pub approvals: Vec<ApprovalView<'a>>,
    pub warnings: Vec<WarningView<'a>>,
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
}

#[derive(Debug, Serialize)]
pub struct ApprovalView<'a> {
    pub role: &'a str,
    pub name: Option<&'a str>,
    pub required: bool,
    pub decision: Decision,
    pub line: usize,
}

#[derive(Debug, Serialize)]
pub struct WarningView<'a> {
    pub line: usize,
    pub kind: crate::checklist::WarningKind,
    pub message: &'a str,
}

impl<'a> StatusReport<'a> {
    pub fn new(file: &'a str, checklist: &'a Checklist) -> Self {
        let sections = checklist
            .sections
            .iter()
            .enumerate()
            .map(|(index, section)| SectionView {
                path: &section.path,
                line: section.line,
                blocking: section.blocking,
                phase: section.phase,
                summary: Summary::of(
                    checklist
                        .items
                        .iter()
                        .filter(|item| checklist.is_within(item.section, index)),
                ),
            })
            .collect();
        let items = checklist
            .items
            .iter()
            .map(|item| ItemView {
                id: &item.id,
                section: checklist.section_path(item),
                title: &item.title,
                detail: item.detail.as_deref(),
                owner: item.owner.as_deref(),
                severity: item.severity,
                conditional: item.conditional,
                phase: item.phase,
                status: item.status,
                line: item.line,
                parent: item.parent.as_deref(),
                tickable: item.checkbox.is_some(),
                fields: &item.fields,
            })
            .collect();
        let approvals = checklist
            .approvals
            .iter()
            .map(|approval| ApprovalView {
                role: &approval.role,
                name: approval.name.as_deref(),
                required: approval.required,
                decision: approval.decision,
                line: approval.line,
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
            file,
            title: checklist.title.as_deref(),
            summary: checklist.summary(),
            sections,
            items,
            approvals,
            warnings,
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
        "  {BOLD}{} items{BOLD:#}: {} done, {} open, {} failed, {} waived, {} n/a",
        summary.items, summary.done, summary.open, summary.failed, summary.waived, summary.na
    )?;
    let blocking: Vec<&ItemView<'_>> = report
        .items
        .iter()
        .filter(|item| {
            item.severity == Severity::Blocking
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
    if !report.approvals.is_empty() {
        let go = report
            .approvals
            .iter()
            .filter(|a| a.decision == Decision::Go)
            .count();
        writeln!(out)?;
        writeln!(
            out,
            "  {BOLD}Approvals{BOLD:#}: {go}/{} GO",
            report.approvals.len()
        )?;
        for approval in &report.approvals {
            let decision = match approval.decision {
                Decision::Go => format!("{GOOD}GO{GOOD:#}"),
                Decision::NoGo => format!("{BAD}NO-GO{BAD:#}"),
                Decision::Pending => format!("{DIM}pending{DIM:#}"),
            };
            let name = approval.name.map(|n| format!(" ({n})")).unwrap_or_default();
            writeln!(
                out,
                "    {}{name}: {decision}  {DIM}(line {}){DIM:#}",
                approval.role, approval.line
            )?;
        }
    }
    render_warnings(report, out)
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
