//! The JUnit XML gate report: one `<testsuite>` per top-level section, one `<testcase>` per
//! item, so CI systems list every item. Done items pass; failed ones (a failed check, or a
//! failed status in the file) are failures; open, waived and n/a items are skipped with why.
//!
//! The gate's own answer is a last suite, `golive gate`, with a `decision` case (a failure
//! listing every reason on NO-GO) and one case per approval: without it a NO-GO caused only by
//! open items or missing approvals would show as a green test run.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::checklist::{Phase, Severity, Status};
use crate::decision::{ReasonKind, Resolved};

use super::gate::{GateView, decision_label, signature_label};
use super::html::escape;

struct Case {
    name: String,
    classname: String,
    line: Option<usize>,
    properties: Vec<(&'static str, String)>,
    outcome: Outcome,
}

enum Outcome {
    Pass,
    Failure { message: String, text: String },
    Skipped(String),
}

struct Suite {
    name: String,
    cases: Vec<Case>,
}

/// The whole report as one XML document.
pub fn render(view: &GateView<'_>) -> String {
    let mut suites: Vec<Suite> = Vec::new();
    // Suites by name, so that thousands of top-level sections are not searched per item.
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for entry in &view.items {
        let path = view.section_path(entry);
        let suite_name = path
            .first()
            .map_or("(before the first heading)", String::as_str);
        let case = item_case(entry, path.join(" / "));
        let index = *by_name.entry(suite_name).or_insert_with(|| {
            suites.push(Suite {
                name: suite_name.to_string(),
                cases: Vec::new(),
            });
            suites.len() - 1
        });
        suites[index].cases.push(case);
    }
    suites.push(gate_suite(view));

    let count = |suite: &Suite, pick: fn(&Outcome) -> bool| {
        suite.cases.iter().filter(|c| pick(&c.outcome)).count()
    };
    let is_failure: fn(&Outcome) -> bool = |o| matches!(o, Outcome::Failure { .. });
    let is_skipped: fn(&Outcome) -> bool = |o| matches!(o, Outcome::Skipped(_));
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(|s| count(s, is_failure)).sum();
    let skipped: usize = suites.iter().map(|s| count(s, is_skipped)).sum();

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" timestamp=\"{}\">",
        escape(view.title.unwrap_or(view.file)),
        escape(view.generated_at)
    );
    for suite in &suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" timestamp=\"{}\">",
            escape(&suite.name),
            suite.cases.len(),
            count(suite, is_failure),
            count(suite, is_skipped),
            escape(view.generated_at)
        );
        for case in &suite.cases {
            write_case(&mut out, view.file, case);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn write_case(out: &mut String, file: &str, case: &Case) {
    let line = case
        .line
        .map(|l| format!(" line=\"{l}\""))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\"{line}>",
        escape(&case.name),
        escape(&case.classname),
        escape(file)
    );
    if !case.properties.is_empty() {
        out.push_str("      <properties>\n");
        for (name, value) in &case.properties {
            let _ = writeln!(
                out,
                "        <property name=\"{name}\" value=\"{}\"/>",
                escape(value)
            );
        }
        out.push_str("      </properties>\n");
    }
    match &case.outcome {
        Outcome::Pass => {}
        Outcome::Failure { message, text } => {
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"golive\">{}</failure>",
                escape(message),
                escape(text)
            );
        }
        Outcome::Skipped(message) => {
            let _ = writeln!(out, "      <skipped message=\"{}\"/>", escape(message));
        }
    }
    out.push_str("    </testcase>\n");
}

