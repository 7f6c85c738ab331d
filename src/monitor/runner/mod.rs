//! The watch loop. One small task per monitor sleeps until its next due time, runs its check
//! (at most `jobs` probes at once) and sends the result to one central task, which owns all
//! state: levels, windows, incidents, triggers. It writes what it decides to the store and
//! hands notices to one delivery task per notifier, so a slow receiver delays only its own
//! notices. Results go to the store in batches, once a second.

mod alerting;
mod snapshot;
mod triggers;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;
use tokio::sync::{Semaphore, mpsc};

use super::alert::{self, History, Incident, Silence, Step};
use super::config::{Monitor, Trigger, WatchConfig};
use super::evaluate::{Judgement, judge};
use super::level::{Level, Tracker};
use super::notify::{self, Notice};
use super::periods::{self, Done};
use super::scheduler::{Message, MonitorTask, spawn_monitor};
use super::status::{NotifierStatus, Snapshot, Unmonitored};
use super::window::Window;
use crate::checklist::Checklist;
use crate::engine::run::CheckResult;
use crate::probe::Context;
use crate::store::event::Kind;
use crate::store::monitor::Sample;
use crate::store::{Store, StoreError};

/// Raw results are kept 7 days, hourly aggregates 90.
pub const RAW_RETENTION: Duration = Duration::from_secs(7 * 86_400);
pub const HOURS_RETENTION: Duration = Duration::from_secs(90 * 86_400);
pub(super) const ACTOR: &str = "golive watch";

/// What the runner is given to run, and re-given when the files change.
pub struct Setup {
    pub config: WatchConfig,
    pub checklist: Checklist,
    /// Where relative paths of trigger actions are run from.
    pub base: std::path::PathBuf,
}

/// Asks whether the configuration changed: `None` when not, else the new setup or the
/// problems that keep it from loading (the old one keeps running).
pub type Reload = Box<dyn FnMut() -> Option<Result<Setup, String>> + Send>;

/// Where the runner says what it does (the CLI prints these lines).
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

pub struct Options {
    pub store: Store,
    pub checklist: String,
    /// Whose events restore the monitors' history: the key's and those it adopted.
    pub identity: crate::store::identity::Identity,
    pub jobs: usize,
    pub log: Log,
    pub reload: Reload,
    /// Stop after this long (tests and bounded runs); `None` runs until a signal.
    pub duration: Option<Duration>,
}

/// A monitor while `watch` runs.
struct Live {
    monitor: Monitor,
    tracker: Tracker,
    window: Window,
    incident: Option<Incident>,
    last: Option<(DateTime<Utc>, Judgement, CheckResult)>,
    runs: u64,
    failures: u64,
    task: tokio::task::JoinHandle<()>,
}

struct TriggerLive {
    trigger: Trigger,
    holding: bool,
    incident: Option<Incident>,
}

struct Delivered {
    notifier: String,
    ok: Result<(), String>,
}

