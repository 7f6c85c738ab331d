//! `golive gate`: the decision for people (terminal) and programs (JSON), and [`GateView`],
//! the one view every gate report (Markdown, HTML, JUnit) is drawn from, so they all agree.

use std::io::{self, Write};

use anstyle::{AnsiColor, Color, Style};
use serde::Serialize;
use serde_json::Value as Json;

use crate::checklist::{Checklist, Phase, Severity, Status, Summary};
use crate::decision::{self, ApprovalSource, Decision, Reason, Resolved, Trust};
use crate::store::event::{Anchor, Verification};
use crate::store::sign::{PublicKey, SignatureStatus};
use crate::store::state::{CheckRecord, Run, Stamp, State};

/// A latency histogram of one check: `(check, [(le_ms, count)])`, each count being the requests
/// above the previous bucket's bound and at most this one's.
pub type Histogram = (String, Vec<(f64, u64)>);

/// Everything a gate report shows, computed once.
#[derive(Debug, Clone)]
pub struct GateView<'a> {
    pub file: &'a str,
    pub title: Option<&'a str>,
    /// The key the store files this checklist under (approvals are signed for it).
    pub checklist_key: &'a str,
    /// When the report was made, as given by the caller: reports never read the clock.
    pub generated_at: &'a str,
    pub checklist: &'a Checklist,
    pub decision: Decision,
    /// Every item, in file order.
    pub items: Vec<Resolved<'a>>,
    /// Sections holding items (directly or below), in file order.
    pub sections: Vec<SectionGroup<'a>>,
    /// Totals of every section of the checklist, by index, empty ones included.
    pub section_summaries: Vec<Summary>,
    /// What verifying the store's chain (and the anchors given) found.
    pub audit: &'a Verification,
    pub run: Option<&'a Run>,
    /// Histograms found in the latest run's results (`observed.histogram`).
    pub histograms: Vec<Histogram>,
    /// The store's last event when the decision was made, if the chain verified. Printed with
    /// the decision, it lands wherever the decision does (CI logs, step summaries, report
    /// files), and `golive audit verify --anchor` later proves the history behind it was not
    /// cut or rewritten.
    pub audit_head: Option<&'a Anchor>,
    /// Every drill the store recorded, with its objectives and history.
    pub drills: Vec<crate::drill::history::Summary<'a>>,
}

#[derive(Debug, Clone)]
pub struct SectionGroup<'a> {
    /// Headings from the outermost; empty for items above the first heading.
    pub path: &'a [String],
    pub line: Option<usize>,
    /// Counts over the items in this section and every section inside it.
    pub summary: Summary,
    /// Indices into [`GateView::items`] of the items directly in this section.
    pub items: Vec<usize>,
}

impl SectionGroup<'_> {
    /// The section's own heading, or a stand-in for items above the first heading.
    pub fn name(&self) -> &str {
        self.path
            .last()
            .map_or("(before the first heading)", String::as_str)
    }

    /// `, 2 failed` when any item failed, for progress lines; empty otherwise.
    pub fn failed_note(&self) -> String {
        match self.summary.failed {
            0 => String::new(),
            failed => format!(", {failed} failed"),
        }
    }
}

impl<'a> GateView<'a> {
    /// Resolves and decides `checklist` against `state` on `today` (`YYYY-MM-DD`), given
    /// what was verified about the store ([`Trust`]).
    pub fn new(
        file: &'a str,
        checklist_key: &'a str,
        checklist: &'a Checklist,
        state: &'a State,
        trust: Trust<'a>,
        today: &str,
        now: &'a str,
    ) -> Self {
        let items = decision::resolve(checklist, state, today);
        let decision = decision::decide_resolved(checklist_key, checklist, state, trust, &items);
        let section_summaries = decision::section_summaries(checklist, &items);
        // Which items sit directly in each section, in one pass over the items.
        let mut top = Vec::new();
        let mut direct: Vec<Vec<usize>> = vec![Vec::new(); checklist.sections.len()];
        for (index, entry) in items.iter().enumerate() {
            match entry
                .item
                .section
                .and_then(|section| direct.get_mut(section))
            {
                Some(list) => list.push(index),
                None => top.push(index),
            }
        }
        let mut sections = Vec::new();
        if !top.is_empty() {
            sections.push(SectionGroup {
                path: &[],
                line: None,
                summary: decision::summary_of(top.iter().map(|&i| &items[i])),
                items: top,
            });
        }
        for ((section, summary), direct) in checklist
            .sections
            .iter()
            .zip(&section_summaries)
            .zip(direct)
        {
            if summary.items == 0 {
                continue;
            }
            sections.push(SectionGroup {
                path: &section.path,
                line: Some(section.line),
                summary: *summary,
                items: direct,
            });
        }
        let histograms = histograms(&items);
        GateView {
            file,
            title: checklist.title.as_deref(),
            checklist_key,
            generated_at: now,
            checklist,
            decision,
            items,
            sections,
            section_summaries,
            audit: trust.audit,
            run: state.latest_run.as_ref(),
            histograms,
            audit_head: trust.audit.head.as_ref(),
            drills: crate::drill::history::summarise(&state.drills),
        }
    }

