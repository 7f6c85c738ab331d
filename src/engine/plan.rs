//! From `golive.toml` to checks ready to run: every key validated, every condition parsed,
//! every item reference resolved, every problem reported with its position at once.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use super::secrets::{Secrets, Source};
use super::watch::{WATCH_KEYS, Watch};
use crate::checklist::Checklist;
use crate::checklist::toml::{self, Fields, Spanned};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::expr::Condition;
use crate::probe::{self, KeyDoc, KeyKind, Spec, duration_key};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

/// Keys every check takes, whatever its probe.
pub const COMMON_KEYS: &[KeyDoc] = &[
    KeyDoc {
        name: "item",
        kind: KeyKind::StringList,
        required: true,
        doc: "item id, or `title:GLOB` matching item titles (case-insensitive)",
    },
    KeyDoc {
        name: "probe",
        kind: KeyKind::Choice(&[
            "http",
            "tls",
            "tcp",
            "dns",
            "command",
            "file",
            "load",
            "postgres",
            "prometheus",
            "drill",
        ]),
        required: true,
        doc: "what verifies the item",
    },
    KeyDoc {
        name: "name",
        kind: KeyKind::String,
        required: false,
        doc: "a name for this check (default: the item id), used by `after`; in dns checks `name` is the domain to resolve",
    },
    KeyDoc {
        name: "expect",
        kind: KeyKind::StringList,
        required: false,
        doc: "conditions that must all hold, e.g. \"status == 200\", \"latency < 300ms\"",
    },
    KeyDoc {
        name: "timeout",
        kind: KeyKind::Duration,
        required: false,
        doc: "give up on one attempt after this long (default 10s)",
    },
    KeyDoc {
        name: "retries",
        kind: KeyKind::Integer,
        required: false,
        doc: "attempts after the first when conditions fail (default 0)",
    },
    KeyDoc {
        name: "interval",
        kind: KeyKind::Duration,
        required: false,
        doc: "wait between attempts (default 1s)",
    },
    KeyDoc {
        name: "after",
        kind: KeyKind::StringList,
        required: false,
        doc: "names of checks that must finish before this one starts",
    },
];

/// The checklist's items, with their ids indexed: thousands of checks look them up.
struct Items<'a> {
    checklist: &'a Checklist,
    ids: HashSet<&'a str>,
}

/// One check, validated.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    /// Ids of the items this check verifies.
    pub items: Vec<String>,
    pub spec: Spec,
    pub conditions: Vec<Condition>,
    pub timeout: Duration,
    pub retries: u32,
    pub interval: Duration,
    /// Indices of checks that must finish first.
    pub after: Vec<usize>,
    /// Line of the `[[check]]` header in `golive.toml`.
    pub line: usize,
    /// How `golive watch` runs it (schedule, levels, alerts).
    pub watch: Watch,
}

/// The validated checks and the secrets their configuration referenced.
#[derive(Debug)]
pub struct Plan {
    pub checks: Vec<Check>,
    pub secrets: Secrets,
}

