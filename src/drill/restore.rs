//! Restore drills: the newest (or a chosen) backup into a scratch database, proven against its
//! manifest, then the `then` checks; the scratch database is dropped whatever happened, and
//! only when golive created it.
//!
//! A drill killed before it could drop its database leaves it behind, marked by a comment
//! naming the host and process; the next drill on that server drops such leftovers whose
//! process is gone and says so.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use sqlx::Connection as _;
use sqlx::postgres::PgConnection;

use super::backup::{age_of, read_capped, tool, tool_with};
use super::manifest::{self, Manifest};
use super::{DrillSpec, Then, substitute, valid_database_name};
use crate::engine::run::failures;
use crate::expr::Value;
use crate::probe::postgres::{PostgresSpec, connect, shown_url};
use crate::probe::{Context, Outcome, Spec};

const MARK: &str = "golive drill scratch";

/// What the drill found, gathered as it goes and turned into an outcome at the end.
#[derive(Default)]
struct Findings {
    mismatches: Vec<String>,
    rows_verified: u64,
    /// Why the result cannot be proven (the drill could not finish its verification).
    unknown: Option<String>,
    leftovers: Vec<String>,
}

pub async fn run(spec: &DrillSpec, context: &Context) -> Outcome {
    let drill_started = Instant::now();
    let mut outcome = Outcome::default();
    let Some(url) = spec.database.as_deref() else {
        return Outcome::with_problem("no `database` to restore on");
    };
    let (dump, made) = match choose(spec) {
        Ok(chosen) => chosen,
        Err(problem) => {
            outcome.observe("verdict", Value::from("unknown"));
            outcome.problem = Some(problem);
            return outcome;
        }
    };
    let age = age_of(&made.created_at);
    outcome.observe("age", Value::Duration(age));
    outcome.observe("size", Value::Bytes(made.size));
    outcome.observe("file", Value::Text(dump.display().to_string()));

    let mut findings = Findings::default();
    let mut admin = match connect(url).await {
        Ok(connection) => connection,
        Err(error) => {
            outcome.observe("verdict", Value::from("unknown"));
            outcome.problem = Some(format!(
                "cannot connect to {} to restore: {error}",
                shown_url(url)
            ));
            return outcome;
        }
    };
    findings.leftovers = send(drop_leftovers(&mut admin)).await;

    // RTO counts from here: the backup is chosen, the restore begins.
    let started = Instant::now();
    let scratch = spec.scratch.clone().unwrap_or_else(random_name);
    let created = send(drill(
        spec,
        context,
        url,
        &dump,
        &made,
        &scratch,
        &mut admin,
        &mut findings,
    ))
    .await;
    let rto = started.elapsed();
    if created
        && let Err(error) = exec(
            &mut admin,
            format!("drop database if exists {scratch} with (force)"),
        )
        .await
    {
        findings.unknown.get_or_insert(format!(
            "the scratch database `{scratch}` could not be dropped: {error}"
        ));
    }
    let _ = admin.close().await;

    outcome.observe("duration", Value::Duration(drill_started.elapsed()));
    outcome.observe("rows_verified", Value::from(findings.rows_verified as i64));
    outcome.observe("mismatches", Value::from(findings.mismatches.len() as i64));
    outcome.observe("scratch", Value::Text(scratch));
    if !findings.leftovers.is_empty() {
        outcome.observe(
            "leftovers",
            Value::List(
                findings
                    .leftovers
                    .iter()
                    .cloned()
                    .map(Value::Text)
                    .collect(),
            ),
        );
    }
    if !findings.mismatches.is_empty() {
        outcome.observe("verdict", Value::from("failed"));
        outcome.observe(
            "evidence",
            Value::List(
                findings
                    .mismatches
                    .iter()
                    .cloned()
                    .map(Value::Text)
                    .collect(),
            ),
        );
        outcome.problem = Some(findings.mismatches.join("; "));
    } else if let Some(reason) = findings.unknown {
        outcome.observe("verdict", Value::from("unknown"));
        outcome.problem = Some(format!("unknown: {reason}"));
    } else {
        outcome.observe("verdict", Value::from("verified"));
        outcome.observe("rto", Value::Duration(rto));
        outcome.observe("rpo", Value::Duration(age));
    }
    outcome
}

