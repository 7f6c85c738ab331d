//! `scan`: looks through files (logs, a repository) for secrets — provider key formats,
//! private keys, credentials in URLs, passwords assigned in code, high-entropy quoted strings —
//! and personal data — e-mail addresses, phone numbers, IBANs (mod-97 checked), card numbers
//! (Luhn checked), French NIR (key checked). Findings give `file:line` and the kind; the value
//! found is never reported, only its length.
//!
//! Files are read in bounded chunks ([`CHUNK`]): a gigabyte-long line costs a chunk of memory,
//! not a gigabyte. Binary files (a NUL byte in the first 8 KiB) are skipped and counted; links
//! are followed, loops detected and reported; bytes that are not UTF-8 are scanned as bytes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use regex::bytes::{Regex, RegexSet};

use super::Outcome;
use super::keys::{KeyDoc, KeyKind, ProbeDoc};
use crate::checklist::toml::Fields;
use crate::diagnostic::Diagnostic;
use crate::expr::Value;

/// Bytes scanned at a time.
pub const CHUNK: usize = 4 * 1024 * 1024;
/// Findings listed in `findings`, the first ones.
const FINDINGS_SHOWN: usize = 50;

/// Secret kinds, in report order.
pub const SECRET_KINDS: &[&str] = &[
    "private_key",
    "aws_access_key",
    "github_token",
    "gitlab_token",
    "slack_token",
    "slack_webhook",
    "stripe_key",
    "google_api_key",
    "openai_key",
    "jwt",
    "url_credentials",
    "password",
    "high_entropy",
];
/// Personal-data kinds.
pub const PII_KINDS: &[&str] = &["email", "phone", "iban", "card", "nir"];

#[rustfmt::skip]
pub const DOC: ProbeDoc = ProbeDoc {
    name: "scan",
    summary: "scans files (logs, a repository) for secrets and personal data; reports counts by kind and file:line, never the values",
    keys: &[
        KeyDoc { name: "path", kind: KeyKind::String, required: false, doc: "a file or directory to scan (give `path` or `glob`)" },
        KeyDoc { name: "glob", kind: KeyKind::String, required: false, doc: "files to scan, e.g. \"/var/log/app/*.log\"" },
        KeyDoc { name: "look_for", kind: KeyKind::StringList, required: false, doc: "\"secrets\", \"pii\" or both (default both)" },
        KeyDoc { name: "allow", kind: KeyKind::StringList, required: false, doc: "regexes of values that are not findings, e.g. [\"@example\\\\.com$\", \"AKIAIOSFODNN7EXAMPLE\"]; a line with `golive:allow` or `pragma: allowlist secret` is skipped too" },
        KeyDoc { name: "exclude", kind: KeyKind::StringList, required: false, doc: "globs of paths not scanned, relative to `path`, e.g. [\"target/**\", \"*.min.js\"]; `.git` is always skipped" },
        KeyDoc { name: "entropy", kind: KeyKind::String, required: false, doc: "bits per character from which a quoted string of 20+ characters is a secret (default \"4.5\", detect-secrets' base64 limit)" },
    ],
    metrics: &[
        ("secrets", "secrets found"),
        ("pii", "personal data found"),
        ("secrets.private_key", "PEM private keys"),
        ("secrets.aws_access_key", "AWS access key ids"),
        ("secrets.github_token", "GitHub tokens"),
        ("secrets.gitlab_token", "GitLab personal access tokens"),
        ("secrets.slack_token", "Slack tokens"),
        ("secrets.slack_webhook", "Slack webhook URLs"),
        ("secrets.stripe_key", "Stripe secret or restricted keys"),
        ("secrets.google_api_key", "Google API keys"),
        ("secrets.openai_key", "OpenAI-style `sk-` keys"),
        ("secrets.jwt", "JSON Web Tokens"),
        ("secrets.url_credentials", "passwords in URLs (`scheme://user:password@host`)"),
        ("secrets.password", "values assigned to password, secret, token or key names"),
        ("secrets.high_entropy", "quoted high-entropy strings"),
        ("pii.email", "e-mail addresses"),
        ("pii.phone", "phone numbers (international or French)"),
        ("pii.iban", "IBANs with a valid check"),
        ("pii.card", "payment card numbers passing Luhn"),
        ("pii.nir", "French social security numbers (NIR) with a valid key"),
        ("files", "files scanned"),
        ("bytes", "bytes scanned"),
        ("binary", "binary files skipped"),
        ("unreadable", "files or directories that could not be read (and link loops)"),
        ("findings", "the first findings: `file:line kind (N chars)`, values redacted"),
    ],
    default_expect: &["secrets == 0", "pii == 0"],
};

