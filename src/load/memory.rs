//! The target's memory during a soak test: sampled at a fixed interval from a process
//! (`/proc/PID/status`, VmRSS), a command that prints a number of bytes, or a Prometheus
//! query; summed up as growth (last sample minus first) and slope (bytes per hour, a
//! least-squares fit, so one noisy sample moves it little).
//!
//! Sampling never fails the test: a sample that cannot be taken is counted with its reason,
//! and the memory metrics are missing (with that reason) when fewer than two samples came.

use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

/// Most samples kept; sampling stops there (a day at one a second).
const MAX_SAMPLES: usize = 86_400;
/// Longest a command or Prometheus query may take for one sample.
const SAMPLE_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the target's memory is read.
#[derive(Debug, Clone, PartialEq)]
pub enum MemorySource {
    /// Resident set size of this process.
    Pid(u32),
    /// A shell command whose standard output is a number of bytes.
    Command(String),
    /// An instant query against a Prometheus server's HTTP API (`/api/v1/query`), whose
    /// first result's value is a number of bytes.
    Prometheus { url: String, query: String },
}

impl MemorySource {
    /// What sampling needs ready before the test starts: the HTTP client of a Prometheus
    /// source (loading the system's CA certificates can take longer than an interval).
    pub(crate) fn prepare(&self) -> Option<reqwest::Client> {
        match self {
            MemorySource::Prometheus { .. } => prometheus_client().ok(),
            _ => None,
        }
    }

    /// `pid 1234`, `command `…``, `prometheus `…`` — for people.
    pub fn describe(&self) -> String {
        match self {
            MemorySource::Pid(pid) => format!("pid {pid}"),
            MemorySource::Command(command) => format!("command `{command}`"),
            MemorySource::Prometheus { query, .. } => format!("Prometheus `{query}`"),
        }
    }

    /// One sample, in bytes. `client` is built at the first Prometheus query and kept: loading
    /// the system's CA certificates takes longer than a sampling interval.
    pub(crate) async fn sample(&self, client: &mut Option<reqwest::Client>) -> Result<u64, String> {
        match self {
            MemorySource::Pid(pid) => {
                let path = format!("/proc/{pid}/status");
                let status = tokio::fs::read_to_string(&path)
                    .await
                    .map_err(|error| format!("cannot read {path}: {error}"))?;
                vm_rss(&status).ok_or_else(|| format!("no VmRSS line in {path}"))
            }
            MemorySource::Command(command) => {
                let run = tokio::process::Command::new("sh")
                    .args(["-c", command])
                    .stdin(std::process::Stdio::null())
                    .kill_on_drop(true)
                    .output();
                let output = tokio::time::timeout(SAMPLE_TIMEOUT, run)
                    .await
                    .map_err(|_| format!("`{command}` did not finish within 5s"))?
                    .map_err(|error| format!("cannot run `{command}`: {error}"))?;
                if !output.status.success() {
                    return Err(format!("`{command}` failed: {}", output.status));
                }
                let text = String::from_utf8_lossy(&output.stdout);
                bytes_of(text.trim()).ok_or_else(|| {
                    format!(
                        "`{command}` printed `{}`, not a number of bytes",
                        text.trim().chars().take(40).collect::<String>()
                    )
                })
            }
            MemorySource::Prometheus { url, query } => {
                if client.is_none() {
                    *client = Some(prometheus_client()?);
                }
                match client {
                    Some(client) => prometheus(client, url, query).await,
                    None => Err("no HTTP client".to_string()),
                }
            }
        }
    }
}

/// `VmRSS:   12345 kB` in `/proc/PID/status`, in bytes.
fn vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `123456`, or a float Prometheus might print (`1.2e+08`).
fn bytes_of(text: &str) -> Option<u64> {
    if let Ok(bytes) = text.parse::<u64>() {
        return Some(bytes);
    }
    let value: f64 = text.parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| value.round() as u64)
}

fn prometheus_client() -> Result<reqwest::Client, String> {
    let tls = crate::probe::tls_client::client_config(None, false)?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .no_proxy()
        .timeout(SAMPLE_TIMEOUT)
        .build()
        .map_err(|error| format!("cannot set up the HTTP client: {error}"))
}

async fn prometheus(client: &reqwest::Client, base: &str, query: &str) -> Result<u64, String> {
    let mut url = reqwest::Url::parse(base)
        .map_err(|error| format!("invalid Prometheus URL `{base}`: {error}"))?;
    url.path_segments_mut()
        .map_err(|_| format!("invalid Prometheus URL `{base}`"))?
        .pop_if_empty()
        .extend(["api", "v1", "query"]);
    url.query_pairs_mut().append_pair("query", query);
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|error| format!("Prometheus at {base}: {error}"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|error| format!("Prometheus at {base}: {error}"))?;
    let body: Json = serde_json::from_slice(&body)
        .map_err(|error| format!("Prometheus at {base} answered {status} without JSON: {error}"))?;
    if body["status"] != "success" {
        return Err(format!(
            "Prometheus refused `{query}`: {}",
            body["error"].as_str().unwrap_or("no reason given")
        ));
    }
    let value = &body["data"]["result"][0]["value"][1];
    value
        .as_str()
        .and_then(bytes_of)
        .ok_or_else(|| format!("`{query}` returned no sample (an empty result?)"))
}

/// The samples of one test, and what they add up to.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryReport {
    pub source: String,
    /// From the start of the test, and bytes.
    pub samples: Vec<(Duration, u64)>,
    /// Samples that could not be taken.
    pub failures: u64,
    /// The first reason a sample could not be taken.
    pub failure: Option<String>,
}

impl MemoryReport {
    pub fn first(&self) -> Option<u64> {
        self.samples.first().map(|&(_, bytes)| bytes)
    }

