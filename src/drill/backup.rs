//! Making backups (built-in `pg_dump -Fc`, or the user's command) and judging the newest one.
//!
//! The built-in backup exports a snapshot from a repeatable-read transaction, counts every
//! table in it and hands it to `pg_dump --snapshot`, so the manifest's counts are exactly what
//! the dump holds. The dump streams through golive into a 0600 file while it is hashed: it is
//! read once, and golive's memory does not grow with the database.

use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};
use sqlx::Connection as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::DrillSpec;
use super::manifest::{self, Manifest};
use crate::expr::Value;
use crate::probe::Outcome;
use crate::probe::postgres::{connect, shown_url};

/// Standard error kept from a tool, enough for its message.
const STDERR_CAP: usize = 16 * 1024;

pub async fn run(spec: &DrillSpec) -> Outcome {
    let started = Instant::now();
    let result = match &spec.backup_command {
        Some(command) => by_command(spec, command).await,
        None => built_in(spec).await,
    };
    let mut outcome = Outcome::default();
    match result {
        Ok(made) => {
            outcome.observe("duration", Value::Duration(started.elapsed()));
            outcome.observe("size", Value::Bytes(made.size));
            outcome.observe("age", Value::Duration(Duration::ZERO));
            outcome.observe("rpo", Value::Duration(Duration::ZERO));
            outcome.observe("mismatches", Value::from(0i64));
            outcome.observe("verdict", Value::from("verified"));
            outcome.observe("file", Value::Text(made.path.display().to_string()));
            if let Some(rows) = made.rows {
                outcome.observe("rows", Value::from(rows as i64));
            }
            match retain(spec) {
                Ok(count) => outcome.observe("backups", Value::from(count as i64)),
                Err(problem) => outcome.problem = Some(problem),
            }
        }
        Err(problem) => {
            outcome.observe("verdict", Value::from("failed"));
            outcome.problem = Some(problem);
        }
    }
    outcome
}

struct Made {
    path: PathBuf,
    size: u64,
    rows: Option<u64>,
}

/// The backup directory, made 0700 when golive creates it; an existing one that others can
/// read is refused rather than silently changed.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), String> {
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => Err(format!("`{}` is not a directory", dir.display())),
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                Err(format!(
                    "backup directory `{}` is {mode:#o}, readable by others; `chmod 700` it",
                    dir.display()
                ))
            } else {
                Ok(())
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|error| format!("cannot create `{}`: {error}", dir.display()))?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|error| format!("cannot make `{}` 0700: {error}", dir.display()))
        }
        Err(error) => Err(format!("cannot read `{}`: {error}", dir.display())),
    }
}

/// `(url without its password, the password)`: tools get the password through `PGPASSWORD`,
/// never on their command line, where `ps` would show it.
pub(crate) fn split_password(url: &str) -> (String, Option<String>) {
    let shown = shown_url(url);
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|authority| authority.rsplit_once('@'))
        .and_then(|(user, _)| user.split_once(':'))
        .map(|(_, password)| percent_decode(password));
    (shown, password)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(hex) = std::str::from_utf8(&bytes[i + 1..i + 3])
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A PostgreSQL client tool, given the URL without its password.
pub(crate) fn tool(program: &str, url: &str) -> tokio::process::Command {
    tool_with(program, url, Some("--dbname"))
}

/// [`tool`] for programs that take the database otherwise: `flag` before it, or none (a
/// positional argument, as `pg_amcheck` wants).
pub(crate) fn tool_with(program: &str, url: &str, flag: Option<&str>) -> tokio::process::Command {
    let (shown, password) = split_password(url);
    let mut command = tokio::process::Command::new(program);
    if let Some(flag) = flag {
        command.arg(flag);
    }
    command.arg(shown).stdin(Stdio::null()).kill_on_drop(true);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    command
}

pub(crate) async fn read_capped(mut from: impl tokio::io::AsyncRead + Unpin) -> String {
    let mut kept = Vec::new();
    let mut buffer = [0u8; 4096];
    while let Ok(read) = from.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        if kept.len() < STDERR_CAP {
            kept.extend_from_slice(&buffer[..read.min(STDERR_CAP - kept.len())]);
        }
    }
    String::from_utf8_lossy(&kept).trim_end().to_owned()
}

fn database_name(url: &str) -> String {
    let name = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split_once('/')
        .map_or("", |(_, path)| path)
        .split(['?', '#'])
        .next()
        .unwrap_or_default();
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "postgres".to_owned()
    } else {
        name
    }
}

