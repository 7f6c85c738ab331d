//! `drift`: compares a current CSV file with a reference one, column by column, with the tests
//! Evidently uses on small data: Kolmogorov–Smirnov for numbers, chi-square for categories,
//! plus PSI and Jensen–Shannon on Evidently's binning (Sturges bins over both files for numbers
//! with more than 20 values, one bin per value otherwise).
//!
//! Memory stays bounded whatever the files' size: a first pass counts rows, missing cells,
//! types and categories (at most [`MAX_CATEGORIES`] distinct values per column); the numeric
//! columns are then read in groups that fit [`VALUE_BUDGET`], each group's values sorted once
//! for KS and the histogram. Lines longer than [`MAX_LINE`] are refused, not buffered.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::Outcome;
use super::keys::{KeyDoc, KeyKind, ProbeDoc};
use super::stats;
use crate::checklist::toml::Fields;
use crate::diagnostic::Diagnostic;
use crate::expr::Value;

/// Distinct values kept per column; beyond this a text column is an identifier, not a category.
pub const MAX_CATEGORIES: usize = 10_000;
/// Bytes of numeric values held at once (both files together).
pub const VALUE_BUDGET: usize = 96 * 1024 * 1024;
/// The longest line read; a longer one is reported instead of filling memory.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// What pandas reads as missing (its default `na_values`).
const MISSING: &[&[u8]] = &[
    b"",
    b"NA",
    b"N/A",
    b"n/a",
    b"NaN",
    b"nan",
    b"-NaN",
    b"-nan",
    b"null",
    b"NULL",
    b"None",
    b"#N/A",
    b"#N/A N/A",
    b"#NA",
    b"<NA>",
    b"-1.#IND",
    b"1.#IND",
    b"-1.#QNAN",
    b"1.#QNAN",
];

#[rustfmt::skip]
pub const DOC: ProbeDoc = ProbeDoc {
    name: "drift",
    summary: "data drift between a reference and a current CSV file: PSI, Kolmogorov–Smirnov, chi-square, Jensen–Shannon per column, share of drifted columns, missing values",
    keys: &[
        KeyDoc { name: "reference", kind: KeyKind::String, required: true, doc: "the reference CSV file (training or last-known-good data), with a header line" },
        KeyDoc { name: "current", kind: KeyKind::String, required: true, doc: "the current CSV file (production data), same columns" },
        KeyDoc { name: "columns", kind: KeyKind::StringList, required: false, doc: "columns to compare (default: every column of the reference)" },
        KeyDoc { name: "threshold", kind: KeyKind::String, required: false, doc: "p-value under which a column has drifted (default \"0.05\", Evidently's)" },
        KeyDoc { name: "delimiter", kind: KeyKind::String, required: false, doc: "field separator, one character (default \",\")" },
    ],
    metrics: &[
        ("drift.share", "share of compared columns that drifted, e.g. `drift.share < 30%`"),
        ("drift.drifted", "number of drifted columns"),
        ("drift.columns", "number of columns compared"),
        ("drift.missing", "share of missing cells in the current file's compared columns"),
        ("drift.type_changes", "columns numeric in one file and text in the other (counted as drifted)"),
        ("drift.missing_columns", "compared columns absent from the current file (counted as drifted)"),
        ("drift.rows.reference", "data rows in the reference file"),
        ("drift.rows.current", "data rows in the current file"),
        ("drift.COLUMN.drifted", "whether the column drifted (KS or chi-square p-value under `threshold`)"),
        ("drift.COLUMN.psi", "population stability index (Evidently's binning; > 0.1 is drift by Evidently's rule)"),
        ("drift.COLUMN.ks", "Kolmogorov–Smirnov statistic (numeric columns)"),
        ("drift.COLUMN.ks_p", "Kolmogorov–Smirnov p-value (numeric columns)"),
        ("drift.COLUMN.chi2", "chi-square statistic (text columns)"),
        ("drift.COLUMN.chi2_p", "chi-square p-value (text columns)"),
        ("drift.COLUMN.js", "Jensen–Shannon distance, natural log (text columns)"),
        ("drift.COLUMN.missing", "share of missing cells in the current file"),
        ("drift.COLUMN.missing_reference", "share of missing cells in the reference file"),
    ],
    default_expect: &["drift.share < 50%"],
};

