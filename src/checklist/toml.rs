//! `golive.toml`, the check configuration beside a checklist, read into a generic tree that
//! remembers where every key and value is, so that whoever understands a key can point at
//! it when it is wrong. This module knows TOML, not probes: the probe and engine modules take
//! the keys they understand from [`Fields`], and whatever is left over is an unknown key.

use std::ops::Range;

use crate::diagnostic::{Diagnostic, did_you_mean};

#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    String(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
    Datetime(String),
    Array(Vec<Spanned<RawValue>>),
    Table(Fields),
}

impl RawValue {
    pub fn kind(&self) -> &'static str {
        match self {
            RawValue::String(_) => "a string",
            RawValue::Integer(_) => "an integer",
            RawValue::Float(_) => "a float",
            RawValue::Bool(_) => "a boolean",
            RawValue::Datetime(_) => "a date",
            RawValue::Array(_) => "an array",
            RawValue::Table(_) => "a table",
        }
    }
}

/// A key and its string value, as in `headers = { Accept = "application/json" }`.
pub type StringEntry = (Spanned<String>, Spanned<String>);

/// The whole file.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `[defaults]`: keys every check inherits unless it sets them.
    pub defaults: Fields,
    /// Every `[[check]]`, in file order.
    pub checks: Vec<Fields>,
    /// Every `[[notifier]]` (`golive watch`'s alert receivers).
    pub notifiers: Vec<Fields>,
    /// Every `[[trigger]]` (rollback criteria `golive watch` evaluates).
    pub triggers: Vec<Fields>,
    /// `[roles."NAME"]`: the keys pinned to each approver role (read by `store::sign`).
    pub roles: Fields,
    /// `[recurring]`: time zone and per-section recurrences (read by `checklist::recurrence`).
    pub recurring: Fields,
}

/// The keys of one table, to be taken one by one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fields {
    /// Where the table starts (its `[[check]]` header), for errors about missing keys.
    pub span: Range<usize>,
    entries: Vec<(Spanned<String>, Spanned<RawValue>)>,
}

