//! `${env:NAME}` and `${file:PATH}` in `golive.toml`: secrets are referenced, never written,
//! and every value resolved from one is redacted from outcomes, messages and reports.

use std::ops::Range;
use std::path::Path;

use crate::diagnostic::Diagnostic;

/// Shown in place of a secret.
pub const REDACTED: &str = "[redacted]";

/// Resolves references and remembers what they resolved to.
#[derive(Debug, Default, Clone)]
pub struct Secrets {
    values: Vec<String>,
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
                Some(("env", name)) => source.env(name).ok_or_else(|| {
                    Diagnostic::new(
                        span.clone(),
                        format!("environment variable `{name}` is not set"),
                    )
                    .with_hint(format!("export {name}=… before running golive"))
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
            }
            resolved.push_str(&value);
            rest = &after[end + 1..];
        }
        resolved.push_str(rest);
        Ok(resolved)
    }

    /// `text` with every resolved secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        // Longest first, so a secret that contains another is hidden whole.
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
}
