//! Alert-threshold tables → monitors: each row of a table such as seed 000's "Seuils
//! d'Alerte" (`| Temps réponse | > 3 sec | > 10 sec |`) or seed 003's "Seuil d'alerte à 80%"
//! lines becomes a `golive watch` stanza whose WARN and CRIT levels are the row's. The rows
//! are read by `monitor::thresholds`, the same reader `watch` uses, so what is emitted here is
//! what `watch` will find.

use serde::Serialize;

use super::stanza::quote;
use crate::checklist::{Checklist, fold};
use crate::monitor::thresholds::{self, Bound, Threshold};

/// How often a suggested threshold monitor runs: the default of a monitor with levels.
const EVERY: &str = "1m";

/// One proposed monitor for a threshold row.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorSuggestion {
    /// The row's name as written: `Temps réponse`.
    pub row: String,
    /// 1-based line of the row in the checklist.
    pub line: usize,
    /// The item the monitor is attached to: the nearest item above the table.
    pub item: String,
    /// The check's `name`, `threshold-` and the row's folded words.
    pub name: String,
    pub probe: &'static str,
    pub stanza: String,
}

/// A monitor for every threshold row whose metric golive can measure.
pub fn monitors(checklist: &Checklist, markdown: &str) -> Vec<MonitorSuggestion> {
    thresholds::read(markdown)
        .iter()
        .filter_map(|threshold| monitor(checklist, threshold))
        .collect()
}

fn monitor(checklist: &Checklist, threshold: &Threshold) -> Option<MonitorSuggestion> {
    // The table belongs to the item just above it (seed 000: "Alertes configurées"); a table
    // before every item goes to the first one.
    let item = checklist
        .items
        .iter()
        .rev()
        .find(|item| item.line < threshold.line)
        .or_else(|| checklist.items.first())?;
    let name = fold(&threshold.name);
    let slug: String = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let written = |bound: &Option<Bound>| {
        bound
            .as_ref()
            .map_or("-".to_owned(), |bound| bound.written.clone())
    };
    let mut out = format!(
        "# threshold, line {}: | {} | {} | {} |\n[[check]]\nitem = {}\nname = {}\n",
        threshold.line,
        threshold.name,
        written(&threshold.warn),
        written(&threshold.crit),
        quote(&item.id),
        quote(&format!("threshold-{slug}")),
    );
    let check_name = format!("threshold-{slug}");
    let probe = if ["temps", "latenc", "response", "antwortzeit", "reponse"]
        .iter()
        .any(|word| name.contains(word))
    {
        // A duration: `watch` reads the levels from the row itself (`row` + `metric`).
        out.push_str(&format!(
            "probe = \"http\"\nurl = \"https://app.example.test/health\"   # placeholder\nrow = {}\nmetric = \"latency\"\n",
            quote(&threshold.name)
        ));
        "http"
    } else {
        // A percentage: Prometheus answers a number, and `value <= 5%` would compare a number
        // with a percentage, so the levels are the row's numbers on a query scaled to 100.
        let query = query_for(&name)?;
        let warn = level(threshold.warn.as_ref());
        let crit = level(threshold.crit.as_ref());
        if warn.is_none() && crit.is_none() {
            return None;
        }
        out.push_str(&format!(
            "probe = \"prometheus\"\nurl = \"http://prometheus.example.test:9090\"   # placeholder\nquery = {}   # placeholder\n",
            quote(query),
        ));
        if let Some(warn) = warn {
            out.push_str(&format!("warn = [{}]\n", quote(&warn)));
        }
        if let Some(crit) = crit {
            out.push_str(&format!("crit = [{}]\n", quote(&crit)));
        }
        "prometheus"
    };
    out.push_str(&format!("every = {}\n", quote(EVERY)));
    Some(MonitorSuggestion {
        row: threshold.name.clone(),
        line: threshold.line,
        item: item.id.clone(),
        name: check_name,
        probe,
        stanza: out,
    })
}

/// A PromQL query giving the row's metric in percent, by the row's words.
fn query_for(name: &str) -> Option<&'static str> {
    let has = |words: &[&str]| words.iter().any(|word| name.contains(word));
    Some(if has(&["erreur", "error", "fehler"]) {
        "100 * sum(rate(http_requests_total{code=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m]))"
    } else if has(&["disponib", "availab", "verfugbar"]) {
        "100 * avg_over_time(up{job=\"app\"}[1h])"
    } else if has(&["cpu", "processeur"]) {
        "100 * (1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[5m])))"
    } else if has(&["ram", "memoire", "memory", "speicher"]) {
        "100 * (1 - sum(node_memory_MemAvailable_bytes) / sum(node_memory_MemTotal_bytes))"
    } else if has(&["disque", "disk", "festplatte"]) {
        "100 * (1 - sum(node_filesystem_avail_bytes) / sum(node_filesystem_size_bytes))"
    } else {
        return None;
    })
}

/// The condition that holds while `value` is on the good side of a percentage bound:
/// `> 5%` → `value <= 5`.
fn level(bound: Option<&Bound>) -> Option<String> {
    let bound = bound?;
    let number = bound.value.strip_suffix('%')?;
    let good = match bound.bad {
        ">" => "<=",
        ">=" => "<",
        "<" => ">=",
        _ => ">",
    };
    Some(format!("value {good} {number}"))
}
