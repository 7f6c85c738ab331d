//! Disaster-recovery drills: backups that carry their own proof (a manifest of checksums, row
//! counts and sequence values), restores into a scratch database verified against that
//! proof, backup catalogues read for their RPO, and drills people time themselves.
//!
//! Architecture invariant: a drill never reports what it could not prove. A restore whose
//! verification did not run, or a `then` check that never went green, leaves `rto` unobserved
//! with a problem saying why, so every condition on it fails (`unknown`), never passes.

pub mod backup;
pub mod history;
pub mod manifest;
pub mod pgbackrest;
pub mod restore;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::checklist::toml::{Fields, RawValue, Spanned};
use crate::diagnostic::Diagnostic;
use crate::expr::{Condition, Value};
use crate::probe::{Context, KeyDoc, KeyKind, Outcome, ProbeDoc, Spec, duration_key};

pub const DOC: ProbeDoc = ProbeDoc {
    name: "drill",
    summary: "backs up, restores into a scratch database and verifies, or reads a backup catalogue, proving RPO and RTO",
    keys: &[
        KeyDoc {
            name: "action",
            kind: KeyKind::Choice(&["backup", "restore", "latest", "catalogue", "human"]),
            required: true,
            doc: "`backup` makes one, `restore` restores the newest (or `--backup`) into a scratch database and verifies it, `latest` verifies the newest backup's checksum and age, `catalogue` reads pgBackRest's, `human` reads the latest drill people timed with `golive drill start` / `stop`",
        },
        KeyDoc {
            name: "database",
            kind: KeyKind::String,
            required: false,
            doc: "the database's URL, e.g. \"${env:DATABASE_URL}\" (built-in backups and restores)",
        },
        KeyDoc {
            name: "dir",
            kind: KeyKind::String,
            required: false,
            doc: "the backup directory, kept 0700, relative to golive.toml (default \"backups\")",
        },
        KeyDoc {
            name: "keep",
            kind: KeyKind::Integer,
            required: false,
            doc: "retention: keep the newest N backups (built-in backups)",
        },
        KeyDoc {
            name: "keep_days",
            kind: KeyKind::Integer,
            required: false,
            doc: "retention: delete backups older than N days (the newest is always kept)",
        },
        KeyDoc {
            name: "backup",
            kind: KeyKind::String,
            required: false,
            doc: "command mode: the backup command, run with `sh -c` in golive.toml's directory, e.g. \"./backup.sh --full\"",
        },
        KeyDoc {
            name: "result",
            kind: KeyKind::String,
            required: false,
            doc: "command mode: a glob for the file the command makes; its newest match is the backup",
        },
        KeyDoc {
            name: "stanza",
            kind: KeyKind::String,
            required: false,
            doc: "catalogue mode: the pgBackRest stanza",
        },
        KeyDoc {
            name: "pgbackrest_config",
            kind: KeyKind::String,
            required: false,
            doc: "catalogue mode: pgBackRest's configuration file (default: its own)",
        },
        KeyDoc {
            name: "scratch",
            kind: KeyKind::String,
            required: false,
            doc: "restore: the scratch database's name (default golive_drill_<random>); never dropped unless golive created it",
        },
        KeyDoc {
            name: "verify",
            kind: KeyKind::TableList,
            required: false,
            doc: "restore: queries on the restored database, `{ query = \"select count(*) from orders\", expect = \"value > 0\" }`",
        },
        KeyDoc {
            name: "then",
            kind: KeyKind::TableList,
            required: false,
            doc: "restore: checks run after verification, with their own probe, expect, retries and interval; `{{scratch_url}}` and `{{scratch}}` name the restored database",
        },
        KeyDoc {
            name: "amcheck",
            kind: KeyKind::Bool,
            required: false,
            doc: "restore: run `pg_amcheck` on the restored database when it is installed (default true)",
        },
        KeyDoc {
            name: "rto",
            kind: KeyKind::Duration,
            required: false,
            doc: "the recovery time objective; adds `rto < OBJECTIVE` and shows MET or MISSED",
        },
        KeyDoc {
            name: "rpo",
            kind: KeyKind::Duration,
            required: false,
            doc: "the recovery point objective; adds `rpo < OBJECTIVE` and shows MET or MISSED",
        },
        KeyDoc {
            name: "limit",
            kind: KeyKind::Duration,
            required: false,
            doc: "give up on the whole drill after this long (default 2h)",
        },
    ],
    metrics: &[
        ("duration", "how long the backup or restore took"),
        ("size", "the backup's size"),
        ("age", "how old the backup is"),
        (
            "rpo",
            "how much could be lost: the age of the newest good backup (or archived WAL)",
        ),
        (
            "rto",
            "restore start → every verification and `then` check green; unobserved when unproven",
        ),
        (
            "rows_verified",
            "rows counted in the restored database that match the manifest",
        ),
        (
            "mismatches",
            "checksum, row-count, sequence, amcheck and query disagreements",
        ),
        ("verdict", "`verified`, `failed` or `unknown`"),
        (
            "backups",
            "how many backups the directory or catalogue holds",
        ),
    ],
    default_expect: &["verdict == \"verified\""],
};