    pub fn verdict(&self) -> &'static str {
        if self.decision.go { "GO" } else { "NO-GO" }
    }

    pub fn section_path(&self, item: &Resolved<'_>) -> &'a [String] {
        self.checklist.section_path(item.item)
    }
}

/// Who or what last set an item's status: the waiver, the check run, the n/a, or the tick;
/// `None` when only the file says so.
pub fn status_stamp<'a>(entry: &Resolved<'a>) -> Option<&'a Stamp> {
    match entry.status {
        Status::Waived if entry.waiver.is_some() => entry.waiver.map(|w| &w.stamp),
        _ if !entry.results.is_empty() => {
            entry.results.iter().map(|r| &r.stamp).max_by_key(|s| s.seq)
        }
        Status::Na if entry.item.conditional && entry.na.is_some() => entry.na.map(|n| &n.stamp),
        _ => entry.tick.map(|t| &t.stamp),
    }
}

/// `observed.histogram` of each check of the latest run, once per check: `[{"le_ms", "count"}]`
/// as the load probe writes it (or that JSON as text). Anything else is not a histogram.
fn histograms(items: &[Resolved<'_>]) -> Vec<Histogram> {
    let mut out: Vec<Histogram> = Vec::new();
    // A check on many items is one shared record: look at each once, by name.
    let mut seen = std::collections::HashSet::new();
    for record in items.iter().flat_map(|r| r.results) {
        if !seen.insert(record.check.as_str()) {
            continue;
        }
        if let Some(buckets) = parse_histogram(record) {
            out.push((record.check.clone(), buckets));
        }
    }
    out
}

fn parse_histogram(record: &CheckRecord) -> Option<Vec<(f64, u64)>> {
    let value = record.observed.get("histogram")?;
    let parsed;
    let value = match value {
        Json::String(text) => {
            parsed = serde_json::from_str::<Json>(text).ok()?;
            &parsed
        }
        other => other,
    };
    let buckets: Vec<(f64, u64)> = value
        .as_array()?
        .iter()
        .filter_map(|b| Some((b.get("le_ms")?.as_f64()?, b.get("count")?.as_u64()?)))
        .filter(|(le, _)| le.is_finite())
        .collect();
    (!buckets.is_empty()).then_some(buckets)
}

/// The date part of an RFC 3339 time.
/// How a report format writes text from the checklist or the store: as plain text, and in
/// code style. Each format makes both inert in its own way.
pub trait Markup {
    fn text(&self, text: &str) -> String;
    fn code(&self, text: &str) -> String;
}

/// What supports an item's status, one line each (check results, waivers, n/a, ticks), in
/// the format's markup: every report says the same thing.
pub fn evidence_lines(entry: &Resolved<'_>, markup: &dyn Markup) -> Vec<String> {
    let mut lines = Vec::new();
    for record in entry.results {
        let when = format!(
            "{}, {}",
            markup.text(&record.stamp.by),
            day(&record.stamp.at)
        );
        if record.passed {
            lines.push(format!(
                "check {} passed ({when})",
                markup.code(&record.check)
            ));
        } else {
            let mut why: Vec<String> = record.failures.iter().map(|f| markup.code(f)).collect();
            if why.is_empty()
                && let Some(problem) = &record.problem
            {
                why.push(markup.text(problem));
            }
            lines.push(format!(
                "check {} failed: {} ({when})",
                markup.code(&record.check),
                why.join(", ")
            ));
        }
    }
    if let Some(w) = entry.waiver {
        let until = w
            .until
            .as_deref()
            .map(|u| format!(" until {}", markup.text(u)))
            .unwrap_or_default();
        lines.push(format!(
            "waived by {}{until}: {} ({}, {})",
            markup.code(&w.role),
            markup.text(&w.reason),
            markup.text(&w.stamp.by),
            day(&w.stamp.at)
        ));
    }
    if let Some(w) = entry.expired_waiver {
        lines.push(format!(
            "waiver by {} expired on {}: {}",
            markup.code(&w.role),
            markup.text(w.until.as_deref().unwrap_or("?")),
            markup.text(&w.reason)
        ));
    }
    if let Some(na) = entry.na {
        let ignored = if entry.item.conditional {
            ""
        } else {
            " — ignored: the item is not conditional"
        };
        lines.push(format!(
            "n/a: {} ({}, {}){ignored}",
            markup.text(&na.reason),
            markup.text(&na.stamp.by),
            day(&na.stamp.at)
        ));
    }
    if let Some(tick) = entry.tick {
        let verb = if tick.done { "ticked" } else { "cleared" };
        lines.push(format!(
            "{verb} by {} on {}",
            markup.text(&tick.stamp.by),
            day(&tick.stamp.at)
        ));
    } else if status_stamp(entry).is_none() && entry.status != Status::Todo {
        lines.push("as written in the file".into());
    }
    lines
}

pub fn day(at: &str) -> &str {
    at.get(..10).unwrap_or(at)
}

pub fn status_label(status: Status) -> &'static str {
    match status {
        Status::Todo => "open",
        Status::Done => "done",
        Status::Failed => "failed",
        Status::Waived => "waived",
        Status::Na => "n/a",
    }
}

