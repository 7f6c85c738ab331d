//! Alert thresholds written in the checklist, so the file stays the source of truth for a
//! monitor's levels: tables such as seed 000's "Seuils d'Alerte" (`Métrique | Seuil Warning |
//! Seuil Critique`, rows like `Temps réponse | > 3 sec | > 10 sec`) and lines such as seed
//! 003's `- **CPU** : Seuil d'alerte à 80%`. Pure: text in, thresholds out.
//!
//! The importer does not model these yet (they are neither items nor approvals), so this
//! reads the decoded text itself, line by line, skipping code blocks; mis-decoded text is
//! repaired per extracted string as the importer does.

use crate::checklist::encoding::repair_mojibake;
use crate::expr::Rule;

/// One threshold: a named metric and the values at which it is WARN and CRIT.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// As written in the checklist: `Temps réponse`.
    pub name: String,
    pub warn: Option<Bound>,
    pub crit: Option<Bound>,
    /// 1-based line in the checklist.
    pub line: usize,
}

/// Where a level starts: `> 3 sec` is `{bad: ">", value: "3s"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    /// The comparison that means trouble: `>`, `>=`, `<`, `<=`.
    pub bad: &'static str,
    /// The threshold in the condition language: `3s`, `98%`, `2s`.
    pub value: String,
    /// The cell or phrase as written: `> 3 sec`.
    pub written: String,
}

impl Bound {
    /// The condition that holds while `metric` is on the good side: `latency <= 3s`.
    pub fn rule(&self, metric: &str) -> Result<Rule, crate::expr::ParseError> {
        let good = match self.bad {
            ">" => "<=",
            ">=" => "<",
            "<" => ">=",
            _ => ">",
        };
        Rule::parse(&format!("{metric} {good} {}", self.value))
    }
}

/// Accent-folded lowercase, for matching names as a person reads them.
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text)
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every threshold in the checklist's text, in file order.
pub fn read(text: &str) -> Vec<Threshold> {
    let mut found = Vec::new();
    let mut in_code = false;
    // Columns of the threshold table being read: (name, warn, crit).
    let mut table: Option<(usize, Option<usize>, Option<usize>)> = None;
    let mut header: Option<Vec<String>> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = repaired(raw);
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if !trimmed.starts_with('|') {
            table = None;
            header = None;
            if let Some(threshold) = threshold_line(trimmed, index + 1) {
                found.push(threshold);
            }
            continue;
        }
        let cells = cells(trimmed);
        if cells
            .iter()
            .all(|cell| cell.chars().all(|c| matches!(c, '-' | ':' | ' ')))
        {
            // The delimiter row: the header above it decides what the table is.
            table = header.take().and_then(|header| columns(&header));
            continue;
        }
        match table {
            Some((name, warn, crit)) => {
                let cell = |column: Option<usize>| column.and_then(|c| cells.get(c));
                let Some(title) = cells.get(name).filter(|t| !t.is_empty()) else {
                    continue;
                };
                let threshold = Threshold {
                    name: title.clone(),
                    warn: cell(warn).and_then(|c| bound(c, title)),
                    crit: cell(crit).and_then(|c| bound(c, title)),
                    line: index + 1,
                };
                if threshold.warn.is_some() || threshold.crit.is_some() {
                    found.push(threshold);
                }
            }
            None => header = Some(cells),
        }
    }
    found
}

fn repaired(line: &str) -> String {
    repair_mojibake(line).map_or_else(|| line.to_string(), |(text, _)| text)
}

fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    inner
        .split('|')
        .map(|cell| cell.trim().replace("**", ""))
        .collect()
}

/// A threshold table has a warning column and a critical column; the name is the first
/// column that is neither.
fn columns(header: &[String]) -> Option<(usize, Option<usize>, Option<usize>)> {
    let folded: Vec<String> = header.iter().map(|h| fold(h)).collect();
    let warn = folded
        .iter()
        .position(|h| h.contains("warn") || h.contains("avertissement"));
    let crit = folded.iter().position(|h| h.contains("crit"));
    if warn.is_none() || crit.is_none() {
        return None;
    }
    let name = (0..header.len()).find(|i| Some(*i) != warn && Some(*i) != crit)?;
    Some((name, warn, crit))
}

/// `- **CPU** : Seuil d'alerte à 80%`, `- **Temps de réponse** : Seuil à 2 secondes`.
fn threshold_line(line: &str, number: usize) -> Option<Threshold> {
    let rest = line.strip_prefix(['-', '*', '+'])?.trim_start();
    let rest = rest.strip_prefix("**")?;
    let (name, rest) = rest.split_once("**")?;
    let rest = rest.trim_start().trim_start_matches(':').trim();
    let folded = fold(rest);
    if !(folded.starts_with("seuil")
        || folded.starts_with("threshold")
        || folded.starts_with("alert"))
    {
        return None;
    }
    // The number and unit after the words: `à 80%`, `at 2 seconds`, `> 3 s`.
    let start = rest.find(|c: char| c.is_ascii_digit() || matches!(c, '<' | '>'))?;
    let crit = bound(&rest[start..], name)?;
    Some(Threshold {
        name: name.trim().to_string(),
        warn: None,
        crit: Some(crit),
        line: number,
    })
}

