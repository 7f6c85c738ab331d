//! pgBackRest's catalogue: `pgbackrest info --output=json` for the newest good backup, and
//! `repo-ls` for when the newest archived WAL segment was written. RPO is the age of the later
//! of the two: with continuous archiving, what could be lost is the WAL not yet archived.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value as Json;

use super::DrillSpec;
use crate::expr::Value;
use crate::probe::Outcome;

pub async fn run(spec: &DrillSpec) -> Outcome {
    let mut outcome = Outcome::default();
    let stanza = spec.stanza.as_deref().unwrap_or_default();
    let info = match pgbackrest(spec, &["info", "--output=json"]).await {
        Ok(text) => text,
        Err(problem) => {
            outcome.observe("verdict", Value::from("unknown"));
            outcome.problem = Some(problem);
            return outcome;
        }
    };
    let now = chrono::Utc::now().timestamp();
    let catalogue = match read_info(&info, stanza) {
        Ok(catalogue) => catalogue,
        Err(problem) => {
            outcome.observe("verdict", Value::from("unknown"));
            outcome.problem = Some(problem);
            return outcome;
        }
    };
    outcome.observe("backups", Value::from(catalogue.good as i64));
    let Some(newest) = catalogue.newest_stop else {
        outcome.observe("verdict", Value::from("unknown"));
        outcome.problem = Some(format!("stanza `{stanza}` has no good backup"));
        return outcome;
    };
    let age = Duration::from_secs(now.saturating_sub(newest).max(0) as u64);
    outcome.observe("age", Value::Duration(age));
    if let Some(size) = catalogue.size {
        outcome.observe("size", Value::Bytes(size));
    }
    if let Some(duration) = catalogue.duration {
        outcome.observe("duration", Value::Duration(duration));
    }
    let mut point = newest;
    if let Some((archive_id, segment)) = &catalogue.newest_wal
        && let Some(time) = wal_time(spec, stanza, archive_id, segment).await
    {
        point = point.max(time);
        outcome.observe(
            "wal_age",
            Value::Duration(Duration::from_secs(now.saturating_sub(time).max(0) as u64)),
        );
    }
    outcome.observe(
        "rpo",
        Value::Duration(Duration::from_secs(now.saturating_sub(point).max(0) as u64)),
    );
    if let Some(message) = catalogue.problem {
        outcome.observe("verdict", Value::from("failed"));
        outcome.problem = Some(message);
    } else {
        outcome.observe("mismatches", Value::from(0i64));
        outcome.observe("verdict", Value::from("verified"));
    }
    outcome
}

async fn pgbackrest(spec: &DrillSpec, args: &[&str]) -> Result<String, String> {
    let mut command = tokio::process::Command::new("pgbackrest");
    if let Some(config) = &spec.pgbackrest_config {
        command.arg(format!("--config={}", config.display()));
    }
    if let Some(stanza) = &spec.stanza {
        command.arg(format!("--stanza={stanza}"));
    }
    let output = command
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|error| format!("cannot run pgbackrest: {error} (is it installed?)"))?;
    if !output.status.success() {
        return Err(format!(
            "pgbackrest {} failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| "pgbackrest wrote something not UTF-8".to_owned())
}

#[derive(Debug, Default, PartialEq)]
struct Catalogue {
    good: usize,
    newest_stop: Option<i64>,
    size: Option<u64>,
    duration: Option<Duration>,
    /// (archive id, newest segment), e.g. ("15-1", "000000010000000000000004").
    newest_wal: Option<(String, String)>,
    problem: Option<String>,
}

fn read_info(text: &str, stanza: &str) -> Result<Catalogue, String> {
    let json: Json = serde_json::from_str(text)
        .map_err(|error| format!("pgbackrest info is not JSON: {error}"))?;
    let entry = json
        .as_array()
        .and_then(|stanzas| stanzas.iter().find(|s| s["name"] == stanza))
        .ok_or_else(|| format!("pgbackrest knows no stanza `{stanza}`"))?;
    let mut catalogue = Catalogue::default();
    let code = entry["status"]["code"].as_i64().unwrap_or(-1);
    if code != 0 {
        catalogue.problem = Some(format!(
            "stanza `{stanza}`: {}",
            entry["status"]["message"]
                .as_str()
                .unwrap_or("status unknown")
        ));
    }
    let backups = entry["backup"].as_array().cloned().unwrap_or_default();
    let good: Vec<&Json> = backups
        .iter()
        .filter(|backup| backup["error"] != true)
        .collect();
    catalogue.good = good.len();
    if let Some(newest) = good
        .iter()
        .max_by_key(|backup| backup["timestamp"]["stop"].as_i64().unwrap_or(0))
    {
        let stop = newest["timestamp"]["stop"].as_i64();
        let start = newest["timestamp"]["start"].as_i64();
        catalogue.newest_stop = stop;
        catalogue.size = newest["info"]["repository"]["size"].as_u64();
        if let (Some(start), Some(stop)) = (start, stop) {
            catalogue.duration = Some(Duration::from_secs((stop - start).max(0) as u64));
        }
    }
    catalogue.newest_wal = entry["archive"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|archive| {
            Some((
                archive["id"].as_str()?.to_owned(),
                archive["max"].as_str()?.to_owned(),
            ))
        })
        .max_by(|a, b| a.1.cmp(&b.1));
    Ok(catalogue)
}

/// When the repository received `segment`, from `pgbackrest repo-ls`.
async fn wal_time(spec: &DrillSpec, stanza: &str, archive_id: &str, segment: &str) -> Option<i64> {
    if segment.len() < 16 || !segment.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let path = format!("archive/{stanza}/{archive_id}/{}", &segment[..16]);
    let text = pgbackrest(spec, &["repo-ls", "--output=json", &path])
        .await
        .ok()?;
    let listing: Json = serde_json::from_str(&text).ok()?;
    listing
        .as_object()?
        .iter()
        .filter(|(name, _)| name.starts_with(segment))
        .filter_map(|(_, entry)| entry["time"].as_i64())
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_newest_good_backup_and_wal() {
        let info = r#"[{"name":"main","status":{"code":0,"message":"ok"},
            "archive":[{"id":"15-1","min":"000000010000000000000001","max":"000000010000000000000005"}],
            "backup":[
              {"error":false,"timestamp":{"start":100,"stop":130},"info":{"repository":{"size":2048}}},
              {"error":true,"timestamp":{"start":200,"stop":230},"info":{"repository":{"size":9}}}]}]"#;
        let catalogue = read_info(info, "main").unwrap();
        assert_eq!(catalogue.good, 1);
        assert_eq!(catalogue.newest_stop, Some(130));
        assert_eq!(catalogue.size, Some(2048));
        assert_eq!(catalogue.duration, Some(Duration::from_secs(30)));
        assert_eq!(
            catalogue.newest_wal,
            Some(("15-1".into(), "000000010000000000000005".into()))
        );
        assert!(read_info(info, "other").is_err());
        let broken =
            r#"[{"name":"main","status":{"code":2,"message":"no valid backups"},"backup":[]}]"#;
        let catalogue = read_info(broken, "main").unwrap();
        assert_eq!(
            catalogue.problem.as_deref(),
            Some("stanza `main`: no valid backups")
        );
        assert_eq!(catalogue.newest_stop, None);
    }
}
