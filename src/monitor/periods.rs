//! Checks on recurring items in `watch`: such a check runs once per period of its items (its
//! schedule is how often it is retried while the period is not done), and a pass records the
//! period in the store, never in the file, as `golive check` does. A check with levels (`warn`,
//! `crit`, `row`) is a monitor first: it keeps running on its schedule, and records each period
//! once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::checklist::Checklist;
use crate::checklist::recurrence::Recurrence;
use crate::engine::plan::Check;
use crate::report::recurring::stamp;
use crate::store::event::NewEvent;
use crate::store::recurring::{PeriodDone, Recurring};

/// Per item id, the periods done: found in the store at start, then what this watch records.
/// Shared by the monitor tasks (to skip a done period) and the runner (which records).
pub type Done = Arc<Mutex<HashMap<String, HashSet<String>>>>;

/// The periods the store already holds.
pub fn done_from(recurring: &Recurring) -> Done {
    let done = recurring
        .periods
        .iter()
        .map(|(item, periods)| (item.clone(), periods.keys().cloned().collect()))
        .collect();
    Arc::new(Mutex::new(done))
}

/// The recurring items a check verifies.
#[derive(Debug, Clone)]
pub struct Periods {
    pub items: Vec<(String, Recurrence)>,
    /// The check has no levels: it runs only while one of its periods is not done.
    pub once: bool,
}

impl Periods {
    /// `None` when the check verifies no recurring item.
    pub fn of(check: &Check, checklist: &Checklist) -> Option<Periods> {
        let items: Vec<(String, Recurrence)> = check
            .items
            .iter()
            .filter_map(|id| {
                let item = checklist.items.iter().find(|item| &item.id == id)?;
                Some((id.clone(), item.recurrence.as_deref()?.clone()))
            })
            .collect();
        let watch = &check.watch;
        let once = watch.warn.is_empty() && watch.crit.is_empty() && watch.row.is_none();
        (!items.is_empty()).then_some(Periods { items, once })
    }

    /// Each item whose period at `at` is not done yet, with that period's key.
    fn open<'a>(
        &'a self,
        at: DateTime<Utc>,
        done: &HashMap<String, HashSet<String>>,
    ) -> Vec<(&'a str, &'a Recurrence, String)> {
        self.items
            .iter()
            .filter_map(|(id, rule)| {
                // Every recurring item carries its zone once configured; UTC is the fallback.
                let key = rule.period(at, chrono_tz::UTC).key;
                let finished = done.get(id).is_some_and(|periods| periods.contains(&key));
                (!finished).then_some((id.as_str(), rule, key))
            })
            .collect()
    }

    /// Whether a run at `at` can be skipped: the check runs once per period and every one of
    /// its items' periods is done.
    pub fn skip(&self, at: DateTime<Utc>, done: &Done) -> bool {
        let done = done.lock().unwrap_or_else(|p| p.into_inner());
        self.once && self.open(at, &done).is_empty()
    }

    /// The period events a pass of `check` at `at` records, each period marked done here so
    /// that it is recorded once.
    pub fn passed(
        &self,
        checklist_key: &str,
        check: &str,
        at: DateTime<Utc>,
        done: &Done,
        who: &str,
    ) -> Vec<NewEvent> {
        let mut done = done.lock().unwrap_or_else(|p| p.into_inner());
        let open: Vec<(String, String, &'static str)> = self
            .open(at, &done)
            .into_iter()
            .map(|(id, rule, key)| (id.to_string(), key, rule.every.as_str()))
            .collect();
        let evidence = format!("check `{check}` passed");
        let stamp = stamp(at);
        open.into_iter()
            .map(|(id, key, every)| {
                let event = PeriodDone {
                    item: &id,
                    period: &key,
                    every,
                    at: &stamp,
                    source: "check",
                    evidence: Some(&evidence),
                }
                .event(checklist_key, who);
                done.entry(id.clone()).or_default().insert(key);
                event
            })
            .collect()
    }
}