#[derive(Debug, Clone)]
pub enum Root {
    Path(PathBuf),
    Glob(String),
}

#[derive(Debug, Clone)]
pub struct ScanSpec {
    pub root: Root,
    pub secrets: bool,
    pub pii: bool,
    pub allow: Vec<regex::Regex>,
    pub exclude: Vec<glob::Pattern>,
    pub entropy: f64,
}

impl ScanSpec {
    pub fn from_fields(fields: &mut Fields) -> Result<Self, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let path = fields
            .string("path")
            .map_err(|d| errors.push(d))
            .ok()
            .flatten();
        let glob = fields
            .string("glob")
            .map_err(|d| errors.push(d))
            .ok()
            .flatten();
        let look_for = fields
            .strings("look_for")
            .map_err(|d| errors.push(d))
            .unwrap_or_default();
        let allow = fields
            .strings("allow")
            .map_err(|d| errors.push(d))
            .unwrap_or_default();
        let exclude = fields
            .strings("exclude")
            .map_err(|d| errors.push(d))
            .unwrap_or_default();
        let entropy = fields
            .string("entropy")
            .map_err(|d| errors.push(d))
            .ok()
            .flatten();
        let root = match (path, glob) {
            (Some(path), None) => Some(Root::Path(PathBuf::from(path.value))),
            (None, Some(glob)) => match glob::Pattern::new(&glob.value) {
                Ok(_) => Some(Root::Glob(glob.value)),
                Err(error) => {
                    errors.push(Diagnostic::new(
                        glob.span,
                        format!("invalid glob: {}", error.msg),
                    ));
                    None
                }
            },
            (Some(path), Some(_)) => {
                errors.push(Diagnostic::new(
                    path.span,
                    "give `path` or `glob`, not both",
                ));
                None
            }
            (None, None) => {
                errors.push(
                    Diagnostic::new(fields.span.clone(), "missing key `path` or `glob`")
                        .with_hint("add `path = \"logs/\"` or `glob = \"/var/log/app/*.log\"`"),
                );
                None
            }
        };
        let (mut secrets, mut pii) = (look_for.is_empty(), look_for.is_empty());
        for item in &look_for {
            match item.value.as_str() {
                "secrets" => secrets = true,
                "pii" => pii = true,
                other => errors.push(
                    Diagnostic::new(
                        item.span.clone(),
                        format!("unknown `look_for` value `{other}`"),
                    )
                    .with_hint("use \"secrets\" and/or \"pii\""),
                ),
            }
        }
        let allow = allow
            .into_iter()
            .filter_map(|pattern| match regex::Regex::new(&pattern.value) {
                Ok(regex) => Some(regex),
                Err(error) => {
                    errors.push(Diagnostic::new(
                        pattern.span,
                        format!("invalid regex in `allow`: {error}"),
                    ));
                    None
                }
            })
            .collect();
        let exclude = exclude
            .into_iter()
            .filter_map(|pattern| match glob::Pattern::new(&pattern.value) {
                Ok(pattern) => Some(pattern),
                Err(error) => {
                    errors.push(Diagnostic::new(
                        pattern.span,
                        format!("invalid glob in `exclude`: {}", error.msg),
                    ));
                    None
                }
            })
            .collect();
        let entropy = match entropy {
            None => 4.5,
            Some(text) => {
                match text.value.trim().parse::<f64>() {
                    Ok(bits) if (1.0..=6.0).contains(&bits) => bits,
                    _ => {
                        errors.push(Diagnostic::new(text.span, format!("`entropy` must be bits per character between 1 and 6, not `{}`", text.value)).with_hint("e.g. entropy = \"4.5\""));
                        4.5
                    }
                }
            }
        };
        match root {
            Some(root) if errors.is_empty() => Ok(ScanSpec {
                root,
                secrets,
                pii,
                allow,
                exclude,
                entropy,
            }),
            _ => Err(errors),
        }
    }

    pub(super) fn anchor(&mut self, base: &Path) {
        match &mut self.root {
            Root::Path(path) if path.is_relative() => *path = base.join(&*path),
            Root::Glob(glob) if Path::new(glob.as_str()).is_relative() => {
                *glob = format!(
                    "{}/{glob}",
                    glob::Pattern::escape(&base.display().to_string())
                );
            }
            _ => {}
        }
    }

    pub fn target(&self) -> String {
        match &self.root {
            Root::Path(path) => path.display().to_string(),
            Root::Glob(glob) => glob.clone(),
        }
    }

    pub async fn run(&self, timeout: Duration) -> Outcome {
        let spec = self.clone();
        let deadline = Instant::now() + timeout;
        tokio::task::spawn_blocking(move || spec.scan(deadline))
            .await
            .unwrap_or_else(|error| Outcome::with_problem(format!("scan probe failed: {error}")))
    }

    /// Scans everything, synchronously, giving up at `deadline` with what was found so far.
    pub fn scan(&self, deadline: Instant) -> Outcome {
        let mut tally = Tally::default();
        let mut notes: Vec<String> = Vec::new();
        let visit = |path: &Path, shown: &str, tally: &mut Tally, notes: &mut Vec<String>| {
            if let Err(error) = self.scan_file(path, shown, tally) {
                tally.unreadable += 1;
                if notes.len() < 5 {
                    notes.push(format!("{shown}: {error}"));
                }
            }
        };
        let mut timed_out = false;
        match &self.root {
            Root::Glob(pattern) => match glob::glob(pattern) {
                Ok(paths) => {
                    for path in paths.flatten() {
                        if Instant::now() > deadline {
                            timed_out = true;
                            break;
                        }
                        if path.is_file() {
                            visit(&path, &path.display().to_string(), &mut tally, &mut notes);
                        }
                    }
                }
                Err(error) => return Outcome::with_problem(format!("invalid glob: {}", error.msg)),
            },
            Root::Path(root) => {
                if !root.exists() {
                    return Outcome::with_problem(format!("{} does not exist", root.display()));
                }
                let walker = walkdir::WalkDir::new(root)
                    .follow_links(true)
                    .sort_by_file_name()
                    .into_iter();
                let walker = walker.filter_entry(|entry| {
                    let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
                    entry.file_name() != ".git"
                        && !self.exclude.iter().any(|p| p.matches_path(relative))
                });
                for entry in walker {
                    if Instant::now() > deadline {
                        timed_out = true;
                        break;
                    }
                    match entry {
                        Ok(entry) if entry.file_type().is_file() => {
                            let shown = entry.path().display().to_string();
                            visit(entry.path(), &shown, &mut tally, &mut notes);
                        }
                        Ok(_) => {}
                        Err(error) => {
                            tally.unreadable += 1;
                            let place = error
                                .path()
                                .map(|p| p.display().to_string())
                                .unwrap_or_default();
                            let what = if error.loop_ancestor().is_some() {
                                "a link loop, not followed".to_string()
                            } else {
                                error
                                    .io_error()
                                    .map_or_else(|| error.to_string(), ToString::to_string)
                            };
                            if notes.len() < 5 {
                                notes.push(format!("{place}: {what}"));
                            }
                        }
                    }
                }
            }
        }
        if timed_out {
            notes.insert(
                0,
                "timed out: the counts cover the files scanned so far".to_string(),
            );
        }
        let mut outcome = tally.into_outcome(self);
        if !notes.is_empty() {
            outcome.problem = Some(notes.join("; "));
        }
        outcome
    }

    fn scan_file(&self, path: &Path, shown: &str, tally: &mut Tally) -> std::io::Result<()> {
        let mut file = std::fs::File::open(path)?;
        let mut buffer = vec![0u8; CHUNK];
        let mut filled = 0;
        let mut line = 1usize;
        let mut first = true;
        loop {
            let read = file.read(&mut buffer[filled..])?;
            filled += read;
            if first {
                let head = &buffer[..filled.min(8192)];
                if memchr::memchr(0, head).is_some() {
                    tally.binary += 1;
                    return Ok(());
                }
                first = false;
                tally.files += 1;
            }
            let at_end = read == 0;
            if !at_end && filled < buffer.len() {
                continue;
            }
            // Scan up to the last whole line; a chunk without one (a huge line) is cut as is.
            let end = if at_end {
                filled
            } else {
                memchr::memrchr(b'\n', &buffer[..filled]).map_or(filled, |i| i + 1)
            };
            let chunk = &buffer[..end];
            tally.bytes += chunk.len() as u64;
            self.scan_chunk(chunk, shown, line, tally);
            line += memchr::memchr_iter(b'\n', chunk).count();
            buffer.copy_within(end..filled, 0);
            filled -= end;
            if at_end {
                return Ok(());
            }
        }
    }

    fn scan_chunk(&self, chunk: &[u8], shown: &str, first_line: usize, tally: &mut Tally) {
        let detectors = &*DETECTORS;
        let matched = detectors.set.matches(chunk);
        if !matched.matched_any() {
            return;
        }
        let mut lines: Option<Vec<usize>> = None;
        // Spans already reported, so a GitHub token is not also a high-entropy string.
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for index in matched.iter() {
            let detector = &detectors.list[index];
            if (detector.secret && !self.secrets) || (!detector.secret && !self.pii) {
                continue;
            }
            for caps in detector.regex.captures_iter(chunk) {
                let Some(value) = caps.name("v").or_else(|| caps.get(0)) else {
                    continue;
                };
                let (start, end) = (value.start(), value.end());
                if taken.iter().any(|(s, e)| start < *e && *s < end) {
                    continue;
                }
                let bytes = value.as_bytes();
                if !(detector.valid)(bytes, self.entropy) {
                    continue;
                }
                let text = String::from_utf8_lossy(bytes);
                if self.allow.iter().any(|allow| allow.is_match(&text)) {
                    continue;
                }
                let lines =
                    lines.get_or_insert_with(|| memchr::memchr_iter(b'\n', chunk).collect());
                let line_index = lines.partition_point(|nl| *nl < start);
                let line_start = if line_index == 0 {
                    0
                } else {
                    lines[line_index - 1] + 1
                };
                let line_end = lines.get(line_index).copied().unwrap_or(chunk.len());
                let line_text = &chunk[line_start..line_end];
                if memchr::memmem::find(line_text, b"golive:allow").is_some()
                    || memchr::memmem::find(line_text, b"pragma: allowlist secret").is_some()
                {
                    continue;
                }
                taken.push((start, end));
                tally.record(
                    detector.kind,
                    detector.secret,
                    format!(
                        "{shown}:{} {} ({} chars)",
                        first_line + line_index,
                        detector.kind,
                        text.chars().count()
                    ),
                );
            }
        }
    }
}

