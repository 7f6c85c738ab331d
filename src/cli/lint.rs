use std::io::Write;
use std::path::Path;

use super::{Format, Outcome, input};
use crate::checklist::lint;

pub(super) fn run(path: &Path, format: Format) -> anyhow::Result<Outcome> {
    let loaded = input::load(path)?;
    let findings = lint::lint(&loaded.checklist);
    let mut out = super::output::stdout();
    let shown = path.display();
    match format {
        Format::Json => {
            super::print_json(&serde_json::json!({ "findings": findings }))?;
        }
        Format::Table => {
            for finding in &findings {
                writeln!(
                    out,
                    "{shown}:{}: {}: {}",
                    finding.line,
                    finding.rule.as_str(),
                    finding.message
                )?;
            }
            if findings.is_empty() {
                writeln!(out, "{shown}: no problems found")?;
            } else {
                writeln!(
                    out,
                    "{} problem{} found",
                    findings.len(),
                    if findings.len() == 1 { "" } else { "s" }
                )?;
            }
        }
    }
    out.flush()?;
    Ok(if findings.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Findings
    })
}
