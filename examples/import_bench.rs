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

// Each measured part is a function of its own, never inlined, so that
// `valgrind --tool=callgrind` can count its instructions (inclusive cost): the ratio of
// instructions is repeatable on a busy machine where wall time is not.

/// The same walk the importer does: every event with its source range.
#[inline(never)]
fn bench_parse(text: &str, options: Options) -> usize {
    Parser::new_ext(text, options).into_offset_iter().count()
}

#[inline(never)]
fn bench_import(
    bytes: &[u8],
) -> Result<golive::checklist::Checklist, golive::checklist::DecodeError> {
    golive::checklist::import(bytes)
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
        std::hint::black_box(bench_parse(text, options));
        parse.push(start.elapsed().as_secs_f64() * 1000.0);
        let start = Instant::now();
        let checklist = bench_import(&bytes)?;
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
