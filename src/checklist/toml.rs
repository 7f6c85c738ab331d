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
    let document = toml_edit::Document::parse(text).map_err(|error| {
        let span = error.span().unwrap_or(0..0);
        vec![Diagnostic::new(
            span,
            format!("invalid TOML: {}", error.message().trim()),
        )]
    })?;
    let mut root = table_fields(document.as_table(), 0..0);
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
    let mut checks = Vec::new();
    match root.take("check") {
        None => {}
        Some(Spanned {
            value: RawValue::Array(tables),
            ..
        }) => {
            for table in tables {
                match table.value {
                    RawValue::Table(fields) => checks.push(fields),
                    other => errors.push(
                        Diagnostic::new(
                            table.span,
                            format!("each check must be a table, not {}", other.kind()),
                        )
                        .with_hint("write each check as a `[[check]]` section"),
                    ),
                }
            }
        }
        Some(other) => errors.push(
            wrong_kind("check", &other, "an array of tables")
                .with_hint("write each check as a `[[check]]` section"),
        ),
    }
    errors.extend(root.unknown_keys("at the top level", &["check", "defaults"]));
    if errors.is_empty() {
        Ok(Config { defaults, checks })
    } else {
        Err(errors)
    }
}

fn table_fields(table: &toml_edit::Table, fallback: Range<usize>) -> Fields {
    let span = table.span().unwrap_or(fallback);
    let entries = table
        .iter()
        .filter_map(|(name, item)| {
            let (key, _) = table.get_key_value(name)?;
            let key_span = key.span().unwrap_or(span.clone());
            let value = item_value(item, key_span.clone())?;
            Some((
                Spanned {
                    value: name.to_string(),
                    span: key_span,
                },
                value,
            ))
        })
        .collect();
    Fields { span, entries }
}

fn inline_fields(table: &toml_edit::InlineTable, fallback: Range<usize>) -> Fields {
    let span = table.span().unwrap_or(fallback);
    let entries = table
        .iter()
        .filter_map(|(name, value)| {
            let (key, _) = table.get_key_value(name)?;
            let key_span = key.span().unwrap_or(span.clone());
            Some((
                Spanned {
                    value: name.to_string(),
                    span: key_span.clone(),
                },
                raw_value(value, key_span),
            ))
        })
        .collect();
    Fields { span, entries }
}

fn item_value(item: &toml_edit::Item, fallback: Range<usize>) -> Option<Spanned<RawValue>> {
    let span = item.span().unwrap_or(fallback.clone());
    match item {
        toml_edit::Item::None => None,
        toml_edit::Item::Value(value) => Some(raw_value(value, fallback)),
        toml_edit::Item::Table(table) => Some(Spanned {
            value: RawValue::Table(table_fields(table, span.clone())),
            span,
        }),
        toml_edit::Item::ArrayOfTables(tables) => {
            let values = tables
                .iter()
                .map(|table| {
                    let table_span = table.span().unwrap_or(span.clone());
                    Spanned {
                        value: RawValue::Table(table_fields(table, table_span.clone())),
                        span: table_span,
                    }
                })
                .collect();
            Some(Spanned {
                value: RawValue::Array(values),
                span,
            })
        }
    }
}

fn raw_value(value: &toml_edit::Value, fallback: Range<usize>) -> Spanned<RawValue> {
    let span = value.span().unwrap_or(fallback);
    let raw = match value {
        toml_edit::Value::String(text) => RawValue::String(text.value().clone()),
        toml_edit::Value::Integer(number) => RawValue::Integer(*number.value()),
        toml_edit::Value::Float(number) => RawValue::Float(*number.value()),
        toml_edit::Value::Boolean(flag) => RawValue::Bool(*flag.value()),
        toml_edit::Value::Datetime(date) => RawValue::Datetime(date.value().to_string()),
        toml_edit::Value::Array(values) => RawValue::Array(
            values
                .iter()
                .map(|value| raw_value(value, span.clone()))
                .collect(),
        ),
        toml_edit::Value::InlineTable(table) => RawValue::Table(inline_fields(table, span.clone())),
    };
    Spanned { value: raw, span }
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
}