/// `> 3 sec` → `>` and `3s`; a bare value is bad above it, except for availability-like
/// names, which are bad below.
fn bound(cell: &str, name: &str) -> Option<Bound> {
    let written = cell.trim();
    let (bad, rest) = [">=", "<=", "≥", "≤", ">", "<"]
        .iter()
        .find_map(|op| written.strip_prefix(op).map(|rest| (*op, rest)))
        .map(|(op, rest)| {
            let op = match op {
                "≥" => ">=",
                "≤" => "<=",
                other => other,
            };
            (Some(op), rest)
        })
        .unwrap_or((None, written));
    let rest = rest.trim();
    let digits = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(rest.len());
    if digits == 0 {
        return None;
    }
    let number = rest[..digits].replace(',', ".");
    let unit_word = fold(&rest[digits..]);
    let unit_word = unit_word.split_whitespace().next().unwrap_or("");
    let unit = if rest[digits..].trim_start().starts_with('%') {
        "%"
    } else {
        match unit_word {
            "" => "",
            "ms" | "milliseconde" | "millisecondes" | "milliseconds" => "ms",
            "s" | "sec" | "secs" | "seconde" | "secondes" | "second" | "seconds" => "s",
            "m" | "min" | "mins" | "minute" | "minutes" => "m",
            "h" | "heure" | "heures" | "hour" | "hours" => "h",
            "kb" | "ko" => "KB",
            "mb" | "mo" => "MB",
            "gb" | "go" => "GB",
            _ => return None,
        }
    };
    let folded_name = fold(name);
    let floor = [
        "disponib",
        "availab",
        "uptime",
        "objecti",
        "precision",
        "accuracy",
    ]
    .iter()
    .any(|word| folded_name.contains(word));
    let bad = bad.unwrap_or(if floor { "<" } else { ">" });
    Some(Bound {
        bad,
        value: format!("{number}{unit}"),
        written: written.to_string(),
    })
}

/// The threshold a monitor's `row` names: the same words once folded, else the only one
/// whose name contains them.
pub fn find<'a>(thresholds: &'a [Threshold], row: &str) -> Option<&'a Threshold> {
    let wanted = fold(row);
    thresholds
        .iter()
        .find(|t| fold(&t.name) == wanted)
        .or_else(|| {
            let mut matches = thresholds
                .iter()
                .filter(|t| fold(&t.name).contains(&wanted));
            let first = matches.next()?;
            matches.next().is_none().then_some(first)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(prefix: &str) -> String {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds");
        let path = std::fs::read_dir(&dir)
            .expect("seeds")
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .find(|path| {
                path.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
            })
            .expect("seed");
        let bytes = std::fs::read(path).expect("read");
        crate::checklist::encoding::decode(&bytes)
            .expect("decode")
            .text
    }

    #[test]
    fn seed_000_threshold_table_gives_warn_and_crit() {
        let found = read(&seed("000"));
        let names: Vec<&str> = found.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["Temps réponse", "Taux d'erreur", "Disponibilité", "CPU/RAM"]
        );
        let response = &found[0];
        assert_eq!(response.line, 81);
        let warn = response.warn.as_ref().expect("warn");
        assert_eq!((warn.bad, warn.value.as_str()), (">", "3s"));
        assert_eq!(
            warn.rule("latency").expect("rule").to_string(),
            "latency <= 3s"
        );
        let availability = &found[2];
        let crit = availability.crit.as_ref().expect("crit");
        assert_eq!(
            crit.rule("json.availability").expect("rule").to_string(),
            "json.availability >= 95%"
        );
        assert_eq!(find(&found, "temps reponse").map(|t| t.line), Some(81));
        assert_eq!(find(&found, "CPU").map(|t| t.line), Some(84));
        assert!(find(&found, "latence").is_none());
    }

    #[test]
    fn seed_003_threshold_lines_are_read_through_its_mojibake() {
        let found = read(&seed("003"));
        let summary: Vec<(String, String)> = found
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.crit
                        .as_ref()
                        .map(|c| format!("{} {}", c.bad, c.value))
                        .unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("CPU".to_string(), "> 80%".to_string()),
                ("Mémoire".to_string(), "> 85%".to_string()),
                ("Disque".to_string(), "> 90%".to_string()),
                ("Temps de réponse".to_string(), "> 2s".to_string()),
                ("Taux d'erreur".to_string(), "> 1%".to_string()),
            ]
        );
    }

    #[test]
    fn tables_without_levels_and_code_blocks_are_not_thresholds() {
        let text = "| Item | Status |\n|---|---|\n| a | > 3 |\n\n```\n- **CPU** : Seuil 80%\n```\n";
        assert!(read(text).is_empty());
    }
}
