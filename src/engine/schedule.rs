//! When a monitor runs: `every = "30s"` or `cron = "*/5 * * * *"`. Pure: the caller hands in
//! the time to schedule from, so tests can drive it with any clock.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// A monitor's (or a recurring item's) schedule.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// Every so often, counted from the previous run's due time, so runs do not drift.
    Every(Duration),
    /// At the times a cron pattern names (5 fields, or 6 with seconds first), in UTC.
    Cron {
        pattern: Box<croner::Cron>,
        text: String,
    },
}

/// The shortest `every` golive accepts: below it a monitor is a load test.
pub const MIN_EVERY: Duration = Duration::from_millis(100);

impl Schedule {
    /// Reads a cron pattern; the error says what croner found wrong.
    pub fn cron(text: &str) -> Result<Schedule, String> {
        text.parse::<croner::Cron>()
            .map(|pattern| Schedule::Cron {
                pattern: Box::new(pattern),
                text: text.trim().to_string(),
            })
            .map_err(|error| error.to_string())
    }

    /// The first due time strictly after `previous`.
    pub fn next_after(&self, previous: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Every(every) => Some(previous + chrono::Duration::from_std(*every).ok()?),
            Schedule::Cron { pattern, .. } => pattern.find_next_occurrence(&previous, false).ok(),
        }
    }

    /// The typical gap between runs, for sizing windows; a cron pattern's first gap from `now`.
    pub fn typical_gap(&self, now: DateTime<Utc>) -> Duration {
        match self {
            Schedule::Every(every) => *every,
            Schedule::Cron { .. } => self
                .next_after(now)
                .and_then(|first| (self.next_after(first)? - first).to_std().ok())
                .unwrap_or(Duration::from_secs(60)),
        }
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Schedule::Every(every) => write!(f, "every {}", crate::expr::Value::Duration(*every)),
            Schedule::Cron { text, .. } => write!(f, "cron `{text}`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_counts_from_the_previous_due_time_and_cron_finds_the_next_match() {
        let at = Utc
            .with_ymd_and_hms(2026, 1, 5, 10, 2, 30)
            .single()
            .expect("valid");
        let every = Schedule::Every(Duration::from_secs(30));
        assert_eq!(
            every.next_after(at),
            Some(at + chrono::Duration::seconds(30))
        );
        let cron = Schedule::cron("*/5 * * * *").expect("valid");
        assert_eq!(
            cron.next_after(at),
            Utc.with_ymd_and_hms(2026, 1, 5, 10, 5, 0).single()
        );
        assert_eq!(cron.typical_gap(at), Duration::from_secs(300));
        let seconds = Schedule::cron("*/10 * * * * *").expect("valid");
        assert_eq!(seconds.typical_gap(at), Duration::from_secs(10));
        assert!(Schedule::cron("61 * * * *").is_err());
        assert!(Schedule::cron("").is_err());
    }
}
