//! `postgres`: connects to a PostgreSQL server, runs an optional query, and reports the
//! server's health: version, recovery, replication lag (as a standby, and per standby on a
//! primary) and how much of `max_connections` is in use.
//!
//! The user's query runs over the simple query protocol, so its first value arrives as text
//! whatever its type; the column's type then decides how it is read (a number, a boolean,
//! text), which lets `value > 100` work on `count(*)`, `numeric` and `float8` alike.

use std::time::{Duration, Instant};

use futures_util::TryStreamExt as _;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow};
use sqlx::{Column as _, ConnectOptions as _, Connection as _, Row as _, TypeInfo as _};

use super::Outcome;
use super::keys::{KeyDoc, KeyKind, ProbeDoc};
use crate::checklist::toml::Fields;
use crate::diagnostic::Diagnostic;
use crate::expr::{Value, Version};

pub const DOC: ProbeDoc = ProbeDoc {
    name: "postgres",
    summary: "connects to PostgreSQL, runs an optional query, reports version, recovery, replication lag and connection use",
    keys: &[
        KeyDoc {
            name: "url",
            kind: KeyKind::String,
            required: true,
            doc: "`postgres://user@host:port/db`; put the password in a reference: `postgres://app:${env:PGPASSWORD}@db/app`",
        },
        KeyDoc {
            name: "query",
            kind: KeyKind::String,
            required: false,
            doc: "SQL whose first row's first column is `value` and whose row count is `rows`",
        },
    ],
    metrics: &[
        ("connect_time", "time to connect and authenticate"),
        (
            "value",
            "the query's first column of its first row: a number, a boolean or text",
        ),
        ("rows", "how many rows the query returned"),
        ("server_version", "the server's version, e.g. 15.4"),
        (
            "in_recovery",
            "true on a standby (or a server replaying WAL)",
        ),
        (
            "replication_lag",
            "on a standby: how far replay is behind; on a primary: the largest lag of its standbys",
        ),
        (
            "replication_lag.NAME",
            "on a primary: the replay lag of the standby whose application_name is NAME",
        ),
        ("standbys", "on a primary: how many standbys are streaming"),
        (
            "connections_used",
            "connections open as a percentage of max_connections",
        ),
    ],
    default_expect: &["connect_time exists"],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresSpec {
    pub url: String,
    pub query: Option<String>,
}

impl PostgresSpec {
    pub fn from_fields(fields: &mut Fields) -> Result<Self, Vec<Diagnostic>> {
        let url = fields.required_string("url", "\"postgres://postgres@127.0.0.1:5432/app\"");
        let query = fields.string("query");
        let mut errors = Vec::new();
        let url = url.map_err(|d| errors.push(d)).ok();
        let query = query.map_err(|d| errors.push(d)).ok().flatten();
        if let Some(url) = &url
            && let Err(error) = url.value.parse::<PgConnectOptions>()
        {
            errors.push(
                Diagnostic::new(url.span.clone(), format!("not a PostgreSQL URL: {error}"))
                    .with_hint("write `postgres://user@host:5432/database`"),
            );
        }
        match url {
            Some(url) if errors.is_empty() => Ok(PostgresSpec {
                url: url.value,
                query: query.map(|query| query.value),
            }),
            _ => Err(errors),
        }
    }

    /// The URL without its password, whether or not it came from a reference.
    pub fn target(&self) -> String {
        shown_url(&self.url)
    }

    pub async fn run(&self, timeout: Duration) -> Outcome {
        match tokio::time::timeout(timeout, self.observe()).await {
            Ok(outcome) => outcome,
            Err(_) => Outcome::with_problem(format!(
                "no answer from {} within {}",
                self.target(),
                Value::Duration(timeout)
            )),
        }
    }

    async fn observe(&self) -> Outcome {
        let mut outcome = Outcome::default();
        let started = Instant::now();
        let mut connection = match connect(&self.url).await {
            Ok(connection) => connection,
            Err(error) => {
                return Outcome::with_problem(format!(
                    "cannot connect to {}: {error}",
                    self.target()
                ));
            }
        };
        outcome.observe("connect_time", Value::Duration(started.elapsed()));
        if let Err(error) = health(&mut connection, &mut outcome).await {
            outcome.problem = Some(format!("cannot read the server's state: {error}"));
        }
        if let Some(query) = &self.query {
            match run_query(&mut connection, query).await {
                Ok((value, rows)) => {
                    outcome.observe("rows", Value::from(rows as i64));
                    if let Some(value) = value {
                        outcome.observe("value", value);
                    }
                }
                Err(error) => outcome.problem = Some(format!("query failed: {error}")),
            }
        }
        let _ = connection.close().await;
        outcome
    }
}

pub(crate) async fn connect(url: &str) -> Result<PgConnection, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    options
        .application_name("golive")
        .disable_statement_logging()
        .connect()
        .await
}