/// The named backup, or the newest in the directory, with its manifest.
fn choose(spec: &DrillSpec) -> Result<(PathBuf, Manifest), String> {
    if let Some(chosen) = &spec.chosen {
        let manifest_path = if chosen.to_string_lossy().ends_with(manifest::SUFFIX) {
            chosen.clone()
        } else {
            Manifest::path_of(chosen)
        };
        let made = Manifest::read(&manifest_path).map_err(|problem| {
            format!("{problem}; without its manifest a backup cannot be verified")
        })?;
        let dir = manifest_path.parent().unwrap_or(Path::new("."));
        return Ok((dir.join(&made.file), made));
    }
    let manifests = manifest::list(&spec.dir)?;
    let Some((path, made)) = manifests.into_iter().next() else {
        return Err(format!(
            "no backup with a manifest in `{}`: run `golive drill backup` first",
            spec.dir.display()
        ));
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    Ok((dir.join(&made.file), made))
}

fn random_name() -> String {
    let mut bytes = [0u8; 6];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    format!("golive_drill_{}", hex::encode(bytes))
}

fn scratch_url(url: &str, name: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_path(&format!("/{name}"));
            parsed.to_string()
        }
        Err(_) => url.to_owned(),
    }
}

fn host_name() -> String {
    nix::unistd::gethostname()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Scratch databases of drills killed on this host (their process is gone): dropped, named.
async fn drop_leftovers(admin: &mut PgConnection) -> Vec<String> {
    let marked: Vec<(String, String)> = sqlx::query_as(
        "select datname::text, shobj_description(oid, 'pg_database') from pg_database \
         where shobj_description(oid, 'pg_database') like $1",
    )
    .bind(format!("{MARK}%"))
    .fetch_all(&mut *admin)
    .await
    .unwrap_or_default();
    let host = host_name();
    let mut dropped = Vec::new();
    for (name, comment) in marked {
        let mut words = comment.split_whitespace();
        let (mut on, mut pid) = (None, None);
        for word in words.by_ref() {
            if let Some(value) = word.strip_prefix("host=") {
                on = Some(value.to_owned());
            } else if let Some(value) = word.strip_prefix("pid=") {
                pid = value.parse::<i32>().ok();
            }
        }
        let gone = on.as_deref() == Some(host.as_str())
            && pid.is_some_and(|pid| {
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None)
                    == Err(nix::errno::Errno::ESRCH)
            });
        if !gone || !valid_database_name(&name) {
            continue;
        }
        let statement = format!("drop database if exists {name} with (force)");
        if exec(&mut *admin, statement).await.is_ok() {
            dropped.push(format!("dropped `{name}`, left by a drill killed earlier"));
        }
    }
    dropped
}