impl Fields {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k.value == key)
    }

    /// Removes and returns `key`'s value.
    pub fn take(&mut self, key: &str) -> Option<Spanned<RawValue>> {
        let index = self.entries.iter().position(|(k, _)| k.value == key)?;
        Some(self.entries.remove(index).1)
    }

    /// Every remaining entry, for tables whose keys are free (`headers`, `env`).
    pub fn drain(&mut self) -> Vec<(Spanned<String>, Spanned<RawValue>)> {
        std::mem::take(&mut self.entries)
    }

    pub fn string(&mut self, key: &str) -> Result<Option<Spanned<String>>, Diagnostic> {
        self.take(key)
            .map(|value| expect_string(key, value))
            .transpose()
    }

    pub fn required_string(
        &mut self,
        key: &str,
        example: &str,
    ) -> Result<Spanned<String>, Diagnostic> {
        self.string(key)?.ok_or_else(|| {
            Diagnostic::new(self.span.clone(), format!("missing key `{key}`"))
                .with_hint(format!("add `{key} = {example}`"))
        })
    }

    /// A string or an array of strings (`expect = "status == 200"` reads like a list of one).
    pub fn strings(&mut self, key: &str) -> Result<Vec<Spanned<String>>, Diagnostic> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(Spanned {
                value: RawValue::Array(values),
                ..
            }) => values
                .into_iter()
                .map(|value| expect_string(key, value))
                .collect(),
            Some(value) => Ok(vec![expect_string(key, value)?]),
        }
    }

    pub fn bool(&mut self, key: &str) -> Result<Option<Spanned<bool>>, Diagnostic> {
        match self.take(key) {
            None => Ok(None),
            Some(Spanned {
                value: RawValue::Bool(value),
                span,
            }) => Ok(Some(Spanned { value, span })),
            Some(other) => Err(wrong_kind(key, &other, "true or false")),
        }
    }

    pub fn integer(&mut self, key: &str) -> Result<Option<Spanned<i64>>, Diagnostic> {
        match self.take(key) {
            None => Ok(None),
            Some(Spanned {
                value: RawValue::Integer(value),
                span,
            }) => Ok(Some(Spanned { value, span })),
            Some(other) => Err(wrong_kind(key, &other, "a whole number")),
        }
    }

    /// A table of string values: `headers = { Authorization = "Bearer ${env:TOKEN}" }`.
    pub fn string_table(&mut self, key: &str) -> Result<Vec<StringEntry>, Diagnostic> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(Spanned {
                value: RawValue::Table(mut table),
                ..
            }) => table
                .drain()
                .into_iter()
                .map(|(name, value)| Ok((name, expect_string(key, value)?)))
                .collect(),
            Some(other) => Err(wrong_kind(
                key,
                &other,
                "a table of strings, e.g. `{ NAME = \"value\" }`",
            )),
        }
    }

    /// Visits every string value, at any depth, with its position.
    pub fn for_each_string(&mut self, visit: &mut dyn FnMut(&mut String, &Range<usize>)) {
        fn walk(value: &mut Spanned<RawValue>, visit: &mut dyn FnMut(&mut String, &Range<usize>)) {
            match &mut value.value {
                RawValue::String(text) => visit(text, &value.span),
                RawValue::Array(values) => values.iter_mut().for_each(|value| walk(value, visit)),
                RawValue::Table(fields) => fields.for_each_string(visit),
                _ => {}
            }
        }
        for (_, value) in &mut self.entries {
            walk(value, visit);
        }
    }

    /// Diagnostics for every key nobody took, with a suggestion from `known`.
    pub fn unknown_keys(self, context: &str, known: &[&str]) -> Vec<Diagnostic> {
        self.entries
            .into_iter()
            .map(|(key, _)| {
                let diagnostic = Diagnostic::new(
                    key.span.clone(),
                    format!("unknown key `{}` {context}", key.value),
                );
                match did_you_mean(&key.value, known.iter().copied()) {
                    Some(suggestion) => {
                        diagnostic.with_hint(format!("did you mean `{suggestion}`?"))
                    }
                    None => diagnostic.with_hint(format!("known keys: {}", known.join(", "))),
                }
            })
            .collect()
    }
}

fn expect_string(key: &str, value: Spanned<RawValue>) -> Result<Spanned<String>, Diagnostic> {
    match value {
        Spanned {
            value: RawValue::String(text),
            span,
        } => Ok(Spanned { value: text, span }),
        other => Err(wrong_kind(key, &other, "a string")),
    }
}

fn wrong_kind(key: &str, value: &Spanned<RawValue>, wanted: &str) -> Diagnostic {
    Diagnostic::new(
        value.span.clone(),
        format!("`{key}` must be {wanted}, not {}", value.value.kind()),
    )
}