pub const DEFAULT_LIMIT: Duration = Duration::from_secs(2 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Backup,
    Restore,
    Latest,
    Catalogue,
    /// A drill people run and time with `golive drill start` / `stop`; the check reads the
    /// latest one from the store.
    Human,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Backup => "backup",
            Action::Restore => "restore",
            Action::Latest => "latest",
            Action::Catalogue => "catalogue",
            Action::Human => "human",
        }
    }
}

/// A query on the restored database and what its answer must be.
#[derive(Debug, Clone)]
pub struct Verify {
    pub query: String,
    pub conditions: Vec<Condition>,
}

/// A check run after the restore, built again at run time with the scratch database's name.
#[derive(Debug, Clone)]
pub struct Then {
    pub name: String,
    pub probe: Spanned<String>,
    pub fields: Fields,
    pub conditions: Vec<Condition>,
    pub retries: u32,
    pub interval: Duration,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct DrillSpec {
    pub action: Action,
    pub database: Option<String>,
    pub dir: PathBuf,
    pub keep: Option<u32>,
    pub keep_days: Option<u32>,
    pub backup_command: Option<String>,
    pub result: Option<String>,
    pub stanza: Option<String>,
    pub pgbackrest_config: Option<PathBuf>,
    pub scratch: Option<String>,
    pub verify: Vec<Verify>,
    pub then: Vec<Then>,
    pub rto: Option<Duration>,
    pub rpo: Option<Duration>,
    pub limit: Duration,
    pub amcheck: bool,
    /// `golive drill restore --backup PATH`: this backup rather than the newest.
    pub chosen: Option<PathBuf>,
    /// Where relative paths are anchored (golive.toml's directory).
    pub base: PathBuf,
    /// `action = "human"`: the drill's latest event, read from the store before the run
    /// (probes do not read the store); `None` when it was never timed.
    pub recorded: Option<Box<history::Entry>>,
}

impl DrillSpec {
    pub fn from_fields(fields: &mut Fields) -> Result<Self, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let header = fields.span.clone();
        let mut take = |result: Result<Option<Spanned<String>>, Diagnostic>| {
            result.map_err(|d| errors.push(d)).ok().flatten()
        };
        let action = take(fields.string("action"));
        let database = take(fields.string("database"));
        let dir = take(fields.string("dir"));
        let backup_command = take(fields.string("backup"));
        let result = take(fields.string("result"));
        let stanza = take(fields.string("stanza"));
        let config = take(fields.string("pgbackrest_config"));
        let scratch = take(fields.string("scratch"));
        let mut number = |key: &str| match fields.integer(key) {
            Ok(Some(value)) => match u32::try_from(value.value) {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(Diagnostic::new(
                        value.span,
                        format!("`{key}` must be a whole number from 0"),
                    ));
                    None
                }
            },
            Ok(None) => None,
            Err(d) => {
                errors.push(d);
                None
            }
        };
        let keep = number("keep");
        let keep_days = number("keep_days");
        let mut duration = |key: &str| {
            duration_key(fields, key)
                .map_err(|d| errors.push(d))
                .ok()
                .flatten()
        };
        let rto = duration("rto");
        let rpo = duration("rpo");
        let limit = duration("limit").unwrap_or(DEFAULT_LIMIT);
        let amcheck = match fields.bool("amcheck") {
            Ok(value) => value.is_none_or(|v| v.value),
            Err(d) => {
                errors.push(d);
                true
            }
        };
        let verify = verifies(fields.take("verify"), &mut errors);
        let then = thens(fields.take("then"), &mut errors);