#[derive(Default)]
struct Tally {
    counts: std::collections::HashMap<&'static str, u64>,
    findings: Vec<(String, bool)>,
    files: u64,
    bytes: u64,
    binary: u64,
    unreadable: u64,
}

impl Tally {
    fn record(&mut self, kind: &'static str, _secret: bool, finding: String) {
        *self.counts.entry(kind).or_default() += 1;
        if self.findings.len() < FINDINGS_SHOWN {
            self.findings.push((finding, true));
        }
    }

    fn into_outcome(self, spec: &ScanSpec) -> Outcome {
        let mut outcome = Outcome::default();
        let count = |kind: &str| self.counts.get(kind).copied().unwrap_or(0) as f64;
        if spec.secrets {
            outcome.observe(
                "secrets",
                Value::Number(SECRET_KINDS.iter().map(|k| count(k)).sum()),
            );
            for kind in SECRET_KINDS {
                outcome.observe(format!("secrets.{kind}"), Value::Number(count(kind)));
            }
        }
        if spec.pii {
            outcome.observe(
                "pii",
                Value::Number(PII_KINDS.iter().map(|k| count(k)).sum()),
            );
            for kind in PII_KINDS {
                outcome.observe(format!("pii.{kind}"), Value::Number(count(kind)));
            }
        }
        outcome.observe("files", Value::Number(self.files as f64));
        outcome.observe("bytes", Value::Bytes(self.bytes));
        outcome.observe("binary", Value::Number(self.binary as f64));
        outcome.observe("unreadable", Value::Number(self.unreadable as f64));
        outcome.observe(
            "findings",
            Value::List(
                self.findings
                    .into_iter()
                    .map(|(f, _)| Value::Text(f))
                    .collect(),
            ),
        );
        outcome
    }
}

