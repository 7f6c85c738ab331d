//! `golive load URL`: a load test from the command line, with live progress on a terminal,
//! a summary or a JSON document, and `--expect` conditions that set the exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anstyle::{AnsiColor, Style};
use anyhow::{Context as _, bail};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use indicatif::{ProgressBar, ProgressStyle};

use super::{Format, Outcome};
use crate::expr::{Condition, Value};
use crate::load::{Bound, Config, Live, Load, MemorySource, Stage, StageKind, Summary};
use crate::probe::load::{DOC, outcome};

const GOOD: Style = AnsiColor::Green.on_default();
const BAD: Style = AnsiColor::Red.on_default();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("bound").required(true).args(["duration", "requests", "stages"])))]
pub(super) struct Args {
    /// The http:// or https:// URL to load
    url: String,
    /// Run for this long, e.g. 30s or 5m (at most 1h)
    #[arg(long, short = 'z', value_parser = duration_arg)]
    duration: Option<Duration>,
    /// Send this many requests (at most 100000000)
    #[arg(long, short = 'n')]
    requests: Option<u64>,
    /// Concurrent connections, one request at a time on each (the same as --users)
    #[arg(long, short = 'c', conflicts_with = "users")]
    connections: Option<usize>,
    /// Virtual users, each with its own connection, sending its next request when the last is
    /// answered (default 10, at most 10000)
    #[arg(long, short = 'u')]
    users: Option<usize>,
    /// Each user's pause after an answer, e.g. 1s
    #[arg(long, value_parser = duration_arg)]
    think: Option<Duration>,
    /// A ramp step, linear from the previous target (0 at the start): DURATION:USERS, e.g.
    /// 30s:100, or DURATION:RATE/s for the open model, e.g. 1m:1000/s; repeat for more. The
    /// stages together set the duration
    #[arg(long = "stage", value_name = "DURATION:TARGET", value_parser = stage_arg, conflicts_with_all = ["duration", "requests", "rate", "users"])]
    stages: Vec<(Duration, f64, bool)>,
    /// Sample this process's memory (VmRSS) during the test, for memory.* conditions
    #[arg(long, value_name = "PID")]
    memory_pid: Option<u32>,
    /// Requests per second on a fixed schedule (open model: latency counts from when each
    /// request was due); without it every connection sends as fast as answers come
    #[arg(long, short = 'r')]
    rate: Option<f64>,
    /// Request method
    #[arg(long, short = 'm', default_value = "GET")]
    method: String,
    /// A request header, `Name: value`; repeat for more
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Request body, sent with every request
    #[arg(long)]
    body: Option<String>,
    /// Speak HTTP/2 (ALPN over TLS, prior knowledge over plain http)
    #[arg(long)]
    http2: bool,
    /// Give up on one request after this long (a `timeout` error)
    #[arg(long, default_value = "10s", value_parser = duration_arg)]
    timeout: Duration,
    /// A condition on the result, as in golive.toml, e.g. "p95 < 200ms"; repeat for more.
    /// Any that fails makes the exit code 1
    #[arg(long, value_name = "CONDITION")]
    expect: Vec<String>,
    /// PEM file of CA certificates to trust instead of the system's
    #[arg(long, value_name = "PATH")]
    ca: Option<PathBuf>,
    /// Accept any certificate
    #[arg(long)]
    insecure: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// No progress on stderr
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// `30s:100` (users) or `1m:500/s` (rate): duration, target, whether it is a rate.
fn stage_arg(text: &str) -> Result<(Duration, f64, bool), String> {
    let usage = || {
        format!("`{text}`: write DURATION:USERS, e.g. 30s:100, or DURATION:RATE/s, e.g. 1m:500/s")
    };
    let (duration, target) = text.split_once(':').ok_or_else(usage)?;
    let duration = crate::expr::parse_duration(duration).ok_or_else(usage)?;
    let (target, rate) = match target.strip_suffix("/s") {
        Some(rate) => (rate, true),
        None => (target, false),
    };
    let target: f64 = target.trim().parse().map_err(|_| usage())?;
    if !target.is_finite() || target < 0.0 || (!rate && target.fract() != 0.0) {
        return Err(usage());
    }
    Ok((duration, target, rate))
}

fn duration_arg(text: &str) -> Result<Duration, String> {
    crate::expr::parse_duration(text)
        .ok_or_else(|| format!("`{text}` is not a duration; write a number and a unit, e.g. 30s"))
}

pub(super) fn run(args: Args) -> anyhow::Result<Outcome> {
    // Without `--expect`, the probe's own notion of a passing load test decides, as a load
    // check without `expect` does: 100 % errors is not a success.
    let defaulted = args.expect.is_empty();
    let expect: Vec<String> = match defaulted {
        true => DOC
            .default_expect
            .iter()
            .map(|text| text.to_string())
            .collect(),
        false => args.expect.clone(),
    };
    let conditions = conditions(&expect)?;
    let config = config(&args)?;
    let load = Load::new(config)?;
    // The test runs on threads of its own (one per core); this runtime only draws progress
    // and listens for Ctrl-C.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let summary = runtime.block_on(async {
        let progress = show_progress.then(|| {
            let bar = progress_bar(load.config().bound);
            let task = tokio::spawn(tick(bar.clone(), load.live(), load.config().bound));
            (bar, task)
        });
        let run = load.run();
        tokio::pin!(run);
        let mut interrupted = false;
        let summary = loop {
            tokio::select! {
                summary = &mut run => break summary,
                // A first Ctrl-C ends the test early: requests under way finish and what was
                // measured is reported. A second one does not wait for them.
                _ = tokio::signal::ctrl_c() => {
                    if interrupted {
                        std::process::exit(130);
                    }
                    interrupted = true;
                    load.stop();
                }
            }
        };
        if let Some((bar, task)) = progress {
            task.abort();
            bar.finish_and_clear();
        }
        summary
    })?;
    let outcome = outcome(&summary);
    let verdicts: Vec<(String, Option<String>)> = conditions
        .iter()
        .map(|condition| {
            let verdict = condition.evaluate(&outcome.observed);
            let failure = verdict.message().map(|message| {
                match (
                    &outcome.problem,
                    outcome.observed.get(condition.metric().root()),
                ) {
                    (Some(problem), None) => {
                        format!("{} not observed: {problem}", condition.metric())
                    }
                    _ => message.to_string(),
                }
            });
            (
                condition.to_string(),
                failure.filter(|_| !verdict.is_pass()),
            )
        })
        .collect();
    let failed = verdicts.iter().any(|(_, failure)| failure.is_some());
    let verdict = if failed {
        Outcome::Findings
    } else {
        Outcome::Ok
    };
    // A reader that went away (`| head -1`) changes nothing about the verdict: the output
    // ends there (see `cli::output`), the exit code is still the conditions'.
    print(&args, &load, &summary, &verdicts, defaulted)?;
    Ok(verdict)
}

