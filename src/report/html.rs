//! The HTML gate report: one self-contained file (inline CSS and SVG, no script, no external
//! reference of any kind, a Content-Security-Policy that forbids loading anything), so it can be
//! archived as a CI artifact or mailed and still open the same way years later.
//!
//! Every piece of text goes through [`escape`]: checklists, comments and check output are
//! written by people and programs we do not control.

use std::fmt::Write as _;

use crate::checklist::{Severity, Status, Summary};
use crate::decision::{ApprovalSource, ApprovalStatus, Resolved};
use crate::store::sign::SignatureStatus;

use super::gate::{self, GateView, Histogram, day, percent, signature_label, status_label};

/// Text made safe for HTML element content and quoted attribute values (and for XML: control
/// characters XML 1.0 cannot hold are dropped).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
:root{--go:#1a7f37;--nogo:#cf222e;--waived:#bf8700;--na:#8c959f;--open:#eaeef2;--ink:#1f2328;--mute:#59636e;--line:#d1d9e0}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--ink);margin:0 auto;max-width:1100px;padding:24px}
h1{margin:0 0 4px;font-size:26px}
h2{margin:32px 0 8px;font-size:20px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{margin:20px 0 6px;font-size:16px}
.meta,.mute{color:var(--mute);font-size:13px}
.banner{display:flex;align-items:center;gap:20px;color:#fff;border-radius:10px;padding:16px 24px;margin:16px 0}
.banner.go{background:var(--go)}.banner.nogo{background:var(--nogo)}
.verdict{font-size:44px;font-weight:800;letter-spacing:1px}
.reasons li{margin:2px 0}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:1px 4px;border-radius:4px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{font-size:13px;color:var(--mute);font-weight:600}
.badge{display:inline-block;min-width:64px;text-align:center;border-radius:12px;padding:1px 8px;font-size:12px;font-weight:700;color:#fff}
.badge.done,.badge.go,.badge.valid{background:var(--go)}
.badge.failed,.badge.nogo,.badge.invalid,.badge.unknown-key{background:var(--nogo)}
.badge.waived{background:var(--waived)}
.badge.na,.badge.unsigned{background:var(--na)}
.badge.open,.badge.pending{background:var(--open);color:var(--ink)}
.progress td{border:0;padding:3px 8px}
.bar{width:100%;height:12px;display:block}
.bar .done{fill:var(--go)}.bar .waived{fill:var(--waived)}.bar .na{fill:var(--na)}.bar .failed{fill:var(--nogo)}.bar .open{fill:var(--open)}
.evidence{margin:0;padding-left:18px;font-size:13px}
.chart{max-width:720px;width:100%;height:auto}
.chart .b{fill:#0969da}.chart text{font-size:11px;fill:var(--mute)}.chart line{stroke:var(--line)}
";

/// The whole report as one HTML document. `extra` histograms are drawn after those found in
/// the latest run's results ([`GateView::histograms`]).
pub fn render(view: &GateView<'_>, extra: &[Histogram]) -> String {
    let mut out = String::new();
    let title = view.title.unwrap_or("Checklist");
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        view.verdict(),
        escape(title)
    );
    header(&mut out, view, title);
    decision(&mut out, view);
    approvals(&mut out, view);
    progress(&mut out, view);
    out.push_str(&super::drills::html(&view.drills, escape));
    let histograms: Vec<&Histogram> = view.histograms.iter().chain(extra).collect();
    if !histograms.is_empty() {
        out.push_str("<h2>Latency</h2>\n");
        for (check, buckets) in histograms {
            histogram(&mut out, check, buckets);
        }
    }
    super::timeline::draw(&mut out, view);
    items(&mut out, view);
    out.push_str("<p class=\"mute\">Made by golive.</p>\n</body>\n</html>\n");
    out
}

fn header(out: &mut String, view: &GateView<'_>, title: &str) {
    let _ = writeln!(out, "<header>\n<h1>{}</h1>", escape(title));
    let mut meta = vec![
        format!("<code>{}</code>", escape(view.file)),
        format!("generated {}", escape(view.generated_at)),
    ];
    if let Some(run) = view.run {
        meta.push(escape(&gate::run_label(run)));
    }
    if let Some(head) = &view.audit_head {
        meta.push(format!(
            "audit head <code>{}</code>",
            escape(&head.to_string())
        ));
    }
    let _ = writeln!(out, "<p class=\"meta\">{}</p>\n</header>", meta.join(" · "));
}

fn decision(out: &mut String, view: &GateView<'_>) {
    let class = if view.decision.go { "go" } else { "nogo" };
    let reasons = &view.decision.reasons;
    let note = match reasons.len() {
        0 => "every gating item is settled and every required approval is GO".to_string(),
        1 => "1 reason".to_string(),
        n => format!("{n} reasons"),
    };
    let s = &view.decision.summary;
    let _ = writeln!(
        out,
        "<section class=\"banner {class}\" id=\"decision\"><span class=\"verdict\">{}</span>\
         <span>{note}<br>{}: {} done, {} open, {} failed, {} waived, {} n/a</span></section>",
        view.verdict(),
        super::count(s.items, "item", "items"),
        s.done,
        s.open,
        s.failed,
        s.waived,
        s.na
    );
    if !reasons.is_empty() {
        out.push_str("<ul class=\"reasons\" id=\"reasons\">\n");
        for reason in reasons {
            let _ = writeln!(out, "<li>{}</li>", message(&reason.message));
        }
        out.push_str("</ul>\n");
    }
}

/// Text whose backticked parts are code (a reason's values, code spans in a title), escaped;
/// with an unpaired backtick nothing is code.
fn message(text: &str) -> String {
    if !text.matches('`').count().is_multiple_of(2) {
        return escape(text);
    }
    text.split('`')
        .enumerate()
        .map(|(index, part)| {
            if index % 2 == 1 {
                format!("<code>{}</code>", escape(part))
            } else {
                escape(part)
            }
        })
        .collect()
}

fn signature_class(signature: SignatureStatus) -> &'static str {
    match signature {
        SignatureStatus::Unsigned => "unsigned",
        SignatureStatus::Valid => "valid",
        SignatureStatus::Invalid => "invalid",
        SignatureStatus::UnknownKey => "unknown-key",
    }
}

/// The signature cell: its status, and whether the role's keys are pinned.
fn signature_text(approval: &ApprovalStatus) -> String {
    let label = signature_label(approval.signature);
    if approval.pinned {
        format!("{label} · pinned")
    } else {
        label.to_string()
    }
}

fn approvals(out: &mut String, view: &GateView<'_>) {
    let approvals = &view.decision.approvals;
    if approvals.is_empty() {
        return;
    }
    out.push_str(
        "<h2>Approvals</h2>\n<table id=\"approvals\">\n<tr><th>Role</th><th>Required</th>\
         <th>Decision</th><th>By</th><th>When</th><th>Signature</th><th>Comment</th></tr>\n",
    );
    for a in approvals {
        let (class, word) = match (a.decision, a.is_go()) {
            (Some(true), false) => ("nogo", "GO (not counted)"),
            (Some(false), _) => ("nogo", "NO-GO"),
            (Some(true), true) => ("go", "GO"),
            (None, _) => ("pending", "pending"),
        };
        let mut by = a.by.as_deref().map(escape).unwrap_or_default();
        if a.source == Some(ApprovalSource::File) {
            by.push_str(" <span class=\"mute\">(in the file)</span>");
        }
        let line = a
            .line
            .map(|l| format!(" <span class=\"mute\">line {l}</span>"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td>{}{line}</td><td>{}</td><td><span class=\"badge {class}\">{word}</span></td>\
             <td>{by}</td><td>{}</td><td><span class=\"badge {}\">{}</span></td><td>{}</td></tr>",
            escape(&a.role),
            if a.required { "yes" } else { "no" },
            a.at.as_deref()
                .map(|at| escape(day(at)))
                .unwrap_or_default(),
            signature_class(a.signature),
            signature_text(a),
            a.comment.as_deref().map(escape).unwrap_or_default(),
        );
    }
    out.push_str("</table>\n");
}

/// A stacked bar: done, waived, n/a, failed, then open as the background.
fn bar(summary: &Summary) -> String {
    let total = summary.items.max(1) as f64;
    let mut svg = String::from(
        "<svg class=\"bar\" viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" role=\"img\">\
         <rect class=\"open\" x=\"0\" y=\"0\" width=\"100\" height=\"10\"/>",
    );
    let mut x = 0.0;
    for (class, count) in [
        ("done", summary.done),
        ("waived", summary.waived),
        ("na", summary.na),
        ("failed", summary.failed),
    ] {
        if count == 0 {
            continue;
        }
        let width = count as f64 * 100.0 / total;
        let _ = write!(
            svg,
            "<rect class=\"{class}\" x=\"{x:.2}\" y=\"0\" width=\"{width:.2}\" height=\"10\"/>"
        );
        x += width;
    }
    svg.push_str("</svg>");
    svg
}

fn progress(out: &mut String, view: &GateView<'_>) {
    out.push_str("<h2>Progress</h2>\n<table class=\"progress\" id=\"progress\">\n");
    let all = &view.decision.summary;
    let _ = writeln!(
        out,
        "<tr><td><strong>All items</strong></td><td style=\"width:50%\">{}</td><td>{}/{} ({}%)</td></tr>",
        bar(all),
        all.settled(),
        all.items,
        percent(all)
    );
    for group in &view.sections {
        let depth = group.path.len().saturating_sub(1);
        let name = group.name();
        let s = &group.summary;
        let failed = group.failed_note();
        let _ = writeln!(
            out,
            "<tr><td>{}{}</td><td>{}</td><td>{}/{} ({}%){failed}</td></tr>",
            "&#160;&#160;&#160;&#160;".repeat(depth),
            escape(name),
            bar(s),
            s.settled(),
            s.items,
            percent(s)
        );
    }
    out.push_str(
        "</table>\n<p class=\"mute legend\"><span class=\"badge done\">done</span> \
         <span class=\"badge waived\">waived</span> <span class=\"badge na\">n/a</span> \
         <span class=\"badge failed\">failed</span> <span class=\"badge open\">open</span></p>\n",
    );
}

/// An inline SVG bar chart of one histogram; bars are buckets in order, labelled by bound.
pub fn histogram(out: &mut String, check: &str, buckets: &[(f64, u64)]) {
    const W: f64 = 720.0;
    const H: f64 = 220.0;
    const LEFT: f64 = 48.0;
    const BOTTOM: f64 = 28.0;
    let max = buckets
        .iter()
        .map(|&(_, count)| count)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let total: u64 = buckets.iter().map(|&(_, count)| count).sum();
    let _ = writeln!(
        out,
        "<h3>Latency histogram: <code>{}</code> <span class=\"mute\">{total} requests</span></h3>\n\
         <svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"latency histogram of {}\">",
        escape(check),
        escape(check)
    );
    let plot_w = W - LEFT - 8.0;
    let plot_h = H - BOTTOM - 8.0;
    let _ = write!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{plot_h:.1}\" x2=\"{W}\" y2=\"{plot_h:.1}\"/>\
         <text x=\"{:.1}\" y=\"12\" text-anchor=\"end\">{}</text>\
         <text x=\"{:.1}\" y=\"{plot_h:.1}\" text-anchor=\"end\">0</text>",
        LEFT - 4.0,
        max as u64,
        LEFT - 4.0
    );
    let step = plot_w / buckets.len().max(1) as f64;
    // Label about ten buckets, so that the labels never overlap whatever the bucket count.
    let every = buckets.len().div_ceil(10).max(1);
    for (index, &(le_ms, count)) in buckets.iter().enumerate() {
        let height = count as f64 / max * (plot_h - 8.0);
        let x = LEFT + index as f64 * step;
        let _ = write!(
            out,
            "<rect class=\"b\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{height:.1}\">\
             <title>≤ {} ms: {count}</title></rect>",
            x + 1.0,
            plot_h - height,
            (step - 2.0).max(0.5),
            format_ms(le_ms)
        );
        if index % every == 0 {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + step / 2.0,
                H - 10.0,
                format_ms(le_ms)
            );
        }
    }
    let _ = writeln!(
        out,
        "<text x=\"{W}\" y=\"{:.1}\" text-anchor=\"end\">ms</text></svg>",
        H - 10.0
    );
}

fn format_ms(ms: f64) -> String {
    if ms.fract() == 0.0 {
        format!("{ms:.0}")
    } else {
        format!("{ms}")
    }
}

fn items(out: &mut String, view: &GateView<'_>) {
    out.push_str("<h2>Checklist</h2>\n");
    for group in &view.sections {
        if group.items.is_empty() {
            continue;
        }
        let name = if group.path.is_empty() {
            "(before the first heading)".to_string()
        } else {
            group
                .path
                .iter()
                .map(|p| escape(p))
                .collect::<Vec<_>>()
                .join(" › ")
        };
        let _ = writeln!(
            out,
            "<h3>{name} <span class=\"mute\">{}/{}</span></h3>\n<table class=\"items\">\n\
             <tr><th>Status</th><th>Item</th><th>Owner</th><th>Evidence</th></tr>",
            group.summary.settled(),
            group.summary.items
        );
        for entry in group.items.iter().filter_map(|&i| view.items.get(i)) {
            item(out, entry);
        }
        out.push_str("</table>\n");
    }
}

fn item(out: &mut String, entry: &Resolved<'_>) {
    let item = entry.item;
    let class = match entry.status {
        Status::Todo => "open",
        other => other.as_str(),
    };
    let mut tags = vec![
        format!("<code>{}</code>", escape(&item.id)),
        format!("line {}", item.line),
    ];
    if !entry.gating() {
        tags.push(
            if item.severity == Severity::Advisory {
                "advisory"
            } else {
                "after go-live"
            }
            .into(),
        );
    } else if item.severity == Severity::Blocking {
        tags.push("<strong>blocking</strong>".into());
    }
    if item.conditional {
        tags.push("conditional".into());
    }
    let detail = item
        .detail
        .as_deref()
        .map(|d| format!("<br>{}", message(d)))
        .unwrap_or_default();
    let indent = if item.parent.is_some() {
        "&#8627; "
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "<tr><td><span class=\"badge {class}\">{}</span></td><td>{indent}<strong>{}</strong>{detail}\
         <br><span class=\"mute\">{}</span></td><td>{}</td><td>{}</td></tr>",
        status_label(entry.status),
        message(&item.title),
        tags.join(" · "),
        item.owner.as_deref().map(escape).unwrap_or_default(),
        evidence(entry)
    );
}

/// HTML: escaped text, code in `<code>`.
struct Html;

impl gate::Markup for Html {
    fn text(&self, text: &str) -> String {
        escape(text)
    }

    fn code(&self, text: &str) -> String {
        format!("<code>{}</code>", escape(text))
    }
}

fn evidence(entry: &Resolved<'_>) -> String {
    let lines = gate::evidence_lines(entry, &Html);
    if lines.is_empty() {
        return String::new();
    }
    let items: String = lines.iter().map(|l| format!("<li>{l}</li>")).collect();
    format!("<ul class=\"evidence\">{items}</ul>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_markup_text() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
        assert_eq!(escape("a\u{0}b\u{1b}c\td\u{FFFF}"), "abc\td");
        assert_eq!(escape("Prêt ✅"), "Prêt ✅");
    }

    #[test]
    fn reasons_show_their_values_as_code() {
        assert_eq!(
            message("item `<b>` is open"),
            "item <code>&lt;b&gt;</code> is open"
        );
    }

    #[test]
    fn a_histogram_is_an_inline_svg_with_every_bucket() {
        let mut out = String::new();
        histogram(&mut out, "load<1>", &[(0.5, 3), (1.0, 10), (2.0, 0)]);
        assert!(out.contains("<code>load&lt;1&gt;</code>"));
        assert_eq!(out.matches("<rect class=\"b\"").count(), 3);
        assert!(out.contains("≤ 0.5 ms: 3") && out.contains("13 requests"));
        assert!(!out.contains("http"));
    }

    #[test]
    fn bars_stack_settled_and_failed_over_open() {
        let summary = Summary {
            items: 4,
            done: 2,
            failed: 1,
            ..Summary::default()
        };
        let svg = bar(&summary);
        assert!(svg.contains("class=\"done\" x=\"0.00\" y=\"0\" width=\"50.00\""));
        assert!(svg.contains("class=\"failed\" x=\"50.00\" y=\"0\" width=\"25.00\""));
    }
}