/// The personal-data kinds found in `text` (for the `llm` probe's answers).
pub fn pii_kinds(text: &[u8]) -> Vec<&'static str> {
    let detectors = &*DETECTORS;
    let mut kinds = Vec::new();
    for index in detectors.set.matches(text).iter() {
        let detector = &detectors.list[index];
        if detector.secret || kinds.contains(&detector.kind) {
            continue;
        }
        let found = detector.regex.captures_iter(text).any(|caps| {
            caps.name("v")
                .or_else(|| caps.get(0))
                .is_some_and(|m| (detector.valid)(m.as_bytes(), 4.5))
        });
        if found {
            kinds.push(detector.kind);
        }
    }
    kinds
}

/// Decides whether a match is a finding (checksums, entropy, placeholders).
type Validator = fn(&[u8], f64) -> bool;

struct Detector {
    kind: &'static str,
    secret: bool,
    regex: Regex,
    valid: fn(&[u8], f64) -> bool,
}

struct Detectors {
    set: RegexSet,
    list: Vec<Detector>,
}

fn always(_: &[u8], _: f64) -> bool {
    true
}

// Order matters: specific formats come first and claim their span before the generic ones.
#[rustfmt::skip]
const PATTERNS: &[(&str, bool, &str, Validator)] = &[
    ("private_key", true, r"-----BEGIN (?:(?:RSA|DSA|EC|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----", always),
    ("aws_access_key", true, r"\b(?:(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})\b", always),
    ("github_token", true, r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})\b", always),
    ("gitlab_token", true, r"\b(?:glpat-[A-Za-z0-9_-]{20,})", always),
    ("slack_token", true, r"\b(?:xox[abposr]-[A-Za-z0-9-]{10,})", always),
    ("slack_webhook", true, r"(?:https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+)", always),
    ("stripe_key", true, r"\b(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,})", always),
    ("google_api_key", true, r"\b(?:AIza[0-9A-Za-z_-]{35})", always),
    ("openai_key", true, r"\b(?:sk-(?:proj-|svcacct-|ant-)?[A-Za-z0-9_-]{32,})", always),
    ("jwt", true, r"\b(?:eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})", always),
    ("url_credentials", true, r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^/\s:@'\x22]{1,64}:(?P<v>[^/\s:@'\x22]{3,128})@[A-Za-z0-9.-]", real_value),
    ("password", true, r#"(?i)(?:password|passwd|pwd|secret|token|api_?key|apikey|access_?key|client_?secret|private_?key)[a-z0-9_.-]{0,20}['"]?\s{0,3}(?:=|:|:=|=>)\s{0,3}['"](?P<v>[^'"\s]{6,200})['"]"#, real_value),
    ("high_entropy", true, r#"['"](?P<v>[A-Za-z0-9+/_=-]{20,200})['"]"#, high_entropy),
    ("email", false, r"\b(?:[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24})\b", always),
    ("iban", false, r"\b(?:[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)\b", iban),
    ("card", false, r"\b(?:[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{1,7}|3[47][0-9]{2}[ -]?[0-9]{6}[ -]?[0-9]{5})\b", card),
    ("nir", false, r"\b(?:[12] ?[0-9]{2} ?(?:0[1-9]|1[0-2]|[2-9][0-9]) ?(?:[0-9]{2}|2[AB]) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2})\b", nir),
    ("phone", false, r"(?:^|[^0-9A-Za-z+])(?P<v>(?:\+[1-9][0-9]{0,2}[ .-]?(?:\(0\)[ .-]?)?[0-9]{1,4}(?:[ .-]?[0-9]{2,4}){2,4})|(?:0[1-9](?:[ .-]?[0-9]{2}){4}))(?:$|[^0-9A-Za-z])", phone),
];

static DETECTORS: LazyLock<Detectors> = LazyLock::new(|| {
    // ASCII word boundaries: fast, and meaningful on bytes that are not UTF-8.
    let source = |pattern: &str| format!("(?-u){pattern}");
    let list: Vec<Detector> = PATTERNS
        .iter()
        .filter_map(|(kind, secret, pattern, valid)| {
            Regex::new(&source(pattern)).ok().map(|regex| Detector {
                kind,
                secret: *secret,
                regex,
                valid: *valid,
            })
        })
        .collect();
    let set = RegexSet::new(PATTERNS.iter().map(|(_, _, pattern, _)| source(pattern)))
        .unwrap_or_else(|_| RegexSet::empty());
    Detectors { set, list }
});

/// A value that is a real secret, not a reference to one or a placeholder.
fn real_value(value: &[u8], _: f64) -> bool {
    let text = String::from_utf8_lossy(value).to_lowercase();
    let placeholder = [
        "${",
        "{{",
        "<",
        "%(",
        "$(",
        "***",
        "xxx",
        "example",
        "changeme_",
        "redacted",
        "placeholder",
        "your_",
        "your-",
    ];
    if text.starts_with('$') || placeholder.iter().any(|p| text.contains(p)) {
        return false;
    }
    let distinct: std::collections::HashSet<u8> = value.iter().copied().collect();
    distinct.len() > 2
}

fn shannon(value: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for byte in value {
        counts[*byte as usize] += 1;
    }
    let n = value.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

fn high_entropy(value: &[u8], limit: f64) -> bool {
    // A path, a version or a word list is not a key, however varied its letters.
    let letters = value.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let digits = value.iter().filter(|b| b.is_ascii_digit()).count();
    letters > 0 && digits > 0 && shannon(value) > limit && real_value(value, limit)
}

fn digits(value: &[u8]) -> Vec<u32> {
    value
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|b| u32::from(b - b'0'))
        .collect()
}

fn card(value: &[u8], _: f64) -> bool {
    let digits = digits(value);
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let prefix = digits.iter().take(4).fold(0, |n, d| n * 10 + d);
    let known = matches!(prefix / 1000, 4)
        || (5100..=5599).contains(&prefix)
        || (2221..=2720).contains(&prefix)
        || matches!(prefix / 100, 34 | 37)
        || prefix == 6011
        || matches!(prefix / 100, 65)
        || (3528..=3589).contains(&prefix);
    known && luhn(&digits)
}

/// The Luhn checksum of a card number.
pub fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                *d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn iban(value: &[u8], _: f64) -> bool {
    let compact: Vec<u8> = value.iter().copied().filter(|b| *b != b' ').collect();
    if compact.len() < 15 || compact.len() > 34 {
        return false;
    }
    let rearranged = compact[4..].iter().chain(&compact[..4]);
    let mut remainder = 0u64;
    for byte in rearranged {
        let n = match byte {
            b'0'..=b'9' => u64::from(byte - b'0'),
            b'A'..=b'Z' => u64::from(byte - b'A') + 10,
            _ => return false,
        };
        remainder = if n >= 10 {
            (remainder * 100 + n) % 97
        } else {
            (remainder * 10 + n) % 97
        };
    }
    remainder == 1
}

fn nir(value: &[u8], _: f64) -> bool {
    let compact: Vec<u8> = value.iter().copied().filter(|b| *b != b' ').collect();
    if compact.len() != 15 {
        return false;
    }
    // Corsica's departments, 2A and 2B, count as 19 and 18 for the key.
    let body = String::from_utf8_lossy(&compact[..13])
        .replace("2A", "19")
        .replace("2B", "18");
    let (Ok(number), Ok(key)) = (
        body.parse::<u64>(),
        String::from_utf8_lossy(&compact[13..]).parse::<u64>(),
    ) else {
        return false;
    };
    97 - number % 97 == key
}

fn phone(value: &[u8], _: f64) -> bool {
    let digits = digits(value).len();
    let separated =
        value.iter().any(|b| matches!(b, b' ' | b'.' | b'-')) || value.starts_with(b"+");
    (9..=15).contains(&digits) && separated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<&'static str> {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("f.txt"), text).expect("write");
        let spec = ScanSpec {
            root: Root::Path(dir.path().to_path_buf()),
            secrets: true,
            pii: true,
            allow: Vec::new(),
            exclude: Vec::new(),
            entropy: 4.5,
        };
        let outcome = spec.scan(Instant::now() + Duration::from_secs(30));
        SECRET_KINDS.iter().map(|k| ("secrets", k)).chain(PII_KINDS.iter().map(|k| ("pii", k)))
            .filter(|(root, kind)| matches!(outcome.observed.get(&format!("{root}.{kind}")), Some(Value::Number(n)) if *n > 0.0))
            .map(|(_, kind)| *kind)
            .collect()
    }

    #[test]
    fn checksums_separate_numbers_from_lookalikes() {
        assert!(card(b"4111 1111 1111 1111", 0.0));
        assert!(!card(b"4111 1111 1111 1112", 0.0));
        assert!(iban(b"FR76 3000 6000 0112 3456 7890 189", 0.0));
        assert!(!iban(b"FR76 3000 6000 0112 3456 7890 188", 0.0));
        assert!(nir(b"1 85 05 78 006 084 91", 0.0));
        assert!(!nir(b"185057800608492", 0.0));
    }

    #[test]
    fn each_kind_is_found_and_plain_text_is_not() {
        assert_eq!(
            kinds("key = AKIAQWERTYUIOPASDFGH\n"),
            vec!["aws_access_key"]
        );
        assert_eq!(
            kinds("token: ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n"),
            vec!["github_token"]
        );
        assert_eq!(
            kinds("-----BEGIN OPENSSH PRIVATE KEY-----\n"),
            vec!["private_key"]
        );
        assert_eq!(
            kinds("db = postgres://app:Tr0ub4dor@db.internal/app\n"),
            vec!["url_credentials"]
        );
        assert_eq!(kinds("password = \"hunter2hunter\"\n"), vec!["password"]);
        assert_eq!(
            kinds("password = \"${env:DB_PASSWORD}\"\n"),
            Vec::<&str>::new()
        );
        assert_eq!(
            kinds("user jane.doe@example.org logged in\n"),
            vec!["email"]
        );
        assert_eq!(
            kinds("call +33 6 12 34 56 78 or 06.12.34.56.78\n"),
            vec!["phone"]
        );
        assert_eq!(kinds("paid with 4111-1111-1111-1111\n"), vec!["card"]);
        assert_eq!(kinds("iban FR7630006000011234567890189\n"), vec!["iban"]);
        assert_eq!(
            kinds("GET /api/v1/orders/12345 200 12ms version 1.2.3\n"),
            Vec::<&str>::new()
        );
        assert_eq!(
            kinds("commit = \"da39a3ee5e6b4b0d3255bfef95601890afd80709\"\n"),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn allowed_lines_are_skipped() {
        assert_eq!(
            kinds("key = AKIAQWERTYUIOPASDFGH # golive:allow\n"),
            Vec::<&str>::new()
        );
    }
}
