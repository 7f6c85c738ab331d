//! The evidence pack as Markdown, HTML (self-contained; missed periods in red) and CSV (one
//! row per item and period). JSON is the [`Pack`] itself.

use std::fmt::Write as _;

use super::html::escape;
use super::recurring::{InstanceView, Pack, PeriodState};

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn duration(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    if h > 0 {
        format!("{h}h{m:02}m")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

fn audit_line(pack: &Pack<'_>) -> String {
    match (&pack.audit.first_bad, &pack.audit.head) {
        (None, Some(head)) => format!("intact, {} events, head {head}", pack.audit.events),
        (None, None) => "empty store".to_string(),
        (Some(broken), _) => format!(
            "BROKEN at event {}: {}",
            broken.seq,
            broken.problem.describe()
        ),
    }
}

pub fn markdown(pack: &Pack<'_>) -> String {
    let mut out = String::new();
    let title = pack.title.unwrap_or(pack.checklist);
    let t = &pack.totals;
    let _ = writeln!(out, "# Evidence pack: {}\n", cell(title));
    let _ = writeln!(
        out,
        "Checklist `{}`, from {} to {} (time zone {}), generated {}.\n",
        pack.checklist, pack.since, pack.until, pack.tz, pack.generated
    );
    let _ = writeln!(
        out,
        "**{} periods: {} done, {} late, {} missed, {} open.** Audit trail: {}.\n",
        t.periods,
        t.done,
        t.late,
        t.missed,
        t.open,
        audit_line(pack)
    );
    if !pack.items.is_empty() {
        let _ = writeln!(out, "## Recurring items\n");
        let _ = writeln!(
            out,
            "| Item | Every | Owner | Done | Late | Missed | Open |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        for item in &pack.items {
            let c = &item.counts;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                cell(item.title),
                item.recurrence.every.as_str(),
                cell(item.owner.unwrap_or("")),
                c.done,
                c.late,
                c.missed,
                c.open
            );
        }
        for item in &pack.items {
            let _ = writeln!(out, "\n### {} ({})\n", cell(item.title), item.id);
            let _ = writeln!(out, "| Period | State | By | At | Evidence |");
            let _ = writeln!(out, "|---|---|---|---|---|");
            for row in &item.periods {
                let state = match row.state {
                    PeriodState::Missed => "**MISSED**",
                    PeriodState::Late => "**late**",
                    other => other.as_str(),
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    row.period,
                    state,
                    cell(row.record.map_or("", |r| r.by.as_str())),
                    row.record.map_or("", |r| r.at.as_str()),
                    cell(row.record.and_then(|r| r.evidence.as_deref()).unwrap_or(""))
                );
            }
        }
    }
    if !pack.instances.is_empty() {
        let _ = writeln!(out, "\n## Runbook instances\n");
        for instance in &pack.instances {
            instance_markdown(&mut out, instance);
        }
    }
    out
}

pub fn instance_markdown(out: &mut String, instance: &InstanceView<'_>) {
    let _ = writeln!(
        out,
        "### {} ({}, {})\n\nStarted {} by {}; {}{}. Decision: **{}**.\n",
        cell(instance.name),
        instance.kind,
        cell(instance.section),
        instance.started,
        cell(instance.by),
        instance.state,
        instance
            .duration_s
            .map(|d| format!(" after {}", duration(d)))
            .unwrap_or_default(),
        instance.decision
    );
    let _ = writeln!(out, "| Step | Done | At | After start | By |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for step in &instance.steps {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(step.title),
            if step.done { "yes" } else { "**no**" },
            step.at.unwrap_or(""),
            step.after_start_s.map(duration).unwrap_or_default(),
            cell(step.by.unwrap_or(""))
        );
    }
    if !instance.approvals.is_empty() {
        let _ = writeln!(out, "\n| Approval | Decision | By | At | Signature |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for a in &instance.approvals {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(a.role),
                a.decision,
                cell(a.by.unwrap_or("")),
                a.at.unwrap_or(""),
                signature(a)
            );
        }
    }
    for reason in &instance.reasons {
        let _ = writeln!(out, "- {}", cell(reason));
    }
    let _ = writeln!(out);
}

