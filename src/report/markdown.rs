//! The Markdown gate report: the decision (verdict, reasons, approvals, totals) on top, then the
//! checklist with ticks, owners and evidence per section. [`summary`] is the top part alone,
//! what `golive gate` appends to `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;

use crate::checklist::{Severity, Status};
use crate::decision::{ApprovalSource, ApprovalStatus, Resolved};

use super::gate::{self, GateView, day, percent, signature_label, status_label};

/// The whole report.
pub fn render(view: &GateView<'_>) -> String {
    let mut out = summary(view);
    out.push_str(&super::drills::markdown(&view.drills, cell));
    out.push_str("\n## Checklist\n");
    for group in &view.sections {
        let depth = group.path.len().max(1);
        let name = group.name();
        let s = &group.summary;
        let failed = group.failed_note();
        let _ = writeln!(
            out,
            "\n{} {} — {}/{} ({}%){failed}\n",
            "#".repeat((depth + 2).min(6)),
            inline(name),
            s.settled(),
            s.items,
            percent(s)
        );
        if group.items.is_empty() {
            let _ = writeln!(out, "_(items in the sections below)_");
        }
        for &index in &group.items {
            if let Some(entry) = view.items.get(index) {
                item(&mut out, entry);
            }
        }
    }
    out
}

/// The decision block: verdict, reasons, approvals, totals.
pub fn summary(view: &GateView<'_>) -> String {
    let mut out = String::new();
    let title = view.title.unwrap_or("Checklist");
    let _ = writeln!(out, "# {}\n", inline(title));
    let mark = if view.decision.go { "✅" } else { "❌" };
    let _ = writeln!(out, "## {mark} {}\n", view.verdict());
    let mut meta = vec![
        format!("`{}`", code(view.file)),
        format!("generated {}", view.generated_at),
    ];
    if let Some(run) = view.run {
        meta.push(inline(&gate::run_label(run)));
    }
    if let Some(head) = &view.audit_head {
        meta.push(format!("audit head `{head}`"));
    }
    let _ = writeln!(out, "{}\n", meta.join(" · "));
    let reasons = &view.decision.reasons;
    match reasons.len() {
        0 => out.push_str("Every gating item is settled and every required approval is GO.\n"),
        n => {
            let _ = writeln!(out, "**{n} reason{}**\n", if n == 1 { "" } else { "s" });
            for reason in reasons {
                let _ = writeln!(out, "- {}", message(&reason.message));
            }
        }
    }
    if !view.decision.approvals.is_empty() {
        out.push_str("\n### Approvals\n\n");
        out.push_str("| Role | Required | Decision | By | When | Signature | Comment |\n");
        out.push_str("| --- | --- | --- | --- | --- | --- | --- |\n");
        for a in &view.decision.approvals {
            let decision = match (a.decision, a.is_go()) {
                (Some(true), true) => "✅ GO",
                (Some(true), false) => "❌ GO (not counted)",
                (Some(false), _) => "❌ NO-GO",
                (None, _) => "⏳ pending",
            };
            let by = match (&a.by, a.source) {
                (Some(by), Some(ApprovalSource::File)) => format!("{} (in the file)", cell(by)),
                (Some(by), _) => cell(by),
                (None, Some(ApprovalSource::File)) => "(in the file)".into(),
                (None, _) => String::new(),
            };
            let line = a.line.map(|l| format!(" (line {l})")).unwrap_or_default();
            let _ = writeln!(
                out,
                "| {}{line} | {} | {decision} | {by} | {} | {} | {} |",
                cell(&a.role),
                if a.required { "yes" } else { "no" },
                a.at.as_deref().map(day).unwrap_or_default(),
                signature_cell(a),
                a.comment.as_deref().map(cell).unwrap_or_default(),
            );
        }
    }
    let s = &view.decision.summary;
    let _ = writeln!(
        out,
        "\n**{}**: {} done · {} open · {} failed · {} waived · {} n/a",
        super::count(s.items, "item", "items"),
        s.done,
        s.open,
        s.failed,
        s.waived,
        s.na
    );
    out
}

/// The signature cell: its status, and whether the role's keys are pinned.
fn signature_cell(approval: &ApprovalStatus) -> String {
    let label = signature_label(approval.signature);
    if approval.pinned {
        format!("{label} (pinned)")
    } else {
        label.to_string()
    }
}

fn marker(status: Status) -> &'static str {
    match status {
        Status::Done => "✅",
        Status::Failed => "❌",
        Status::Todo => "⏳",
        Status::Waived => "🟡",
        Status::Na => "➖",
    }
}