/// Reads `golive.toml`'s text against `checklist`. `base` is the directory relative paths in
/// the configuration are relative to; `source` resolves secret references.
pub fn plan(
    checklist: &Checklist,
    text: &str,
    base: &Path,
    source: &dyn Source,
) -> Result<Plan, Vec<Diagnostic>> {
    let config = toml::parse(text)?;
    let known = Items {
        checklist,
        ids: checklist
            .items
            .iter()
            .map(|item| item.id.as_str())
            .collect(),
    };
    let mut errors = Vec::new();
    let mut secrets = Secrets::default();
    let mut defaults = config.defaults;
    let default_timeout =
        take_or_report(duration_key(&mut defaults, "timeout"), &mut errors).flatten();
    let default_interval =
        take_or_report(duration_key(&mut defaults, "interval"), &mut errors).flatten();
    let default_retries = take_or_report(defaults.integer("retries"), &mut errors).flatten();
    errors.extend(defaults.unknown_keys("in [defaults]", &["timeout", "interval", "retries"]));

    let mut drafts = Vec::new();
    let newlines = newlines(text);
    for mut fields in config.checks {
        resolve_secrets(&mut fields, &mut secrets, source, &mut errors);
        let line = line_of(text, &newlines, fields.span.start);
        match draft(&known, &mut fields, &mut errors) {
            Some(mut draft) => {
                draft.check.line = line;
                draft.check.timeout = draft.timeout.or(default_timeout).unwrap_or(DEFAULT_TIMEOUT);
                draft.check.interval = draft
                    .interval
                    .or(default_interval)
                    .unwrap_or(DEFAULT_INTERVAL);
                let retries = draft.retries.take().or(default_retries.clone());
                draft.check.retries = match retries {
                    Some(Spanned { value, span }) => u32::try_from(value).unwrap_or_else(|_| {
                        errors.push(Diagnostic::new(
                            span,
                            "`retries` must be between 0 and 4294967295",
                        ));
                        0
                    }),
                    None => 0,
                };
                drafts.push(draft);
            }
            None => continue,
        }
    }
    name_checks(&mut drafts, &mut errors);
    resolve_after(&mut drafts, &mut errors);
    if errors.is_empty() {
        let mut checks: Vec<Check> = drafts.into_iter().map(|d| d.check).collect();
        for check in &mut checks {
            check.spec.anchor(base);
        }
        Ok(Plan { checks, secrets })
    } else {
        errors.sort_by_key(|error| error.span.start);
        Err(errors)
    }
}

struct Draft {
    check: Check,
    /// The `[[check]]` header, for errors about the check as a whole.
    header: std::ops::Range<usize>,
    name: Option<Spanned<String>>,
    after: Vec<Spanned<String>>,
    timeout: Option<Duration>,
    interval: Option<Duration>,
    retries: Option<Spanned<i64>>,
}

fn take_or_report<T>(result: Result<T, Diagnostic>, errors: &mut Vec<Diagnostic>) -> Option<T> {
    result.map_err(|error| errors.push(error)).ok()
}

fn draft(known: &Items<'_>, fields: &mut Fields, errors: &mut Vec<Diagnostic>) -> Option<Draft> {
    let before = errors.len();
    let header = fields.span.clone();
    let items = take_or_report(fields.strings("item"), errors).unwrap_or_default();
    if items.is_empty() && !fields.contains("item") && errors.len() == before {
        errors.push(
            Diagnostic::new(fields.span.clone(), "missing key `item`")
                .with_hint("add `item = \"<item id>\"` or `item = \"title:*words*\"`"),
        );
    }
    let item_ids: Vec<String> = items
        .iter()
        .flat_map(|selector| select(known, selector, errors))
        .collect();
    let probe = take_or_report(fields.required_string("probe", "\"http\""), errors);
    // DESIGN.md gives the dns probe a `name` key (the domain): there it is the probe's, and the
    // check is named after its item.
    let is_dns = probe.as_ref().is_some_and(|probe| probe.value == "dns");
    let name = if is_dns {
        None
    } else {
        take_or_report(fields.string("name"), errors).flatten()
    };
    let expects = take_or_report(fields.strings("expect"), errors).unwrap_or_default();
    let timeout = take_or_report(duration_key(fields, "timeout"), errors).flatten();
    let interval = take_or_report(duration_key(fields, "interval"), errors).flatten();
    let retries = take_or_report(fields.integer("retries"), errors).flatten();
    let after = take_or_report(fields.strings("after"), errors).unwrap_or_default();
    let probe = probe?;
    let watch = super::watch::take(fields, &probe.value, errors);
    let spec = match Spec::from_fields(&probe, fields) {
        Ok(spec) => Some(spec),
        Err(diagnostics) => {
            errors.extend(diagnostics);
            None
        }
    };
    let mut known: Vec<&str> = COMMON_KEYS
        .iter()
        .chain(WATCH_KEYS)
        .map(|key| key.name)
        .collect();
    if let Some(doc) = probe::doc(&probe.value) {
        known.extend(doc.key_names());
        errors.extend(
            std::mem::take(fields).unknown_keys(&format!("for probe `{}`", probe.value), &known),
        );
    }
    let mut conditions: Vec<Condition> = expects
        .iter()
        .filter_map(|expect| condition(expect, &probe.value, spec.as_ref(), errors))
        .collect();
    if expects.is_empty()
        && let Some(doc) = probe::doc(&probe.value)
    {
        // No `expect`: the probe's own notion of healthy (exit 0, port open, …).
        conditions = doc
            .default_expect
            .iter()
            .filter_map(|text| Condition::parse(text).ok())
            .collect();
    }
    let spec = spec?;
    if let Spec::Drill(drill) = &spec {
        // A drill's verdict always counts, whatever else is expected of it: a size or an age
        // must not pass a restore that was never verified.
        if !conditions
            .iter()
            .any(|c| c.metric().to_string() == "verdict")
            && let Ok(verdict) = Condition::parse("verdict == \"verified\"")
        {
            conditions.insert(0, verdict);
        }
        for objective in drill.objective_conditions() {
            if !conditions
                .iter()
                .any(|c| c.to_string() == objective.to_string())
            {
                conditions.push(objective);
            }
        }
    }
    (errors.len() == before).then_some(Draft {
        header,
        check: Check {
            name: String::new(),
            items: item_ids,
            spec,
            conditions,
            timeout: DEFAULT_TIMEOUT,
            retries: 0,
            interval: DEFAULT_INTERVAL,
            after: Vec::new(),
            line: 0,
            watch,
        },
        name,
        after,
        timeout,
        interval,
        retries,
    })
}