pub fn html(pack: &Pack<'_>) -> String {
    let mut out = String::new();
    let title = escape(pack.title.unwrap_or(pack.checklist));
    let t = &pack.totals;
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>Evidence pack: {title}</title>\n<style>\
         body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}\
         table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{border:1px solid #ccc;padding:.2em .5em;text-align:left}}\
         .missed{{background:#fdd;color:#900;font-weight:bold}}.late{{background:#ffe9c2}}.done{{color:#060}}\
         .nogo{{color:#900;font-weight:bold}}.go{{color:#060;font-weight:bold}}\
         </style>\n</head>\n<body>\n<h1>Evidence pack: {title}</h1>\n"
    );
    let _ = writeln!(
        out,
        "<p>Checklist <code>{}</code>, from {} to {} (time zone {}), generated {}.</p>",
        escape(pack.checklist),
        escape(&pack.since),
        escape(&pack.until),
        pack.tz,
        escape(&pack.generated)
    );
    let _ = writeln!(
        out,
        "<p><strong>{} periods: {} done, {} late, <span class=\"missed\">{} missed</span>, {} open.</strong> Audit trail: {}.</p>",
        t.periods,
        t.done,
        t.late,
        t.missed,
        t.open,
        escape(&audit_line(pack))
    );
    for item in &pack.items {
        let c = &item.counts;
        let _ = writeln!(
            out,
            "<h3>{} <small>({}, every {}; {} done, {} late, {} missed)</small></h3>\n<table><tr><th>Period</th><th>State</th><th>By</th><th>At</th><th>Evidence</th></tr>",
            escape(item.title),
            escape(item.id),
            item.recurrence.every.as_str(),
            c.done,
            c.late,
            c.missed
        );
        for row in &item.periods {
            let _ = writeln!(
                out,
                "<tr class=\"{0}\"><td>{1}</td><td>{0}</td><td>{2}</td><td>{3}</td><td>{4}</td></tr>",
                row.state.as_str(),
                escape(&row.period),
                escape(row.record.map_or("", |r| r.by.as_str())),
                escape(row.record.map_or("", |r| r.at.as_str())),
                escape(row.record.and_then(|r| r.evidence.as_deref()).unwrap_or(""))
            );
        }
        let _ = writeln!(out, "</table>");
    }
    if !pack.instances.is_empty() {
        let _ = writeln!(out, "<h2>Runbook instances</h2>");
    }
    for instance in &pack.instances {
        let _ = writeln!(
            out,
            "<h3>{} <small>({}, {})</small></h3>\n<p>Started {} by {}; {}{}. Decision: <span class=\"{}\">{}</span></p>\n<table><tr><th>Step</th><th>Done</th><th>At</th><th>After start</th><th>By</th></tr>",
            escape(instance.name),
            instance.kind,
            escape(instance.section),
            escape(instance.started),
            escape(instance.by),
            instance.state,
            instance
                .duration_s
                .map(|d| format!(" after {}", duration(d)))
                .unwrap_or_default(),
            if instance.decision == "GO" {
                "go"
            } else {
                "nogo"
            },
            instance.decision
        );
        for step in &instance.steps {
            let _ = writeln!(
                out,
                "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                if step.done { "done" } else { "missed" },
                escape(step.title),
                if step.done { "yes" } else { "no" },
                escape(step.at.unwrap_or("")),
                step.after_start_s.map(duration).unwrap_or_default(),
                escape(step.by.unwrap_or(""))
            );
        }
        let _ = writeln!(out, "</table>");
        for a in &instance.approvals {
            let _ = writeln!(
                out,
                "<p>Approval {}: <span class=\"{}\">{}</span> {} {} ({})</p>",
                escape(a.role),
                if a.counts { "go" } else { "nogo" },
                a.decision,
                escape(a.by.unwrap_or("")),
                escape(a.at.unwrap_or("")),
                signature(a)
            );
        }
    }
    let _ = writeln!(out, "</body>\n</html>");
    out
}

fn csv_field(text: &str) -> String {
    // A leading = + - @ would run as a formula in a spreadsheet.
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

pub fn csv(pack: &Pack<'_>) -> String {
    let mut out = String::from("item,title,every,period,state,due,by,at,evidence\n");
    for item in &pack.items {
        for row in &item.periods {
            let fields = [
                item.id,
                item.title,
                item.recurrence.every.as_str(),
                &row.period,
                row.state.as_str(),
                &row.due,
                row.record.map_or("", |r| r.by.as_str()),
                row.record.map_or("", |r| r.at.as_str()),
                row.record.and_then(|r| r.evidence.as_deref()).unwrap_or(""),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
    }
    out
}

/// An instance approval's signature as a reader needs it: whether it counts, and why not.
fn signature(approval: &crate::report::recurring::ApprovalView<'_>) -> &'static str {
    use crate::store::sign::SignatureStatus;
    match (approval.signature, approval.pinned) {
        (SignatureStatus::Valid, _) => "signed",
        (SignatureStatus::Invalid, _) => "does not verify",
        (SignatureStatus::UnknownKey, _) => "signed by a key not pinned for the role",
        (SignatureStatus::Unsigned, true) if approval.decision != "pending" => {
            "unsigned (the role's keys are pinned)"
        }
        (SignatureStatus::Unsigned, _) => "unsigned",
    }
}
