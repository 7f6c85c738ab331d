//! Running checks: all at once up to a limit, each attempt bounded by its timeout, retried
//! with an interval while its conditions fail, in the order `after` asks for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, watch};

use super::plan::{Check, Plan};
use super::secrets::{REDACTED, Secrets};
use crate::expr::{Condition, Observations, Value, Verdict};
use crate::probe::{Context, Outcome};

/// The result of one check: what was observed on its last attempt and why it failed.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// Index into the plan's checks.
    pub check: usize,
    pub passed: bool,
    /// What the probe looked at, with secrets redacted.
    pub target: String,
    pub outcome: Outcome,
    /// One line per condition that did not hold, with the observed value.
    pub failures: Vec<String>,
    pub attempts: u32,
    /// From the first attempt's start to the last attempt's end.
    pub duration: Duration,
}

/// Told about progress as checks finish; implementations draw bars or print lines.
pub trait Progress: Send + Sync {
    fn finished(&self, check: &Check, result: &CheckResult);
}

/// Runs every check of `plan`, at most `jobs` probes at a time. Results come back in the
/// plan's order.
pub async fn run(
    plan: Plan,
    jobs: usize,
    progress: Arc<dyn Progress>,
) -> (Vec<Check>, Vec<CheckResult>) {
    let checks = Arc::new(plan.checks);
    let secrets = Arc::new(plan.secrets);
    let context = Arc::new(Context::default());
    let permits = Arc::new(Semaphore::new(jobs.max(1)));
    let (senders, receivers): (Vec<_>, Vec<_>) =
        (0..checks.len()).map(|_| watch::channel(false)).unzip();
    let mut tasks = Vec::with_capacity(checks.len());
    for (index, done) in senders.into_iter().enumerate() {
        let waits: Vec<watch::Receiver<bool>> = checks[index]
            .after
            .iter()
            .map(|&before| receivers[before].clone())
            .collect();
        let (checks, secrets, context, permits, progress) = (
            Arc::clone(&checks),
            Arc::clone(&secrets),
            Arc::clone(&context),
            Arc::clone(&permits),
            Arc::clone(&progress),
        );
        tasks.push(tokio::spawn(async move {
            for mut wait in waits {
                // A dropped sender means the other check is over too.
                let _ = wait.wait_for(|finished| *finished).await;
            }
            let result = run_check(index, &checks[index], &context, &permits, &secrets).await;
            progress.finished(&checks[index], &result);
            let _ = done.send(true);
            result
        }));
    }
    let mut results = Vec::with_capacity(tasks.len());
    for (index, task) in tasks.into_iter().enumerate() {
        results.push(task.await.unwrap_or_else(|error| CheckResult {
            check: index,
            passed: false,
            target: secrets.redact(&checks[index].spec.target()),
            outcome: Outcome::with_problem(format!(
                "golive failed while running this check: {error}"
            )),
            failures: vec![format!("check did not complete: {error}")],
            attempts: 0,
            duration: Duration::ZERO,
        }));
    }
    let checks = Arc::try_unwrap(checks).unwrap_or_else(|shared| (*shared).clone());
    (checks, results)
}

pub async fn run_check(
    index: usize,
    check: &Check,
    context: &Context,
    permits: &Semaphore,
    secrets: &Secrets,
) -> CheckResult {
    let started = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let outcome = {
            // Hold a slot only while probing, not while waiting to retry.
            let _permit = permits.acquire().await;
            // Boxed so that the tasks waiting for a slot stay small: a probe's future takes
            // kilobytes, and only `jobs` of them exist at once (10,000 checks: 28 MB → 5 MB).
            let probe = Box::pin(check.spec.run(context, check.timeout));
            // Probes honour their limit; this bound only guards against one that does not. A
            // load check's limit is its own bound, not the per-request `timeout`.
            let limit = check.spec.time_limit(check.timeout);
            match tokio::time::timeout(limit + Duration::from_secs(1), probe).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    Outcome::with_problem(format!("timed out after {}", Value::Duration(limit)))
                }
            }
        };
        let outcome = redact(outcome, secrets);
        let failures = evaluate(check, &outcome);
        if failures.is_empty() || attempts > check.retries {
            return CheckResult {
                check: index,
                passed: failures.is_empty(),
                target: secrets.redact(&check.spec.target()),
                outcome,
                failures,
                attempts,
                duration: started.elapsed(),
            };
        }
        tokio::time::sleep(check.interval).await;
    }
}

