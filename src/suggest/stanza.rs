//! A kind of check and the item's words → a `[[check]]` stanza. Thresholds the text states
//! become conditions (`< 30 days` → `cert.days_left > 30`, `→ 600` → `mode == 0o600`); what it
//! does not state (hosts, URLs, paths) becomes an `example.test` placeholder, marked so, and
//! every stanza passes `golive check --dry-run` as written (tested on the seeds).

use std::sync::LazyLock;

use regex::Regex;

use super::Kind;

struct Patterns {
    duration: Regex,
    size: Regex,
    percent: Regex,
    mode: Regex,
    backticked: Regex,
    users: Regex,
    rate: Regex,
    gigabytes: Regex,
    hours: Regex,
}

#[allow(clippy::expect_used)]
static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| {
    // Constants of this file, exercised by the unit tests: a bad one is a bug here.
    let re = |pattern: &str| Regex::new(pattern).expect("stanza patterns are valid");
    Patterns {
        duration: re(
            r"(?:<|<=|under|moins de|en|within|unter)\s*(\d+(?:\.\d+)?)\s*(ms|sec|secondes?|seconds?|s|minutes?|min|m|heures?|hours?|hrs?|h|jours?|days?|j|d|tage)\b",
        ),
        size: re(r">=?\s*(\d+(?:\.\d+)?)\s*(kb|mb|gb|ko|mo|go)\b"),
        percent: re(r"(<|<=|>|>=)?\s*(\d+(?:\.\d+)?)\s*%"),
        mode: re(r"(?:→|->|permissions?|chmod|mode)\s*\(?(?:0o)?([0-7]{3})\b"),
        backticked: re(r"`([^`]+)`"),
        users: re(r"\((\d+) (?:users|utilisateurs)\)"),
        rate: re(r"(\d+)\s*rps\b"),
        gigabytes: re(r">=?\s*(\d+)\s*(?:gb|go)\b"),
        hours: re(r"(\d+)\s*(?:hours?|heures?|h|stunden)\b"),
    }
});

/// `30 min` → `30m`, `1 heure` → `1h`, `200ms` → `200ms`.
fn duration(folded: &str) -> Option<String> {
    let captures = PATTERNS.duration.captures(folded)?;
    let number = captures.get(1)?.as_str();
    let unit = match captures.get(2)?.as_str() {
        "ms" => "ms",
        "s" | "sec" | "seconde" | "secondes" | "second" | "seconds" => "s",
        "m" | "min" | "minute" | "minutes" => "m",
        "h" | "hr" | "hrs" | "heure" | "heures" | "hour" | "hours" => "h",
        _ => "d",
    };
    Some(format!("{number}{unit}"))
}

fn size(folded: &str) -> Option<String> {
    let captures = PATTERNS.size.captures(folded)?;
    let unit = match captures.get(2)?.as_str() {
        "kb" | "ko" => "KB",
        "mb" | "mo" => "MB",
        _ => "GB",
    };
    Some(format!("{}{unit}", captures.get(1)?.as_str()))
}

/// The first percentage and the comparison written before it (`< 0.1%` → `("<", "0.1")`).
fn percent(folded: &str) -> Option<(String, String)> {
    let captures = PATTERNS.percent.captures(folded)?;
    let op = captures.get(1).map_or("<", |m| m.as_str());
    Some((op.to_owned(), captures.get(2)?.as_str().to_owned()))
}

fn backticked(raw: &str) -> Option<&str> {
    PATTERNS
        .backticked
        .captures(raw)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
}

/// A TOML basic string.
pub(super) fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for ch in text.chars() {
        match ch {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '\n' | '\r' | '\t' => quoted.push(' '),
            ch if ch.is_control() => {}
            ch => quoted.push(ch),
        }
    }
    quoted.push('"');
    quoted
}

