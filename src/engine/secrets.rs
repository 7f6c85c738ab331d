//! `${env:NAME}` and `${file:PATH}` in `golive.toml`: secrets are referenced, never written,
//! and every value resolved from one is redacted from outcomes, messages and reports.
//!
//! A secret rarely comes back as it was typed. A URL carries it percent-encoded (in upper or
//! lower case, whole or in part, sometimes twice), a form `+` for a space, a JSON body with
//! `\/` and `\u00fc`, an HTML page with `&amp;`, a Basic `Authorization` header in base64
//! after `user:`. Redaction matches every mix of those forms, not only the bytes resolved.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use base64::Engine as _;
use regex::Regex;

use crate::diagnostic::Diagnostic;

/// Shown in place of a secret.
pub const REDACTED: &str = "[redacted]";

/// Base64 runs shorter than this are not redacted: a secret of a byte or two has no run of
/// its own, and hiding every two-letter match would garble the output without hiding it.
const MIN_BASE64_RUN: usize = 4;

/// Resolves references and remembers what they resolved to.
#[derive(Debug, Default, Clone)]
pub struct Secrets {
    values: Vec<String>,
    /// Every form of every value, compiled on first use (resolving clears it).
    pattern: OnceLock<Option<Regex>>,
}

/// Where references are looked up: the process environment and files relative to `base`.
pub trait Source {
    fn env(&self, name: &str) -> Option<String>;
    fn file(&self, path: &Path) -> std::io::Result<String>;
}

/// The real environment and file system.
pub struct System<'a> {
    pub base: &'a Path,
}

impl Source for System<'_> {
    fn env(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn file(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(self.base.join(path))
    }
}

