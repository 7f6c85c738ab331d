//! `golive status`: where a checklist stands, per section, as the gate sees it.

use std::io::Write;
use std::path::Path;

use super::gate::{Sources, with_view};
use super::view::{self, Items};
use super::{Format, Outcome};
use crate::report::status::{self, Look, StatusReport};

pub(super) fn run(path: &Path, sources: Sources<'_>, format: Format) -> anyhow::Result<Outcome> {
    let inputs = view::read(
        path,
        sources.store,
        sources.config,
        sources.anchors,
        Items::Optional,
    )?;
    with_view(path, &inputs, |view| {
        let report = StatusReport::new(view);
        let mut out = super::output::stdout();
        match format {
            Format::Json => {
                super::print_json(&report)?;
            }
            Format::Table => {
                let look = Look {
                    bars: super::stdout_is_terminal(),
                    width: super::terminal_width(),
                };
                status::render(&report, look, &mut out)?;
            }
        }
        out.flush()?;
        Ok(Outcome::Ok)
    })
}
