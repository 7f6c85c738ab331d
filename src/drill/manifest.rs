//! The manifest beside each built-in backup: what the dump must contain, recorded in the same
//! snapshot the dump was taken from, so that a restore can be proven rather than trusted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnection;
use tokio::io::AsyncReadExt;

pub const SUFFIX: &str = ".manifest.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// The dump's file name, in the manifest's directory.
    pub file: String,
    pub sha256: String,
    pub size: u64,
    /// RFC 3339, UTC: when the snapshot was taken.
    pub created_at: String,
    pub duration_ms: u64,
    /// The database, without any password.
    pub database: String,
    pub server_version: String,
    /// `schema.table` → rows, counted in the dump's snapshot.
    pub tables: BTreeMap<String, u64>,
    /// `schema.sequence` → last value (`null` before its first `nextval`).
    pub sequences: BTreeMap<String, Option<i64>>,
}

impl Manifest {
    pub fn path_of(dump: &Path) -> PathBuf {
        let mut name = dump.file_name().unwrap_or_default().to_os_string();
        name.push(SUFFIX);
        dump.with_file_name(name)
    }

    pub fn read(path: &Path) -> Result<Manifest, String> {
        let text = std::fs::read(path)
            .map_err(|error| format!("cannot read manifest `{}`: {error}", path.display()))?;
        serde_json::from_slice(&text)
            .map_err(|error| format!("manifest `{}` is damaged: {error}", path.display()))
    }

    pub fn rows(&self) -> u64 {
        self.tables.values().sum()
    }
}

/// Every manifest in `dir`, newest first (names sort by time: `NAME-YYYYmmddTHHMMSS.fffZ`).
pub fn list(dir: &Path) -> Result<Vec<(PathBuf, Manifest)>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(format!(
                "cannot list backup directory `{}`: {error}",
                dir.display()
            ));
        }
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().ends_with(SUFFIX))
        {
            found.push((path.clone(), Manifest::read(&path)?));
        }
    }
    found.sort_by(|a, b| b.1.created_at.cmp(&a.1.created_at));
    Ok(found)
}

/// Row counts of every ordinary table and every sequence's last value, as the connection's
/// transaction sees them.
pub async fn census(
    connection: &mut PgConnection,
) -> Result<(BTreeMap<String, u64>, BTreeMap<String, Option<i64>>), sqlx::Error> {
    let names: Vec<(String, String)> = sqlx::query_as(
        "select n.nspname::text, c.relname::text from pg_class c \
         join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') \
         and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%' \
         order by 1, 2",
    )
    .fetch_all(&mut *connection)
    .await?;
    let mut tables = BTreeMap::new();
    for (schema, table) in names {
        let count: i64 = sqlx::query_scalar(&format!(
            "select count(*) from only {}.{}",
            quote(&schema),
            quote(&table)
        ))
        .fetch_one(&mut *connection)
        .await?;
        tables.insert(format!("{schema}.{table}"), count.max(0) as u64);
    }
    let sequences: Vec<(String, Option<i64>)> = sqlx::query_as(
        "select schemaname::text || '.' || sequencename::text, last_value from pg_sequences \
         where schemaname not in ('pg_catalog', 'information_schema') order by 1",
    )
    .fetch_all(&mut *connection)
    .await?;
    Ok((tables, sequences.into_iter().collect()))
}

/// A quoted identifier: `"order ""lines"""`.
pub fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// SHA-256 of a file, read in 1 MiB blocks.
pub async fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        size += read as u64;
        hasher.update(&buffer[..read]);
    }
    Ok((hex::encode(hasher.finalize()), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote("orders"), "\"orders\"");
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn manifests_sit_beside_their_dump() {
        assert_eq!(
            Manifest::path_of(Path::new("/b/test-20260101T000000.000Z.dump")),
            PathBuf::from("/b/test-20260101T000000.000Z.dump.manifest.json")
        );
    }
}