fn item(out: &mut String, entry: &Resolved<'_>) {
    let item = entry.item;
    let indent = if item.parent.is_some() { "  " } else { "" };
    let tick = if entry.status == Status::Done {
        "x"
    } else {
        " "
    };
    let mut line = format!(
        "{indent}- [{tick}] {} **{}**",
        marker(entry.status),
        inline(&item.title)
    );
    if let Some(detail) = &item.detail {
        let _ = write!(line, " — {}", inline(detail));
    }
    let mut tags = vec![status_label(entry.status).to_string()];
    if entry.gating() && item.severity == Severity::Blocking {
        tags.push("blocking".into());
    } else if item.severity == Severity::Advisory {
        tags.push("advisory".into());
    }
    if !entry.gating() && item.severity != Severity::Advisory {
        tags.push("after go-live".into());
    }
    if let Some(owner) = &item.owner {
        tags.push(format!("owner: {}", inline(owner)));
    }
    tags.push(format!("`{}`", code(&item.id)));
    tags.push(format!("line {}", item.line));
    let _ = writeln!(out, "{line} · {}", tags.join(" · "));
    for evidence in evidence(entry) {
        let _ = writeln!(out, "{indent}  - {evidence}");
    }
}

/// Markdown: inert text, code in backticks.
struct Markdown;

impl gate::Markup for Markdown {
    fn text(&self, text: &str) -> String {
        inline(text)
    }

    fn code(&self, text: &str) -> String {
        format!("`{}`", code(text))
    }
}

/// What supports the item's status, one line each, already Markdown.
fn evidence(entry: &Resolved<'_>) -> Vec<String> {
    gate::evidence_lines(entry, &Markdown)
}

/// Text from the checklist or the store, made inert in Markdown: no HTML (GitHub renders some),
/// no emphasis, links or table breaks it did not mean.
pub fn inline(text: &str) -> String {
    markdown_text(text, false)
}

/// [`inline`] for a table cell: GFM splits cells even at a `|` inside a code span.
fn cell(text: &str) -> String {
    markdown_text(text, true)
}

fn markdown_text(text: &str, in_table: bool) -> String {
    let text = one_line(text);
    // Code spans the author wrote stay code spans (their content is literal, so safe); with an
    // unpaired backtick there are none, and every backtick is escaped.
    let spans = text.matches('`').count().is_multiple_of(2);
    let mut out = String::with_capacity(text.len());
    for (index, part) in text.split('`').enumerate() {
        if index > 0 {
            out.push_str(if spans { "`" } else { "\\`" });
        }
        if spans && index % 2 == 1 {
            out.push_str(&if in_table {
                part.replace('|', "\\|")
            } else {
                part.to_string()
            });
            continue;
        }
        let mut chars = part.chars().peekable();
        while let Some(ch) = chars.next() {
            match ch {
                '<' | '&' if opens_markup(ch, chars.peek().copied()) => out.push_str(entity(ch)),
                '\\' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                    out.push('\\');
                    out.push(ch);
                }
                _ => out.push(ch),
            }
        }
    }
    out
}

/// Whether `ch` followed by `next` could start a tag, a comment or an entity: only then is it
/// escaped, so that `9 < 30` and `R&D` stay readable in the raw Markdown.
fn opens_markup(ch: char, next: Option<char>) -> bool {
    let Some(next) = next else { return false };
    match ch {
        '<' => next.is_alphabetic() || matches!(next, '/' | '!' | '?'),
        _ => next.is_alphanumeric() || next == '#',
    }
}

fn entity(ch: char) -> &'static str {
    if ch == '<' { "&lt;" } else { "&amp;" }
}

/// Text inside a code span: only a backtick could end it early.
fn code(text: &str) -> String {
    one_line(text).replace('`', "'")
}

/// A reason's message: its backticked values stay code spans; the rest cannot hold HTML.
fn message(text: &str) -> String {
    one_line(text)
        .split('`')
        .enumerate()
        .map(|(index, part)| {
            if index % 2 == 1 {
                return part.to_string();
            }
            let mut out = String::with_capacity(part.len());
            let mut chars = part.chars().peekable();
            while let Some(ch) = chars.next() {
                if matches!(ch, '<' | '&') && opens_markup(ch, chars.peek().copied()) {
                    out.push_str(entity(ch));
                } else {
                    out.push(ch);
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("`")
}

fn one_line(text: &str) -> String {
    let joined = text
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    joined.chars().filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_text_cannot_inject_markup() {
        assert_eq!(
            inline("<script>a|b</script>"),
            "&lt;script>a\\|b&lt;/script>"
        );
        assert_eq!(
            inline("9 < 30 & R&D &amp; <!--"),
            "9 < 30 & R&amp;D &amp;amp; &lt;!--"
        );
        assert_eq!(
            inline("**bold** [x](y)\nnext"),
            "\\*\\*bold\\*\\* \\[x\\](y) next"
        );
        assert_eq!(inline("`<b>` and `a|b` <i>"), "`<b>` and `a|b` &lt;i>");
        assert_eq!(inline("one ` <i>"), "one \\` &lt;i>");
        assert_eq!(cell("`a|b` c|d"), "`a\\|b` c\\|d");
        assert_eq!(code("a`b"), "a'b");
        assert_eq!(
            message("`a<b>` said <img> 9 < 30"),
            "`a<b>` said &lt;img> 9 < 30"
        );
    }
}
