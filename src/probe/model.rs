//! `model`: sends each row of a labelled holdout file to a model's endpoint and scores its
//! answers as scikit-learn would (accuracy, precision, recall, F1, ROC AUC; MAE, RMSE, R²),
//! with latency percentiles and, for one sensitive column, the gap between its groups (the
//! fairness item: `gap.accuracy < 5%`).
//!
//! Requests run `concurrency` at a time, at most `rows` rows, all under the check's timeout:
//! a model that hangs costs one timeout, not one per row.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::endpoint::{self, Endpoint};
use super::keys::{KeyDoc, KeyKind, ProbeDoc};
use super::{Context, Outcome, stats};
use crate::checklist::toml::Fields;
use crate::diagnostic::Diagnostic;
use crate::expr::Value;

const TASKS: &[&str] = &["classification", "regression"];

#[rustfmt::skip]
pub const DOC: ProbeDoc = ProbeDoc {
    name: "model",
    summary: "scores a model's endpoint on a labelled holdout CSV: accuracy, precision, recall, F1, AUC or MAE/RMSE, latency, and the gap between groups of a sensitive column",
    keys: &[
        KeyDoc { name: "url", kind: KeyKind::String, required: true, doc: "the model's prediction endpoint; each row is POSTed to it as JSON" },
        KeyDoc { name: "holdout", kind: KeyKind::String, required: true, doc: "the labelled holdout CSV file, with a header line" },
        KeyDoc { name: "label", kind: KeyKind::String, required: true, doc: "the holdout column holding the true answer" },
        KeyDoc { name: "body", kind: KeyKind::String, required: false, doc: "request body template, `{{column}}` replaced by the row's value escaped for JSON (default: every column but the label, as a JSON object)" },
        KeyDoc { name: "prediction", kind: KeyKind::String, required: false, doc: "JSON path of the prediction in the answer (default \"prediction\")" },
        KeyDoc { name: "score", kind: KeyKind::String, required: false, doc: "JSON path of the positive class's probability, for `auc` (default: the hard prediction)" },
        KeyDoc { name: "task", kind: KeyKind::Choice(TASKS), required: false, doc: "\"classification\" (default) or \"regression\"" },
        KeyDoc { name: "positive", kind: KeyKind::String, required: false, doc: "the positive class for precision, recall, F1 and AUC (default \"1\"); with more than two classes they are macro averages" },
        KeyDoc { name: "group", kind: KeyKind::String, required: false, doc: "a sensitive column (e.g. \"gender\"): metrics per group and `gap.*` between them" },
        KeyDoc { name: "concurrency", kind: KeyKind::Integer, required: false, doc: "requests in flight at once (default 8)" },
        KeyDoc { name: "rows", kind: KeyKind::Integer, required: false, doc: "holdout rows sent at most (default 10000)" },
        KeyDoc { name: "headers", kind: KeyKind::StringTable, required: false, doc: "request headers, e.g. `{ Authorization = \"Bearer ${env:TOKEN}\" }`" },
        KeyDoc { name: "insecure", kind: KeyKind::Bool, required: false, doc: "accept any TLS certificate (default false)" },
    ],
    metrics: &[
        ("rows", "rows scored"),
        ("errors", "rows whose request failed or whose answer had no prediction"),
        ("error_rate", "errors as a share of rows sent"),
        ("accuracy", "share of correct predictions (classification)"),
        ("precision", "precision of the positive class, or macro average"),
        ("recall", "recall of the positive class, or macro average"),
        ("f1", "F1 of the positive class, or macro average"),
        ("auc", "ROC AUC (binary classification), from `score` or the hard predictions"),
        ("mae", "mean absolute error (regression)"),
        ("rmse", "root mean squared error (regression)"),
        ("r2", "coefficient of determination (regression)"),
        ("latency.p50", "median request latency"),
        ("latency.p95", "95th percentile request latency"),
        ("latency.p99", "99th percentile request latency"),
        ("latency.max", "slowest request"),
        ("groups", "number of groups of the `group` column"),
        ("gap.accuracy", "largest minus smallest accuracy between groups, in points"),
        ("gap.precision", "largest minus smallest precision between groups"),
        ("gap.recall", "largest minus smallest recall between groups (equal opportunity)"),
        ("gap.positive_rate", "largest minus smallest share of positive predictions (demographic parity)"),
        ("gap.mae", "largest minus smallest MAE between groups (regression)"),
        ("group.GROUP.accuracy", "accuracy within one group (also precision, recall, f1, positive_rate, mae, rows)"),
    ],
    default_expect: &["errors == 0"],
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Classification,
    Regression,
}