impl Secrets {
    /// Replaces every `${env:NAME}` / `${file:PATH}` in `text`. `span` is where the text is
    /// in the configuration file, for errors.
    pub fn resolve(
        &mut self,
        text: &str,
        span: &Range<usize>,
        source: &dyn Source,
    ) -> Result<String, Diagnostic> {
        let mut resolved = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            resolved.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(
                    Diagnostic::new(span.clone(), "unclosed `${` in a secret reference")
                        .with_hint("write `${env:NAME}` or `${file:/path/to/secret}`"),
                );
            };
            let reference = &after[..end];
            let value = match reference.split_once(':') {
                // `${env:NAME:-default}`: the default is written in the file, so it is no
                // secret and is not redacted; a value from the environment is.
                Some(("env", spec)) if spec.contains(":-") => {
                    let (name, default) = spec.split_once(":-").unwrap_or((spec, ""));
                    match source.env(name).filter(|value| !value.is_empty()) {
                        Some(value) => value,
                        None => {
                            resolved.push_str(default);
                            rest = &after[end + 1..];
                            continue;
                        }
                    }
                }
                Some(("env", name)) => source.env(name).ok_or_else(|| {
                    Diagnostic::new(
                        span.clone(),
                        format!("environment variable `{name}` is not set"),
                    )
                    .with_hint(format!(
                        "export {name}=… before running golive, or give a default: `${{env:{name}:-value}}`"
                    ))
                })?,
                Some(("file", path)) => source
                    .file(Path::new(path))
                    .map(|content| content.trim_end_matches(['\n', '\r']).to_string())
                    .map_err(|error| {
                        Diagnostic::new(
                            span.clone(),
                            format!("cannot read secret file `{path}`: {error}"),
                        )
                    })?,
                _ => {
                    return Err(Diagnostic::new(
                        span.clone(),
                        format!("unknown reference `${{{reference}}}`"),
                    )
                    .with_hint("write `${env:NAME}` or `${file:/path/to/secret}`"));
                }
            };
            if !value.is_empty() && !self.values.contains(&value) {
                self.values.push(value.clone());
                self.pattern = OnceLock::new();
            }
            resolved.push_str(&value);
            rest = &after[end + 1..];
        }
        resolved.push_str(rest);
        Ok(resolved)
    }

    /// `text` with every resolved secret, in any of its encoded forms, replaced by
    /// [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        match self.pattern.get_or_init(|| pattern(&self.values)) {
            Some(pattern) => pattern.replace_all(text, REDACTED).into_owned(),
            None => self.redact_literally(text),
        }
    }

    /// The fallback should the pattern be too large to compile (a long key file): the values
    /// as resolved, longest first so that a secret containing another is hidden whole.
    fn redact_literally(&self, text: &str) -> String {
        let mut values: Vec<&String> = self.values.iter().collect();
        values.sort_by_key(|value| std::cmp::Reverse(value.len()));
        values.into_iter().fold(text.to_string(), |text, secret| {
            text.replace(secret.as_str(), REDACTED)
        })
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// One pattern for every value: longest first, as the leftmost alternative wins.
fn pattern(values: &[String]) -> Option<Regex> {
    if values.is_empty() {
        return None;
    }
    let mut values: Vec<&String> = values.iter().collect();
    values.sort_by_key(|value| std::cmp::Reverse(value.len()));
    let mut alternatives = Vec::new();
    for value in values {
        alternatives.push(encoded_forms(value));
        alternatives.extend(base64_runs(value).iter().map(|run| regex::escape(run)));
    }
    regex::RegexBuilder::new(&alternatives.join("|"))
        .size_limit(64 << 20)
        .build()
        .ok()
}

/// A pattern matching `value` with each character as typed or in any encoding that leaves
/// characters in place: percent (either case, also twice), form (`+`), JSON and HTML escapes.
fn encoded_forms(value: &str) -> String {
    let mut pattern = String::new();
    for c in value.chars() {
        let mut forms = vec![regex::escape(c.encode_utf8(&mut [0; 4]))];
        let mut utf8 = [0; 4];
        let bytes = c.encode_utf8(&mut utf8).as_bytes();
        forms.push(percent_bytes(bytes, ""));
        forms.push(percent_bytes(bytes, "25"));
        if c == ' ' {
            forms.push(regex::escape("+"));
        }
        forms.extend(json_escapes(c));
        forms.extend(html_escapes(c).iter().map(|form| regex::escape(form)));
        let _ = write!(pattern, "(?:{})", forms.join("|"));
    }
    pattern
}

/// `%XX` per byte with either case of hex digit; `infix` `25` for a `%` encoded once more.
fn percent_bytes(bytes: &[u8], infix: &str) -> String {
    let mut pattern = String::new();
    for byte in bytes {
        pattern.push('%');
        pattern.push_str(infix);
        for digit in format!("{byte:02X}").chars() {
            if digit.is_ascii_alphabetic() {
                let _ = write!(pattern, "[{digit}{}]", digit.to_ascii_lowercase());
            } else {
                pattern.push(digit);
            }
        }
    }
    pattern
}

/// How JSON encoders may write `c` inside a string: `\uXXXX` (UTF-16, either case) always,
/// and the short escapes.
fn json_escapes(c: char) -> Vec<String> {
    let mut forms = Vec::new();
    let mut units = [0; 2];
    let mut unicode = String::new();
    for unit in c.encode_utf16(&mut units) {
        unicode.push_str(r"\\u");
        for digit in format!("{unit:04X}").chars() {
            if digit.is_ascii_alphabetic() {
                let _ = write!(unicode, "[{digit}{}]", digit.to_ascii_lowercase());
            } else {
                unicode.push(digit);
            }
        }
    }
    forms.push(unicode);
    let short = match c {
        '"' => Some("\\\""),
        '\\' => Some("\\\\"),
        '/' => Some("\\/"),
        '\n' => Some("\\n"),
        '\t' => Some("\\t"),
        '\r' => Some("\\r"),
        _ => None,
    };
    forms.extend(short.map(regex::escape));
    forms
}

fn html_escapes(c: char) -> &'static [&'static str] {
    match c {
        '&' => &["&amp;", "&#38;", "&#x26;"],
        '<' => &["&lt;", "&#60;", "&#x3c;", "&#x3C;"],
        '>' => &["&gt;", "&#62;", "&#x3e;", "&#x3E;"],
        '"' => &["&quot;", "&#34;", "&#x22;"],
        '\'' => &["&#39;", "&#x27;", "&apos;"],
        _ => &[],
    }
}