pub fn decision_label(decision: Option<bool>) -> &'static str {
    match decision {
        Some(true) => "GO",
        Some(false) => "NO-GO",
        None => "pending",
    }
}

pub fn signature_label(signature: SignatureStatus) -> &'static str {
    match signature {
        SignatureStatus::Unsigned => "unsigned",
        SignatureStatus::Valid => "valid",
        SignatureStatus::Invalid => "invalid",
        SignatureStatus::UnknownKey => "unknown key",
    }
}

/// Why an approval's word does not count, in a few words; `None` when it counts, or when
/// it is a NO-GO that blocks all the same.
pub fn void_note(approval: &decision::ApprovalStatus) -> Option<&'static str> {
    let blocks_anyway =
        approval.decision != Some(true) && approval.signature != SignatureStatus::Invalid;
    if approval.counts() || blocks_anyway {
        return None;
    }
    Some(match approval.signature {
        SignatureStatus::Invalid => "signature invalid",
        SignatureStatus::UnknownKey => "signed by a key not pinned for the role",
        SignatureStatus::Unsigned | SignatureStatus::Valid => {
            "not signed, and the role's keys are pinned"
        }
    })
}

/// How the latest run is named: by when and who, with the event that started it; the
/// event's number is not a count of runs.
pub fn run_label(run: &Run) -> String {
    format!(
        "latest run {} by {} (event {})",
        run.stamp.at, run.stamp.by, run.seq
    )
}

/// Settled items over all items, in whole percent.
pub fn percent(summary: &Summary) -> usize {
    summary.settled() * 100 / summary.items.max(1)
}

// ---- JSON ----------------------------------------------------------------------------------

/// The JSON document of `golive gate --format json` and `golive report --format json`.
/// Stable like the status schema: fields may be added, never renamed or removed.
#[derive(Debug, Serialize)]
pub struct GateJson<'a> {
    pub decision: &'static str,
    pub go: bool,
    pub file: &'a str,
    pub title: Option<&'a str>,
    pub checklist: &'a str,
    pub reasons: &'a [Reason],
    pub summary: Summary,
    pub sections: Vec<SectionJson<'a>>,
    pub approvals: Vec<ApprovalJson<'a>>,
    pub items: Vec<ItemJson<'a>>,
    pub run: Option<RunJson<'a>>,
    pub generated_at: &'a str,
    /// `SEQ:HASH`, for `golive audit verify --anchor`; null for an empty store or a chain
    /// that does not verify.
    pub audit_head: Option<&'a Anchor>,
    /// What verifying the store's chain found: `{events, head, first_bad}` as `golive audit
    /// verify --format json` prints it.
    pub audit: &'a Verification,
    /// Every drill the store recorded (absent when none did).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drills: Vec<super::drills::DrillJson<'a>>,
}