async fn built_in(spec: &DrillSpec) -> Result<Made, String> {
    let url = spec.database.as_deref().ok_or("no `database` to back up")?;
    let shown = shown_url(url);
    ensure_dir(&spec.dir)?;
    let started = Instant::now();
    let created = chrono::Utc::now();
    let mut connection = connect(url)
        .await
        .map_err(|error| format!("cannot connect to {shown}: {error}"))?;
    let mut transaction = connection
        .begin_with("begin isolation level repeatable read, read only")
        .await
        .map_err(|error| format!("{shown}: {error}"))?;
    let snapshot: String = sqlx::query_scalar("select pg_export_snapshot()")
        .fetch_one(&mut *transaction)
        .await
        .map_err(|error| format!("{shown}: cannot export a snapshot: {error}"))?;
    let server_version: String = sqlx::query_scalar("select current_setting('server_version')")
        .fetch_one(&mut *transaction)
        .await
        .map_err(|error| format!("{shown}: {error}"))?;
    let (tables, sequences) = manifest::census(&mut transaction)
        .await
        .map_err(|error| format!("{shown}: cannot count rows: {error}"))?;

    let name = format!(
        "{}-{}.dump",
        database_name(url),
        created.format("%Y%m%dT%H%M%S%.3fZ")
    );
    let path = spec.dir.join(&name);
    let partial = spec.dir.join(format!(".{name}.partial"));
    let dumped = dump(url, &snapshot, &partial).await;
    // The snapshot must outlive pg_dump's use of it; only now may the transaction end.
    let _ = transaction.rollback().await;
    let _ = connection.close().await;
    let (sha256, size) = match dumped {
        Ok(done) => done,
        Err(problem) => {
            let _ = std::fs::remove_file(&partial);
            return Err(problem);
        }
    };
    std::fs::rename(&partial, &path)
        .map_err(|error| format!("cannot name the dump `{}`: {error}", path.display()))?;
    let made = Manifest {
        format: 1,
        file: name,
        sha256,
        size,
        created_at: created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms: started.elapsed().as_millis() as u64,
        database: shown,
        server_version,
        tables,
        sequences,
    };
    write_private(
        &Manifest::path_of(&path),
        &serde_json::to_vec_pretty(&made).map_err(|error| error.to_string())?,
    )?;
    Ok(Made {
        path,
        size,
        rows: Some(made.rows()),
    })
}

/// Writes `bytes` to a 0600 file through a temporary name, so a reader never sees half.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let partial = path.with_extension("partial");
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&partial)?;
        std::io::Write::write_all(&mut file, bytes)?;
        file.sync_all()?;
        std::fs::rename(&partial, path)
    };
    write().map_err(|error| {
        let _ = std::fs::remove_file(&partial);
        format!("cannot write `{}`: {error}", path.display())
    })
}

/// Runs `pg_dump -Fc` on `snapshot`, streaming its output into `to` (0600) while hashing it.
async fn dump(url: &str, snapshot: &str, to: &Path) -> Result<(String, u64), String> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(to)
        .map_err(|error| format!("cannot create `{}`: {error}", to.display()))?;
    let mut file = tokio::fs::File::from_std(file);
    let mut child = tool("pg_dump", url)
        .args(["--format=custom", "--no-sync"])
        .arg(format!("--snapshot={snapshot}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| {
            format!("cannot run pg_dump: {error} (is PostgreSQL's client installed?)")
        })?;
    let (Some(mut stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err("pg_dump's output could not be read".to_owned());
    };
    let errors = tokio::spawn(read_capped(stderr));
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let read = stdout
            .read(&mut buffer)
            .await
            .map_err(|error| format!("reading pg_dump's output: {error}"))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        size += read as u64;
        file.write_all(&buffer[..read])
            .await
            .map_err(|error| format!("cannot write `{}`: {error}", to.display()))?;
    }
    file.sync_all()
        .await
        .map_err(|error| format!("cannot write `{}`: {error}", to.display()))?;
    let status = child
        .wait()
        .await
        .map_err(|error| format!("pg_dump: {error}"))?;
    let stderr = errors.await.unwrap_or_default();
    if !status.success() {
        return Err(format!("pg_dump failed ({status}): {stderr}"));
    }
    Ok((hex::encode(hasher.finalize()), size))
}

async fn by_command(spec: &DrillSpec, command: &str) -> Result<Made, String> {
    let pattern = spec.result.as_deref().ok_or("no `result` glob")?;
    let pattern = if Path::new(pattern).is_relative() {
        spec.base.join(pattern).display().to_string()
    } else {
        pattern.to_owned()
    };
    let before = SystemTime::now();
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(&spec.base)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| format!("cannot run `{command}`: {error}"))?;
    let stderr = match child.stderr.take() {
        Some(stderr) => tokio::spawn(read_capped(stderr)),
        None => tokio::spawn(async { String::new() }),
    };
    let status = child
        .wait()
        .await
        .map_err(|error| format!("`{command}`: {error}"))?;
    let stderr = stderr.await.unwrap_or_default();
    if !status.success() {
        return Err(format!("`{command}` failed ({status}): {stderr}"));
    }
    let newest = newest_match(&pattern)?
        .ok_or_else(|| format!("`{command}` succeeded but no file matches `{pattern}`"))?;
    let meta = std::fs::metadata(&newest).map_err(|error| error.to_string())?;
    // A minute's slack for file systems with coarse times.
    let fresh = meta
        .modified()
        .ok()
        .is_some_and(|modified| modified + Duration::from_secs(60) >= before);
    if !fresh {
        return Err(format!(
            "`{command}` succeeded but made no new file: the newest match of `{pattern}` is `{}`, older than the run",
            newest.display()
        ));
    }
    if meta.len() == 0 {
        return Err(format!(
            "`{command}` made an empty file `{}`",
            newest.display()
        ));
    }
    Ok(Made {
        path: newest,
        size: meta.len(),
        rows: None,
    })
}

