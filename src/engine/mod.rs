//! Running checks: from `golive.toml` to validated checks ([`plan`]), to results ([`run`]),
//! to item statuses ([`apply`]).
//!
//! Architecture invariant: the engine decides pass or fail only by evaluating conditions on
//! what probes observed; probes never decide.

pub mod plan;
pub mod run;
pub mod schedule;
pub mod schema;
pub mod secrets;
pub mod watch;

use std::collections::{HashMap, HashSet};

use crate::checklist::{Checklist, Evidence, Status};
use plan::Check;
use run::CheckResult;

/// Sets the status of every checked item: `done` when all its checks passed, `failed`
/// otherwise, with each result as evidence. Items without checks keep their status.
pub fn apply(checklist: &mut Checklist, checks: &[Check], results: &[CheckResult]) {
    let mut by_item: HashMap<&str, Vec<(&Check, &CheckResult)>> = HashMap::new();
    for result in results {
        if let Some(check) = checks.get(result.check) {
            for item in &check.items {
                by_item
                    .entry(item.as_str())
                    .or_default()
                    .push((check, result));
            }
        }
    }
    for item in &mut checklist.items {
        let Some(verified) = by_item.get(item.id.as_str()) else {
            continue;
        };
        for (check, result) in verified {
            let summary = if result.passed {
                format!("{} passed", check.name)
            } else {
                format!("{} failed: {}", check.name, result.failures.join("; "))
            };
            item.evidence.push(Evidence {
                source: format!("check {}", check.name),
                summary,
            });
        }
        item.status = if verified.iter().all(|(_, result)| result.passed) {
            Status::Done
        } else {
            Status::Failed
        };
    }
}

/// Ids of items no check verifies: they stay manual.
pub fn manual_items<'a>(checklist: &'a Checklist, checks: &[Check]) -> Vec<&'a str> {
    let checked: HashSet<&str> = checks
        .iter()
        .flat_map(|check| check.items.iter().map(String::as_str))
        .collect();
    checklist
        .items
        .iter()
        .map(|item| item.id.as_str())
        .filter(|id| !checked.contains(id))
        .collect()
}