/// Parses the file's text. All problems are returned at once, as a compiler would.
pub fn parse(text: &str) -> Result<Config, Vec<Diagnostic>> {
    // The recoverable parse reports every syntax error but keeps going, so a number that does
    // not fit, which the parser leaves to us, can still be reported when it comes first.
    let (document, syntax_errors) = toml::de::DeTable::parse_recoverable(text);
    let mut bad_number = None;
    let mut root = fields(document.into_inner(), 0..0, &mut bad_number);
    let first_syntax_error = syntax_errors.into_iter().next().map(|error| {
        Diagnostic::new(
            error.span().unwrap_or(0..0),
            format!("invalid TOML: {}", error.message().trim()),
        )
    });
    // One error, the first in the file, as golive has always reported: a number is first only
    // when it ends before the syntax error (an error inside the number's text is about the
    // number) and the file's grammar holds (grammar errors are found before values are read).
    let first_error = match (first_syntax_error, bad_number) {
        (Some(syntax), Some(number))
            if number.span.end < syntax.span.start && !breaks_grammar(text) =>
        {
            Some(number)
        }
        (Some(syntax), _) => Some(syntax),
        (None, number) => number,
    };
    if let Some(error) = first_error {
        return Err(vec![error]);
    }
    let mut errors = Vec::new();
    let defaults = match root.take("defaults") {
        None => Fields::default(),
        Some(Spanned {
            value: RawValue::Table(table),
            ..
        }) => table,
        Some(other) => {
            errors.push(wrong_kind("defaults", &other, "a table, `[defaults]`"));
            Fields::default()
        }
    };
    let checks = tables(&mut root, "check", &mut errors);
    // Read by `golive watch`: where alerts go, and the rollback criteria it evaluates.
    let notifiers = tables(&mut root, "notifier", &mut errors);
    let triggers = tables(&mut root, "trigger", &mut errors);
    let roles =
        match root.take("roles") {
            None => Fields::default(),
            Some(Spanned {
                value: RawValue::Table(table),
                ..
            }) => table,
            Some(other) => {
                errors.push(wrong_kind("roles", &other, "a table").with_hint(
                    "write each role as `[roles.\"Security Lead\"]` with `keys = [\"…\"]`",
                ));
                Fields::default()
            }
        };
    let recurring = match root.take("recurring") {
        None => Fields::default(),
        Some(Spanned {
            value: RawValue::Table(table),
            ..
        }) => table,
        Some(other) => {
            errors.push(wrong_kind("recurring", &other, "a table, `[recurring]`"));
            Fields::default()
        }
    };
    errors.extend(root.unknown_keys(
        "at the top level",
        &[
            "check",
            "defaults",
            "notifier",
            "trigger",
            "roles",
            "recurring",
        ],
    ));
    if errors.is_empty() {
        Ok(Config {
            defaults,
            checks,
            notifiers,
            triggers,
            roles,
            recurring,
        })
    } else {
        Err(errors)
    }
}

/// Every `[[key]]` table, in file order.
fn tables(root: &mut Fields, key: &str, errors: &mut Vec<Diagnostic>) -> Vec<Fields> {
    let mut found = Vec::new();
    match root.take(key) {
        None => {}
        Some(Spanned {
            value: RawValue::Array(tables),
            ..
        }) => {
            for table in tables {
                match table.value {
                    RawValue::Table(fields) => found.push(fields),
                    other => errors.push(
                        Diagnostic::new(
                            table.span,
                            format!("each {key} must be a table, not {}", other.kind()),
                        )
                        .with_hint(format!("write each {key} as a `[[{key}]]` section")),
                    ),
                }
            }
        }
        Some(other) => errors.push(
            wrong_kind(key, &other, "an array of tables")
                .with_hint(format!("write each {key} as a `[[{key}]]` section")),
        ),
    }
    found
}

/// Whether the text breaks TOML's grammar. The parser checks the grammar of the whole file
/// before it reads any value, so such an error comes before any error in a value.
fn breaks_grammar(text: &str) -> bool {
    use toml_parser::parser::{RecursionGuard, ValidateWhitespace, parse_document};
    let source = toml_parser::Source::new(text);
    let tokens = source.lex().into_vec();
    let mut events = ();
    let mut whitespace = ValidateWhitespace::new(&mut events, source);
    // toml's own nesting limit, so that a file nested too deeply fails here as it does there
    let mut nesting = RecursionGuard::new(&mut whitespace, 80);
    let mut first_error = None;
    parse_document(&tokens, &mut nesting, &mut first_error);
    first_error.is_some()
}

/// The first number (in file order) that the parser accepted but that does not fit an `i64`
/// or `f64`; the parser keeps numbers as text, so this is ours to report.
type BadNumber = Option<Diagnostic>;

fn fields(table: toml::de::DeTable<'_>, span: Range<usize>, bad_number: &mut BadNumber) -> Fields {
    let entries = table
        .into_iter()
        .map(|(key, value)| {
            let key = Spanned {
                span: key.span(),
                value: key.into_inner().into_owned(),
            };
            (key, raw_value(value, bad_number))
        })
        .collect();
    Fields { span, entries }
}