fn list(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| quote(v)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The stanza's lines after `item` and `probe`: keys then `expect`.
struct Body {
    keys: Vec<(&'static str, String, Option<&'static str>)>,
    expect: Vec<String>,
}

impl Body {
    fn new() -> Body {
        Body {
            keys: Vec::new(),
            expect: Vec::new(),
        }
    }

    /// A key whose value the text did not give: marked as a placeholder to replace.
    fn placeholder(mut self, key: &'static str, value: &str) -> Body {
        self.keys.push((key, quote(value), Some("placeholder")));
        self
    }

    fn key(mut self, key: &'static str, value: &str) -> Body {
        self.keys.push((key, quote(value), None));
        self
    }

    fn raw(mut self, key: &'static str, value: String) -> Body {
        self.keys.push((key, value, None));
        self
    }

    fn expect(mut self, condition: impl Into<String>) -> Body {
        self.expect.push(condition.into());
        self
    }
}

/// The stanza for `kind` on item `id`, commented with the item's text.
pub(super) fn render(kind: Kind, id: &str, line: usize, raw: &str, folded: &str) -> String {
    let body = body(kind, raw, folded);
    let mut out = format!("# line {line}: {}\n", raw.replace('\n', " "));
    out.push_str("[[check]]\n");
    out.push_str(&format!("item = {}\n", quote(id)));
    out.push_str(&format!("probe = {}\n", quote(kind.probe())));
    let width = body
        .keys
        .iter()
        .map(|(key, value, _)| key.len() + value.len() + 3)
        .max()
        .unwrap_or(0)
        // Long values (a PromQL query) would push every note off the screen.
        .min(48);
    for (key, value, note) in &body.keys {
        let line = format!("{key} = {value}");
        match note {
            Some(note) => out.push_str(&format!("{line:width$}   # {note}\n")),
            None => out.push_str(&format!("{line}\n")),
        }
    }
    if !body.expect.is_empty() {
        out.push_str(&format!("expect = {}\n", list(&body.expect)));
    }
    out
}

fn body(kind: Kind, raw: &str, folded: &str) -> Body {
    match kind {
        Kind::Llm => Body::new()
            .placeholder("url", "https://llm.example.test/v1/chat/completions")
            .expect("injections == 0")
            .expect("leaks == 0"),
        Kind::Drift => Body::new()
            .placeholder("reference", "data/reference.csv")
            .placeholder("current", "data/current.csv")
            .expect("drift.share < 30%"),
        Kind::Model => {
            let (_, floor) = percent(folded).unwrap_or(("<".into(), "90".into()));
            model().expect(format!("accuracy >= {floor}%"))
        }
        Kind::Bias => model()
            .placeholder("group", "gender")
            .expect("gap.accuracy < 5%"),
        Kind::Scan => Body::new()
            .placeholder("path", "src")
            .expect("secrets == 0"),
        Kind::ScanLogs => Body::new()
            .placeholder("path", "/var/log/app")
            .expect("secrets == 0")
            .expect("pii == 0"),
        Kind::EnvVar => {
            let name = backticked(raw).unwrap_or("NAME");
            Body::new()
                .key("run", &format!("grep -Eq '^{name}=.+' .env"))
                .expect("exit_code == 0")
        }
        Kind::GitIgnored => {
            let path = backticked(raw).unwrap_or(".env");
            Body::new()
                .key("run", &format!("git check-ignore -q {path} && ! git ls-files --error-unmatch {path} 2>/dev/null"))
                .expect("exit_code == 0")
        }
        Kind::FileMode => {
            let mode = PATTERNS
                .mode
                .captures(raw)
                .and_then(|c| c.get(1))
                .map_or("600", |m| m.as_str());
            let body = match backticked(raw) {
                // `BACKUP_DIR`: a variable the file names, not a path.
                Some(path) if !path.chars().any(|c| c.is_ascii_uppercase()) => {
                    Body::new().key("path", path)
                }
                _ => Body::new().placeholder("path", "/var/backups"),
            };
            body.expect("exists == true")
                .expect(format!("mode == 0o{mode}"))
        }
        Kind::Postgres => postgres()
            .placeholder("query", "select 1")
            .expect("value == 1"),
        Kind::ReplicaLag => {
            let lag = duration(folded).unwrap_or_else(|| "10s".into());
            postgres().expect(format!("replication_lag < {lag}"))
        }
        Kind::Connections => {
            let (_, share) = percent(folded).unwrap_or(("<".into(), "80".into()));
            postgres().expect(format!("connections_used < {share}%"))
        }
        Kind::RpoDrill => {
            let rpo = duration(folded).unwrap_or_else(|| "1h".into());
            drill("latest").raw("rpo", quote(&rpo))
        }
        Kind::RestoreDrill => {
            let rto = duration(folded).unwrap_or_else(|| "1h".into());
            drill("restore").raw("rto", quote(&rto))
        }
        Kind::Tls => {
            let days = PATTERNS
                .duration
                .captures(folded)
                .filter(|c| {
                    c.get(2)
                        .is_some_and(|u| u.as_str().starts_with('d') || u.as_str().starts_with('j'))
                })
                .and_then(|c| c.get(1))
                .map_or("30", |m| m.as_str())
                .to_owned();
            let mut body = Body::new()
                .placeholder("host", "app.example.test:443")
                .expect(format!("cert.days_left > {days}"))
                .expect("chain_valid == true")
                .expect("hostname_valid == true");
            if folded.contains("1.2") || folded.contains("1.3") {
                let version = if folded.contains("1.3") { "1.3" } else { "1.2" };
                body = body.expect(format!("tls.version >= {version}"));
            }
            body
        }
        Kind::Headers => {
            let mut body = Body::new().placeholder("url", "https://app.example.test/");
            let named: Vec<(&str, &str)> = [
                ("hsts", "strict-transport-security"),
                ("csp", "content-security-policy"),
                ("x frame", "x-frame-options"),
            ]
            .into_iter()
            .filter(|(word, _)| folded.contains(word) || folded.contains(&word.replace(' ', "-")))
            .collect();
            let headers = if named.is_empty() {
                vec![
                    ("", "strict-transport-security"),
                    ("", "content-security-policy"),
                    ("", "x-frame-options"),
                ]
            } else {
                named
            };
            for (_, header) in headers {
                body = body.expect(format!("header.{header} exists"));
            }
            body
        }
        Kind::Cors => Body::new()
            .placeholder("url", "https://api.example.test/")
            .raw(
                "headers",
                "{ Origin = \"https://app.example.test\" }   # placeholder".into(),
            )
            .expect("header.access-control-allow-origin == \"https://app.example.test\""),
        Kind::Dns => Body::new()
            .placeholder("name", "app.example.test")
            .expect("resolves == true"),
        Kind::PortOpen => Body::new()
            .placeholder("host", "db.example.test:5432")
            .expect("open == true"),
        Kind::PortClosed => Body::new()
            .placeholder("host", "app.example.test:5432")
            .expect("open == false"),
        Kind::AlertsFiring => {
            prometheus("ALERTS{alertstate=\"firing\",severity=\"critical\"}").expect("series == 0")
        }
        Kind::Prometheus => prometheus_for(folded),
        Kind::Load => load(folded),
        Kind::Kubernetes => {
            let run = if folded.contains("node") {
                "kubectl get nodes --no-headers | grep -vq ' Ready '; test $? -eq 1"
            } else if folded.contains("hpa") || folded.contains("auto scaling") {
                "kubectl get hpa --all-namespaces --no-headers | grep -q ."
            } else if folded.contains("pdb") || folded.contains("poddisruption") {
                "kubectl get pdb --all-namespaces --no-headers | grep -q ."
            } else if folded.contains("root") {
                "! kubectl get pods --all-namespaces -o jsonpath='{..runAsNonRoot}' | grep -q false"
            } else {
                "kubectl get pods --all-namespaces --no-headers | grep -Evq 'Running|Completed'; test $? -eq 1"
            };
            Body::new().placeholder("run", run).expect("exit_code == 0")
        }
        Kind::Health => Body::new()
            .placeholder("url", "https://app.example.test/health")
            .expect("status == 200"),
        Kind::AuthRequired => Body::new()
            .placeholder("url", "https://app.example.test/api/")
            .expect("status == 401"),
        Kind::NoStackTraces => Body::new()
            .placeholder("url", "https://app.example.test/does-not-exist")
            .expect("status == 404"),
        Kind::Tests => Body::new()
            .placeholder("run", "make test")
            .raw("timeout", quote("30m"))
            .expect("exit_code == 0"),
        Kind::Vulnerabilities => Body::new()
            .placeholder("run", "npm audit --audit-level=critical")
            .raw("timeout", quote("5m"))
            .expect("exit_code == 0"),
        Kind::DataQuality => Body::new()
            .placeholder("run", "python3 scripts/data_quality.py data/current.csv")
            .expect("exit_code == 0"),
        Kind::DiskSpace => {
            let gigabytes = PATTERNS
                .gigabytes
                .captures(folded)
                .and_then(|c| c.get(1))
                .map_or("10", |m| m.as_str())
                .to_owned();
            Body::new()
                .placeholder(
                    "run",
                    &format!("test \"$(df --output=avail -BG /var/backups | tail -1 | tr -dc 0-9)\" -ge {gigabytes}"),
                )
                .expect("exit_code == 0")
        }
        Kind::LogErrors => Body::new()
            .placeholder(
                "run",
                "! grep -Eqi 'error|fatal|critical' /var/log/app/*.log",
            )
            .expect("exit_code == 0"),
        Kind::Cron => {
            let word = ["backup", "status", "monitoring", "sauvegarde"]
                .into_iter()
                .find(|word| folded.contains(word))
                .unwrap_or("backup");
            let word = if word == "monitoring" { "status" } else { word };
            Body::new()
                .key("run", &format!("crontab -l | grep -q {word}"))
                .expect("exit_code == 0")
        }
        Kind::Script => {
            let run = backticked(raw).unwrap_or("./check.sh");
            Body::new()
                .key("run", run)
                .raw("timeout", quote("1h"))
                .expect("exit_code == 0")
        }
        Kind::FileExists => {
            // The last backticked name is the file made (`.env.example` copied to `.env`).
            let path = PATTERNS
                .backticked
                .captures_iter(raw)
                .filter_map(|c| c.get(1))
                .last()
                .map(|m| m.as_str())
                // Repository files named without backticks.
                .or_else(|| folded.contains("dockerignore").then_some(".dockerignore"))
                .or_else(|| {
                    folded
                        .contains("dependabot")
                        .then_some(".github/dependabot.yml")
                })
                .unwrap_or(".env");
            Body::new().key("path", path).expect("exists == true")
        }
        Kind::Backup => {
            let mut body = Body::new().placeholder("newest", "/var/backups/*.dump");
            if let Some(size) = size(folded) {
                body = body.expect(format!("size > {size}"));
            } else {
                let age = duration(folded).unwrap_or_else(|| "1d".into());
                body = body.expect(format!("age < {age}"));
            }
            body
        }
    }
}

fn model() -> Body {
    Body::new()
        .placeholder("url", "https://model.example.test/predict")
        .placeholder("holdout", "data/holdout.csv")
        .placeholder("label", "label")
}

fn postgres() -> Body {
    Body::new().placeholder("url", "postgres://postgres@db.example.test:5432/postgres")
}

fn drill(action: &str) -> Body {
    Body::new()
        .key("action", action)
        .placeholder("database", "postgres://postgres@db.example.test:5432/app")
        .placeholder("dir", "/var/backups/postgresql")
}

fn prometheus(query: &str) -> Body {
    Body::new()
        .placeholder("url", "http://prometheus.example.test:9090")
        .placeholder("query", query)
}

/// A Prometheus check for the metric the text names, with its threshold where it gives one.
fn prometheus_for(folded: &str) -> Body {
    if folded.contains("error") || folded.contains("erreur") {
        let (_, share) = percent(folded).unwrap_or(("<".into(), "1".into()));
        let ratio = share.parse::<f64>().map_or(0.01, |p| p / 100.0);
        prometheus("sum(rate(http_requests_total{code=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m]))")
            .expect(format!("value < {ratio}"))
    } else if folded.contains("laten")
        || folded.contains("temps de reponse")
        || folded.contains("performance")
    {
        let seconds = duration(folded)
            .and_then(|d| {
                d.strip_suffix("ms")
                    .and_then(|ms| ms.parse::<f64>().ok())
                    .map(|ms| ms / 1000.0)
                    .or_else(|| d.strip_suffix('s').and_then(|s| s.parse::<f64>().ok()))
            })
            .unwrap_or(0.5);
        prometheus(
            "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))",
        )
        .expect(format!("value < {seconds}"))
    } else if folded.contains("availability") || folded.contains("disponibilite") {
        let (_, share) = percent(folded).unwrap_or((">=".into(), "99.9".into()));
        let ratio = share.parse::<f64>().map_or(0.999, |p| p / 100.0);
        prometheus("avg_over_time(up{job=\"app\"}[30d])").expect(format!("value >= {ratio}"))
    } else if folded.contains("iops") {
        prometheus("rate(node_disk_io_time_seconds_total[5m])").expect("value < 0.8")
    } else if folded.contains("scrap") || folded.contains("targets") {
        prometheus("up == 0").expect("series == 0")
    } else if folded.contains("alert") {
        prometheus("count(ALERTS) or vector(0)").expect("series > 0")
    } else {
        prometheus("up{job=\"app\"}")
            .expect("series > 0")
            .expect("value == 1")
    }
}

/// A load test with the text's users, duration and thresholds.
fn load(folded: &str) -> Body {
    let users = PATTERNS
        .users
        .captures(folded)
        .and_then(|c| c.get(1))
        .map_or("50", |m| m.as_str())
        .to_owned();
    // A soak test says how long it runs ("Soak test (4 hours)"); the others need a minute.
    let duration_text = if folded.contains("soak") || folded.contains("endurance") {
        PATTERNS
            .hours
            .captures(folded)
            .and_then(|c| c.get(1))
            .map_or_else(|| "1h".to_owned(), |h| format!("{}h", h.as_str()))
    } else {
        "1m".to_owned()
    };
    let mut body = Body::new()
        .placeholder("url", "https://app.example.test/")
        .raw("users", users)
        .raw("duration", quote(&duration_text));
    let metric = ["p50", "p90", "p95", "p99"]
        .into_iter()
        .find(|p| folded.contains(p));
    if folded.contains("no failures") || folded.contains("aucune erreur") {
        body = body.expect("errors == 0");
    } else if folded.contains("error rate") || folded.contains("taux d erreur") {
        let (_, share) = percent(folded).unwrap_or(("<".into(), "1".into()));
        body = body.expect(format!("error_rate < {share}%"));
    } else if let Some(rate) = PATTERNS.rate.captures(folded).and_then(|c| c.get(1)) {
        body = body.expect(format!("rps >= {}", rate.as_str()));
    } else if folded.contains("requests sec") {
        let target = folded
            .split_whitespace()
            .rev()
            .find_map(|w| w.parse::<u64>().ok())
            .unwrap_or(100);
        body = body.expect(format!("rps >= {target}"));
    } else {
        let latency = duration(folded)
            .filter(|d| d.ends_with("ms") || d.ends_with('s'))
            .unwrap_or_else(|| "500ms".into());
        body = body
            .expect(format!("{} < {latency}", metric.unwrap_or("p95")))
            .expect("error_rate < 1%");
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::fold;

    #[test]
    fn thresholds_come_from_the_text() {
        assert_eq!(
            duration(&fold("Âge sauvegarde < 1 heure")).as_deref(),
            Some("1h")
        );
        assert_eq!(
            duration(&fold("Restauration en < 30 min")).as_deref(),
            Some("30m")
        );
        assert_eq!(duration(&fold("p95 < 200ms")).as_deref(), Some("200ms"));
        assert_eq!(
            size(&fold("Vérifier: Taille > 1MB")).as_deref(),
            Some("1MB")
        );
        assert_eq!(
            percent(&fold("target < 0.1%")),
            Some(("<".to_owned(), "0.1".to_owned()))
        );
    }

    #[test]
    fn a_stanza_names_its_item_and_keeps_the_mode() {
        let text = "`.env` → 600 (propriétaire seulement)";
        let stanza = render(Kind::FileMode, "env-600", 12, text, &fold(text));
        assert!(stanza.starts_with("# line 12: `.env` → 600"), "{stanza}");
        assert!(stanza.contains("path = \".env\""), "{stanza}");
        assert!(stanza.contains("\"mode == 0o600\""), "{stanza}");
    }
}
