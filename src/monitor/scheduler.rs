//! One task per monitor: sleeps until the next due time of its schedule, runs its check
//! and sends the result to the runner. Runs do not drift (each due time follows the previous
//! one, not the end of the run) and an overrun does not cause a burst of catch-up runs.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Semaphore, mpsc};

use super::periods::{Done, Periods};
use crate::engine::plan::Check;
use crate::engine::run::{CheckResult, run_check};
use crate::engine::schedule::Schedule;
use crate::engine::secrets::Secrets;
use crate::probe::Context;

/// One result, for the runner.
pub(super) struct Message {
    pub(super) generation: u64,
    pub(super) index: usize,
    pub(super) at: DateTime<Utc>,
    pub(super) result: CheckResult,
}

pub(super) struct MonitorTask {
    pub(super) generation: u64,
    pub(super) index: usize,
    pub(super) check: Check,
    pub(super) schedule: Schedule,
    pub(super) first: Duration,
    pub(super) results: mpsc::Sender<Message>,
    pub(super) permits: Arc<Semaphore>,
    pub(super) context: Arc<Context>,
    pub(super) secrets: Arc<Secrets>,
    /// A check on recurring items: runs are skipped while every period is done.
    pub(super) periods: Option<(Periods, Done)>,
}

pub(super) fn spawn_monitor(task: MonitorTask) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let start = tokio::time::Instant::now() + task.first;
        let mut due_wall = Utc::now() + chrono::Duration::from_std(task.first).unwrap_or_default();
        let mut due = start;
        if let Schedule::Cron { .. } = task.schedule {
            // Cron monitors run at their pattern's times, not on start.
            match task.schedule.next_after(Utc::now()) {
                Some(next) => {
                    due = tokio::time::Instant::now()
                        + (next - Utc::now()).to_std().unwrap_or_default();
                    due_wall = next;
                }
                None => return,
            }
        }
        loop {
            tokio::time::sleep_until(due).await;
            let at = Utc::now();
            let skip = task
                .periods
                .as_ref()
                .is_some_and(|(periods, done)| periods.skip(at, done));
            if !skip {
                let result = Box::pin(run_check(
                    task.index,
                    &task.check,
                    &task.context,
                    &task.permits,
                    &task.secrets,
                ))
                .await;
                if task
                    .results
                    .send(Message {
                        generation: task.generation,
                        index: task.index,
                        at,
                        result,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
            }
            let Some(next_wall) = task.schedule.next_after(due_wall) else {
                return;
            };
            let now = Utc::now();
            // A run that overran its interval does not cause a burst of catch-up runs.
            let next_wall = if next_wall < now {
                task.schedule.next_after(now).unwrap_or(now)
            } else {
                next_wall
            };
            let wait = (next_wall - now).to_std().unwrap_or_default();
            due = tokio::time::Instant::now() + wait;
            due_wall = next_wall;
        }
    })
}