fn item_case(entry: &Resolved<'_>, classname: String) -> Case {
    let item = entry.item;
    let mut properties = vec![
        ("id", item.id.clone()),
        ("severity", severity(item.severity).into()),
        (
            "phase",
            if item.phase == Phase::Pre {
                "pre"
            } else {
                "post"
            }
            .into(),
        ),
        ("status", entry.status.as_str().to_string()),
    ];
    if let Some(owner) = &item.owner {
        properties.push(("owner", owner.clone()));
    }
    let failed: Vec<String> = entry
        .failed_checks()
        .map(|r| {
            let why = if r.failures.is_empty() {
                r.problem.clone().unwrap_or_else(|| "failed".into())
            } else {
                r.failures.join("\n")
            };
            format!("check {} failed:\n{why}", r.check)
        })
        .collect();
    let outcome = match entry.status {
        Status::Done => Outcome::Pass,
        Status::Failed if !failed.is_empty() => {
            let names: Vec<&str> = entry.failed_checks().map(|r| r.check.as_str()).collect();
            Outcome::Failure {
                message: format!("check {} failed", names.join(", ")),
                text: failed.join("\n\n"),
            }
        }
        Status::Failed => Outcome::Failure {
            message: "marked failed in the checklist".into(),
            text: format!("line {}", item.line),
        },
        Status::Waived => match entry.waiver {
            Some(w) => Outcome::Skipped(format!("waived: {} (by {})", w.reason, w.role)),
            None => Outcome::Skipped("waived in the file, no recorded waiver".into()),
        },
        Status::Na => Outcome::Skipped(match entry.na {
            Some(na) => format!("n/a: {}", na.reason),
            None => "n/a".into(),
        }),
        Status::Todo => Outcome::Skipped(match entry.expired_waiver {
            Some(w) => format!(
                "open (waiver expired on {})",
                w.until.as_deref().unwrap_or("?")
            ),
            None => "open".into(),
        }),
    };
    Case {
        name: item.title.clone(),
        classname,
        line: Some(item.line),
        properties,
        outcome,
    }
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Blocking => "blocking",
        Severity::Required => "required",
        Severity::Advisory => "advisory",
    }
}

fn gate_suite(view: &GateView<'_>) -> Suite {
    let reasons = &view.decision.reasons;
    let decision = Case {
        name: "decision".into(),
        classname: "golive gate".into(),
        line: None,
        properties: vec![("decision", view.verdict().into())],
        outcome: if view.decision.go {
            Outcome::Pass
        } else {
            Outcome::Failure {
                message: format!(
                    "NO-GO: {} reason{}",
                    reasons.len(),
                    if reasons.len() == 1 { "" } else { "s" }
                ),
                text: reasons
                    .iter()
                    .map(|r| r.message.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            }
        },
    };
    let audit = Case {
        name: "audit trail".into(),
        classname: "golive gate".into(),
        line: None,
        properties: vec![("events", view.audit.events.to_string())],
        outcome: match reasons
            .iter()
            .find(|r| matches!(r.kind, ReasonKind::BrokenChain | ReasonKind::AnchorMismatch))
        {
            Some(reason) => Outcome::Failure {
                message: reason.message.clone(),
                text: String::new(),
            },
            None => Outcome::Pass,
        },
    };
    let mut cases = vec![decision, audit];
    for a in &view.decision.approvals {
        let mut properties = vec![
            ("decision", decision_label(a.decision).into()),
            ("signature", signature_label(a.signature).into()),
        ];
        if let Some(by) = &a.by {
            properties.push(("by", by.clone()));
        }
        if let Some(at) = &a.at {
            properties.push(("at", at.clone()));
        }
        let reason = view
            .decision
            .reasons
            .iter()
            .find(|r| r.role.as_deref() == Some(a.role.as_str()));
        let outcome = match reason {
            Some(r) if a.decision.is_none() => Outcome::Skipped(r.message.clone()),
            Some(r) => Outcome::Failure {
                message: r.message.clone(),
                text: a.comment.clone().unwrap_or_default(),
            },
            None if a.is_go() => Outcome::Pass,
            None => Outcome::Skipped(format!("not required: {}", decision_label(a.decision))),
        };
        cases.push(Case {
            name: format!("approval: {}", a.role),
            classname: "golive gate / approvals".into(),
            line: a.line,
            properties,
            outcome,
        });
    }
    Suite {
        name: "golive gate".into(),
        cases,
    }
}