#[derive(Debug, Serialize)]
pub struct SectionJson<'a> {
    pub path: &'a [String],
    pub line: Option<usize>,
    #[serde(flatten)]
    pub summary: Summary,
}

#[derive(Debug, Serialize)]
pub struct ApprovalJson<'a> {
    pub role: &'a str,
    pub required: bool,
    /// `"go"`, `"no-go"`, or null when the role has not spoken.
    pub decision: Option<&'static str>,
    pub by: Option<&'a str>,
    pub at: Option<&'a str>,
    pub comment: Option<&'a str>,
    pub signature: SignatureStatus,
    pub source: Option<ApprovalSource>,
    pub line: Option<usize>,
    /// The key that signed (`ed25519:HEX`), if signed.
    pub key: Option<PublicKey>,
    /// `golive.toml` pins the role's keys.
    pub pinned: bool,
    /// The word counts toward the decision (see `decision::ApprovalStatus::counts`).
    pub counts: bool,
}

#[derive(Debug, Serialize)]
pub struct ItemJson<'a> {
    pub id: &'a str,
    pub section: &'a [String],
    pub title: &'a str,
    pub detail: Option<&'a str>,
    /// Id of the item this one is nested under.
    pub parent: Option<&'a str>,
    pub status: Status,
    pub severity: Severity,
    pub phase: Phase,
    pub conditional: bool,
    pub owner: Option<&'a str>,
    pub line: usize,
    /// The item counts for the gate (phase `pre`, not advisory).
    pub gating: bool,
    /// Who or what last set the status (see [`status_stamp`]).
    pub by: Option<&'a str>,
    pub at: Option<&'a str>,
    pub waiver: Option<WaiverJson<'a>>,
    pub na: Option<NaJson<'a>>,
    pub checks: Vec<CheckJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<&'a crate::checklist::recurrence::Recurrence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook: Option<&'a crate::checklist::recurrence::Runbook>,
}

#[derive(Debug, Serialize)]
pub struct WaiverJson<'a> {
    pub reason: &'a str,
    pub role: &'a str,
    pub until: Option<&'a str>,
    /// False once `until` has passed: the waiver no longer counts.
    pub active: bool,
    pub by: &'a str,
    pub at: &'a str,
}

#[derive(Debug, Serialize)]
pub struct NaJson<'a> {
    pub reason: &'a str,
    pub by: &'a str,
    pub at: &'a str,
}

#[derive(Debug, Serialize)]
pub struct CheckJson<'a> {
    pub check: &'a str,
    pub probe: &'a str,
    pub target: &'a str,
    pub passed: bool,
    pub failures: &'a [String],
    pub problem: Option<&'a str>,
    pub duration_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct RunJson<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub by: &'a str,
    pub checks: usize,
}

impl<'a> GateJson<'a> {
    pub fn new(view: &'a GateView<'a>) -> Self {
        let approvals = view
            .decision
            .approvals
            .iter()
            .map(|a| ApprovalJson {
                role: &a.role,
                required: a.required,
                decision: a.decision.map(|go| if go { "go" } else { "no-go" }),
                by: a.by.as_deref(),
                at: a.at.as_deref(),
                comment: a.comment.as_deref(),
                signature: a.signature,
                source: a.source,
                line: a.line,
                key: a.key,
                pinned: a.pinned,
                counts: a.counts(),
            })
            .collect();
        GateJson {
            decision: view.verdict(),
            go: view.decision.go,
            file: view.file,
            title: view.title,
            checklist: view.checklist_key,
            reasons: &view.decision.reasons,
            summary: view.decision.summary,
            sections: view
                .sections
                .iter()
                .map(|s| SectionJson {
                    path: s.path,
                    line: s.line,
                    summary: s.summary,
                })
                .collect(),
            approvals,
            items: view
                .items
                .iter()
                .map(|entry| item_json(view, entry))
                .collect(),
            run: view.run.map(|run| RunJson {
                seq: run.seq,
                at: &run.stamp.at,
                by: &run.stamp.by,
                checks: run.checks,
            }),
            generated_at: view.generated_at,
            audit_head: view.audit_head,
            audit: view.audit,
            drills: super::drills::json(&view.drills),
        }
    }
}