/// Item ids for `item = "id"` or `item = "title:GLOB"`; an error when nothing matches.
fn select(
    known: &Items<'_>,
    selector: &Spanned<String>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<String> {
    if let Some(pattern) = selector.value.strip_prefix("title:") {
        let options = glob::MatchOptions {
            case_sensitive: false,
            ..Default::default()
        };
        let glob = match glob::Pattern::new(pattern) {
            Ok(glob) => glob,
            Err(error) => {
                errors.push(Diagnostic::new(
                    selector.span.clone(),
                    format!("invalid title glob: {}", error.msg),
                ));
                return Vec::new();
            }
        };
        let ids: Vec<String> = known
            .checklist
            .items
            .iter()
            .filter(|item| glob.matches_with(&item.title, options))
            .map(|item| item.id.clone())
            .collect();
        if ids.is_empty() {
            errors.push(
                Diagnostic::new(
                    selector.span.clone(),
                    format!("no item title matches `{pattern}`"),
                )
                .with_hint(
                    "globs match the whole title: add `*` around words, e.g. \"title:*Health*\"",
                ),
            );
        }
        return ids;
    }
    if known.ids.contains(selector.value.as_str()) {
        return vec![selector.value.clone()];
    }
    let diagnostic = Diagnostic::new(
        selector.span.clone(),
        format!("no item has the id `{}`", selector.value),
    );
    errors.push(
        match did_you_mean(
            &selector.value,
            known.checklist.items.iter().map(|i| i.id.as_str()),
        ) {
            Some(id) => diagnostic.with_hint(format!("did you mean `{id}`?")),
            None => diagnostic.with_hint(
                "`golive status FILE --format json` lists item ids; or use `title:*words*`",
            ),
        },
    );
    Vec::new()
}

/// Parses one `expect` entry, pointing errors into the TOML string.
fn condition(
    expect: &Spanned<String>,
    probe: &str,
    spec: Option<&Spec>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Condition> {
    // The value's span includes its opening quote.
    let offset = expect.span.start + 1;
    match Condition::parse(&expect.value) {
        Ok(condition) => {
            if let Some(doc) = probe::doc(probe)
                && !metric_known(doc, &condition.metric().to_string())
            {
                let names: Vec<&str> = doc.metrics.iter().map(|(name, _)| *name).collect();
                let metric = condition.metric().to_string();
                let span = offset..offset + metric.len();
                let diagnostic =
                    Diagnostic::new(span, format!("probe `{probe}` has no metric `{metric}`"));
                errors.push(match did_you_mean(&metric, names.iter().copied()) {
                    Some(name) => diagnostic.with_hint(format!("did you mean `{name}`?")),
                    None => diagnostic.with_hint(format!("its metrics: {}", names.join(", "))),
                });
                return None;
            }
            // `p95[login]` must name one of the load test's requests.
            if let (Some(selector), Some(Spec::Load(load))) = (condition.metric().selector(), spec)
            {
                let names = load.request_names();
                if !names.iter().any(|name| name == selector) {
                    let metric = condition.metric().to_string();
                    let span = offset..offset + metric.len();
                    let diagnostic = Diagnostic::new(
                        span,
                        format!("no request of this load test is named `{selector}`"),
                    );
                    errors.push(
                        match did_you_mean(selector, names.iter().map(String::as_str)) {
                            Some(name) => diagnostic.with_hint(format!("did you mean `{name}`?")),
                            None => diagnostic.with_hint(format!(
                                "its requests: {} (name them with `name` in `[[check.request]]`)",
                                names.join(", ")
                            )),
                        },
                    );
                    return None;
                }
            }
            Some(condition)
        }
        Err(error) => {
            let span = error.span().range();
            let mut diagnostic = Diagnostic::new(
                offset + span.start..offset + span.end,
                format!("bad condition `{}`: {}", expect.value, error.message()),
            );
            if let Some(hint) = error.hint() {
                diagnostic = diagnostic.with_hint(hint);
            }
            errors.push(diagnostic);
            None
        }
    }
}

/// `header.NAME` and `json.PATH` in a probe's metric list stand for any name below them;
/// an upper-case segment inside a name, as in `drift.COLUMN.psi` or `group.GROUP.accuracy`,
/// stands for any one segment.
pub(super) fn metric_known(doc: &probe::ProbeDoc, metric: &str) -> bool {
    doc.metrics
        .iter()
        .any(|(name, _)| match name.strip_suffix("[NAME]") {
            // `p95[NAME]`: any selector after that name.
            Some(family) => metric
                .strip_prefix(family)
                .and_then(|rest| rest.strip_prefix('['))
                .and_then(|rest| rest.strip_suffix(']'))
                .is_some_and(|selector| {
                    !selector.is_empty() && !selector.contains(['[', ']', '.'])
                }),
            None => matches_pattern(name, metric),
        })
}

fn matches_pattern(pattern: &str, metric: &str) -> bool {
    let placeholder = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_uppercase());
    let parts: Vec<&str> = pattern.split('.').collect();
    let mut rest = metric;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if i > 0 {
            match rest.strip_prefix('.') {
                Some(after) => rest = after,
                // `json[0]`: a trailing placeholder also takes a bracketed path.
                None => return last && placeholder(part) && rest.starts_with('['),
            }
        }
        if placeholder(part) {
            if last {
                return !rest.is_empty();
            }
            match rest.find('.') {
                Some(at) if at > 0 => rest = &rest[at..],
                _ => return false,
            }
        } else {
            match rest.strip_prefix(part) {
                Some(after) => rest = after,
                None => return false,
            }
        }
    }
    rest.is_empty()
}