        let action = match action {
            None => {
                errors.push(
                    Diagnostic::new(header.clone(), "missing key `action`").with_hint(
                        "add `action = \"backup\"`, \"restore\", \"latest\" or \"catalogue\"",
                    ),
                );
                None
            }
            Some(text) => match text.value.as_str() {
                "backup" => Some(Action::Backup),
                "restore" => Some(Action::Restore),
                "latest" => Some(Action::Latest),
                "catalogue" | "catalog" => Some(Action::Catalogue),
                "human" => Some(Action::Human),
                other => {
                    errors.push(
                        Diagnostic::new(text.span, format!("unknown drill action `{other}`"))
                            .with_hint("actions: backup, restore, latest, catalogue, human"),
                    );
                    None
                }
            },
        };
        if let Some(database) = &database
            && let Err(error) = database.value.parse::<sqlx::postgres::PgConnectOptions>()
        {
            errors.push(
                Diagnostic::new(
                    database.span.clone(),
                    format!("not a PostgreSQL URL: {error}"),
                )
                .with_hint("write `postgres://user@host:5432/database`"),
            );
        }
        let needs = |errors: &mut Vec<Diagnostic>, key: &str, why: &str, example: &str| {
            errors.push(
                Diagnostic::new(header.clone(), format!("missing key `{key}` {why}"))
                    .with_hint(format!("add `{key} = {example}`")),
            );
        };
        match action {
            Some(Action::Backup) if backup_command.is_none() && database.is_none() => needs(
                &mut errors,
                "database",
                "(or `backup` for a command)",
                "\"${env:DATABASE_URL}\"",
            ),
            Some(Action::Backup) if backup_command.is_some() && result.is_none() => needs(
                &mut errors,
                "result",
                "for a backup command",
                "\"backups/*.dump\"",
            ),
            Some(Action::Restore) if database.is_none() => needs(
                &mut errors,
                "database",
                "for a restore drill (the server to restore on)",
                "\"${env:DATABASE_URL}\"",
            ),
            Some(Action::Catalogue) if stanza.is_none() => needs(
                &mut errors,
                "stanza",
                "for a pgBackRest catalogue",
                "\"main\"",
            ),
            _ => {}
        }
        if let Some(name) = &scratch
            && !valid_database_name(&name.value)
        {
            errors.push(
                Diagnostic::new(
                    name.span.clone(),
                    format!("`{}` is not a plain database name", name.value),
                )
                .with_hint("use letters, digits and `_`, at most 63 characters"),
            );
        }
        match action {
            Some(action) if errors.is_empty() => Ok(DrillSpec {
                action,
                database: database.map(|d| d.value),
                dir: PathBuf::from(dir.map_or_else(|| "backups".to_owned(), |d| d.value)),
                keep,
                keep_days,
                backup_command: backup_command.map(|c| c.value),
                result: result.map(|r| r.value),
                stanza: stanza.map(|s| s.value),
                pgbackrest_config: config.map(|c| PathBuf::from(c.value)),
                scratch: scratch.map(|s| s.value),
                verify,
                then,
                rto,
                rpo,
                limit,
                amcheck,
                chosen: None,
                base: PathBuf::from("."),
                recorded: None,
            }),
            _ => Err(errors),
        }
    }

    pub(crate) fn anchor(&mut self, base: &Path) {
        self.base = base.to_path_buf();
        if self.dir.is_relative() {
            self.dir = base.join(&self.dir);
        }
        if let Some(config) = &mut self.pgbackrest_config
            && config.is_relative()
        {
            *config = base.join(&*config);
        }
        if let Some(chosen) = &mut self.chosen
            && chosen.is_relative()
        {
            *chosen = base.join(&*chosen);
        }
    }

    /// Conditions the objectives add to a check's own: `rto < 30m`, `rpo < 1h`.
    pub fn objective_conditions(&self) -> Vec<Condition> {
        let mut conditions = Vec::new();
        let restores = matches!(self.action, Action::Restore | Action::Human);
        for (metric, objective) in [("rto", self.rto.filter(|_| restores)), ("rpo", self.rpo)] {
            if let Some(objective) = objective
                && let Ok(condition) =
                    Condition::parse(&format!("{metric} < {}", Value::Duration(objective)))
            {
                conditions.push(condition);
            }
        }
        conditions
    }

    pub fn target(&self) -> String {
        match self.action {
            Action::Human => "timed by people (golive drill start / stop)".to_owned(),
            Action::Catalogue => format!(
                "pgbackrest stanza {}",
                self.stanza.as_deref().unwrap_or_default()
            ),
            _ => match (&self.backup_command, &self.database) {
                (Some(command), _) if self.action == Action::Backup => command.clone(),
                (_, Some(url)) => format!(
                    "{} {}",
                    crate::probe::postgres::shown_url(url),
                    self.dir.display()
                ),
                _ => self.dir.display().to_string(),
            },
        }
    }

    pub fn time_limit(&self, _timeout: Duration) -> Duration {
        self.limit
    }

    pub async fn run(&self, context: &Context, _timeout: Duration) -> Outcome {
        let work = async {
            match self.action {
                Action::Backup => sendable(backup::run(self)).await,
                Action::Restore => sendable(restore::run(self, context)).await,
                Action::Latest => sendable(backup::latest(self)).await,
                Action::Catalogue => sendable(pgbackrest::run(self)).await,
                Action::Human => self.human(),
            }
        };
        match tokio::time::timeout(self.limit, work).await {
            Ok(outcome) => outcome,
            Err(_) => {
                let mut outcome = Outcome::with_problem(format!(
                    "the drill did not finish within its limit of {}",
                    Value::Duration(self.limit)
                ));
                outcome.observe("verdict", Value::from("unknown"));
                outcome
            }
        }
    }
}