fn item_json<'a>(view: &GateView<'a>, entry: &Resolved<'a>) -> ItemJson<'a> {
    let item = entry.item;
    let stamp = status_stamp(entry);
    let waiver = entry.waiver.or(entry.expired_waiver).map(|w| WaiverJson {
        reason: &w.reason,
        role: &w.role,
        until: w.until.as_deref(),
        active: entry.waiver.is_some(),
        by: &w.stamp.by,
        at: &w.stamp.at,
    });
    ItemJson {
        id: &item.id,
        section: view.section_path(entry),
        title: &item.title,
        detail: item.detail.as_deref(),
        parent: item.parent.as_deref(),
        status: entry.status,
        severity: item.severity,
        phase: item.phase,
        conditional: item.conditional,
        owner: item.owner.as_deref(),
        line: item.line,
        gating: entry.gating(),
        by: stamp.map(|s| s.by.as_str()),
        at: stamp.map(|s| s.at.as_str()),
        waiver,
        na: entry.na.map(|na| NaJson {
            reason: &na.reason,
            by: &na.stamp.by,
            at: &na.stamp.at,
        }),
        checks: entry
            .results
            .iter()
            .map(|r| CheckJson {
                check: &r.check,
                probe: &r.probe,
                target: &r.target,
                passed: r.passed,
                failures: &r.failures,
                problem: r.problem.as_deref(),
                duration_ms: r.duration_ms,
            })
            .collect(),
        recurrence: item.recurrence.as_deref(),
        runbook: item.runbook.as_deref(),
    }
}

// ---- terminal ------------------------------------------------------------------------------

const GOOD: Style = AnsiColor::Green.on_default();
const BAD: Style = AnsiColor::Red.on_default();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();
const GO_BANNER: Style = Style::new()
    .bold()
    .fg_color(Some(Color::Ansi(AnsiColor::Black)))
    .bg_color(Some(Color::Ansi(AnsiColor::Green)));
const NO_GO_BANNER: Style = Style::new()
    .bold()
    .fg_color(Some(Color::Ansi(AnsiColor::White)))
    .bg_color(Some(Color::Ansi(AnsiColor::Red)));