/// `postgres://user:secret@host/db` → `postgres://user@host/db`.
pub(crate) fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(name, _)| name);
            format!("{scheme}://{user}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

async fn health(connection: &mut PgConnection, outcome: &mut Outcome) -> Result<(), sqlx::Error> {
    let row: (String, bool, f64, Option<f64>) = sqlx::query_as(
        "select current_setting('server_version'), pg_is_in_recovery(), \
         (select count(*) from pg_stat_activity where backend_type = 'client backend')::float8 \
           * 100 / current_setting('max_connections')::float8, \
         case when pg_is_in_recovery() then \
           case when pg_last_wal_receive_lsn() is not distinct from pg_last_wal_replay_lsn() then 0 \
           else extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 end end",
    )
    .fetch_one(&mut *connection)
    .await?;
    let (version, in_recovery, used, standby_lag) = row;
    // "15.4 (Debian 15.4-1)" → 15.4
    let number = version.split_whitespace().next().unwrap_or_default();
    outcome.observe(
        "server_version",
        Version::parse(number).map_or(Value::Text(version.clone()), Value::Version),
    );
    outcome.observe("in_recovery", Value::Bool(in_recovery));
    outcome.observe("connections_used", Value::Percent(used));
    if in_recovery {
        if let Some(lag) = standby_lag {
            outcome.observe("replication_lag", seconds(lag));
        }
        return Ok(());
    }
    let standbys: Vec<(String, f64)> = sqlx::query_as(
        "select coalesce(nullif(application_name, ''), client_addr::text, 'standby'), \
         extract(epoch from coalesce(replay_lag, interval '0'))::float8 \
         from pg_stat_replication order by 1",
    )
    .fetch_all(&mut *connection)
    .await?;
    outcome.observe("standbys", Value::from(standbys.len() as i64));
    let mut largest: Option<f64> = None;
    for (name, lag) in standbys {
        largest = Some(largest.map_or(lag, |l| l.max(lag)));
        outcome.observe(format!("replication_lag.{name}"), seconds(lag));
    }
    if let Some(lag) = largest {
        outcome.observe("replication_lag", seconds(lag));
    }
    Ok(())
}

fn seconds(value: f64) -> Value {
    Value::Duration(Duration::from_secs_f64(value.max(0.0)))
}

/// The first value of the first row (typed from its column) and the number of rows.
async fn run_query(
    connection: &mut PgConnection,
    query: &str,
) -> Result<(Option<Value>, u64), sqlx::Error> {
    let mut rows = sqlx::raw_sql(query).fetch(&mut *connection);
    let mut first: Option<PgRow> = None;
    let mut count = 0u64;
    while let Some(row) = rows.try_next().await? {
        if first.is_none() {
            first = Some(row);
        }
        count += 1;
    }
    let value = first.and_then(|row| first_value(&row));
    Ok((value, count))
}

fn first_value(row: &PgRow) -> Option<Value> {
    let column = row.columns().first()?;
    // The simple protocol sends every value as text, so text decoding never fails on type.
    let text: Option<String> = row.try_get_unchecked(0).ok()?;
    let Some(text) = text else {
        return Some(Value::Null);
    };
    Some(typed(column.type_info().name(), text))
}

pub(crate) fn typed(type_name: &str, text: String) -> Value {
    match type_name {
        "BOOL" => Value::Bool(text == "t"),
        "INT2" | "INT4" | "INT8" | "FLOAT4" | "FLOAT8" | "NUMERIC" | "OID" => {
            text.parse::<f64>().map_or(Value::Text(text), Value::Number)
        }
        _ => Value::Text(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_password() {
        assert_eq!(
            shown_url("postgres://app:s3cr%2Ft@db:5432/app?sslmode=require"),
            "postgres://app@db:5432/app?sslmode=require"
        );
        assert_eq!(
            shown_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(shown_url("postgres://db/app"), "postgres://db/app");
    }

    #[test]
    fn values_take_their_column_type() {
        assert_eq!(typed("INT8", "120000".into()), Value::Number(120000.0));
        assert_eq!(typed("NUMERIC", "1.50".into()), Value::Number(1.5));
        assert_eq!(typed("BOOL", "t".into()), Value::Bool(true));
        assert_eq!(typed("TEXT", "ok".into()), Value::Text("ok".into()));
        assert_eq!(typed("INT4", "x".into()), Value::Text("x".into()));
    }
}
