//! What `golive watch` keeps beside the audit log: raw results (7 days), hourly aggregates
//! (90 days), and the lease that lets one `watch` at a time run a checklist's monitors. Both
//! backends' SQL is here, side by side; `at` values are Unix milliseconds.

use serde_json::Value as Json;

use super::{Backend, Store, StoreError};
use crate::store::event::{Event, Kind};

/// One monitor result as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub monitor: String,
    pub at_ms: i64,
    /// `ok`, `warn`, `crit` or `unknown`.
    pub level: String,
    /// Whether the check's `expect` held (what availability counts).
    pub passed: bool,
    pub duration_ms: i64,
    /// Numeric metrics, for rebuilding windows after a restart.
    pub observed: Json,
}

/// One monitor's hour.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Hour {
    pub monitor: String,
    /// Unix seconds / 3600.
    pub hour: i64,
    pub total: i64,
    pub passed: i64,
    pub warn: i64,
    pub crit: i64,
    pub duration_ms_sum: i64,
    pub duration_ms_max: i64,
}

#[derive(sqlx::FromRow)]
struct SampleRow {
    monitor: String,
    at: i64,
    level: String,
    passed: i64,
    duration_ms: i64,
    observed: String,
}

impl From<SampleRow> for Sample {
    fn from(row: SampleRow) -> Sample {
        Sample {
            monitor: row.monitor,
            at_ms: row.at,
            level: row.level,
            passed: row.passed != 0,
            duration_ms: row.duration_ms,
            observed: serde_json::from_str(&row.observed).unwrap_or(Json::Null),
        }
    }
}

/// Whether a lease was taken, or who holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    Taken,
    HeldBy { holder: String, expires_at_ms: i64 },
}

const HOUR_MS: i64 = 3_600_000;

impl Store {
    /// Records results in one transaction: the raw rows and their hours' aggregates.
    pub async fn record_samples(
        &self,
        checklist: &str,
        samples: &[Sample],
    ) -> Result<(), StoreError> {
        if samples.is_empty() {
            return Ok(());
        }
        let result: Result<(), sqlx::Error> = match &self.backend {
            Backend::Sqlite(pool) => {
                async {
                    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                    for chunk in samples.chunks(100) {
                        insert_sqlite(&mut tx, checklist, chunk).await?;
                    }
                    tx.commit().await
                }
                .await
            }
            Backend::Postgres(pool) => {
                async {
                    let mut tx = pool.begin().await?;
                    for chunk in samples.chunks(100) {
                        insert_postgres(&mut tx, checklist, chunk).await?;
                    }
                    tx.commit().await
                }
                .await
            }
        };
        result.map_err(|cause| self.error(cause))
    }

    /// Results of `checklist`'s monitors since `since_ms`, oldest first.
    pub async fn samples_since(
        &self,
        checklist: &str,
        since_ms: i64,
    ) -> Result<Vec<Sample>, StoreError> {
        const SQLITE: &str = "SELECT monitor, at, level, passed, duration_ms, observed \
                              FROM monitor_results WHERE checklist = ?1 AND at >= ?2 ORDER BY at";
        const POSTGRES: &str = "SELECT monitor, at, level, passed, duration_ms, observed \
                                FROM monitor_results WHERE checklist = $1 AND at >= $2 ORDER BY at";
        let rows: Result<Vec<SampleRow>, sqlx::Error> = match &self.backend {
            Backend::Sqlite(pool) => {
                sqlx::query_as(SQLITE)
                    .bind(checklist)
                    .bind(since_ms)
                    .fetch_all(pool)
                    .await
            }
            Backend::Postgres(pool) => {
                sqlx::query_as(POSTGRES)
                    .bind(checklist)
                    .bind(since_ms)
                    .fetch_all(pool)
                    .await
            }
        };
        Ok(rows
            .map_err(|cause| self.error(cause))?
            .into_iter()
            .map(Sample::from)
            .collect())
    }

