//! `golive watch` (monitors, alerts, the status server) and `golive silence`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Context as _, bail};
use sha2::{Digest, Sha256};

use super::store::{Opened, StoreArgs, actor};
use super::{Outcome, input};
use crate::monitor::config::{self, WatchConfig};
use crate::monitor::runner::{self, Setup};
use crate::monitor::status::Snapshot;
use crate::store::event::{Kind, NewEvent};
use crate::store::monitor::Lease;

/// How long a watch lease lasts without renewal: a killed `watch` holds its checklist this
/// long at most (less when it ran on this host, where a dead pid is noticed at once).
const LEASE: Duration = Duration::from_secs(15);

pub(super) struct Options {
    pub(super) file: PathBuf,
    pub(super) config: Option<PathBuf>,
    pub(super) listen: Option<SocketAddr>,
    pub(super) jobs: usize,
    pub(super) duration: Option<Duration>,
    pub(super) store: StoreArgs,
}

fn config_path(file: &Path, config: Option<&Path>) -> PathBuf {
    match config {
        Some(path) => path.to_path_buf(),
        None => match file.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) => dir.join("golive.toml"),
            None => PathBuf::from("golive.toml"),
        },
    }
}

/// Reads the checklist and its configuration into what the runner runs; problems come
/// back as the rendered diagnostics.
fn setup(file: &Path, config: &Path) -> anyhow::Result<Result<Setup, String>> {
    let mut loaded = input::load(file)?;
    // Recurring sections as golive.toml sets them: their checks run once per period.
    super::recurring::configure(file, Some(config), &mut loaded.checklist)?;
    let shown = config.display().to_string();
    let text = match std::fs::read_to_string(config) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => bail!(
            "`{shown}`: no such file; `golive watch` runs the monitors of a golive.toml beside the checklist (or `--config PATH`): checks with `every = \"30s\"`, `warn = [...]`, `crit = [...]`"
        ),
        Err(error) => return Err(error).context(format!("`{shown}`: cannot be read")),
    };
    let markdown = crate::checklist::encoding::decode(&loaded.bytes)
        .map(|d| d.text)
        .unwrap_or_default();
    let base = config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let source = crate::engine::secrets::System { base: &base };
    Ok(
        match config::load(&loaded.checklist, &markdown, &text, &base, &source) {
            Ok(config) => Ok(Setup {
                config,
                checklist: loaded.checklist,
                base,
            }),
            Err(diagnostics) => {
                let mut rendered = String::new();
                for diagnostic in &diagnostics {
                    rendered.push_str(&diagnostic.render(&shown, &text));
                }
                let count = diagnostics.len();
                rendered.push_str(&format!(
                    "{count} problem{} in `{shown}`",
                    if count == 1 { "" } else { "s" }
                ));
                Err(rendered)
            }
        },
    )
}

fn fingerprint(paths: &[&Path]) -> Vec<u8> {
    let mut hash = Sha256::new();
    for path in paths {
        match std::fs::read(path) {
            Ok(bytes) => hash.update(&bytes),
            Err(_) => hash.update(b"\0missing"),
        }
    }
    hash.finalize().to_vec()
}

fn holder() -> String {
    let host = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{host}:{}", std::process::id())
}

/// A holder on this host whose process is gone.
fn is_gone(holder: &str) -> bool {
    let here = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some((host, pid)) = holder.rsplit_once(':') else {
        return false;
    };
    let Ok(pid) = pid.parse::<i32>() else {
        return false;
    };
    host == here
        && matches!(
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
            Err(nix::errno::Errno::ESRCH)
        )
}

fn summary(config: &WatchConfig) -> String {
    let monitors: Vec<String> = config
        .monitors
        .iter()
        .map(|m| format!("{} ({}, {})", m.name(), m.check.spec.name(), m.schedule))
        .collect();
    format!(
        "watching {} monitor{}: {}; {} notifier{}, {} trigger{}",
        monitors.len(),
        if monitors.len() == 1 { "" } else { "s" },
        monitors.join(", "),
        config.notifiers.len(),
        if config.notifiers.len() == 1 { "" } else { "s" },
        config.triggers.len(),
        if config.triggers.len() == 1 { "" } else { "s" },
    )
}