fn print(
    args: &Args,
    load: &Load,
    summary: &Summary,
    verdicts: &[(String, Option<String>)],
    defaulted: bool,
) -> anyhow::Result<()> {
    match args.format {
        Format::Json => {
            let mut document = summary.to_json();
            document["url"] = args.url.clone().into();
            document["test"] = load.config().describe().into();
            document["expect"] = verdicts
                .iter()
                .map(|(condition, failure)| {
                    serde_json::json!({"condition": condition, "passed": failure.is_none(), "failure": failure})
                })
                .collect();
            document["expect_default"] = defaulted.into();
            super::print_json(&document)?;
        }
        Format::Table => {
            let mut out = super::output::stdout();
            render(
                &args.url,
                load.config(),
                summary,
                verdicts,
                defaulted,
                &mut out,
            )?;
            out.flush()?;
        }
    }
    Ok(())
}

/// Parses every `--expect` before anything runs, as `golive check` does with `expect`.
fn conditions(texts: &[String]) -> anyhow::Result<Vec<Condition>> {
    let metrics: Vec<&str> = DOC.metrics.iter().map(|(name, _)| *name).collect();
    texts
        .iter()
        .map(|text| {
            let condition = Condition::parse(text).map_err(|error| {
                let hint = error
                    .hint()
                    .map(|hint| format!("; {hint}"))
                    .unwrap_or_default();
                anyhow::anyhow!("bad condition `{text}`: {}{hint}", error.message())
            })?;
            let metric = condition.metric().to_string();
            if !metrics.contains(&metric.as_str()) {
                let hint = match crate::diagnostic::did_you_mean(&metric, metrics.iter().copied()) {
                    Some(name) => format!("did you mean `{name}`?"),
                    None => format!("metrics: {}", metrics.join(", ")),
                };
                bail!("`--expect {text}`: a load test has no metric `{metric}`; {hint}");
            }
            Ok(condition)
        })
        .collect()
}