    /// Hourly aggregates of `checklist`'s monitors from `since_hour` on.
    pub async fn hours(&self, checklist: &str, since_hour: i64) -> Result<Vec<Hour>, StoreError> {
        const SQLITE: &str = "SELECT monitor, hour, total, passed, warn, crit, duration_ms_sum, \
                              duration_ms_max FROM monitor_hours \
                              WHERE checklist = ?1 AND hour >= ?2 ORDER BY monitor, hour";
        const POSTGRES: &str = "SELECT monitor, hour, total, passed, warn, crit, duration_ms_sum, \
                                duration_ms_max FROM monitor_hours \
                                WHERE checklist = $1 AND hour >= $2 ORDER BY monitor, hour";
        match &self.backend {
            Backend::Sqlite(pool) => {
                sqlx::query_as(SQLITE)
                    .bind(checklist)
                    .bind(since_hour)
                    .fetch_all(pool)
                    .await
            }
            Backend::Postgres(pool) => {
                sqlx::query_as(POSTGRES)
                    .bind(checklist)
                    .bind(since_hour)
                    .fetch_all(pool)
                    .await
            }
        }
        .map_err(|cause| self.error(cause))
    }

    /// Deletes raw results before `raw_before_ms` and hours before `hours_before_ms`, for
    /// every checklist. Returns how many rows went.
    pub async fn prune_samples(
        &self,
        raw_before_ms: i64,
        hours_before_ms: i64,
    ) -> Result<u64, StoreError> {
        let hour = hours_before_ms.div_euclid(HOUR_MS);
        let result = match &self.backend {
            Backend::Sqlite(pool) => {
                let raw = sqlx::query("DELETE FROM monitor_results WHERE at < ?1")
                    .bind(raw_before_ms)
                    .execute(pool)
                    .await;
                let hours = sqlx::query("DELETE FROM monitor_hours WHERE hour < ?1")
                    .bind(hour)
                    .execute(pool)
                    .await;
                raw.and_then(|raw| Ok(raw.rows_affected() + hours?.rows_affected()))
            }
            Backend::Postgres(pool) => {
                let raw = sqlx::query("DELETE FROM monitor_results WHERE at < $1")
                    .bind(raw_before_ms)
                    .execute(pool)
                    .await;
                let hours = sqlx::query("DELETE FROM monitor_hours WHERE hour < $1")
                    .bind(hour)
                    .execute(pool)
                    .await;
                raw.and_then(|raw| Ok(raw.rows_affected() + hours?.rows_affected()))
            }
        };
        result.map_err(|cause| self.error(cause))
    }

