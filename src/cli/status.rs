//! `golive status`: where a checklist stands, per section, as the gate sees it.

use std::io::Write;
use std::path::Path;

use super::gate::{Sources, with_view};
use super::view::{self, Items};
use super::{Format, Outcome};
use crate::report::status::{self, Look, StatusReport};

/// `status --format json`, with `hypercare` after the report's fields once there was a GO.
#[derive(serde::Serialize)]
struct WithHypercare<'a> {
    #[serde(flatten)]
    report: &'a StatusReport<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hypercare: Option<&'a crate::monitor::hypercare::Hypercare>,
}

pub(super) fn run(path: &Path, sources: Sources<'_>, format: Format) -> anyhow::Result<Outcome> {
    let mut inputs = view::read(
        path,
        sources.store,
        sources.config,
        sources.anchors,
        Items::Optional,
    )?;
    super::gate::select_level(path, &mut inputs, sources.level)?;
    // Hypercare counts from the first GO the gate recorded.
    let care = inputs.state.went_live.as_deref().and_then(|at| {
        crate::monitor::hypercare::hypercare(&inputs.loaded.checklist, Some(at), chrono::Utc::now())
    });
    with_view(path, &inputs, |view| {
        let report = StatusReport::new(view);
        let mut out = super::output::stdout();
        match format {
            Format::Json => {
                super::print_json(&WithHypercare {
                    report: &report,
                    hypercare: care.as_ref(),
                })?;
            }
            Format::Table => {
                let look = Look {
                    bars: super::stdout_is_terminal(),
                    width: super::terminal_width(),
                };
                status::render(&report, look, &mut out)?;
                if let Some(care) = &care {
                    writeln!(out, "\n{} (GO on {})", care.headline(), &care.since[..10])?;
                    for item in care.overdue() {
                        writeln!(
                            out,
                            "  overdue: {} (due {}, within {} day{} of the GO)",
                            item.title,
                            &item.due[..10],
                            item.window_days,
                            if item.window_days == 1 { "" } else { "s" }
                        )?;
                    }
                }
            }
        }
        out.flush()?;
        Ok(Outcome::Ok)
    })
}
