//! A monitor's level, and the anti-flap tracker that confirms a change only after enough
//! consecutive results at the new level.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// How a monitor is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Warn,
    Crit,
    /// Nothing could be judged: no result yet, or a level condition had nothing to look at
    /// (a window without samples, a condition that does not apply to what was observed).
    Unknown,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Crit => "crit",
            Level::Unknown => "unknown",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        [Level::Ok, Level::Warn, Level::Crit, Level::Unknown]
            .into_iter()
            .find(|level| level.as_str() == text)
    }

    /// OK 0, WARN 1, CRIT 2; UNKNOWN is no better or worse than anything.
    fn rank(self) -> Option<u8> {
        match self {
            Level::Ok => Some(0),
            Level::Warn => Some(1),
            Level::Crit => Some(2),
            Level::Unknown => None,
        }
    }

    /// A level that calls for an alert.
    pub fn is_alerting(self) -> bool {
        matches!(self, Level::Warn | Level::Crit)
    }

    /// Prometheus gauge value: 0 ok, 1 warn, 2 crit, 3 unknown.
    pub fn gauge(self) -> u8 {
        self.rank().unwrap_or(3)
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str().to_ascii_uppercase())
    }
}

/// A confirmed level change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub from: Level,
    pub to: Level,
}

/// Confirms level changes: a worse level after `failures_before_alert` consecutive results
/// at it, a better one after `successes_before_resolve`. The first result of a monitor with
/// no history decides at once when it is OK, so a healthy start says nothing.
#[derive(Debug, Clone)]
pub struct Tracker {
    level: Level,
    since: DateTime<Utc>,
    /// The level the latest results agree on, and how many in a row.
    streak: Option<(Level, u32)>,
    failures_before_alert: u32,
    successes_before_resolve: u32,
}

impl Tracker {
    pub fn new(level: Level, since: DateTime<Utc>, failures: u32, successes: u32) -> Tracker {
        Tracker {
            level,
            since,
            streak: None,
            failures_before_alert: failures.max(1),
            successes_before_resolve: successes.max(1),
        }
    }

    pub fn level(&self) -> Level {
        self.level
    }

    pub fn since(&self) -> DateTime<Utc> {
        self.since
    }

    /// New anti-flap counts (the configuration changed); the level and streak stay.
    pub fn set_counts(&mut self, failures: u32, successes: u32) {
        self.failures_before_alert = failures.max(1);
        self.successes_before_resolve = successes.max(1);
    }

    /// Takes one result's level; returns the change it confirms, if any.
    pub fn observe(&mut self, raw: Level, at: DateTime<Utc>) -> Option<Change> {
        if raw == self.level {
            self.streak = None;
            return None;
        }
        let count = match self.streak {
            Some((level, count)) if level == raw => count + 1,
            _ => 1,
        };
        self.streak = Some((raw, count));
        let needed = match (self.level.rank(), raw.rank()) {
            (None, Some(0)) => 1,
            (Some(now), Some(next)) if next < now => self.successes_before_resolve,
            _ => self.failures_before_alert,
        };
        if count < needed {
            return None;
        }
        let change = Change {
            from: self.level,
            to: raw,
        };
        self.level = raw;
        self.since = at;
        self.streak = None;
        Some(change)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(tracker: &mut Tracker, levels: &[Level]) -> Vec<Option<(Level, Level)>> {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        levels
            .iter()
            .map(|&level| tracker.observe(level, at).map(|c| (c.from, c.to)))
            .collect()
    }

    #[test]
    fn changes_need_consecutive_results_in_both_directions() {
        use Level::*;
        let mut tracker = Tracker::new(Unknown, DateTime::<Utc>::UNIX_EPOCH, 3, 2);
        assert_eq!(run(&mut tracker, &[Ok]), [Some((Unknown, Ok))]);
        // A flapping target never alerts: no three failures in a row.
        assert_eq!(
            run(&mut tracker, &[Crit, Crit, Ok, Crit, Crit, Ok, Crit]),
            [None; 7]
        );
        assert_eq!(run(&mut tracker, &[Crit, Crit]), [None, Some((Ok, Crit))]);
        assert_eq!(
            run(&mut tracker, &[Ok, Crit, Ok, Ok]),
            [None, None, None, Some((Crit, Ok))]
        );
        // WARN then CRIT: each level needs its own streak.
        assert_eq!(
            run(&mut tracker, &[Warn, Warn, Crit, Crit, Crit]),
            [None, None, None, None, Some((Ok, Crit))]
        );
        assert_eq!(run(&mut tracker, &[Warn, Warn]), [None, Some((Crit, Warn))]);
    }

    #[test]
    fn a_fresh_monitor_failing_waits_for_its_count() {
        let mut tracker = Tracker::new(Level::Unknown, DateTime::<Utc>::UNIX_EPOCH, 2, 1);
        assert_eq!(
            run(&mut tracker, &[Level::Crit, Level::Crit]),
            [None, Some((Level::Unknown, Level::Crit))]
        );
    }
}