#[derive(Debug, Clone, PartialEq)]
pub struct DriftSpec {
    pub reference: PathBuf,
    pub current: PathBuf,
    pub columns: Vec<String>,
    pub threshold: f64,
    pub delimiter: u8,
}

impl DriftSpec {
    pub fn from_fields(fields: &mut Fields) -> Result<Self, Vec<Diagnostic>> {
        let reference = fields.required_string("reference", "\"data/reference.csv\"");
        let current = fields.required_string("current", "\"data/current.csv\"");
        let columns = fields.strings("columns");
        let threshold = fields.string("threshold");
        let delimiter = fields.string("delimiter");
        let mut errors = Vec::new();
        let reference = reference.map_err(|d| errors.push(d)).ok();
        let current = current.map_err(|d| errors.push(d)).ok();
        let columns = columns.map_err(|d| errors.push(d)).unwrap_or_default();
        let threshold = match threshold {
            Ok(None) => Some(0.05),
            Ok(Some(text)) => match text.value.trim().parse::<f64>() {
                Ok(p) if p > 0.0 && p < 1.0 => Some(p),
                _ => {
                    errors.push(
                        Diagnostic::new(
                            text.span,
                            format!(
                                "`threshold` must be a p-value between 0 and 1, not `{}`",
                                text.value
                            ),
                        )
                        .with_hint("e.g. threshold = \"0.05\""),
                    );
                    None
                }
            },
            Err(d) => {
                errors.push(d);
                None
            }
        };
        let delimiter = match delimiter {
            Ok(None) => Some(b','),
            Ok(Some(text)) => match text.value.as_bytes() {
                [byte] => Some(*byte),
                _ if text.value == "\\t" => Some(b'\t'),
                _ => {
                    errors.push(
                        Diagnostic::new(
                            text.span,
                            format!("`delimiter` must be one character, not `{}`", text.value),
                        )
                        .with_hint("e.g. delimiter = \";\" or \"\\t\""),
                    );
                    None
                }
            },
            Err(d) => {
                errors.push(d);
                None
            }
        };
        match (reference, current, threshold, delimiter) {
            (Some(reference), Some(current), Some(threshold), Some(delimiter))
                if errors.is_empty() =>
            {
                Ok(DriftSpec {
                    reference: PathBuf::from(reference.value),
                    current: PathBuf::from(current.value),
                    columns: columns.into_iter().map(|c| c.value).collect(),
                    threshold,
                    delimiter,
                })
            }
            _ => Err(errors),
        }
    }