/// The runs of base64 text that `value` becomes wherever it sits in encoded data (after
/// `user:` in Basic credentials, say): for each of the three alignments to base64's 3-byte
/// groups, the characters that encode bits of `value` alone, in the standard and URL-safe
/// alphabets.
fn base64_runs(value: &str) -> Vec<String> {
    let bytes = value.as_bytes();
    let mut runs = Vec::new();
    for offset in 0..3 {
        let mut input = vec![0u8; offset];
        input.extend_from_slice(bytes);
        let encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&input);
        let first = (8 * offset).div_ceil(6);
        let end = 8 * input.len() / 6;
        if end < first + MIN_BASE64_RUN {
            continue;
        }
        let run = &encoded[first..end];
        let url_safe = run.replace('+', "-").replace('/', "_");
        runs.push(run.to_string());
        if url_safe != run {
            runs.push(url_safe);
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake;

    impl Source for Fake {
        fn env(&self, name: &str) -> Option<String> {
            (name == "TOKEN").then(|| "s3cr3t-token".to_string())
        }

        fn file(&self, path: &Path) -> std::io::Result<String> {
            if path == Path::new("/run/secrets/db") {
                Ok("hunter2\n".to_string())
            } else {
                Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "No such file or directory",
                ))
            }
        }
    }

    #[test]
    fn env_references_take_a_default() {
        let mut secrets = Secrets::default();
        let text = secrets
            .resolve(
                "${env:NOPE:-postgres://postgres@127.0.0.1:5432/test} ${env:TOKEN:-x}",
                &(0..1),
                &Fake,
            )
            .unwrap();
        assert_eq!(text, "postgres://postgres@127.0.0.1:5432/test s3cr3t-token");
        // The default is in the file for anyone to read; the environment's value is secret.
        assert_eq!(
            secrets.redact(&text),
            "postgres://postgres@127.0.0.1:5432/test [redacted]"
        );
        assert_eq!(
            secrets.resolve("${env:NOPE:-}", &(0..1), &Fake).unwrap(),
            ""
        );
    }

    #[test]
    fn resolves_and_redacts() {
        let mut secrets = Secrets::default();
        let url = secrets
            .resolve(
                "postgres://app:${file:/run/secrets/db}@db/${env:TOKEN}",
                &(0..1),
                &Fake,
            )
            .unwrap();
        assert_eq!(url, "postgres://app:hunter2@db/s3cr3t-token");
        assert_eq!(
            secrets.redact(&format!("error connecting to {url}")),
            "error connecting to postgres://app:[redacted]@db/[redacted]"
        );
        assert_eq!(
            secrets.resolve("no references", &(0..1), &Fake).unwrap(),
            "no references"
        );
    }

    #[test]
    fn explains_bad_references() {
        let mut secrets = Secrets::default();
        let missing = secrets.resolve("${env:NOPE}", &(3..14), &Fake).unwrap_err();
        assert_eq!(missing.message, "environment variable `NOPE` is not set");
        assert_eq!(missing.span, 3..14);
        assert!(
            secrets
                .resolve("${vault:x}", &(0..1), &Fake)
                .unwrap_err()
                .message
                .contains("unknown reference")
        );
        assert!(
            secrets
                .resolve("${env:X", &(0..1), &Fake)
                .unwrap_err()
                .message
                .contains("unclosed")
        );
        assert!(
            secrets
                .resolve("${file:/nope}", &(0..1), &Fake)
                .unwrap_err()
                .message
                .contains("cannot read secret file")
        );
    }

    fn redacting(secret: &str) -> Secrets {
        struct One(String);
        impl Source for One {
            fn env(&self, _: &str) -> Option<String> {
                Some(self.0.clone())
            }
            fn file(&self, _: &Path) -> std::io::Result<String> {
                Ok(self.0.clone())
            }
        }
        let mut secrets = Secrets::default();
        secrets
            .resolve("${env:S}", &(0..1), &One(secret.to_string()))
            .unwrap();
        secrets
    }

    #[test]
    fn every_encoding_of_a_secret_is_redacted() {
        let secrets = redacting("p@ss w0rd/ü+x");
        for leaked in [
            "p@ss w0rd/ü+x",
            "p%40ss%20w0rd%2F%C3%BC%2Bx",
            "p%40ss%20w0rd%2f%c3%bc%2bx",
            "p@ss%20w0rd/%C3%BC+x",
            "p%40ss+w0rd%2F%C3%BC%2Bx",
            "p%2540ss%2520w0rd%252F%25C3%25BC%252Bx",
            r"p@ss w0rd\/\u00fc+x",
            r"p@ss w0rd/\u00FC+x",
        ] {
            assert_eq!(
                secrets.redact(&format!("<{leaked}>")),
                "<[redacted]>",
                "{leaked}"
            );
        }
    }

    #[test]
    fn a_secret_inside_base64_is_redacted_at_any_alignment() {
        use base64::Engine as _;
        let secret = "p@ss w0rd/ü+x";
        let secrets = redacting(secret);
        for user in ["", "a:", "ab:", "deploy:", "ops:"] {
            for engine in [
                base64::engine::general_purpose::STANDARD,
                base64::engine::general_purpose::URL_SAFE,
            ] {
                let encoded = engine.encode(format!("{user}{secret}"));
                let redacted = secrets.redact(&encoded);
                assert!(redacted.contains(REDACTED), "{user}: {encoded}");
                // What is left are the few characters that mix in the neighbours' bits.
                let left = redacted.replace(REDACTED, "");
                assert!(
                    left.len() <= user.len().div_ceil(3) * 4 + 4,
                    "{user}: {encoded} → {redacted}"
                );
            }
        }
    }

    #[test]
    fn html_and_json_escapes_are_redacted() {
        let secrets = redacting(r#"a&b<"c'\d"#);
        for leaked in [
            r#"a&b<"c'\d"#,
            r#"a&amp;b&lt;&quot;c&#39;\d"#,
            r#"a&b<\"c'\\d"#,
        ] {
            assert_eq!(secrets.redact(leaked), REDACTED, "{leaked}");
        }
    }

    #[test]
    fn text_without_the_secret_is_untouched() {
        let secrets = redacting("hunter2");
        assert_eq!(
            secrets.redact("hunter hunter3 %68unter"),
            "hunter hunter3 %68unter"
        );
        assert_eq!(secrets.redact("%68unter2"), REDACTED);
    }
}