    /// Takes (or renews) the watch lease of `checklist` for `holder` until `until_ms`. A lease
    /// that expired, or whose holder `is_gone` (a process that no longer exists), is taken
    /// over; a live one is left alone and its holder returned.
    pub async fn take_lease(
        &self,
        checklist: &str,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
        is_gone: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Lease, StoreError> {
        let current = self.lease(checklist).await?;
        let takeover = match &current {
            None => true,
            Some((held_by, expires)) => held_by == holder || *expires < now_ms || is_gone(held_by),
        };
        if !takeover {
            let (holder, expires_at_ms) = current.unwrap_or_default();
            return Ok(Lease::HeldBy {
                holder,
                expires_at_ms,
            });
        }
        // Only replace the row that was read: two processes taking over at once cannot both
        // win, since the second's condition no longer matches.
        let (old_holder, old_expiry) = current.unwrap_or_default();
        let changed = match &self.backend {
            Backend::Sqlite(pool) => sqlx::query(
                "INSERT INTO watch_leases (checklist, holder, expires_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (checklist) DO UPDATE SET holder = excluded.holder, \
                 expires_at = excluded.expires_at \
                 WHERE watch_leases.holder = ?4 AND watch_leases.expires_at = ?5",
            )
            .bind(checklist)
            .bind(holder)
            .bind(until_ms)
            .bind(&old_holder)
            .bind(old_expiry)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()),
            Backend::Postgres(pool) => sqlx::query(
                "INSERT INTO watch_leases (checklist, holder, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (checklist) DO UPDATE SET holder = excluded.holder, \
                 expires_at = excluded.expires_at \
                 WHERE watch_leases.holder = $4 AND watch_leases.expires_at = $5",
            )
            .bind(checklist)
            .bind(holder)
            .bind(until_ms)
            .bind(&old_holder)
            .bind(old_expiry)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()),
        }
        .map_err(|cause| self.error(cause))?;
        if changed == 1 {
            return Ok(Lease::Taken);
        }
        let (holder, expires_at_ms) = self.lease(checklist).await?.unwrap_or_default();
        Ok(Lease::HeldBy {
            holder,
            expires_at_ms,
        })
    }

    /// Gives the lease up, if `holder` still has it.
    pub async fn release_lease(&self, checklist: &str, holder: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                sqlx::query("DELETE FROM watch_leases WHERE checklist = ?1 AND holder = ?2")
                    .bind(checklist)
                    .bind(holder)
                    .execute(pool)
                    .await
                    .map(drop)
            }
            Backend::Postgres(pool) => {
                sqlx::query("DELETE FROM watch_leases WHERE checklist = $1 AND holder = $2")
                    .bind(checklist)
                    .bind(holder)
                    .execute(pool)
                    .await
                    .map(drop)
            }
        }
        .map_err(|cause| self.error(cause))
    }

    async fn lease(&self, checklist: &str) -> Result<Option<(String, i64)>, StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                sqlx::query_as("SELECT holder, expires_at FROM watch_leases WHERE checklist = ?1")
                    .bind(checklist)
                    .fetch_optional(pool)
                    .await
            }
            Backend::Postgres(pool) => {
                sqlx::query_as("SELECT holder, expires_at FROM watch_leases WHERE checklist = $1")
                    .bind(checklist)
                    .fetch_optional(pool)
                    .await
            }
        }
        .map_err(|cause| self.error(cause))
    }

    /// `checklist`'s events of the given kinds with `seq` above `after`, in order: what a
    /// running `watch` polls for (silences recorded by another process).
    pub async fn events_after(
        &self,
        checklist: &str,
        kinds: &[Kind],
        after: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let mut events = Vec::new();
        for kind in kinds {
            let rows: Result<Vec<super::Row>, sqlx::Error> =
                match &self.backend {
                    Backend::Sqlite(pool) => sqlx::query_as(
                        "SELECT seq, at, checklist, kind, item, actor, payload, prev_hash, hash \
                         FROM events WHERE checklist = ?1 AND kind = ?2 AND seq > ?3 ORDER BY seq",
                    )
                    .bind(checklist)
                    .bind(kind.as_str())
                    .bind(after)
                    .fetch_all(pool)
                    .await,
                    Backend::Postgres(pool) => sqlx::query_as(
                        "SELECT seq, at, checklist, kind, item, actor, payload, prev_hash, hash \
                         FROM events WHERE checklist = $1 AND kind = $2 AND seq > $3 ORDER BY seq",
                    )
                    .bind(checklist)
                    .bind(kind.as_str())
                    .bind(after)
                    .fetch_all(pool)
                    .await,
                };
            events.extend(
                rows.map_err(|cause| self.error(cause))?
                    .into_iter()
                    .map(|row| row.into_event(super::Read::Lenient)),
            );
        }
        events.sort_by_key(|event| event.seq);
        Ok(events)
    }
}

fn hour_rows(samples: &[Sample]) -> Vec<Hour> {
    let mut hours: Vec<Hour> = Vec::new();
    for sample in samples {
        let hour = sample.at_ms.div_euclid(HOUR_MS);
        let index = match hours
            .iter()
            .position(|h| h.monitor == sample.monitor && h.hour == hour)
        {
            Some(index) => index,
            None => {
                hours.push(Hour {
                    monitor: sample.monitor.clone(),
                    hour,
                    total: 0,
                    passed: 0,
                    warn: 0,
                    crit: 0,
                    duration_ms_sum: 0,
                    duration_ms_max: 0,
                });
                hours.len() - 1
            }
        };
        let entry = &mut hours[index];
        entry.total += 1;
        entry.passed += i64::from(sample.passed);
        entry.warn += i64::from(sample.level == "warn");
        entry.crit += i64::from(sample.level == "crit");
        entry.duration_ms_sum += sample.duration_ms;
        entry.duration_ms_max = entry.duration_ms_max.max(sample.duration_ms);
    }
    hours
}

const UPSERT_HOURS: &str = " ON CONFLICT (checklist, monitor, hour) DO UPDATE SET \
    total = monitor_hours.total + excluded.total, \
    passed = monitor_hours.passed + excluded.passed, \
    warn = monitor_hours.warn + excluded.warn, \
    crit = monitor_hours.crit + excluded.crit, \
    duration_ms_sum = monitor_hours.duration_ms_sum + excluded.duration_ms_sum, \
    duration_ms_max = CASE WHEN excluded.duration_ms_max > monitor_hours.duration_ms_max \
        THEN excluded.duration_ms_max ELSE monitor_hours.duration_ms_max END";