    pub(super) fn anchor(&mut self, base: &Path) {
        for path in [&mut self.reference, &mut self.current] {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
    }

    pub fn target(&self) -> String {
        format!("{} vs {}", self.current.display(), self.reference.display())
    }

    pub async fn run(&self, timeout: std::time::Duration) -> Outcome {
        let spec = self.clone();
        let deadline = Instant::now() + timeout;
        // Reading and sorting millions of values is CPU work: keep it off the async workers.
        tokio::task::spawn_blocking(move || spec.compare_until(deadline))
            .await
            .unwrap_or_else(|error| Outcome::with_problem(format!("drift probe failed: {error}")))
    }

    /// The whole comparison, synchronously, without a time limit.
    pub fn compare(&self) -> Outcome {
        self.compare_until(Instant::now() + std::time::Duration::from_secs(365 * 86_400))
    }

    /// The whole comparison, abandoned at `deadline`.
    pub fn compare_until(&self, deadline: Instant) -> Outcome {
        match self.try_compare(deadline) {
            Ok(outcome) => outcome,
            Err(problem) => Outcome::with_problem(problem),
        }
    }

    fn try_compare(&self, deadline: Instant) -> Result<Outcome, String> {
        let reference = Profile::read(&self.reference, self.delimiter, deadline)?;
        let current = Profile::read(&self.current, self.delimiter, deadline)?;
        let names: Vec<String> = if self.columns.is_empty() {
            reference.header.clone()
        } else {
            self.columns.clone()
        };
        let mut notes = Vec::new();
        let mut outcome = Outcome::default();
        outcome.observe("drift.rows.reference", Value::Number(reference.rows as f64));
        outcome.observe("drift.rows.current", Value::Number(current.rows as f64));
        let mut plan = Vec::new();
        let (mut type_changes, mut missing_columns) = (0usize, 0usize);
        for name in &names {
            let Some(r) = reference.index(name) else {
                return Err(format!(
                    "column `{name}` is not in {} (its columns: {})",
                    self.reference.display(),
                    reference.header.join(", ")
                ));
            };
            let Some(c) = current.index(name) else {
                missing_columns += 1;
                notes.push(format!(
                    "column `{name}` is missing from {}",
                    self.current.display()
                ));
                plan.push((name.clone(), r, None));
                continue;
            };
            plan.push((name.clone(), r, Some(c)));
        }
        if reference.rows == 0 {
            return Err(format!(
                "{} has a header but no rows",
                self.reference.display()
            ));
        }
        if current.rows == 0 {
            return Err(format!(
                "{} has a header but no rows",
                self.current.display()
            ));
        }
        // Numeric columns in both files: their values are read in groups that fit the budget.
        let numeric: Vec<(usize, usize)> = plan
            .iter()
            .filter_map(|(_, r, c)| {
                let c = (*c)?;
                (reference.columns[*r].is_numeric() && current.columns[c].is_numeric())
                    .then_some((*r, c))
            })
            .collect();
        let per_column = 8 * (reference.rows + current.rows).max(1);
        let group = (VALUE_BUDGET / per_column).max(1);
        let mut tests: HashMap<usize, Tests> = HashMap::new();
        for chunk in numeric.chunks(group) {
            let r_cols: Vec<usize> = chunk.iter().map(|(r, _)| *r).collect();
            let c_cols: Vec<usize> = chunk.iter().map(|(_, c)| *c).collect();
            let r_values = read_values(&self.reference, self.delimiter, &r_cols, deadline)?;
            let c_values = read_values(&self.current, self.delimiter, &c_cols, deadline)?;
            for ((r, c), (mut a, mut b)) in chunk.iter().zip(r_values.into_iter().zip(c_values)) {
                a.sort_unstable_by(f64::total_cmp);
                b.sort_unstable_by(f64::total_cmp);
                tests.insert(
                    *r,
                    numeric_tests(&a, &b, &reference.columns[*r], &current.columns[*c]),
                );
            }
        }
        let (mut drifted, mut missing_cells, mut cells) = (0usize, 0u64, 0u64);
        for (name, r, c) in &plan {
            let key = metric_name(name);
            let ref_col = &reference.columns[*r];
            outcome.observe(
                format!("drift.{key}.missing_reference"),
                Value::percent_of(ref_col.missing as f64, reference.rows as f64),
            );
            let Some(c) = c else {
                drifted += 1;
                outcome.observe(format!("drift.{key}.drifted"), Value::Bool(true));
                continue;
            };
            let cur_col = &current.columns[*c];
            missing_cells += cur_col.missing;
            cells += current.rows as u64;
            outcome.observe(
                format!("drift.{key}.missing"),
                Value::percent_of(cur_col.missing as f64, current.rows as f64),
            );
            let is_drifted = if ref_col.is_numeric() != cur_col.is_numeric() {
                type_changes += 1;
                notes.push(format!(
                    "column `{name}` changed type: {} in {}, {} in {}",
                    ref_col.kind(),
                    self.reference.display(),
                    cur_col.kind(),
                    self.current.display()
                ));
                true
            } else if ref_col.present() == 0 || cur_col.present() == 0 {
                notes.push(format!("column `{name}` has no values in one of the files"));
                true
            } else if let Some(test) = tests.remove(r) {
                outcome.observe(format!("drift.{key}.ks"), Value::Number(test.ks));
                outcome.observe(format!("drift.{key}.ks_p"), Value::Number(test.p));
                outcome.observe(format!("drift.{key}.psi"), Value::Number(test.psi));
                test.p < self.threshold
            } else {
                match categorical_tests(ref_col, cur_col) {
                    Some(test) => {
                        outcome.observe(format!("drift.{key}.chi2"), Value::Number(test.chi2));
                        outcome.observe(format!("drift.{key}.chi2_p"), Value::Number(test.p));
                        outcome.observe(format!("drift.{key}.psi"), Value::Number(test.psi));
                        outcome.observe(format!("drift.{key}.js"), Value::Number(test.js));
                        test.p < self.threshold
                    }
                    None => {
                        notes.push(format!(
                            "column `{name}` has more than {MAX_CATEGORIES} distinct values: not compared as a category"
                        ));
                        false
                    }
                }
            };
            if is_drifted {
                drifted += 1;
            }
            outcome.observe(format!("drift.{key}.drifted"), Value::Bool(is_drifted));
        }
        outcome.observe("drift.columns", Value::Number(plan.len() as f64));
        outcome.observe("drift.drifted", Value::Number(drifted as f64));
        outcome.observe(
            "drift.share",
            Value::percent_of(drifted as f64, plan.len() as f64),
        );
        outcome.observe(
            "drift.missing",
            Value::percent_of(missing_cells as f64, cells as f64),
        );
        outcome.observe("drift.type_changes", Value::Number(type_changes as f64));
        outcome.observe(
            "drift.missing_columns",
            Value::Number(missing_columns as f64),
        );
        if !notes.is_empty() {
            outcome.problem = Some(notes.join("; "));
        }
        Ok(outcome)
    }
}

/// A column name as a metric segment: letters, digits and `_` (`unit price` → `unit_price`).
pub fn metric_name(column: &str) -> String {
    let name: String = column
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) || name.is_empty() {
        format!("_{name}")
    } else {
        name
    }
}

