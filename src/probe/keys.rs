//! Declarative descriptions of each probe's keys and metrics: one table per probe drives
//! unknown-key errors, `golive check --dry-run` and the JSON Schema of `golive.toml`.

use std::time::Duration;

use serde::Serialize;

use crate::checklist::toml::{Fields, Spanned};
use crate::diagnostic::Diagnostic;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ProbeDoc {
    pub name: &'static str,
    pub summary: &'static str,
    pub keys: &'static [KeyDoc],
    /// Metric name and what it holds, e.g. `("latency", "duration from request to last byte")`.
    pub metrics: &'static [(&'static str, &'static str)],
    /// Conditions that apply when a check lists no `expect`, e.g. `exit_code == 0`.
    pub default_expect: &'static [&'static str],
}

impl ProbeDoc {
    pub fn key_names(&self) -> Vec<&'static str> {
        self.keys.iter().map(|key| key.name).collect()
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct KeyDoc {
    pub name: &'static str,
    pub kind: KeyKind,
    pub required: bool,
    pub doc: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyKind {
    String,
    /// A string holding a duration: `"10s"`, `"500ms"`.
    Duration,
    Bool,
    Integer,
    /// An array of strings (a lone string is accepted too).
    StringList,
    /// A table whose values are strings: `{ Accept = "application/json" }`.
    StringTable,
    /// One of a fixed set of strings.
    Choice(&'static [&'static str]),
    /// A table of keys of different kinds: `memory = { pid = 1234, every = "10s" }`.
    Table,
    /// An array of tables: `stages = [{ … }, …]`, `[[check.request]]`.
    TableList,
}

/// Reads a duration key such as `timeout = "5s"`.
pub fn duration_key(fields: &mut Fields, key: &str) -> Result<Option<Duration>, Diagnostic> {
    let Some(text) = fields.string(key)? else {
        return Ok(None);
    };
    crate::expr::parse_duration(&text.value)
        .map(Some)
        .ok_or_else(|| {
            Diagnostic::new(
                text.span,
                format!("`{key}` must be a duration, not `{}`", text.value),
            )
            .with_hint("write a number and a unit: ms, s, m, h or d, e.g. \"10s\"")
        })
}

/// `name:port` or `[v6]:port`, read and checked; errors point at the value.
///
/// `example_port` is the port the hints show (443 for TLS, 5432 for a database…).
pub(crate) fn split_host_port(
    text: &Spanned<String>,
    example_port: u16,
) -> Result<(String, u16), Diagnostic> {
    let error = |message: String, hint: &str| {
        Diagnostic::new(text.span.clone(), message).with_hint(hint.to_owned())
    };
    let value = text.value.trim();
    if value.contains("://") {
        return Err(error(
            format!("`host` takes `name:port`, not a URL: `{value}`"),
            &format!("drop the scheme and path, e.g. \"db.example.test:{example_port}\""),
        ));
    }
    let (name, port) = if let Some(rest) = value.strip_prefix('[') {
        let Some((name, after)) = rest.split_once(']') else {
            return Err(error(
                format!("missing `]` in `{value}`"),
                &format!("write IPv6 as \"[::1]:{example_port}\""),
            ));
        };
        let Some(port) = after.strip_prefix(':') else {
            return Err(error(
                format!("missing port in `{value}`"),
                &format!("add the port after the brackets, e.g. \"[::1]:{example_port}\""),
            ));
        };
        (name, port)
    } else {
        match value.rsplit_once(':') {
            None => {
                return Err(error(
                    format!("missing port in `{value}`"),
                    &format!("write `name:port`, e.g. \"{value}:{example_port}\""),
                ));
            }
            Some((name, _)) if name.contains(':') => {
                return Err(error(
                    format!("IPv6 address without brackets: `{value}`"),
                    &format!("put the address in brackets, e.g. \"[::1]:{example_port}\""),
                ));
            }
            Some(parts) => parts,
        }
    };
    if name.is_empty() {
        return Err(error(
            format!("missing host name in `{value}`"),
            &format!("write `name:port`, e.g. \"db.example.test:{example_port}\""),
        ));
    }
    match port.parse::<u16>() {
        Ok(port) if port > 0 => Ok((name.to_owned(), port)),
        _ => Err(error(
            format!("invalid port `{port}` in `{value}`"),
            "a port is a number from 1 to 65535",
        )),
    }
}

/// The inverse of [`split_host_port`]: brackets around IPv6 addresses.
pub(crate) fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use crate::expr::parse_duration;
    use std::time::Duration;

    #[test]
    fn reads_configuration_durations() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("2 h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration("5x"), None);
    }
}