/// Everything between creating the scratch database and dropping it; returns whether golive
/// created it (and so must drop it).
#[allow(clippy::too_many_arguments)]
async fn drill(
    spec: &DrillSpec,
    context: &Context,
    url: &str,
    dump: &Path,
    made: &Manifest,
    scratch: &str,
    admin: &mut PgConnection,
    findings: &mut Findings,
) -> bool {
    // Proof starts with the bytes: a damaged dump is not restored at all.
    match send(manifest::sha256_file(dump)).await {
        Ok((sha256, size)) if sha256 == made.sha256 && size == made.size => {}
        Ok((_, size)) => {
            findings.mismatches.push(format!(
                "checksum: `{}` ({size} bytes) does not match its manifest's SHA-256 ({} bytes): the backup is damaged",
                dump.display(),
                made.size
            ));
            return false;
        }
        Err(error) => {
            findings
                .mismatches
                .push(format!("cannot read `{}`: {error}", dump.display()));
            return false;
        }
    }
    if let Err(error) = exec(&mut *admin, format!("create database {scratch}")).await {
        let exists = error
            .as_database_error()
            .and_then(|e| e.code())
            .is_some_and(|code| code == "42P04");
        findings.mismatches.push(if exists {
            format!(
                "scratch database `{scratch}` already exists; golive restores only into a database it creates, and never drops one it did not: choose another `scratch` name or drop it yourself"
            )
        } else {
            format!("cannot create the scratch database `{scratch}`: {error}")
        });
        return false;
    }
    let comment = format!(
        "{MARK} host={} pid={} started={}",
        host_name(),
        std::process::id(),
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let _ = exec(
        &mut *admin,
        format!(
            "comment on database {scratch} is '{}'",
            comment.replace('\'', "''")
        ),
    )
    .await;

    let target = scratch_url(url, scratch);
    if let Err(problem) = send(pg_restore(&target, dump)).await {
        findings.mismatches.push(problem);
    }
    send(verify_counts(&target, made, findings)).await;
    if findings.mismatches.is_empty() && made.tables.is_empty() && made.sequences.is_empty() {
        // An empty database restores without error and matches its empty manifest: that
        // proves nothing about the data a recovery is for, so it is not a verified restore.
        findings.unknown = Some(format!(
            "the backup `{}` holds no table and no sequence, so restoring it proves nothing; is `database` the database to protect?",
            dump.display()
        ));
    }
    if findings.unknown.is_some() {
        return true;
    }
    if spec.amcheck {
        send(amcheck(&target, findings)).await;
    }
    for verify in &spec.verify {
        let probe = PostgresSpec {
            url: target.clone(),
            query: Some(verify.query.clone()),
        };
        let outcome = send(probe.run(Duration::from_secs(600))).await;
        let failed = failures(&verify.conditions, &outcome);
        if !failed.is_empty() {
            findings
                .mismatches
                .push(format!("verify `{}`: {}", verify.query, failed.join(", ")));
        }
    }
    if findings.mismatches.is_empty() {
        for then in &spec.then {
            if let Err(reason) = send(run_then(then, context, spec, scratch, &target)).await {
                findings.unknown = Some(reason);
                break;
            }
        }
    }
    true
}

async fn pg_restore(target: &str, dump: &Path) -> Result<(), String> {
    let mut child = tool("pg_restore", target)
        .args(["--no-owner", "--no-privileges", "--exit-on-error"])
        .arg(dump)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run pg_restore: {error}"))?;
    let stderr = match child.stderr.take() {
        Some(stderr) => read_capped(stderr).await,
        None => String::new(),
    };
    let status = child
        .wait()
        .await
        .map_err(|error| format!("pg_restore: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("pg_restore failed ({status}): {stderr}"))
    }
}

/// Every table's rows and every sequence's value in the restored database, against the
/// manifest.
async fn verify_counts(target: &str, made: &Manifest, findings: &mut Findings) {
    let mut connection = match connect(target).await {
        Ok(connection) => connection,
        Err(error) => {
            findings.unknown = Some(format!("cannot connect to the restored database: {error}"));
            return;
        }
    };
    let (tables, sequences) = match manifest::census(&mut connection).await {
        Ok(census) => census,
        Err(error) => {
            findings.unknown = Some(format!("cannot count the restored rows: {error}"));
            return;
        }
    };
    let _ = connection.close().await;
    for (table, &expected) in &made.tables {
        match tables.get(table) {
            Some(&rows) if rows == expected => findings.rows_verified += rows,
            Some(&rows) => findings.mismatches.push(format!(
                "table {table}: {rows} rows restored, the manifest says {expected}"
            )),
            None => findings
                .mismatches
                .push(format!("table {table}: missing from the restore")),
        }
    }
    for table in tables.keys().filter(|t| !made.tables.contains_key(*t)) {
        findings
            .mismatches
            .push(format!("table {table}: restored but not in the manifest"));
    }
    for (sequence, &expected) in &made.sequences {
        // pg_dump reads sequences after the manifest does, outside the snapshot (sequences
        // are not transactional): the restored value may be ahead, never behind.
        match sequences.get(sequence) {
            Some(&value) if value >= expected => {}
            Some(value) => findings.mismatches.push(format!(
                "sequence {sequence}: restored at {}, the manifest says {}",
                shown(*value),
                shown(expected)
            )),
            None => findings
                .mismatches
                .push(format!("sequence {sequence}: missing from the restore")),
        }
    }
}

fn shown(value: Option<i64>) -> String {
    value.map_or_else(|| "unused".to_owned(), |v| v.to_string())
}

/// `pg_amcheck` on every relation, when it is installed.
async fn amcheck(target: &str, findings: &mut Findings) {
    let Some(program) = find_program("pg_amcheck") else {
        return;
    };
    let output = tool_with(&program, target, None)
        .args(["--install-missing", "--no-strict-names"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await;
    match output {
        Ok(output) if output.status.success() => {}
        Ok(output) => {
            let text = String::from_utf8_lossy(&output.stdout).into_owned()
                + &String::from_utf8_lossy(&output.stderr);
            let text: String = text.chars().take(2000).collect();
            findings
                .mismatches
                .push(format!("pg_amcheck found corruption: {}", text.trim()));
        }
        Err(error) => findings
            .mismatches
            .push(format!("cannot run pg_amcheck: {error}")),
    }
}

/// A program on `PATH`, or in the newest `/usr/lib/postgresql/*/bin` (Debian keeps
/// pg_amcheck there).
pub(crate) fn find_program(name: &str) -> Option<String> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    });
    if let Some(path) = on_path {
        return Some(path.display().to_string());
    }
    let mut found: Vec<PathBuf> = glob::glob(&format!("/usr/lib/postgresql/*/bin/{name}"))
        .ok()?
        .flatten()
        .collect();
    found.sort();
    found.pop().map(|path| path.display().to_string())
}

/// One `then` check with its retries; the reason it never went green otherwise.
async fn run_then(
    then: &Then,
    context: &Context,
    spec: &DrillSpec,
    scratch: &str,
    target: &str,
) -> Result<(), String> {
    let mut fields = then.fields.clone();
    substitute(&mut fields, scratch, target);
    let mut probe = Spec::from_fields(&then.probe, &mut fields).map_err(|errors| {
        let messages: Vec<String> = errors.into_iter().map(|e| e.message).collect();
        format!("then check `{}`: {}", then.name, messages.join("; "))
    })?;
    probe.anchor(&spec.base);
    let mut attempts = 0;
    loop {
        attempts += 1;
        // Boxed: a `then` probe is a probe, and probes include drills.
        let outcome = probe.run_boxed(context, then.timeout).await;
        let failed = failures(&then.conditions, &outcome);
        if failed.is_empty() {
            return Ok(());
        }
        if attempts > then.retries {
            return Err(format!(
                "then check `{}` never passed in {attempts} attempt{}: {}",
                then.name,
                if attempts == 1 { "" } else { "s" },
                failed.join(", ")
            ));
        }
        tokio::time::sleep(then.interval).await;
    }
}

/// One statement, unprepared (`CREATE DATABASE` and `DROP DATABASE` cannot be prepared).
async fn exec(connection: &mut PgConnection, sql: String) -> Result<(), sqlx::Error> {
    sqlx::Executor::execute(connection, sql.as_str())
        .await
        .map(|_| ())
}

fn send<'a, T>(
    future: impl std::future::Future<Output = T> + Send + 'a,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>> {
    Box::pin(future)
}
