//! One result's level: the check's `expect` and `crit` rules decide CRIT, `warn` rules WARN;
//! a rule that cannot be judged makes the level UNKNOWN unless a worse one is certain.

use crate::expr::{Observations, Rule, Verdict};

use super::level::Level;
use super::window::Window;

/// The level of the latest result, and why it is not OK.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub level: Level,
    pub reasons: Vec<String>,
}

/// Judges the latest result. `expect_failures` are the check's failed `expect` lines;
/// `window` already holds this result.
pub fn judge(
    expect_failures: &[String],
    crit: &[Rule],
    warn: &[Rule],
    observed: &Observations,
    problem: Option<&str>,
    window: &Window,
    now_ms: i64,
) -> Judgement {
    let (crit_failed, crit_unknown) = check(crit, observed, problem, window, now_ms);
    let (warn_failed, warn_unknown) = check(warn, observed, problem, window, now_ms);
    let mut reasons: Vec<String> = expect_failures.to_vec();
    reasons.extend(crit_failed.iter().cloned());
    let level = if !reasons.is_empty() {
        Level::Crit
    } else if !crit_unknown.is_empty() {
        reasons.extend(crit_unknown);
        Level::Unknown
    } else if !warn_failed.is_empty() {
        reasons.extend(warn_failed);
        Level::Warn
    } else if !warn_unknown.is_empty() {
        reasons.extend(warn_unknown);
        Level::Unknown
    } else {
        Level::Ok
    };
    Judgement { level, reasons }
}

/// Failure lines of rules that do not hold, and of rules that cannot be judged.
fn check(
    rules: &[Rule],
    observed: &Observations,
    problem: Option<&str>,
    window: &Window,
    now_ms: i64,
) -> (Vec<String>, Vec<String>) {
    let mut failed = Vec::new();
    let mut unknown = Vec::new();
    for rule in rules {
        let verdict = match rule {
            Rule::Sample(condition) => {
                let verdict = condition.evaluate(observed);
                match (&verdict, problem) {
                    // Say why the probe could not see it, as `check` does.
                    (Verdict::Fail(_), Some(problem))
                        if observed.find(condition.metric()).is_none() =>
                    {
                        Verdict::Fail(format!("{} not observed: {problem}", condition.metric()))
                    }
                    _ => verdict,
                }
            }
            Rule::Windowed(windowed) => match window.aggregate(windowed, now_ms) {
                Some(value) => windowed.check(&value),
                None => {
                    unknown.push(format!("{windowed}: no results in the window yet"));
                    continue;
                }
            },
        };
        match verdict {
            Verdict::Pass => {}
            Verdict::Fail(message) => failed.push(message),
            Verdict::Invalid(message) => unknown.push(message),
        }
    }
    (failed, unknown)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::expr::Value;

    fn rules(texts: &[&str]) -> Vec<Rule> {
        texts
            .iter()
            .map(|t| Rule::parse(t).expect("rule"))
            .collect()
    }

    fn at(ms: u64) -> Observations {
        [("latency", Value::Duration(Duration::from_millis(ms)))]
            .into_iter()
            .collect()
    }

    #[test]
    fn levels_follow_crit_then_warn_and_windows() {
        let crit = rules(&["latency < 10s"]);
        let warn = rules(&["latency < 3s", "p95(latency, 1m) < 1s"]);
        let metric = "latency".parse().expect("metric");
        let mut window = Window::new(Duration::from_secs(60), vec![metric]);
        let judge_at = |window: &mut Window, ms: u64, now: i64| {
            window.push(now, true, &at(ms));
            judge(&[], &crit, &warn, &at(ms), None, window, now)
        };
        assert_eq!(judge_at(&mut window, 200, 0).level, Level::Ok);
        let warn_now = judge_at(&mut window, 4_000, 1_000);
        assert_eq!(warn_now.level, Level::Warn);
        assert_eq!(warn_now.reasons[0], "latency 4s > 3s");
        assert!(warn_now.reasons[1].starts_with("p95(latency, 1m) 4s"));
        assert_eq!(judge_at(&mut window, 11_000, 2_000).level, Level::Crit);
        // A failing `expect` is CRIT whatever the levels say.
        let down = judge(
            &["status not observed: connection refused".into()],
            &crit,
            &warn,
            &Observations::new(),
            Some("connection refused"),
            &window,
            3_000,
        );
        assert_eq!(down.level, Level::Crit);
        assert_eq!(down.reasons[1], "latency not observed: connection refused");
        // A window with nothing in it cannot be judged.
        let empty = Window::new(Duration::from_secs(60), window.metrics().to_vec());
        let unknown = judge(&[], &[], &warn[1..], &at(1), None, &empty, 0);
        assert_eq!(unknown.level, Level::Unknown);
    }
}