/// Failure lines for every condition of `check` that does not hold.
pub fn evaluate(check: &Check, outcome: &Outcome) -> Vec<String> {
    failures(&check.conditions, outcome)
}

/// Failure lines for every one of `conditions` that does not hold: the verdict's own line
/// (`cert.days_left 9 < 30`) for a metric that was observed, else why it could not be.
pub(crate) fn failures(conditions: &[Condition], outcome: &Outcome) -> Vec<String> {
    conditions
        .iter()
        .filter_map(|condition| match condition.evaluate(&outcome.observed) {
            Verdict::Pass => None,
            verdict => {
                let observed = outcome.observed.observes(condition.metric());
                Some(match (&outcome.problem, observed) {
                    // Say why the probe could not see it, rather than that it is missing. A
                    // metric that was observed is judged on its value, whatever else the
                    // probe reports (an untrusted chain still has a days_left).
                    (Some(problem), false) => {
                        format!("{} not observed: {problem}", condition.metric())
                    }
                    _ => verdict.message().unwrap_or_default().to_string(),
                })
            }
        })
        .collect()
}

fn redact(outcome: Outcome, secrets: &Secrets) -> Outcome {
    if secrets.is_empty() {
        return outcome;
    }
    let mut observed = Observations::new();
    for (name, value) in outcome.observed.iter() {
        observed.insert(name, redact_value(value, secrets));
    }
    Outcome {
        observed,
        problem: outcome.problem.map(|problem| secrets.redact(&problem)),
    }
}

fn redact_value(value: &Value, secrets: &Secrets) -> Value {
    match value {
        Value::Text(text) => Value::Text(secrets.redact(text)),
        Value::List(values) => {
            Value::List(values.iter().map(|v| redact_value(v, secrets)).collect())
        }
        Value::Json(json) => {
            let text = json.to_string();
            let redacted = secrets.redact(&text);
            if redacted == text {
                value.clone()
            } else {
                serde_json::from_str(&redacted)
                    .map_or_else(|_| Value::Text(REDACTED.to_string()), Value::Json)
            }
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::PROBES;

    /// A metric name of a probe's documentation made concrete: `header.NAME` → `header.x`.
    fn concrete(name: &str) -> String {
        name.split('.')
            .map(|part| {
                if part.chars().any(|c| c.is_ascii_lowercase()) {
                    part
                } else {
                    "x"
                }
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    /// Issue 9, item 10, for every dotted metric of every probe (new probes included, as they
    /// join `PROBES`): when the probe also reports a problem, a condition on a metric it did
    /// observe fails on the value, never with "not observed".
    #[test]
    fn observed_dotted_metrics_are_judged_on_their_value_despite_a_problem() {
        let mut checked = 0;
        for doc in PROBES {
            for (name, _) in doc.metrics {
                let metric = concrete(name);
                if !metric.contains('.') {
                    continue;
                }
                let mut outcome = Outcome::with_problem("the probe also met a problem");
                outcome.observe(metric.clone(), Value::Number(9.0));
                let condition =
                    Condition::parse(&format!("{metric} >= 30")).unwrap_or_else(|error| {
                        panic!("probe `{}`, metric `{metric}`: {error:?}", doc.name)
                    });
                assert_eq!(
                    failures(&[condition], &outcome),
                    vec![format!("{metric} 9 < 30")],
                    "probe `{}`, metric `{metric}`",
                    doc.name
                );
                checked += 1;
            }
        }
        assert!(checked >= 5, "only {checked} dotted metrics found");
    }

    #[test]
    fn an_unobserved_metric_says_why() {
        let outcome = Outcome::with_problem("connection refused");
        let condition =
            Condition::parse("cert.days_left >= 30").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            failures(&[condition], &outcome),
            vec!["cert.days_left not observed: connection refused".to_string()]
        );
    }
}