/// The terminal view: the verdict on one line that stands out, then every reason, the
/// approvals and the totals. Colours are plain ANSI; the caller's writer strips them for pipes
/// and `NO_COLOR`.
pub fn render(view: &GateView<'_>, out: &mut dyn Write) -> io::Result<()> {
    let banner = if view.decision.go {
        GO_BANNER
    } else {
        NO_GO_BANNER
    };
    let title = view.title.unwrap_or("Checklist");
    writeln!(
        out,
        "{banner}  {}  {banner:#}  {BOLD}{title}{BOLD:#} {DIM}{}{DIM:#}",
        view.verdict(),
        view.file
    )?;
    let reasons = &view.decision.reasons;
    if !reasons.is_empty() {
        writeln!(out)?;
        let count = super::count(reasons.len(), "reason", "reasons");
        writeln!(out, "  {BOLD}{count}{BOLD:#}")?;
        for reason in reasons {
            writeln!(out, "    {BAD}✗{BAD:#} {}", reason.message)?;
        }
    }
    let approvals = &view.decision.approvals;
    if !approvals.is_empty() {
        let required: Vec<_> = approvals.iter().filter(|a| a.required).collect();
        let go = required.iter().filter(|a| a.is_go()).count();
        writeln!(out)?;
        writeln!(
            out,
            "  {BOLD}Approvals{BOLD:#}: {go}/{} required GO",
            required.len()
        )?;
        let width = approvals
            .iter()
            .map(|a| a.role.chars().count())
            .max()
            .unwrap_or(0)
            .min(30);
        for approval in approvals {
            let word = match (approval.decision, approval.signature) {
                (_, SignatureStatus::Invalid) => format!("{BAD}{:<7}{BAD:#}", "INVALID"),
                (Some(true), _) if !approval.counts() => {
                    format!("{BAD}{:<7}{BAD:#}", "VOID")
                }
                (Some(true), _) => format!("{GOOD}{:<7}{GOOD:#}", "GO"),
                (Some(false), _) => format!("{BAD}{:<7}{BAD:#}", "NO-GO"),
                (None, _) => format!("{DIM}{:<7}{DIM:#}", "pending"),
            };
            let mut notes = Vec::new();
            if let Some(by) = &approval.by {
                notes.push(by.clone());
            }
            if let Some(at) = &approval.at {
                notes.push(day(at).to_string());
            }
            match approval.source {
                Some(ApprovalSource::File) => notes.push("in the file".into()),
                Some(ApprovalSource::Store)
                    if approval.signature != SignatureStatus::Unsigned && approval.counts() =>
                {
                    notes.push(format!("signature {}", signature_label(approval.signature)));
                }
                _ => {}
            }
            if let Some(note) = void_note(approval) {
                notes.push(note.into());
            }
            if !approval.required {
                notes.push("not required".into());
            }
            let comment = approval
                .comment
                .as_deref()
                .map(|c| format!(" — “{c}”"))
                .unwrap_or_default();
            writeln!(
                out,
                "    {:<width$}  {word}  {DIM}{}{DIM:#}{comment}",
                approval.role,
                notes.join(", ")
            )?;
        }
    }
    if !view.drills.is_empty() {
        writeln!(out)?;
        writeln!(out, "  {BOLD}Drills{BOLD:#}")?;
        for summary in &view.drills {
            writeln!(
                out,
                "    {}  {}",
                summary.drill,
                super::drills::headline(summary)
            )?;
            if let Some(warning) = &summary.warning {
                writeln!(out, "      {BAD}⚠{BAD:#} {warning}")?;
            }
        }
    }
    let s = &view.decision.summary;
    writeln!(out)?;
    writeln!(
        out,
        "  {BOLD}{}{BOLD:#}: {} done, {} open, {} failed, {} waived, {} n/a",
        super::count(s.items, "item", "items"),
        s.done,
        s.open,
        s.failed,
        s.waived,
        s.na
    )?;
    if let Some(run) = view.run {
        writeln!(out, "  {DIM}{}{DIM:#}", run_label(run))?;
    }
    if let Some(head) = &view.audit_head {
        writeln!(
            out,
            "  {DIM}audit head {head} (`golive audit verify --anchor {head}` checks this history later){DIM:#}"
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(observed: Json) -> CheckRecord {
        CheckRecord {
            check: "load".into(),
            probe: "load".into(),
            target: String::new(),
            items: vec![],
            passed: true,
            failures: vec![],
            problem: None,
            observed,
            duration_ms: 0.0,
            stamp: Stamp {
                by: "ci".into(),
                at: "2026-11-21T00:00:00.000Z".into(),
                seq: 1,
            },
        }
    }

    #[test]
    fn histograms_are_read_from_observed_json_or_text() {
        let buckets = json!([{"le_ms": 0.5, "count": 3}, {"le_ms": 1, "count": 7}, {"le_ms": "x"}]);
        assert_eq!(
            parse_histogram(&record(json!({"histogram": buckets}))),
            Some(vec![(0.5, 3), (1.0, 7)])
        );
        let text = json!({"histogram": buckets.to_string()});
        assert_eq!(
            parse_histogram(&record(text)),
            Some(vec![(0.5, 3), (1.0, 7)])
        );
        assert_eq!(parse_histogram(&record(json!({"histogram": []}))), None);
        assert_eq!(parse_histogram(&record(json!({"p95": "12ms"}))), None);
        assert_eq!(parse_histogram(&record(Json::Null)), None);
    }

    #[test]
    fn labels_read_as_people_say_them() {
        assert_eq!(status_label(Status::Na), "n/a");
        assert_eq!(decision_label(None), "pending");
        assert_eq!(day("2026-11-21T10:00:00.000Z"), "2026-11-21");
        assert_eq!(day("short"), "short");
        let summary = Summary {
            items: 3,
            done: 1,
            waived: 1,
            ..Summary::default()
        };
        assert_eq!(percent(&summary), 66);
        assert_eq!(percent(&Summary::default()), 0);
    }
}