/// What the first pass learns of one column.
#[derive(Debug, Default)]
struct Column {
    missing: u64,
    numbers: u64,
    texts: u64,
    /// Value → count, until more than [`MAX_CATEGORIES`] distinct values are seen.
    categories: Option<HashMap<Vec<u8>, u64>>,
}

impl Column {
    fn is_numeric(&self) -> bool {
        self.texts == 0 && self.numbers > 0
    }

    fn present(&self) -> u64 {
        self.numbers + self.texts
    }

    fn kind(&self) -> &'static str {
        if self.is_numeric() { "numbers" } else { "text" }
    }
}

struct Profile {
    header: Vec<String>,
    rows: usize,
    columns: Vec<Column>,
}

impl Profile {
    fn index(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    fn read(path: &Path, delimiter: u8, deadline: Instant) -> Result<Profile, String> {
        let mut reader = open(path, delimiter)?;
        let header = reader
            .byte_headers()
            .map_err(|error| describe(path, &error))?
            .clone();
        if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
            return Err(format!(
                "{} is empty: a header line naming the columns is needed",
                path.display()
            ));
        }
        let header: Vec<String> = header
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_string())
            .collect();
        let mut columns: Vec<Column> = header
            .iter()
            .map(|_| Column {
                categories: Some(HashMap::new()),
                ..Column::default()
            })
            .collect();
        let mut record = csv::ByteRecord::new();
        let mut rows: usize = 0;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(error) => return Err(describe(path, &error)),
            }
            rows += 1;
            if rows.is_multiple_of(65_536) {
                past(deadline, path)?;
            }
            for (column, cell) in columns.iter_mut().zip(record.iter()) {
                let cell = cell.trim_ascii();
                if MISSING.contains(&cell) {
                    column.missing += 1;
                    continue;
                }
                if parse_number(cell).is_some() {
                    column.numbers += 1;
                } else {
                    column.texts += 1;
                }
                if let Some(categories) = &mut column.categories {
                    if let Some(count) = categories.get_mut(cell) {
                        *count += 1;
                    } else if categories.len() < MAX_CATEGORIES {
                        categories.insert(cell.to_vec(), 1);
                    } else {
                        column.categories = None;
                    }
                }
            }
        }
        Ok(Profile {
            header,
            rows,
            columns,
        })
    }
}

fn parse_number(cell: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(cell).ok()?;
    let number: f64 = text.parse().ok()?;
    // `inf` and `nan` spelled out are text to a person, whatever Rust's parser accepts.
    number.is_finite().then_some(number)
}

pub(super) fn open(
    path: &Path,
    delimiter: u8,
) -> Result<csv::Reader<LineLimit<std::fs::File>>, String> {
    let file = std::fs::File::open(path)
        .map_err(|error| format!("cannot open {}: {error}", path.display()))?;
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(LineLimit {
            inner: file,
            line: 0,
        }))
}