    pub fn last(&self) -> Option<u64> {
        self.samples.last().map(|&(_, bytes)| bytes)
    }

    pub fn max(&self) -> Option<u64> {
        self.samples.iter().map(|&(_, bytes)| bytes).max()
    }

    /// Last sample minus first, in bytes (negative when memory shrank); `None` with fewer
    /// than two samples.
    pub fn growth(&self) -> Option<i64> {
        (self.samples.len() >= 2)
            .then(|| self.last().unwrap_or(0) as i64 - self.first().unwrap_or(0) as i64)
    }

    /// Bytes per hour, the least-squares slope of the samples; `None` with fewer than two
    /// samples at distinct times.
    pub fn slope(&self) -> Option<f64> {
        let n = self.samples.len() as f64;
        if self.samples.len() < 2 {
            return None;
        }
        let hours = |d: Duration| d.as_secs_f64() / 3600.0;
        let mean_t = self.samples.iter().map(|&(t, _)| hours(t)).sum::<f64>() / n;
        let mean_y = self.samples.iter().map(|&(_, y)| y as f64).sum::<f64>() / n;
        let (mut covariance, mut variance) = (0.0, 0.0);
        for &(t, y) in &self.samples {
            let dt = hours(t) - mean_t;
            covariance += dt * (y as f64 - mean_y);
            variance += dt * dt;
        }
        (variance > 0.0).then(|| covariance / variance)
    }

    pub fn to_json(&self) -> Json {
        json!({
            "source": self.source,
            "samples": self.samples.iter()
                .map(|(t, bytes)| json!({"t_s": (t.as_secs_f64() * 1e3).round() / 1e3, "bytes": bytes}))
                .collect::<Vec<_>>(),
            "growth_bytes": self.growth(),
            "slope_bytes_per_hour": self.slope().map(f64::round),
            "failures": self.failures,
            "failure": self.failure,
        })
    }
}

/// Samples `source` every `every` from `start` until `stop` resolves: the report.
pub(crate) async fn sample_until(
    source: &MemorySource,
    every: Duration,
    start: Instant,
    stop: impl std::future::Future<Output = ()>,
    client: Option<reqwest::Client>,
) -> MemoryReport {
    let mut report = MemoryReport {
        source: source.describe(),
        samples: Vec::new(),
        failures: 0,
        failure: None,
    };
    let mut stop = std::pin::pin!(stop);
    let mut client = client;
    let mut ticks = tokio::time::interval_at(start.into(), every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = ticks.tick() => {}
        }
        let at = start.elapsed();
        let sample = tokio::select! {
            _ = &mut stop => break,
            sample = source.sample(&mut client) => sample,
        };
        match sample {
            Ok(bytes) if report.samples.len() < MAX_SAMPLES => report.samples.push((at, bytes)),
            Ok(_) => {}
            Err(reason) => {
                report.failures += 1;
                report.failure.get_or_insert(reason);
            }
        }
    }
    // One last sample at the end, so that growth covers the whole test.
    match source.sample(&mut client).await {
        Ok(bytes) => report.samples.push((start.elapsed(), bytes)),
        Err(reason) => {
            report.failures += 1;
            report.failure.get_or_insert(reason);
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(samples: &[(u64, u64)]) -> MemoryReport {
        MemoryReport {
            source: "test".into(),
            samples: samples
                .iter()
                .map(|&(seconds, bytes)| (Duration::from_secs(seconds), bytes))
                .collect(),
            failures: 0,
            failure: None,
        }
    }

    #[test]
    fn slope_is_a_least_squares_fit_per_hour() {
        // 1 MB a minute is 60 MB an hour, whatever the noise around the line.
        let leaking = report(&[
            (0, 100_000_000),
            (60, 101_200_000),
            (120, 101_800_000),
            (180, 103_000_000),
        ]);
        let slope = leaking.slope().expect("a slope");
        assert!((slope - 60_000_000.0).abs() < 3_000_000.0, "{slope}");
        assert_eq!(leaking.growth(), Some(3_000_000));
        let steady = report(&[(0, 5_000), (1, 5_000), (2, 5_000)]);
        assert_eq!(steady.slope(), Some(0.0));
        assert_eq!(report(&[(0, 1)]).slope(), None);
        assert_eq!(
            report(&[(3, 1), (3, 2)]).slope(),
            None,
            "no time between them"
        );
        let shrinking = report(&[(0, 2_000), (3600, 1_000)]);
        assert_eq!(shrinking.growth(), Some(-1_000));
        assert_eq!(shrinking.slope(), Some(-1_000.0));
    }

    #[test]
    fn readings_parse() {
        assert_eq!(vm_rss("Name:\tx\nVmRSS:\t   1234 kB\n"), Some(1234 * 1024));
        assert_eq!(bytes_of("1.5e+03"), Some(1500));
        assert_eq!(bytes_of("-1"), None);
        assert_eq!(bytes_of("12 MB"), None);
    }

    #[tokio::test]
    async fn this_process_and_a_command_can_be_sampled() {
        let own = MemorySource::Pid(std::process::id())
            .sample(&mut None)
            .await
            .expect("VmRSS");
        assert!(own > 0);
        let printed = MemorySource::Command("echo 4096".into())
            .sample(&mut None)
            .await;
        assert_eq!(printed, Ok(4096));
        let wrong = MemorySource::Command("echo lots".into())
            .sample(&mut None)
            .await;
        assert!(
            wrong
                .expect_err("not bytes")
                .contains("not a number of bytes")
        );
        let gone = MemorySource::Pid(u32::MAX).sample(&mut None).await;
        assert!(gone.is_err());
    }
}
