//! The importer's cost against pulldown-cmark's own parse of the same bytes, in one process
//! (used by `scripts/bench/scale.sh`): `import_bench FILE [ROUNDS]` prints one line,
//! `bytes parse_ms import_ms ratio`, medians over ROUNDS (default 5). Written to standard
//! error: this is a measuring tool, not golive's output.

use std::time::Instant;

use pulldown_cmark::{Options, Parser};

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: import_bench FILE [ROUNDS]")?;
    let rounds: usize = args.next().map_or(Ok(5), |r| r.parse())?;
    let bytes = std::fs::read(&path)?;
    let text = std::str::from_utf8(&bytes)?;
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_TASKLISTS);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let (mut parse, mut import) = (Vec::new(), Vec::new());
    let mut items = 0;
    for _ in 0..rounds.max(1) {
        let start = Instant::now();
        // The same walk the importer does: every event with its source range.
        let events = Parser::new_ext(text, options).into_offset_iter().count();
        parse.push(start.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(events);
        let start = Instant::now();
        let checklist = golive::checklist::import(&bytes)?;
        import.push(start.elapsed().as_secs_f64() * 1000.0);
        items = checklist.items.len();
    }
    let (parse, import) = (median(parse), median(import));
    eprintln!(
        "{} {parse:.1} {import:.1} {:.2} ({items} items)",
        bytes.len(),
        import / parse
    );
    Ok(())
}