impl DrillSpec {
    /// What the latest timing of a drill people run proves: MET is `verified`, MISSED is
    /// `failed`, never timed or still running is `unknown`.
    fn human(&self) -> Outcome {
        let Some(entry) = &self.recorded else {
            let mut outcome = Outcome::with_problem(
                "this drill was never timed: run `golive drill start FILE NAME` when it begins and `golive drill stop FILE NAME` when it is done",
            );
            outcome.observe("verdict", Value::from("unknown"));
            return outcome;
        };
        let record = &entry.record;
        let mut outcome = Outcome::default();
        if record.is_running() {
            outcome.problem = Some(format!(
                "unknown: started at {} by {} and not stopped yet",
                record.started_at.as_deref().unwrap_or(&entry.at),
                entry.by
            ));
            outcome.observe("verdict", Value::from("unknown"));
            return outcome;
        }
        if let Some(ms) = record.rto_ms {
            outcome.observe("rto", Value::Duration(Duration::from_millis(ms)));
            outcome.observe("duration", Value::Duration(Duration::from_millis(ms)));
        }
        let verdict = match record.verdict.as_str() {
            "met" => "verified",
            "missed" => "failed",
            _ => "unknown",
        };
        if verdict != "verified" {
            outcome.problem = Some(record.evidence.join("; "));
        }
        outcome.observe("verdict", Value::from(verdict));
        outcome
    }
}

fn sendable<'a>(
    future: impl std::future::Future<Output = Outcome> + Send + 'a,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send + 'a>> {
    Box::pin(future)
}

/// Unquoted identifiers only: the name goes into `CREATE DATABASE` and `DROP DATABASE`.
pub(crate) fn valid_database_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit()
}

fn tables(
    value: Option<Spanned<RawValue>>,
    key: &str,
    errors: &mut Vec<Diagnostic>,
) -> Vec<Fields> {
    match value {
        None => Vec::new(),
        Some(Spanned {
            value: RawValue::Array(values),
            ..
        }) => values
            .into_iter()
            .filter_map(|value| match value.value {
                RawValue::Table(mut fields) => {
                    fields.span = value.span;
                    Some(fields)
                }
                other => {
                    errors.push(Diagnostic::new(
                        value.span,
                        format!("`{key}` holds tables, not {}", other.kind()),
                    ));
                    None
                }
            })
            .collect(),
        Some(other) => {
            errors.push(
                Diagnostic::new(other.span, format!("`{key}` must be a list of tables"))
                    .with_hint(format!("write `{key} = [{{ … }}, …]`")),
            );
            Vec::new()
        }
    }
}

fn parse_conditions(texts: Vec<Spanned<String>>, errors: &mut Vec<Diagnostic>) -> Vec<Condition> {
    texts
        .into_iter()
        .filter_map(|text| match Condition::parse(&text.value) {
            Ok(condition) => Some(condition),
            Err(error) => {
                errors.push(Diagnostic::new(
                    text.span,
                    format!("bad condition `{}`: {}", text.value, error.message()),
                ));
                None
            }
        })
        .collect()
}