macro_rules! insert_samples {
    ($db:ty, $tx:expr, $checklist:expr, $samples:expr) => {{
        let mut insert = sqlx::QueryBuilder::<$db>::new(
            "INSERT INTO monitor_results (checklist, monitor, at, level, passed, duration_ms, observed) ",
        );
        insert.push_values($samples, |mut row, sample| {
            row.push_bind($checklist.to_string())
                .push_bind(sample.monitor.clone())
                .push_bind(sample.at_ms)
                .push_bind(sample.level.clone())
                .push_bind(i64::from(sample.passed))
                .push_bind(sample.duration_ms)
                .push_bind(super::event::canonical_json(&sample.observed));
        });
        insert.build().execute(&mut **$tx).await?;
        let hours = hour_rows($samples);
        let mut upsert = sqlx::QueryBuilder::<$db>::new(
            "INSERT INTO monitor_hours (checklist, monitor, hour, total, passed, warn, crit, \
             duration_ms_sum, duration_ms_max) ",
        );
        upsert.push_values(&hours, |mut row, hour| {
            row.push_bind($checklist.to_string())
                .push_bind(hour.monitor.clone())
                .push_bind(hour.hour)
                .push_bind(hour.total)
                .push_bind(hour.passed)
                .push_bind(hour.warn)
                .push_bind(hour.crit)
                .push_bind(hour.duration_ms_sum)
                .push_bind(hour.duration_ms_max);
        });
        upsert.push(UPSERT_HOURS);
        upsert.build().execute(&mut **$tx).await?;
        Ok(())
    }};
}

async fn insert_sqlite(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    checklist: &str,
    samples: &[Sample],
) -> Result<(), sqlx::Error> {
    insert_samples!(sqlx::Sqlite, tx, checklist, samples)
}

async fn insert_postgres(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    checklist: &str,
    samples: &[Sample],
) -> Result<(), sqlx::Error> {
    insert_samples!(sqlx::Postgres, tx, checklist, samples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Location;

    fn sample(monitor: &str, at_ms: i64, level: &str, duration_ms: i64) -> Sample {
        Sample {
            monitor: monitor.into(),
            at_ms,
            level: level.into(),
            passed: level == "ok",
            duration_ms,
            observed: serde_json::json!({"latency": duration_ms as f64 / 1000.0}),
        }
    }

    #[tokio::test]
    async fn results_aggregate_by_hour_prune_and_leases_exclude_a_second_holder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&Location::Sqlite(dir.path().join("state.db")))
            .await
            .expect("open");
        let base = 1_000 * HOUR_MS;
        store
            .record_samples(
                "c.md",
                &[
                    sample("api", base + 1, "ok", 10),
                    sample("api", base + 2, "crit", 30),
                ],
            )
            .await
            .expect("record");
        store
            .record_samples("c.md", &[sample("api", base + HOUR_MS, "warn", 5)])
            .await
            .expect("record");
        let hours = store.hours("c.md", 0).await.expect("hours");
        assert_eq!(hours.len(), 2);
        assert_eq!((hours[0].total, hours[0].passed, hours[0].crit), (2, 1, 1));
        assert_eq!(
            (hours[0].duration_ms_sum, hours[0].duration_ms_max),
            (40, 30)
        );
        assert_eq!(hours[1].warn, 1);
        let samples = store
            .samples_since("c.md", base + 2)
            .await
            .expect("samples");
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[0].observed, serde_json::json!({"latency": 0.03}));
        let pruned = store
            .prune_samples(base + 2, base + HOUR_MS)
            .await
            .expect("prune");
        assert_eq!(pruned, 2);
        assert_eq!(store.hours("c.md", 0).await.expect("hours").len(), 1);

        let never_gone = |_: &str| false;
        let take = |holder: &'static str, now: i64| {
            let store = store.clone();
            async move {
                store
                    .take_lease("c.md", holder, now, now + 10_000, &never_gone)
                    .await
                    .expect("lease")
            }
        };
        assert_eq!(take("a", 0).await, Lease::Taken);
        assert_eq!(take("a", 1).await, Lease::Taken, "the holder renews");
        assert!(matches!(take("b", 2).await, Lease::HeldBy { holder, .. } if holder == "a"));
        assert_eq!(
            take("b", 20_000).await,
            Lease::Taken,
            "an expired lease is taken over"
        );
        let gone = |holder: &str| holder == "b";
        assert_eq!(
            store
                .take_lease("c.md", "c", 20_001, 30_000, &gone)
                .await
                .expect("lease"),
            Lease::Taken,
            "a dead holder's lease is taken over"
        );
        store.release_lease("c.md", "c").await.expect("release");
        assert_eq!(take("d", 20_002).await, Lease::Taken);
    }
}