/// Runs until a signal (or `duration`). Returns when everything is written.
pub async fn run(
    setup: Setup,
    mut options: Options,
    snapshot: Arc<RwLock<Snapshot>>,
) -> Result<(), StoreError> {
    let store = options.store.clone();
    let key = options.checklist.clone();
    let events = store.events_of(&options.identity).await?;
    let mut history = History::from_events(&events);
    let went_live = crate::store::state::State::from_events(&options.identity, &events).went_live;
    let done = periods::done_from(&crate::store::recurring::Recurring::from_events(
        &options.identity,
        &events,
    ));
    drop(events);
    let now = Utc::now();
    let (results_tx, mut results) = mpsc::channel::<Message>(1024);
    let (delivered_tx, mut delivered) = mpsc::unbounded_channel::<Delivered>();
    let permits = Arc::new(Semaphore::new(options.jobs.max(1)));
    let context = Arc::new(Context::default());
    let client = notify::client().unwrap_or_default();
    let mut state = State {
        store: store.clone(),
        key: key.clone(),
        log: Arc::clone(&options.log),
        generation: 0,
        monitors: Vec::new(),
        triggers: Vec::new(),
        notifiers: HashMap::new(),
        notifier_stats: Vec::new(),
        silences: std::mem::take(&mut history.silences),
        last_seq: history.last_seq,
        pending: Vec::new(),
        snapshot: Arc::clone(&snapshot),
        went_live,
        checklist: setup.checklist.clone(),
        base: setup.base.clone(),
        client,
        delivered_tx,
        unmonitored: Vec::new(),
        done,
    };
    {
        let mut shot = snapshot.write().unwrap_or_else(|p| p.into_inner());
        shot.checklist = key.clone();
        shot.started_at = stamp(now);
    }
    state.install(setup, &mut history, &results_tx, &permits, &context, now);
    state.restore_windows(now).await;
    // Notices recorded before a crash but never delivered.
    for (notice, notifiers) in std::mem::take(&mut history.undelivered) {
        state.log.as_ref()(&format!(
            "delivering `{}` ({}) recorded before the last stop",
            notice.summary, notice.state
        ));
        state.dispatch(&notice, &notifiers).await;
    }
    state.prune().await;
    let started = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks: u64 = 0;
    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            Some(message) = results.recv() => {
                state.result(message).await;
                // Drain what else is waiting, so a burst of results is handled in one go.
                while let Ok(message) = results.try_recv() {
                    state.result(message).await;
                }
            }
            Some(done) = delivered.recv() => state.count_delivery(done),
            _ = tick.tick() => {
                ticks += 1;
                state.flush().await;
                state.poll_silences().await;
                state.repeats(Utc::now()).await;
                if let Some(reloaded) = (options.reload)() {
                    match reloaded {
                        Ok(setup) => {
                            state.log.as_ref()("configuration changed: reloaded");
                            let mut history = History::default();
                            state.install(setup, &mut history, &results_tx, &permits, &context, Utc::now());
                        }
                        Err(problems) => state.log.as_ref()(&format!("configuration changed but cannot be loaded; still running the previous one:\n{problems}")),
                    }
                }
                if ticks.is_multiple_of(3600) {
                    state.prune().await;
                }
                state.publish(Utc::now());
                if options.duration.is_some_and(|limit| started.elapsed() >= limit) {
                    break;
                }
            }
            _ = &mut stop => break,
        }
    }
    for live in &state.monitors {
        live.task.abort();
    }
    state.flush().await;
    // Give deliveries under way a moment to finish and be recorded.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    state.notifiers.clear();
    while let Ok(Some(done)) = tokio::time::timeout_at(deadline, delivered.recv()).await {
        state.count_delivery(done);
    }
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        if let Ok(mut terminate) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::select! {
                _ = interrupt => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = interrupt.await;
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

struct State {
    store: Store,
    key: String,
    log: Log,
    generation: u64,
    monitors: Vec<Live>,
    triggers: Vec<TriggerLive>,
    notifiers: HashMap<String, mpsc::Sender<Notice>>,
    notifier_stats: Vec<NotifierStatus>,
    silences: Vec<Silence>,
    last_seq: i64,
    pending: Vec<Sample>,
    snapshot: Arc<RwLock<Snapshot>>,
    went_live: Option<String>,
    checklist: Checklist,
    base: std::path::PathBuf,
    client: reqwest::Client,
    delivered_tx: mpsc::UnboundedSender<Delivered>,
    unmonitored: Vec<Unmonitored>,
    /// Periods of recurring items done, kept across reloads.
    done: Done,
}

impl State {
    /// Starts (or restarts, after a reload) every monitor, keeping the state of monitors
    /// that keep their name.
    fn install(
        &mut self,
        setup: Setup,
        history: &mut History,
        results: &mpsc::Sender<Message>,
        permits: &Arc<Semaphore>,
        context: &Arc<Context>,
        now: DateTime<Utc>,
    ) {
        self.generation += 1;
        let mut previous: HashMap<String, Live> = self
            .monitors
            .drain(..)
            .map(|live| {
                live.task.abort();
                (live.monitor.name().to_string(), live)
            })
            .collect();
        let mut previous_triggers: HashMap<String, TriggerLive> = self
            .triggers
            .drain(..)
            .map(|t| (t.trigger.name.clone(), t))
            .collect();
        let WatchConfig {
            monitors,
            notifiers,
            triggers,
            unmonitored,
            secrets,
            ..
        } = setup.config;
        self.checklist = setup.checklist;
        self.base = setup.base;
        self.unmonitored = unmonitored
            .iter()
            .map(|t| Unmonitored {
                name: t.name.clone(),
                line: t.line,
                warn: t.warn.as_ref().map(|b| b.written.clone()),
                crit: t.crit.as_ref().map(|b| b.written.clone()),
            })
            .collect();
        for threshold in &unmonitored {
            self.log.as_ref()(&format!(
                "unmonitored threshold: `{}` (checklist line {}) has no monitor; add `row = \"{}\"` to a check",
                threshold.name, threshold.line, threshold.name
            ));
        }
        self.start_notifiers(notifiers);
        let secrets = Arc::new(secrets);
        let count = monitors.len().max(1);
        for (index, monitor) in monitors.into_iter().enumerate() {
            let name = monitor.name().to_string();
            let (tracker, window, incident, last, runs, failures) = match previous.remove(&name) {
                Some(mut old) => {
                    old.tracker.set_counts(
                        monitor.failures_before_alert,
                        monitor.successes_before_resolve,
                    );
                    let window = if old.window.metrics() == monitor.window_metrics.as_slice() {
                        old.window
                    } else {
                        Window::new(monitor.window, monitor.window_metrics.clone())
                    };
                    (
                        old.tracker,
                        window,
                        old.incident,
                        old.last,
                        old.runs,
                        old.failures,
                    )
                }
                None => {
                    let (level, since) = history
                        .levels
                        .get(&name)
                        .copied()
                        .unwrap_or((Level::Unknown, now));
                    let tracker = Tracker::new(
                        level,
                        since,
                        monitor.failures_before_alert,
                        monitor.successes_before_resolve,
                    );
                    let window = Window::new(monitor.window, monitor.window_metrics.clone());
                    (tracker, window, history.incidents.remove(&name), None, 0, 0)
                }
            };
            // Spread first runs over one interval, so a thousand monitors do not all start at once.
            let gap = monitor.schedule.typical_gap(now);
            let offset = gap.mul_f64(index as f64 / count as f64);
            let task = spawn_monitor(MonitorTask {
                generation: self.generation,
                index,
                check: monitor.check.clone(),
                schedule: monitor.schedule.clone(),
                first: offset,
                results: results.clone(),
                permits: Arc::clone(permits),
                context: Arc::clone(context),
                secrets: Arc::clone(&secrets),
                periods: monitor
                    .periods
                    .clone()
                    .map(|periods| (periods, Arc::clone(&self.done))),
            });
            self.monitors.push(Live {
                monitor,
                tracker,
                window,
                incident,
                last,
                runs,
                failures,
                task,
            });
        }
        for trigger in triggers {
            let pseudo = format!("trigger:{}", trigger.name);
            let (holding, incident) = match previous_triggers.remove(&trigger.name) {
                Some(old) => (old.holding, old.incident),
                None => {
                    let holding = history
                        .levels
                        .get(&pseudo)
                        .is_some_and(|(level, _)| *level == Level::Crit);
                    (holding, history.incidents.remove(&pseudo))
                }
            };
            self.triggers.push(TriggerLive {
                trigger,
                holding,
                incident,
            });
        }
        self.publish(now);
    }

    /// Refills windows from the stored results, so `availability(1h)` means the last hour
    /// even just after a restart.
    async fn restore_windows(&mut self, now: DateTime<Utc>) {
        let longest = self
            .monitors
            .iter()
            .map(|live| live.monitor.window)
            .max()
            .unwrap_or_default();
        if longest.is_zero() {
            return;
        }
        let since = millis(now) - i64::try_from(longest.as_millis()).unwrap_or(i64::MAX / 2);
        match self.store.samples_since(&self.key, since).await {
            Ok(samples) => {
                let index: HashMap<String, usize> = self
                    .monitors
                    .iter()
                    .enumerate()
                    .map(|(i, live)| (live.monitor.name().to_string(), i))
                    .collect();
                for sample in samples {
                    if let Some(&i) = index.get(&sample.monitor) {
                        self.monitors[i].window.push_stored(
                            sample.at_ms,
                            sample.passed,
                            &sample.observed,
                        );
                    }
                }
            }
            Err(error) => (self.log)(&format!("cannot read past results: {error}")),
        }
    }

    async fn result(&mut self, message: Message) {
        if message.generation != self.generation {
            return;
        }
        let Some(live) = self.monitors.get_mut(message.index) else {
            return;
        };
        let at = message.at;
        let result = message.result;
        // A drill run by watch is audited as one run by `check` is.
        let drill = crate::drill::history::event(&self.key, ACTOR, &live.monitor.check, &result);
        let now_ms = millis(at);
        live.window
            .push(now_ms, result.passed, &result.outcome.observed);
        let judgement = judge(
            &result.failures,
            &live.monitor.crit,
            &live.monitor.warn,
            &result.outcome.observed,
            result.outcome.problem.as_deref(),
            &live.window,
            now_ms,
        );
        live.runs += 1;
        live.failures += u64::from(!result.passed);
        let periods = match &live.monitor.periods {
            Some(periods) if result.passed => {
                periods.passed(&self.key, live.monitor.name(), at, &self.done, ACTOR)
            }
            _ => Vec::new(),
        };
        self.pending.push(Sample {
            monitor: live.monitor.name().to_string(),
            at_ms: now_ms,
            level: judgement.level.as_str().to_string(),
            passed: result.passed,
            duration_ms: i64::try_from(result.duration.as_millis()).unwrap_or(i64::MAX),
            observed: live.window.numbers(&result.outcome.observed),
        });
        let change = live.tracker.observe(judgement.level, at);
        let name = live.monitor.name().to_string();
        let target = result.target.clone();
        live.last = Some((at, judgement.clone(), result));
        if let Some(change) = change {
            let reasons = judgement.reasons.clone();
            (self.log)(&format!(
                "{name}: {} → {}{}",
                change.from,
                change.to,
                if reasons.is_empty() {
                    String::new()
                } else {
                    format!(": {}", reasons.join("; "))
                }
            ));
            self.record(
                Kind::Transition,
                json!({"monitor": name, "from": change.from, "to": change.to, "reasons": reasons}),
            )
            .await;
            let index = message.index;
            let incident = self.monitors[index].incident.clone();
            let step = alert::step(incident.as_ref(), change);
            let summary = match change.to {
                Level::Ok => format!("{name} is OK again"),
                level => format!(
                    "{name} is {level}: {}",
                    reasons.first().cloned().unwrap_or_default()
                ),
            };
            let notifiers = self.monitors[index].monitor.notifiers.clone();
            let opened = self
                .alert(
                    &name,
                    step,
                    incident,
                    change.from,
                    change.to,
                    summary,
                    reasons,
                    target.clone(),
                    None,
                    notifiers,
                    at,
                )
                .await;
            if step != Step::Nothing {
                self.monitors[index].incident = opened;
            }
        }
        if !periods.is_empty()
            && let Err(error) = self.store.append(periods).await
        {
            (self.log)(&format!("cannot record a period done: {error}"));
        }
        if let Some(drill) = drill
            && let Err(error) = self.store.append(vec![drill]).await
        {
            (self.log)(&format!("cannot record the drill: {error}"));
        }
        self.evaluate_triggers(message.index, at, &target).await;
        self.publish_one(message.index, at);
    }

    async fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let samples = std::mem::take(&mut self.pending);
        if let Err(error) = self.store.record_samples(&self.key, &samples).await {
            (self.log)(&format!("cannot record {} results: {error}", samples.len()));
        }
    }

    async fn prune(&mut self) {
        let now = millis(Utc::now());
        let raw = now - RAW_RETENTION.as_millis() as i64;
        let hours = now - HOURS_RETENTION.as_millis() as i64;
        if let Err(error) = self.store.prune_samples(raw, hours).await {
            (self.log)(&format!("cannot prune old results: {error}"));
        }
    }
}