fn verifies(value: Option<Spanned<RawValue>>, errors: &mut Vec<Diagnostic>) -> Vec<Verify> {
    tables(value, "verify", errors)
        .into_iter()
        .filter_map(|mut fields| {
            let query = fields
                .required_string("query", "\"select count(*) from orders\"")
                .map_err(|d| errors.push(d))
                .ok();
            let expect = fields.strings("expect").map_err(|d| errors.push(d)).ok();
            errors.extend(fields.unknown_keys("in `verify`", &["query", "expect"]));
            let mut conditions = parse_conditions(expect.unwrap_or_default(), errors);
            if conditions.is_empty()
                && let Ok(condition) = Condition::parse("rows > 0")
            {
                conditions.push(condition);
            }
            Some(Verify {
                query: query?.value,
                conditions,
            })
        })
        .collect()
}

fn thens(value: Option<Spanned<RawValue>>, errors: &mut Vec<Diagnostic>) -> Vec<Then> {
    tables(value, "then", errors)
        .into_iter()
        .enumerate()
        .filter_map(|(index, mut fields)| {
            let before = errors.len();
            let probe = fields
                .required_string("probe", "\"http\"")
                .map_err(|d| errors.push(d))
                .ok()?;
            if probe.value == "drill" {
                errors.push(Diagnostic::new(
                    probe.span.clone(),
                    "a drill's `then` checks cannot be drills",
                ));
                return None;
            }
            let name = if probe.value == "dns" {
                None
            } else {
                fields
                    .string("name")
                    .map_err(|d| errors.push(d))
                    .ok()
                    .flatten()
            };
            let expect = fields.strings("expect").map_err(|d| errors.push(d)).ok();
            let retries = fields
                .integer("retries")
                .map_err(|d| errors.push(d))
                .ok()
                .flatten();
            let interval = duration_key(&mut fields, "interval")
                .map_err(|d| errors.push(d))
                .ok()
                .flatten();
            let timeout = duration_key(&mut fields, "timeout")
                .map_err(|d| errors.push(d))
                .ok()
                .flatten();
            let mut conditions = parse_conditions(expect.unwrap_or_default(), errors);
            // Validate the probe's keys now, with placeholders standing for the scratch
            // database, so that a typo shows at load rather than after a restore.
            let mut trial = fields.clone();
            substitute(
                &mut trial,
                "golive_drill_check",
                "postgres://localhost/golive_drill_check",
            );
            match Spec::from_fields(&probe, &mut trial) {
                Ok(_) => {
                    if let Some(doc) = crate::probe::doc(&probe.value) {
                        let mut known = doc.key_names();
                        known.extend(["probe", "name", "expect", "retries", "interval", "timeout"]);
                        errors.extend(trial.unknown_keys(
                            &format!("for probe `{}` in `then`", probe.value),
                            &known,
                        ));
                        if conditions.is_empty() {
                            conditions = doc
                                .default_expect
                                .iter()
                                .filter_map(|text| Condition::parse(text).ok())
                                .collect();
                        }
                    }
                }
                Err(diagnostics) => errors.extend(diagnostics),
            }
            (errors.len() == before).then(|| Then {
                name: name.map_or_else(|| format!("then[{index}] {}", probe.value), |n| n.value),
                probe,
                fields,
                conditions,
                retries: retries
                    .and_then(|r| u32::try_from(r.value).ok())
                    .unwrap_or(0),
                interval: interval.unwrap_or(Duration::from_secs(1)),
                timeout: timeout.unwrap_or(Duration::from_secs(10)),
            })
        })
        .collect()
}

/// `{{scratch}}` and `{{scratch_url}}` in every string of a `then` check.
pub(crate) fn substitute(fields: &mut Fields, scratch: &str, scratch_url: &str) {
    fields.for_each_string(&mut |text, _| {
        if text.contains("{{") {
            *text = text
                .replace("{{scratch_url}}", scratch_url)
                .replace("{{scratch}}", scratch);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_names_are_plain_identifiers() {
        assert!(valid_database_name("golive_drill_1a2b"));
        assert!(!valid_database_name("Drill"));
        assert!(!valid_database_name("x; drop database test"));
        assert!(!valid_database_name("1abc"));
        assert!(!valid_database_name(""));
        assert!(!valid_database_name(&"a".repeat(64)));
    }
}