fn config(args: &Args) -> anyhow::Result<Config> {
    let bound = match (args.duration, args.requests) {
        (Some(duration), _) => Bound::Duration(duration),
        (None, Some(requests)) => Bound::Requests(requests),
        // Stages set it below; clap requires one of the three.
        (None, None) => Bound::Duration(Duration::ZERO),
    };
    let mut config = Config::new(args.url.clone(), bound);
    let request = &mut config.requests[0];
    request.method = http::Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .with_context(|| format!("invalid method `{}`", args.method))?;
    request.headers = headers(&args.headers)?;
    request.body = args
        .body
        .clone()
        .map(String::into_bytes)
        .unwrap_or_default();
    config.connections = args
        .users
        .or(args.connections)
        .unwrap_or(crate::load::DEFAULT_CONNECTIONS);
    config.rate = args.rate;
    config.think = args.think;
    if !args.stages.is_empty() {
        let rates = args.stages.iter().filter(|(_, _, rate)| *rate).count();
        if rates != 0 && rates != args.stages.len() {
            bail!("all `--stage`s ramp users (30s:100) or all ramp a rate (30s:100/s), not a mix");
        }
        let kind = if rates == 0 {
            StageKind::Users
        } else {
            StageKind::Rate
        };
        let pool = config.connections;
        let stages = args
            .stages
            .iter()
            .map(|&(duration, target, _)| Stage { duration, target })
            .collect();
        config.set_stages(kind, stages);
        if kind == StageKind::Rate {
            config.connections = pool;
        }
        if config.connections == 0 {
            bail!("every `--stage` has 0 users: nothing would run");
        }
    }
    config.memory = args.memory_pid.map(MemorySource::Pid);
    config.http2 = args.http2;
    config.timeout = args.timeout;
    config.ca = args.ca.clone();
    config.insecure = args.insecure;
    Ok(config)
}

fn headers(lines: &[String]) -> anyhow::Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            bail!("`--header {line}`: write `Name: value`, e.g. -H 'Accept: application/json'");
        };
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .with_context(|| format!("invalid header name `{}`", name.trim()))?;
        // The value is not echoed: it may be a token.
        let mut value = HeaderValue::from_str(value.trim())
            .with_context(|| format!("invalid value for header `{name}`"))?;
        value.set_sensitive(true);
        headers.append(name, value);
    }
    Ok(headers)
}

fn progress_bar(bound: Bound) -> ProgressBar {
    let length = match bound {
        Bound::Duration(duration) => u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        Bound::Requests(requests) => requests,
    };
    let bar = ProgressBar::new(length);
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{bar:30}] {elapsed_precise} {msg}")
    {
        bar.set_style(style.progress_chars("█▉░"));
    }
    bar
}

/// Updates the bar ten times a second from the workers' counters.
async fn tick(bar: ProgressBar, live: Arc<Live>, bound: Bound) {
    let started = Instant::now();
    let mut interval = tokio::time::interval(Duration::from_millis(100));
    let (mut last_count, mut last_time) = (0, started);
    loop {
        interval.tick().await;
        let now = Instant::now();
        let count = live.requests();
        let rate = (count - last_count.min(count)) as f64
            / now.duration_since(last_time).as_secs_f64().max(1e-3);
        (last_count, last_time) = (count, now);
        bar.set_position(match bound {
            Bound::Duration(_) => {
                u64::try_from(now.duration_since(started).as_millis()).unwrap_or(u64::MAX)
            }
            Bound::Requests(_) => count,
        });
        bar.set_message(format!(
            "{count} requests, {rate:.0}/s, {} errors",
            live.errors()
        ));
    }
}

/// `12 of 500 requests (2.4%): 10 answered with status ≥ 400, 2 could not connect`, or
/// `none`: each kind named, so that a count is never read as a status code.
fn errors_line(summary: &Summary) -> String {
    let errors = summary.errors;
    if errors.total() == 0 {
        return format!("{GOOD}none{GOOD:#}");
    }
    let kinds: Vec<String> = [
        (errors.status, "answered with status ≥ 400"),
        (errors.connect, "could not connect"),
        (errors.timeout, "timed out"),
        (errors.io, "lost their connection mid-exchange (io)"),
        (errors.capture, "had nothing to capture"),
    ]
    .into_iter()
    .filter(|(count, _)| *count > 0)
    .map(|(count, what)| format!("{count} {what}"))
    .collect();
    format!(
        "{BAD}{} of {} requests ({}){BAD:#}: {}",
        errors.total(),
        summary.requests,
        Value::Percent(summary.error_rate()),
        kinds.join(", ")
    )
}