fn resolve_secrets(
    fields: &mut Fields,
    secrets: &mut Secrets,
    source: &dyn Source,
    errors: &mut Vec<Diagnostic>,
) {
    fields.for_each_string(
        &mut |text, span| match secrets.resolve(text, span, source) {
            Ok(resolved) => *text = resolved,
            Err(error) => errors.push(error),
        },
    );
}

/// Unique names: the given one, or the first item id (numbered when several checks share it).
fn name_checks(drafts: &mut [Draft], errors: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for draft in drafts.iter_mut() {
        let name = match &draft.name {
            Some(name) => {
                if seen.contains_key(&name.value) {
                    errors.push(
                        Diagnostic::new(
                            name.span.clone(),
                            format!("two checks are named `{}`", name.value),
                        )
                        .with_hint("names must be unique so that `after` can refer to them"),
                    );
                }
                name.value.clone()
            }
            None => {
                let base = draft
                    .check
                    .items
                    .first()
                    .cloned()
                    .unwrap_or_else(|| draft.check.spec.name().to_string());
                let mut name = base.clone();
                let mut n = 1;
                while seen.contains_key(&name) {
                    n += 1;
                    name = format!("{base}#{n}");
                }
                name
            }
        };
        seen.insert(name.clone(), 0);
        draft.check.name = name;
    }
}