fn raw_value(
    value: toml::Spanned<toml::de::DeValue<'_>>,
    bad_number: &mut BadNumber,
) -> Spanned<RawValue> {
    use toml::de::DeValue;
    let span = value.span();
    let raw = match value.into_inner() {
        DeValue::String(text) => RawValue::String(text.into_owned()),
        DeValue::Integer(number) => RawValue::Integer(
            i64::from_str_radix(number.as_str(), number.radix()).unwrap_or_else(|_| {
                note(bad_number, &span, "integer number overflowed");
                i64::MAX
            }),
        ),
        DeValue::Float(number) => {
            let (value, problem) = float(number.as_str());
            if let Some(problem) = problem {
                note(bad_number, &span, problem);
            }
            RawValue::Float(value)
        }
        DeValue::Boolean(flag) => RawValue::Bool(flag),
        DeValue::Datetime(date) => RawValue::Datetime(date.to_string()),
        DeValue::Array(values) => RawValue::Array(
            values
                .into_iter()
                .map(|value| raw_value(value, bad_number))
                .collect(),
        ),
        DeValue::Table(table) => RawValue::Table(fields(table, span.clone(), bad_number)),
    };
    Spanned { value: raw, span }
}

fn note(bad_number: &mut BadNumber, span: &Range<usize>, problem: &str) {
    if bad_number
        .as_ref()
        .is_none_or(|earlier| span.start < earlier.span.start)
    {
        *bad_number = Some(Diagnostic::new(
            span.clone(),
            format!("invalid TOML: {problem}"),
        ));
    }
}