fn newest_match(pattern: &str) -> Result<Option<PathBuf>, String> {
    let paths = glob::glob(pattern).map_err(|error| format!("bad glob `{pattern}`: {error}"))?;
    Ok(paths
        .flatten()
        .filter_map(|path| {
            let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
            Some((modified, path))
        })
        .max()
        .map(|(_, path)| path))
}

/// Deletes backups beyond `keep` and older than `keep_days`, the newest always kept; returns
/// how many are left.
fn retain(spec: &DrillSpec) -> Result<usize, String> {
    if spec.backup_command.is_some() {
        return Ok(match &spec.result {
            Some(pattern) => glob::glob(&spec.base.join(pattern).display().to_string())
                .map(|paths| paths.flatten().count())
                .unwrap_or(0),
            None => 0,
        });
    }
    let manifests = manifest::list(&spec.dir)?;
    let now = chrono::Utc::now();
    let mut kept = 0;
    for (index, (path, made)) in manifests.iter().enumerate() {
        let too_many = spec.keep.is_some_and(|keep| index >= keep.max(1) as usize);
        let too_old = spec.keep_days.is_some_and(|days| {
            chrono::DateTime::parse_from_rfc3339(&made.created_at)
                .is_ok_and(|at| now.signed_duration_since(at).num_days() >= i64::from(days))
        });
        if index > 0 && (too_many || too_old) {
            let dump = spec.dir.join(&made.file);
            for file in [&dump, path] {
                if let Err(error) = std::fs::remove_file(file)
                    && error.kind() != std::io::ErrorKind::NotFound
                {
                    return Err(format!(
                        "retention: cannot delete `{}`: {error}",
                        file.display()
                    ));
                }
            }
        } else {
            kept += 1;
        }
    }
    Ok(kept)
}

/// `action = "latest"`: the newest backup's checksum, age and size.
pub async fn latest(spec: &DrillSpec) -> Outcome {
    let mut outcome = Outcome::default();
    let manifests = match manifest::list(&spec.dir) {
        Ok(manifests) => manifests,
        Err(problem) => {
            outcome.observe("verdict", Value::from("unknown"));
            outcome.problem = Some(problem);
            return outcome;
        }
    };
    outcome.observe("backups", Value::from(manifests.len() as i64));
    let Some((_, newest)) = manifests.first() else {
        outcome.observe("verdict", Value::from("unknown"));
        outcome.problem = Some(format!("no backup in `{}`", spec.dir.display()));
        return outcome;
    };
    let age = age_of(&newest.created_at);
    outcome.observe("age", Value::Duration(age));
    outcome.observe("size", Value::Bytes(newest.size));
    outcome.observe(
        "duration",
        Value::Duration(Duration::from_millis(newest.duration_ms)),
    );
    let dump = spec.dir.join(&newest.file);
    match manifest::sha256_file(&dump).await {
        Ok((sha256, _)) if sha256 == newest.sha256 => {
            outcome.observe("rpo", Value::Duration(age));
            outcome.observe("mismatches", Value::from(0i64));
            outcome.observe("verdict", Value::from("verified"));
        }
        Ok(_) => {
            outcome.observe("mismatches", Value::from(1i64));
            outcome.observe("verdict", Value::from("failed"));
            outcome.problem = Some(format!(
                "`{}` does not match its manifest's SHA-256: the backup is damaged",
                dump.display()
            ));
        }
        Err(error) => {
            outcome.observe("verdict", Value::from("failed"));
            outcome.problem = Some(format!("cannot read `{}`: {error}", dump.display()));
        }
    }
    outcome
}

pub(crate) fn age_of(created_at: &str) -> Duration {
    chrono::DateTime::parse_from_rfc3339(created_at)
        .ok()
        .and_then(|at| chrono::Utc::now().signed_duration_since(at).to_std().ok())
        .unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_url() {
        let (url, password) = split_password("postgres://app:s%2F3 cret@db:5432/app");
        assert_eq!(url, "postgres://app@db:5432/app");
        assert_eq!(password.as_deref(), Some("s/3 cret"));
        assert_eq!(split_password("postgres://db/app").1, None);
    }

    #[test]
    fn dumps_are_named_after_their_database() {
        assert_eq!(
            database_name("postgres://u@h:5432/test?sslmode=off"),
            "test"
        );
        assert_eq!(database_name("postgres://u@h"), "postgres");
        assert_eq!(database_name("postgres://h/a b"), "a_b");
    }
}