fn resolve_after(drafts: &mut [Draft], errors: &mut Vec<Diagnostic>) {
    let index: HashMap<String, usize> = drafts
        .iter()
        .enumerate()
        .map(|(i, draft)| (draft.check.name.clone(), i))
        .collect();
    for (position, draft) in drafts.iter_mut().enumerate() {
        for name in std::mem::take(&mut draft.after) {
            match index.get(&name.value) {
                Some(&target) if target == position => {
                    errors.push(Diagnostic::new(
                        name.span,
                        "a check cannot run after itself",
                    ));
                }
                Some(&target) => draft.check.after.push(target),
                None => {
                    let diagnostic = Diagnostic::new(
                        name.span.clone(),
                        format!("no check is named `{}`", name.value),
                    );
                    errors.push(
                        match did_you_mean(&name.value, index.keys().map(String::as_str)) {
                            Some(found) => diagnostic.with_hint(format!("did you mean `{found}`?")),
                            None => diagnostic.with_hint(
                                "`after` takes check names (`name = …`, or the item id)",
                            ),
                        },
                    );
                }
            }
        }
    }
    if let Some(cycle) = find_cycle(drafts) {
        let names: Vec<&str> = cycle
            .iter()
            .map(|&i| drafts[i].check.name.as_str())
            .collect();
        errors.push(
            Diagnostic::new(
                drafts[cycle[0]].header.clone(),
                format!(
                    "checks wait for each other in a cycle: {}",
                    names.join(" → ")
                ),
            )
            .with_hint("remove one of the `after` entries"),
        );
    }
}

/// A cycle in `after`, as check indices, if there is one.
fn find_cycle(drafts: &[Draft]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    fn visit(
        node: usize,
        drafts: &[Draft],
        marks: &mut [Mark],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        marks[node] = Mark::Active;
        stack.push(node);
        for &next in &drafts[node].check.after {
            match marks[next] {
                Mark::Active => {
                    let start = stack.iter().position(|&n| n == next).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next);
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(next, drafts, marks, stack) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks[node] = Mark::Done;
        None
    }
    let mut marks = vec![Mark::New; drafts.len()];
    (0..drafts.len()).find_map(|node| {
        if marks[node] == Mark::New {
            visit(node, drafts, &mut marks, &mut Vec::new())
        } else {
            None
        }
    })
}

/// Offsets of every `\n` in `text`, so that thousands of checks find their line by a binary
/// search instead of each counting from the start of the file.
fn newlines(text: &str) -> Vec<usize> {
    text.bytes()
        .enumerate()
        .filter_map(|(at, byte)| (byte == b'\n').then_some(at))
        .collect()
}

/// 1-based line of `offset`; `newlines` comes from [`newlines`] on the same `text`.
fn line_of(text: &str, newlines: &[usize], offset: usize) -> usize {
    if text.is_char_boundary(offset) {
        newlines.partition_point(|&at| at < offset) + 1
    } else {
        1
    }
}

/// Reads `golive.toml` beside a checklist with the real environment.
pub fn plan_file(checklist: &Checklist, text: &str, base: &Path) -> Result<Plan, Vec<Diagnostic>> {
    plan(checklist, text, base, &super::secrets::System { base })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_of_counts_the_newlines_before_the_offset() {
        let text = "[[check]]\nname = \"é\"\n\n[[check]]\n";
        let newlines = newlines(text);
        // The plain definition: one more than the line breaks before `offset`; 1 for an offset
        // inside a character or past the end.
        let counted = |offset: usize| {
            text.get(..offset)
                .map_or(1, |before| before.matches('\n').count() + 1)
        };
        for offset in 0..=text.len() + 2 {
            assert_eq!(
                line_of(text, &newlines, offset),
                counted(offset),
                "offset {offset}"
            );
        }
    }
}