pub(super) fn describe(path: &Path, error: &csv::Error) -> String {
    let place = error
        .position()
        .map(|p| format!("{}:{}", path.display(), p.line()))
        .unwrap_or_else(|| path.display().to_string());
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("{place}: {len} fields where the header has {expected_len}")
        }
        csv::ErrorKind::Io(io) => format!("{place}: {io}"),
        _ => format!("{place}: {error}"),
    }
}

/// Reads the values of `columns` (known to be numeric), missing cells skipped.
fn read_values(
    path: &Path,
    delimiter: u8,
    columns: &[usize],
    deadline: Instant,
) -> Result<Vec<Vec<f64>>, String> {
    let mut reader = open(path, delimiter)?;
    let mut values: Vec<Vec<f64>> = columns.iter().map(|_| Vec::new()).collect();
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => return Err(describe(path, &error)),
        }
        rows += 1;
        if rows.is_multiple_of(65_536) {
            past(deadline, path)?;
        }
        for (out, index) in values.iter_mut().zip(columns) {
            if let Some(number) = record
                .get(*index)
                .and_then(|cell| parse_number(cell.trim_ascii()))
            {
                out.push(number);
            }
        }
    }
    Ok(values)
}

fn past(deadline: Instant, path: &Path) -> Result<(), String> {
    if Instant::now() > deadline {
        return Err(format!("timed out while reading {}", path.display()));
    }
    Ok(())
}

/// Refuses a line longer than [`MAX_LINE`] instead of letting the CSV reader buffer it.
pub(super) struct LineLimit<R> {
    inner: R,
    line: usize,
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        let chunk = &buf[..read];
        match memchr::memrchr(b'\n', chunk) {
            Some(last) => self.line = chunk.len() - last - 1,
            None => self.line += chunk.len(),
        }
        if self.line > MAX_LINE {
            return Err(std::io::Error::other(format!(
                "a line longer than {} MiB: not a CSV file, or a broken one",
                MAX_LINE >> 20
            )));
        }
        Ok(read)
    }
}

struct Tests {
    ks: f64,
    p: f64,
    psi: f64,
}

fn numeric_tests(a: &[f64], b: &[f64], ref_col: &Column, cur_col: &Column) -> Tests {
    let ks = stats::ks_statistic(a, b);
    let p = stats::ks_p_value(ks, a.len(), b.len());
    // Evidently bins by value when the reference has at most 20 distinct values.
    let psi = match (&ref_col.categories, &cur_col.categories) {
        (Some(r), Some(c)) if r.len() <= 20 => {
            let (rp, cp) = category_shares(r, c);
            stats::psi(&rp, &cp)
        }
        _ => {
            let (rp, cp) = stats::sturges_shares(a, b);
            stats::psi(&rp, &cp)
        }
    };
    Tests { ks, p, psi }
}

struct CategoryTests {
    chi2: f64,
    p: f64,
    psi: f64,
    js: f64,
}

fn categorical_tests(ref_col: &Column, cur_col: &Column) -> Option<CategoryTests> {
    let (Some(r), Some(c)) = (&ref_col.categories, &cur_col.categories) else {
        return None;
    };
    let keys = keys(r, c);
    let observed: Vec<f64> = keys
        .iter()
        .map(|k| c.get(*k).copied().unwrap_or(0) as f64)
        .collect();
    let expected_counts: Vec<f64> = keys
        .iter()
        .map(|k| r.get(*k).copied().unwrap_or(0) as f64)
        .collect();
    let scale = cur_col.present() as f64 / ref_col.present() as f64;
    let expected: Vec<f64> = expected_counts.iter().map(|e| e * scale).collect();
    let (chi2, p) = stats::chi_square(&observed, &expected);
    let (rp, cp) = category_shares(r, c);
    Some(CategoryTests {
        chi2,
        p,
        psi: stats::psi(&rp, &cp),
        js: stats::jensen_shannon(&rp, &cp),
    })
}