#[derive(Debug, Clone)]
pub struct ModelSpec {
    pub endpoint: Endpoint,
    pub holdout: PathBuf,
    pub label: String,
    pub body: Option<String>,
    pub prediction: String,
    pub score: Option<String>,
    pub task: Task,
    pub positive: String,
    pub group: Option<String>,
    pub concurrency: usize,
    pub rows: usize,
}

impl ModelSpec {
    pub fn from_fields(fields: &mut Fields) -> Result<Self, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let endpoint =
            Endpoint::from_fields(fields, "\"http://127.0.0.1:8080/predict\"", &mut errors);
        let holdout = keep(
            fields.required_string("holdout", "\"data/holdout.csv\""),
            &mut errors,
        );
        let label = keep(fields.required_string("label", "\"churned\""), &mut errors);
        let body = keep(fields.string("body"), &mut errors).flatten();
        let prediction = keep(fields.string("prediction"), &mut errors).flatten();
        let score = keep(fields.string("score"), &mut errors).flatten();
        let task = keep(fields.string("task"), &mut errors).flatten();
        let positive = keep(fields.string("positive"), &mut errors).flatten();
        let group = keep(fields.string("group"), &mut errors).flatten();
        let concurrency = positive_integer(fields, "concurrency", 8, 1024, &mut errors);
        let rows = positive_integer(fields, "rows", 10_000, 10_000_000, &mut errors);
        let task = match task {
            None => Task::Classification,
            Some(text) if text.value == "classification" => Task::Classification,
            Some(text) if text.value == "regression" => Task::Regression,
            Some(text) => {
                errors.push(
                    Diagnostic::new(text.span, format!("unknown task `{}`", text.value))
                        .with_hint("use \"classification\" or \"regression\""),
                );
                Task::Classification
            }
        };
        match (endpoint, holdout, label) {
            (Some(endpoint), Some(holdout), Some(label)) if errors.is_empty() => Ok(ModelSpec {
                endpoint,
                holdout: PathBuf::from(holdout.value),
                label: label.value,
                body: body.map(|b| b.value),
                prediction: prediction.map_or_else(|| "prediction".to_string(), |p| p.value),
                score: score.map(|s| s.value),
                task,
                positive: positive.map_or_else(|| "1".to_string(), |p| canonical(&p.value)),
                group: group.map(|g| g.value),
                concurrency: concurrency.unwrap_or(8),
                rows: rows.unwrap_or(10_000),
            }),
            _ => Err(errors),
        }
    }

    pub(super) fn anchor(&mut self, base: &Path) {
        if self.holdout.is_relative() {
            self.holdout = base.join(&self.holdout);
        }
    }

    pub fn target(&self) -> String {
        format!("{} on {}", self.endpoint.shown(), self.holdout.display())
    }

    pub async fn run(&self, _context: &Context, timeout: Duration) -> Outcome {
        let deadline = Instant::now() + timeout;
        let path = self.holdout.clone();
        let limit = self.rows;
        let table = match tokio::task::spawn_blocking(move || read_table(&path, limit)).await {
            Ok(Ok(table)) => table,
            Ok(Err(problem)) => return Outcome::with_problem(problem),
            Err(error) => return Outcome::with_problem(format!("model probe failed: {error}")),
        };
        match self.score_rows(table, deadline).await {
            Ok(outcome) => outcome,
            Err(problem) => Outcome::with_problem(problem),
        }
    }

    async fn score_rows(&self, table: Table, deadline: Instant) -> Result<Outcome, String> {
        let column = |name: &str| table.header.iter().position(|h| h == name);
        let holdout = self.holdout.display();
        let label = column(&self.label).ok_or_else(|| {
            format!(
                "{holdout} has no column `{}` (its columns: {})",
                self.label,
                table.header.join(", ")
            )
        })?;
        let group = match &self.group {
            Some(name) => Some(
                column(name)
                    .ok_or_else(|| format!("{holdout} has no column `{name}` for `group`"))?,
            ),
            None => None,
        };
        if let Some(body) = &self.body {
            for name in endpoint::placeholders(body) {
                if column(&name).is_none() {
                    return Err(format!(
                        "`body` uses {{{{{name}}}}}, but {holdout} has no such column (its columns: {})",
                        table.header.join(", ")
                    ));
                }
            }
        }
        if table.rows.is_empty() {
            return Err(format!("{holdout} has no rows"));
        }
        let client = self.endpoint.client()?;
        let semaphore = Arc::new(tokio::sync::Semaphore::new(self.concurrency));
        let mut tasks = tokio::task::JoinSet::new();
        let header = Arc::new(table.header);
        for (index, row) in table.rows.iter().enumerate() {
            let body = self.request_body(&header, row, label);
            let (client, endpoint, semaphore) = (
                client.clone(),
                self.endpoint.clone(),
                Arc::clone(&semaphore),
            );
            let (prediction, score) = (self.prediction.clone(), self.score.clone());
            tasks.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                let answer = endpoint.post(&client, body, deadline).await;
                (
                    index,
                    answer.and_then(|(json, latency)| {
                        read_answer(&json, &prediction, score.as_deref())
                            .map(|answer| (answer, latency))
                    }),
                )
            });
        }
        let mut answers: Vec<Option<(Answer, Duration)>> = vec![None; table.rows.len()];
        let mut first_error = None;
        let mut errors = 0usize;
        let mut timed_out = false;
        while let Some(joined) = tasks.join_next().await {
            let Ok((index, answer)) = joined else {
                continue;
            };
            match answer {
                Ok(answer) => answers[index] = Some(answer),
                Err(problem) => {
                    errors += 1;
                    timed_out |= problem == "timed out";
                    first_error.get_or_insert_with(|| format!("row {}: {problem}", index + 1));
                }
            }
        }
        let mut outcome = Outcome::default();
        let sent = table.rows.len();
        outcome.observe("errors", Value::Number(errors as f64));
        outcome.observe("error_rate", Value::percent_of(errors as f64, sent as f64));
        let mut latencies: Vec<Duration> = answers
            .iter()
            .flatten()
            .map(|(_, latency)| *latency)
            .collect();
        latencies.sort_unstable();
        for (name, q) in [
            ("latency.p50", 50.0),
            ("latency.p95", 95.0),
            ("latency.p99", 99.0),
            ("latency.max", 100.0),
        ] {
            if let Some(latency) = stats::percentile(&latencies, q) {
                outcome.observe(name, Value::Duration(latency));
            }
        }
        let scored: Vec<Scored> = table
            .rows
            .iter()
            .zip(&answers)
            .filter_map(|(row, answer)| {
                let (answer, _) = answer.as_ref()?;
                Some(Scored {
                    truth: canonical(row.get(label).map_or("", String::as_str)),
                    predicted: answer.prediction.clone(),
                    score: answer.score,
                    group: group.and_then(|g| row.get(g).cloned()).unwrap_or_default(),
                })
            })
            .collect();
        outcome.observe("rows", Value::Number(scored.len() as f64));
        if let Some(problem) = first_error {
            let note = if timed_out {
                format!("{errors} of {sent} requests failed or timed out; first: {problem}")
            } else {
                format!("{errors} of {sent} requests failed; first: {problem}")
            };
            outcome.problem = Some(note);
        }
        if scored.is_empty() {
            return Ok(outcome);
        }
        let all: Vec<&Scored> = scored.iter().collect();
        let overall = self.quality(&all)?;
        for (name, value) in &overall {
            outcome.observe(*name, value.clone());
        }
        if group.is_some() {
            let mut groups: BTreeMap<&str, Vec<&Scored>> = BTreeMap::new();
            for row in &scored {
                groups.entry(row.group.as_str()).or_default().push(row);
            }
            outcome.observe("groups", Value::Number(groups.len() as f64));
            let mut per_metric: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
            for (name, rows) in &groups {
                let key = super::drift::metric_name(name);
                outcome.observe(
                    format!("group.{key}.rows"),
                    Value::Number(rows.len() as f64),
                );
                for (metric, value) in self.quality(rows)? {
                    if let Value::Percent(p) | Value::Number(p) = value
                        && p.is_finite()
                    {
                        per_metric.entry(metric).or_default().push(p);
                    }
                    outcome.observe(format!("group.{key}.{metric}"), value);
                }
            }
            for (metric, values) in per_metric {
                if !matches!(
                    metric,
                    "accuracy" | "precision" | "recall" | "positive_rate" | "mae" | "f1"
                ) {
                    continue;
                }
                let gap = values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                    - values.iter().copied().fold(f64::INFINITY, f64::min);
                outcome.observe(
                    format!("gap.{metric}"),
                    if metric == "mae" {
                        Value::Number(gap)
                    } else {
                        Value::Percent(gap)
                    },
                );
            }
        }
        Ok(outcome)
    }

    fn request_body(&self, header: &[String], row: &[String], label: usize) -> String {
        let value = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .and_then(|i| row.get(i).cloned())
        };
        match &self.body {
            Some(template) => endpoint::fill(template, value),
            None => {
                let object: serde_json::Map<String, serde_json::Value> = header
                    .iter()
                    .zip(row)
                    .enumerate()
                    .filter(|(i, _)| *i != label)
                    .map(|(_, (name, cell))| {
                        let json = match cell.trim().parse::<f64>() {
                            Ok(n) if n.is_finite() => serde_json::json!(n),
                            _ => serde_json::Value::String(cell.clone()),
                        };
                        (name.clone(), json)
                    })
                    .collect();
                serde_json::Value::Object(object).to_string()
            }
        }
    }

    /// The quality metrics of `rows`, named as the probe reports them.
    fn quality(&self, rows: &[&Scored]) -> Result<Vec<(&'static str, Value)>, String> {
        let n = rows.len() as f64;
        let mut out = Vec::new();
        match self.task {
            Task::Regression => {
                let mut pairs = Vec::new();
                for row in rows {
                    let truth: f64 = row.truth.parse().map_err(|_| {
                        format!(
                            "label `{}` is not a number (task = \"regression\")",
                            row.truth
                        )
                    })?;
                    let predicted: f64 = row.predicted.parse().map_err(|_| {
                        format!(
                            "prediction `{}` is not a number (task = \"regression\")",
                            row.predicted
                        )
                    })?;
                    pairs.push((truth, predicted));
                }
                let mae = pairs.iter().map(|(t, p)| (t - p).abs()).sum::<f64>() / n;
                let mse = pairs.iter().map(|(t, p)| (t - p) * (t - p)).sum::<f64>() / n;
                let mean = pairs.iter().map(|(t, _)| t).sum::<f64>() / n;
                let total = pairs
                    .iter()
                    .map(|(t, _)| (t - mean) * (t - mean))
                    .sum::<f64>();
                out.push(("mae", Value::Number(mae)));
                out.push(("rmse", Value::Number(mse.sqrt())));
                if total > 0.0 {
                    out.push(("r2", Value::Number(1.0 - mse * n / total)));
                }
            }
            Task::Classification => {
                let correct = rows.iter().filter(|r| r.truth == r.predicted).count();
                out.push(("accuracy", Value::percent_of(correct as f64, n)));
                let classes: BTreeSet<&str> = rows
                    .iter()
                    .flat_map(|r| [r.truth.as_str(), r.predicted.as_str()])
                    .collect();
                let binary = classes.len() <= 2
                    && (classes.contains(self.positive.as_str()) || classes.len() == 1);
                let (precision, recall, f1) = if binary {
                    prf(rows, &self.positive)
                } else {
                    let per: Vec<(f64, f64, f64)> = classes.iter().map(|c| prf(rows, c)).collect();
                    let k = per.len().max(1) as f64;
                    (
                        per.iter().map(|p| p.0).sum::<f64>() / k,
                        per.iter().map(|p| p.1).sum::<f64>() / k,
                        per.iter().map(|p| p.2).sum::<f64>() / k,
                    )
                };
                out.push(("precision", Value::Percent(precision * 100.0)));
                out.push(("recall", Value::Percent(recall * 100.0)));
                out.push(("f1", Value::Percent(f1 * 100.0)));
                let positives = rows.iter().filter(|r| r.predicted == self.positive).count();
                out.push(("positive_rate", Value::percent_of(positives as f64, n)));
                if binary {
                    let scores: Vec<f64> = rows
                        .iter()
                        .map(|r| {
                            r.score.unwrap_or(if r.predicted == self.positive {
                                1.0
                            } else {
                                0.0
                            })
                        })
                        .collect();
                    let truth: Vec<bool> = rows.iter().map(|r| r.truth == self.positive).collect();
                    if let Some(auc) = stats::auc(&scores, &truth) {
                        out.push(("auc", Value::Percent(auc * 100.0)));
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Precision, recall and F1 of class `positive` (0 where undefined, as scikit-learn's
/// `zero_division=0`).
fn prf(rows: &[&Scored], positive: &str) -> (f64, f64, f64) {
    let tp = rows
        .iter()
        .filter(|r| r.predicted == positive && r.truth == positive)
        .count() as f64;
    let fp = rows
        .iter()
        .filter(|r| r.predicted == positive && r.truth != positive)
        .count() as f64;
    let fn_ = rows
        .iter()
        .filter(|r| r.predicted != positive && r.truth == positive)
        .count() as f64;
    let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let recall = if tp + fn_ > 0.0 { tp / (tp + fn_) } else { 0.0 };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    (precision, recall, f1)
}

fn keep<T>(result: Result<T, Diagnostic>, errors: &mut Vec<Diagnostic>) -> Option<T> {
    result.map_err(|d| errors.push(d)).ok()
}

fn positive_integer(
    fields: &mut Fields,
    key: &str,
    default: usize,
    max: usize,
    errors: &mut Vec<Diagnostic>,
) -> Option<usize> {
    match fields.integer(key) {
        Ok(None) => Some(default),
        Ok(Some(n)) if n.value >= 1 && n.value as u64 <= max as u64 => {
            usize::try_from(n.value).ok()
        }
        Ok(Some(n)) => {
            errors.push(Diagnostic::new(
                n.span,
                format!("`{key}` must be between 1 and {max}, not {}", n.value),
            ));
            None
        }
        Err(d) => {
            errors.push(d);
            None
        }
    }
}

/// A class as compared: numbers by value (`1`, `1.0` and `true`… no: `1` and `1.0` alike).
fn canonical(text: &str) -> String {
    let text = text.trim();
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", n as i64),
        Ok(n) if n.is_finite() => format!("{n}"),
        _ => text.to_string(),
    }
}

#[derive(Debug, Clone)]
struct Answer {
    prediction: String,
    score: Option<f64>,
}

fn read_answer(
    json: &serde_json::Value,
    prediction: &str,
    score: Option<&str>,
) -> Result<Answer, String> {
    let found = endpoint::json_path(json, prediction)
        .ok_or_else(|| format!("the answer has no `{prediction}`"))?;
    let text = match found {
        serde_json::Value::String(text) => canonical(text),
        serde_json::Value::Number(n) => canonical(&n.to_string()),
        serde_json::Value::Bool(b) => b.to_string(),
        other => return Err(format!("`{prediction}` is {other}, not a value")),
    };
    let score = match score {
        None => None,
        Some(path) => Some(
            endpoint::json_path(json, path)
                .and_then(serde_json::Value::as_f64)
                .ok_or_else(|| format!("the answer has no number at `{path}`"))?,
        ),
    };
    Ok(Answer {
        prediction: text,
        score,
    })
}

struct Scored {
    truth: String,
    predicted: String,
    score: Option<f64>,
    group: String,
}

struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn read_table(path: &Path, limit: usize) -> Result<Table, String> {
    let mut reader = super::drift::open(path, b',')?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|error| super::drift::describe(path, &error))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(format!(
            "{} is empty: a header line naming the columns is needed",
            path.display()
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records().take(limit) {
        let record = record.map_err(|error| super::drift::describe(path, &error))?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok(Table { header, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_compare_by_value() {
        assert_eq!(canonical("1.0"), "1");
        assert_eq!(canonical(" yes "), "yes");
        assert_eq!(canonical("0.5"), "0.5");
    }
}