pub(super) fn run(options: Options) -> anyhow::Result<Outcome> {
    let config_file = config_path(&options.file, options.config.as_deref());
    let first = match setup(&options.file, &config_file)? {
        Ok(setup) => setup,
        Err(problems) => {
            eprintln!("{problems}");
            bail!(
                "nothing is watched until `{}` is fixed",
                config_file.display()
            );
        }
    };
    if first.config.monitors.is_empty() {
        bail!(
            "`{}` has no monitors: give a check `every = \"30s\"` (or `cron`, `warn`, `crit`, `row`), or attach one to a post-go-live item",
            config_file.display()
        );
    }
    let log: runner::Log = Arc::new(|line: &str| {
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{now} {line}");
    });
    log.as_ref()(&summary(&first.config));
    let opened = Opened::open(&options.file, &options.store)?;
    let me = holder();
    let take = |store: &crate::store::Store| {
        let now = chrono::Utc::now().timestamp_millis();
        let until = now + LEASE.as_millis() as i64;
        let store = store.clone();
        let key = opened.key.clone();
        let me = me.clone();
        async move { store.take_lease(&key, &me, now, until, &is_gone).await }
    };
    match opened.runtime.block_on(take(&opened.store))? {
        Lease::Taken => {}
        Lease::HeldBy {
            holder,
            expires_at_ms,
        } => {
            let until = chrono::DateTime::from_timestamp_millis(expires_at_ms)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            bail!(
                "another `golive watch` ({holder}) is running this checklist's monitors (lease until {until}); one watch per checklist keeps every alert single: stop it first, or wait for its lease to run out"
            );
        }
    }
    let snapshot = Arc::new(RwLock::new(Snapshot::default()));
    if let Some(addr) = options.listen {
        let (bound, _server) = opened
            .runtime
            .block_on(crate::monitor::server::serve(
                addr,
                Arc::clone(&snapshot),
                opened.store.clone(),
            ))
            .with_context(|| format!("cannot listen on {addr}"))?;
        log.as_ref()(&format!(
            "listening on http://{bound} (status page /, /api/status, /metrics)"
        ));
    }
    let (file, config_for_reload) = (options.file.clone(), config_file.clone());
    let mut seen = fingerprint(&[&file, &config_for_reload]);
    let reload: runner::Reload = Box::new(move || {
        let now = fingerprint(&[&file, &config_for_reload]);
        if now == seen {
            return None;
        }
        seen = now;
        Some(match setup(&file, &config_for_reload) {
            Ok(result) => result,
            Err(error) => Err(format!("{error:#}")),
        })
    });
    // Renew the lease while running; losing it (another watch took over an expired one)
    // stops this one.
    let renewer = {
        let store = opened.store.clone();
        let log = Arc::clone(&log);
        let key = opened.key.clone();
        let me = me.clone();
        opened.runtime.spawn(async move {
            loop {
                tokio::time::sleep(LEASE / 3).await;
                let now = chrono::Utc::now().timestamp_millis();
                match store
                    .take_lease(&key, &me, now, now + LEASE.as_millis() as i64, &is_gone)
                    .await
                {
                    Ok(Lease::Taken) => {}
                    Ok(Lease::HeldBy { holder, .. }) => {
                        log.as_ref()(&format!(
                            "another watch ({holder}) took over this checklist; stopping"
                        ));
                        std::process::exit(2);
                    }
                    Err(error) => log.as_ref()(&format!("cannot renew the watch lease: {error}")),
                }
            }
        })
    };
    let result = opened.runtime.block_on(runner::run(
        first,
        runner::Options {
            store: opened.store.clone(),
            checklist: opened.key.clone(),
            identity: opened.identity.clone(),
            jobs: options.jobs,
            log: Arc::clone(&log),
            reload,
            duration: options.duration,
        },
        snapshot,
    ));
    renewer.abort();
    opened
        .runtime
        .block_on(opened.store.release_lease(&opened.key, &me))?;
    result?;
    log.as_ref()("stopped");
    Ok(Outcome::Ok)
}

pub(super) struct Silence {
    pub(super) file: PathBuf,
    pub(super) monitor: String,
    pub(super) duration: Duration,
    pub(super) reason: String,
    pub(super) by: Option<String>,
    pub(super) config: Option<PathBuf>,
    pub(super) store: StoreArgs,
}

pub(super) fn silence(options: Silence) -> anyhow::Result<Outcome> {
    let config_file = config_path(&options.file, options.config.as_deref());
    if options.reason.trim().is_empty() {
        bail!("`--reason` is empty: say why alerts are silenced (it goes in the audit log)");
    }
    let setup = match setup(&options.file, &config_file)? {
        Ok(setup) => setup,
        Err(problems) => {
            eprintln!("{problems}");
            bail!(
                "cannot check the monitor's name until `{}` is fixed",
                config_file.display()
            );
        }
    };
    let names: Vec<String> = setup
        .config
        .monitors
        .iter()
        .map(|m| m.name().to_string())
        .chain(
            setup
                .config
                .triggers
                .iter()
                .map(|t| format!("trigger:{}", t.name)),
        )
        .collect();
    if options.monitor != "*" && !names.contains(&options.monitor) {
        let hint = match crate::diagnostic::did_you_mean(
            &options.monitor,
            names.iter().map(String::as_str),
        ) {
            Some(name) => format!("did you mean `{name}`?"),
            None => format!("monitors: {}; `*` silences them all", names.join(", ")),
        };
        bail!("no monitor is named `{}`; {hint}", options.monitor);
    }
    let opened = Opened::open(&options.file, &options.store)?;
    let until = chrono::Utc::now()
        + chrono::Duration::from_std(options.duration).context("`--for` is too long")?;
    let until = until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let who = actor(options.by.as_deref(), &options.file);
    opened.append(vec![NewEvent {
        checklist: opened.key.clone(),
        kind: Kind::Silence,
        item: None,
        actor: who.clone(),
        payload: serde_json::json!({"monitor": options.monitor, "until": until, "reason": options.reason}),
    }])?;
    let what = if options.monitor == "*" {
        "every monitor".to_string()
    } else {
        format!("`{}`", options.monitor)
    };
    super::output::say!("silenced {what} until {until} ({who}: {})", options.reason)?;
    Ok(Outcome::Ok)
}

/// `--for 2h`: a duration with a unit.
pub(super) fn parse_for(text: &str) -> Result<Duration, String> {
    crate::expr::parse_duration(text).ok_or_else(|| {
        format!("`{text}` is not a duration; write a number and a unit, e.g. 30m, 2h, 1d")
    })
}
