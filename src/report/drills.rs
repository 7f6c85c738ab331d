//! The drills section of the gate reports: per drill, RPO / RTO MET or MISSED with the measured
//! value and the objective, a warning when restore times near the RTO, and the history, from
//! the store's `drill` events. Markdown, HTML, JSON and the terminal all draw the same lines.

use std::fmt::Write as _;

use serde::Serialize;

use crate::drill::history::{Entry, Summary};
use crate::expr::Value;

/// How many past drills a report lists per drill (the store keeps them all).
pub const HISTORY: usize = 10;

fn shown_ms(ms: Option<u64>) -> String {
    ms.map(|ms| Value::Duration(std::time::Duration::from_millis(ms)).to_string())
        .unwrap_or_default()
}

/// The one-line state of a drill: its objectives, or that it is running, or its verdict.
pub fn headline(summary: &Summary<'_>) -> String {
    let mut parts = summary.objectives.clone();
    if parts.is_empty()
        && let Some(latest) = summary.latest
    {
        parts.push(latest.record.verdict.clone());
    }
    if let Some(running) = summary.running {
        parts.push(format!(
            "running since {} (started by {})",
            running.record.started_at.as_deref().unwrap_or(&running.at),
            running.by
        ));
    }
    parts.join(" · ")
}

fn kind(action: &str) -> &str {
    match action {
        "human" => "timed by people",
        other => other,
    }
}

/// The Markdown section; empty when no drill ever ran.
/// `inline` makes text inert in a table cell.
pub fn markdown(summaries: &[Summary<'_>], inline: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    if summaries.is_empty() {
        return out;
    }
    out.push_str("\n## Drills\n");
    for summary in summaries {
        let _ = writeln!(
            out,
            "\n### {} ({})\n\n**{}**\n",
            inline(summary.drill),
            kind(summary.action),
            inline(&headline(summary))
        );
        if let Some(warning) = &summary.warning {
            let _ = writeln!(out, "⚠️ {}\n", inline(warning));
        }
        if summary.history.is_empty() {
            continue;
        }
        out.push_str("| When | By | Verdict | Time | RPO | Evidence |\n");
        out.push_str("| --- | --- | --- | --- | --- | --- |\n");
        let skip = summary.history.len().saturating_sub(HISTORY);
        for entry in &summary.history[skip..] {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                inline(&entry.at),
                inline(&entry.by),
                inline(&entry.record.verdict),
                shown_ms(entry.record.rto_ms),
                shown_ms(entry.record.rpo_ms),
                inline(&entry.record.evidence.join("; ")),
            );
        }
        if skip > 0 {
            let _ = writeln!(out, "\n_{skip} earlier drills are in the audit log._");
        }
    }
    out
}

/// The HTML section; empty when no drill ever ran.
pub fn html(summaries: &[Summary<'_>], escape: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    if summaries.is_empty() {
        return out;
    }
    out.push_str("<h2>Drills</h2>\n<section id=\"drills\">\n");
    for summary in summaries {
        let _ = writeln!(
            out,
            "<h3>{} <span class=\"mute\">({})</span></h3>\n<p><strong>{}</strong></p>",
            escape(summary.drill),
            escape(kind(summary.action)),
            escape(&headline(summary))
        );
        if let Some(warning) = &summary.warning {
            let _ = writeln!(out, "<p class=\"warn\">⚠ {}</p>", escape(warning));
        }
        if summary.history.is_empty() {
            continue;
        }
        out.push_str(
            "<table><tr><th>When</th><th>By</th><th>Verdict</th><th>Time</th><th>RPO</th><th>Evidence</th></tr>\n",
        );
        let skip = summary.history.len().saturating_sub(HISTORY);
        for entry in &summary.history[skip..] {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&entry.at),
                escape(&entry.by),
                escape(&entry.record.verdict),
                shown_ms(entry.record.rto_ms),
                shown_ms(entry.record.rpo_ms),
                escape(&entry.record.evidence.join("; "))
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
    out
}

/// A drill in the gate's JSON document.
#[derive(Debug, Serialize)]
pub struct DrillJson<'a> {
    pub drill: &'a str,
    pub action: &'a str,
    /// `RTO MET 2s < 30m`, … of the latest finished drill.
    pub objectives: &'a [String],
    pub warning: Option<&'a str>,
    pub running: Option<&'a Entry>,
    pub history: &'a [&'a Entry],
}

pub fn json<'a>(summaries: &'a [Summary<'a>]) -> Vec<DrillJson<'a>> {
    summaries
        .iter()
        .map(|summary| DrillJson {
            drill: summary.drill,
            action: summary.action,
            objectives: &summary.objectives,
            warning: summary.warning.as_deref(),
            running: summary.running,
            history: &summary.history,
        })
        .collect()
}