fn keys<'a>(r: &'a HashMap<Vec<u8>, u64>, c: &'a HashMap<Vec<u8>, u64>) -> Vec<&'a [u8]> {
    let mut keys: Vec<&[u8]> = r.keys().chain(c.keys()).map(Vec::as_slice).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Each category's share of the present values, in each file, over the union of categories.
fn category_shares(r: &HashMap<Vec<u8>, u64>, c: &HashMap<Vec<u8>, u64>) -> (Vec<f64>, Vec<f64>) {
    let keys = keys(r, c);
    let total = |m: &HashMap<Vec<u8>, u64>| m.values().sum::<u64>().max(1) as f64;
    let (rt, ct) = (total(r), total(c));
    let share = |m: &HashMap<Vec<u8>, u64>, t: f64| -> Vec<f64> {
        keys.iter()
            .map(|k| m.get(*k).copied().unwrap_or(0) as f64 / t)
            .collect()
    };
    (share(r, rt), share(c, ct))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(dir: &Path, reference: &str, current: &str) -> DriftSpec {
        std::fs::write(dir.join("ref.csv"), reference).expect("write");
        std::fs::write(dir.join("cur.csv"), current).expect("write");
        DriftSpec {
            reference: dir.join("ref.csv"),
            current: dir.join("cur.csv"),
            columns: Vec::new(),
            threshold: 0.05,
            delimiter: b',',
        }
    }

    #[test]
    fn empty_and_header_only_files_are_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outcome = spec(dir.path(), "", "a\n1\n").compare();
        assert!(
            outcome
                .problem
                .as_deref()
                .is_some_and(|p| p.contains("is empty")),
            "{outcome:?}"
        );
        let outcome = spec(dir.path(), "a,b\n1,2\n", "a,b\n").compare();
        assert!(
            outcome
                .problem
                .as_deref()
                .is_some_and(|p| p.contains("no rows")),
            "{outcome:?}"
        );
    }

    #[test]
    fn type_changes_and_missing_values_are_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let reference = "age,city\n1,Paris\n2,Lyon\n3,Paris\n4,Nice\n";
        let current = "age,city\nold,Paris\nyoung,\n3,Paris\nNA,Nice\n";
        let outcome = spec(dir.path(), reference, current).compare();
        assert_eq!(
            outcome.observed.get("drift.type_changes"),
            Some(&Value::Number(1.0))
        );
        assert_eq!(
            outcome.observed.get("drift.age.drifted"),
            Some(&Value::Bool(true))
        );
        assert_eq!(
            outcome.observed.get("drift.city.missing"),
            Some(&Value::Percent(25.0))
        );
        assert_eq!(
            outcome.observed.get("drift.age.missing"),
            Some(&Value::Percent(25.0))
        );
        assert!(
            outcome
                .problem
                .as_deref()
                .is_some_and(|p| p.contains("changed type")),
            "{outcome:?}"
        );
    }

    #[test]
    fn identical_files_do_not_drift() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data: String = std::iter::once("x,c\n".to_string())
            .chain((0..200).map(|i| format!("{},{}\n", i % 37, ["a", "b", "c"][i % 3])))
            .collect();
        let outcome = spec(dir.path(), &data, &data).compare();
        assert_eq!(outcome.problem, None);
        assert_eq!(
            outcome.observed.get("drift.share"),
            Some(&Value::Percent(0.0))
        );
        assert_eq!(
            outcome.observed.get("drift.x.ks"),
            Some(&Value::Number(0.0))
        );
        assert_eq!(
            outcome.observed.get("drift.c.psi"),
            Some(&Value::Number(0.0))
        );
    }

    #[test]
    fn a_huge_line_is_refused_not_buffered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut file = std::fs::File::create(dir.path().join("cur.csv")).expect("create");
        use std::io::Write;
        file.write_all(b"a\n").expect("write");
        let block = vec![b'7'; 1 << 20];
        for _ in 0..(MAX_LINE >> 20) + 2 {
            file.write_all(&block).expect("write");
        }
        drop(file);
        std::fs::write(dir.path().join("ref.csv"), "a\n1\n").expect("write");
        let spec = DriftSpec {
            reference: dir.path().join("ref.csv"),
            current: dir.path().join("cur.csv"),
            columns: Vec::new(),
            threshold: 0.05,
            delimiter: b',',
        };
        let outcome = spec.compare();
        assert!(
            outcome
                .problem
                .as_deref()
                .is_some_and(|p| p.contains("longer than")),
            "{outcome:?}"
        );
    }

    #[test]
    fn column_names_become_metric_segments() {
        assert_eq!(metric_name("unit price"), "unit_price");
        assert_eq!(metric_name("2nd"), "_2nd");
        assert_eq!(metric_name("âge"), "_ge");
    }
}