/// As TOML reads floats: `inf` and `nan` are spelled out, so an infinity from digits overflowed.
fn float(text: &str) -> (f64, Option<&'static str>) {
    match text.parse::<f64>() {
        Ok(value) => {
            let spelled_out = text
                .strip_prefix(['+', '-'])
                .unwrap_or(text)
                .chars()
                .all(|c| c.is_ascii_alphabetic());
            let overflowed = value.is_infinite() && !spelled_out;
            (
                value,
                overflowed.then_some("floating-point number overflowed"),
            )
        }
        Err(_) => (f64::NAN, Some("invalid float")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"
[defaults]
timeout = "5s"

[[check]]
item = "health-checks"
probe = "http"
url = "http://127.0.0.1:8080/health"
expect = ["status == 200", "latency < 300ms"]
headers = { Accept = "application/json" }

[[check]]
item = "title:*TLS*"
probe = "tls"
retries = 3
"#;

    #[test]
    fn reads_checks_with_positions() {
        let mut config = parse(SOURCE).unwrap();
        assert_eq!(
            config.defaults.string("timeout").unwrap().unwrap().value,
            "5s"
        );
        assert_eq!(config.checks.len(), 2);
        let check = &mut config.checks[0];
        let url = check.string("url").unwrap().unwrap();
        assert_eq!(
            &SOURCE[url.span.clone()],
            "\"http://127.0.0.1:8080/health\""
        );
        let expect = check.strings("expect").unwrap();
        assert_eq!(expect[1].value, "latency < 300ms");
        assert_eq!(&SOURCE[expect[1].span.clone()], "\"latency < 300ms\"");
        let headers = check.string_table("headers").unwrap();
        assert_eq!(headers[0].0.value, "Accept");
        assert_eq!(
            config.checks[1].integer("retries").unwrap().unwrap().value,
            3
        );
    }

    #[test]
    fn leftover_keys_are_unknown_with_suggestions() {
        let mut config = parse("[[check]]\nitem = \"x\"\nurll = \"y\"\n").unwrap();
        let mut check = config.checks.remove(0);
        check.string("item").unwrap();
        let errors = check.unknown_keys("for probe `http`", &["url", "method"]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message, "unknown key `urll` for probe `http`");
        assert_eq!(errors[0].hint.as_deref(), Some("did you mean `url`?"));
        assert_eq!(
            errors[0].line_col("[[check]]\nitem = \"x\"\nurll = \"y\"\n"),
            (3, 1)
        );
    }

    #[test]
    fn wrong_kinds_and_syntax_errors_point_at_the_text() {
        let mut config = parse("[[check]]\nretries = \"three\"\n").unwrap();
        let error = config.checks[0].integer("retries").unwrap_err();
        assert_eq!(
            error.message,
            "`retries` must be a whole number, not a string"
        );
        let errors = parse("[[check]]\nitem = \n").unwrap_err();
        assert_eq!(errors[0].line_col("[[check]]\nitem = \n").0, 2);
        let errors = parse("chek = 1\n").unwrap_err();
        assert_eq!(errors[0].hint.as_deref(), Some("did you mean `check`?"));
    }

    fn only_error(text: &str) -> (Range<usize>, String) {
        let mut errors = parse(text).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let error = errors.remove(0);
        (error.span, error.message)
    }

    // The expectations below are what the toml_edit reader gave, which golive used before.
    #[test]
    fn syntax_errors_keep_their_messages_and_positions() {
        assert_eq!(
            only_error("[[check]]\nitem = \n"),
            (
                17..17,
                "invalid TOML: string values must be quoted, expected literal string".into()
            )
        );
        assert_eq!(
            only_error("[[check]]\nitem = \"a\"\nitem = \"b\"\n"),
            (21..25, "invalid TOML: duplicate key".into())
        );
        assert_eq!(
            only_error("[[check]]\nx = 1 2\n"),
            (
                14..17,
                "invalid TOML: string values must be quoted, expected literal string".into()
            )
        );
    }

    #[test]
    fn numbers_out_of_range_are_reported_where_they_are() {
        assert_eq!(
            only_error("[[check]]\nn = 99999999999999999999\n"),
            (14..34, "invalid TOML: integer number overflowed".into())
        );
        assert_eq!(
            only_error("[[check]]\nf = 1e999\n"),
            (
                14..19,
                "invalid TOML: floating-point number overflowed".into()
            )
        );
        // The first problem in the file wins, whichever kind it is…
        assert_eq!(
            only_error("[[check]]\nn = 99999999999999999999\nbad = \"\\q\"\n").1,
            "invalid TOML: integer number overflowed"
        );
        assert_eq!(
            only_error("[[check]]\nbad = \"\\q\"\nn = 99999999999999999999\n").0,
            18..18
        );
        // …except that a file that breaks the grammar is reported as such first.
        assert_eq!(
            only_error("n = 99999999999999999999\n[[check]\n"),
            (
                33..33,
                "invalid TOML: unclosed array table, expected `]`".into()
            )
        );
        let mut config = parse("[[check]]\nn = 0x7fffffffffffffff\nf = -inf\n").unwrap();
        assert_eq!(
            config.checks[0].integer("n").unwrap().unwrap().value,
            i64::MAX
        );
        assert!(matches!(
            config.checks[0].take("f").map(|f| f.value),
            Some(RawValue::Float(f)) if f == f64::NEG_INFINITY
        ));
    }

    #[test]
    fn tables_keep_file_order_and_their_headers_position() {
        let text =
            "[[check]]\nitem = \"a\"\nheaders = { Zeta = \"1\", Alpha = \"2\" }\n\n[[check]]\n";
        let mut config = parse(text).unwrap();
        assert_eq!(config.checks[0].span, 0..9);
        assert_eq!(config.checks[1].span, 60..69);
        let headers = config.checks[0].string_table("headers").unwrap();
        let names: Vec<_> = headers
            .iter()
            .map(|(name, _)| name.value.as_str())
            .collect();
        assert_eq!(names, ["Zeta", "Alpha"]);
        assert_eq!(headers[0].0.span, 33..37);
        let errors = parse("zzz = 1\naaa = 2\n").unwrap_err();
        let spans: Vec<_> = errors.iter().map(|error| error.span.clone()).collect();
        assert_eq!(spans, [0..3, 8..11]);
    }
}