fn render(
    url: &str,
    config: &Config,
    summary: &Summary,
    verdicts: &[(String, Option<String>)],
    defaulted: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out, "{BOLD}golive load{BOLD:#} {url}")?;
    writeln!(out, "  {DIM}{}{DIM:#}", config.describe())?;
    writeln!(out)?;
    let duration = |d: Duration| Value::Duration(d).to_string();
    writeln!(
        out,
        "  requests     {} in {}, {:.1} responses/s",
        summary.requests,
        duration(summary.elapsed),
        summary.rps()
    )?;
    match &summary.latency {
        Some(l) => writeln!(
            out,
            "  latency      p50 {}  p90 {}  p95 {}  p99 {}  p99.9 {}  max {}  mean {}",
            duration(l.p50),
            duration(l.p90),
            duration(l.p95),
            duration(l.p99),
            duration(l.p999),
            duration(l.max),
            duration(l.mean)
        )?,
        None => writeln!(out, "  latency      {BAD}no request was answered{BAD:#}")?,
    }
    writeln!(out, "  errors       {}", errors_line(summary))?;
    for example in &summary.error_examples {
        writeln!(out, "               {DIM}{example}{DIM:#}")?;
    }
    if summary.in_flight > 0 {
        writeln!(
            out,
            "  in flight    {} when the test ended {DIM}(not errors, not in the latencies){DIM:#}",
            summary.in_flight
        )?;
    }
    if !summary.status_codes.is_empty() {
        let codes: Vec<String> = summary
            .status_codes
            .iter()
            .map(|(code, count)| format!("{code} × {count}"))
            .collect();
        writeln!(out, "  status       {}", codes.join(", "))?;
    }
    writeln!(out, "  connections  {} opened", summary.connections_opened)?;
    if !summary.by_name.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "  by request   {DIM}requests  errors      p50      p95      p99{DIM:#}"
        )?;
        let width = summary
            .by_name
            .iter()
            .map(|n| n.name.chars().count())
            .max()
            .unwrap_or(0);
        for named in &summary.by_name {
            let (p50, p95, p99) = match &named.latency {
                Some(l) => (duration(l.p50), duration(l.p95), duration(l.p99)),
                None => ("–".into(), "–".into(), "–".into()),
            };
            writeln!(
                out,
                "  {:<width$}  {:>8}  {:>6}  {p50:>7}  {p95:>7}  {p99:>7}",
                named.name, named.requests, named.errors
            )?;
        }
    }
    if let Some(memory) = &summary.memory {
        let bytes = |b: u64| Value::Bytes(b).to_string();
        match (memory.first(), memory.last(), memory.slope()) {
            (Some(first), Some(last), Some(slope)) => writeln!(
                out,
                "  memory       {} → {} over {} samples, {} {DIM}({}){DIM:#}",
                bytes(first),
                bytes(last),
                memory.samples.len(),
                Value::BytesPerHour(slope),
                memory.source
            )?,
            _ => writeln!(
                out,
                "  memory       {BAD}not sampled twice{BAD:#} {DIM}({}{}){DIM:#}",
                memory.source,
                memory
                    .failure
                    .as_ref()
                    .map(|f| format!(": {f}"))
                    .unwrap_or_default()
            )?,
        }
    }
    if !summary.histogram.is_empty() {
        writeln!(out)?;
        writeln!(out, "  latency histogram")?;
        let most = summary
            .histogram
            .iter()
            .map(|b| b.count)
            .max()
            .unwrap_or(1)
            .max(1);
        for bucket in &summary.histogram {
            let width = (bucket.count * 40).div_ceil(most) as usize;
            writeln!(
                out,
                "  {:>10} │{} {}",
                format!("≤ {}", duration(bucket.le)),
                "█".repeat(width),
                bucket.count
            )?;
        }
    }
    if !verdicts.is_empty() {
        writeln!(out)?;
        if defaulted {
            writeln!(
                out,
                "  {DIM}expected by default (set your own with --expect):{DIM:#}"
            )?;
        }
        for (condition, failure) in verdicts {
            match failure {
                None => writeln!(out, "  {GOOD}✓{GOOD:#} {condition}")?,
                Some(failure) => writeln!(out, "  {BAD}✗ {condition}{BAD:#}  {failure}")?,
            }
        }
    }
    Ok(())
}
