use std::io::Write;
use std::path::Path;

use super::{Format, Outcome, input};
use crate::report::status::{self, Look, StatusReport};

pub(super) fn run(path: &Path, format: Format) -> anyhow::Result<Outcome> {
    let loaded = input::load(path)?;
    let shown = path.display().to_string();
    let report = StatusReport::new(&shown, &loaded.checklist);
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
}
