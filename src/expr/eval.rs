//! Checking a condition against what a probe observed.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::ast::{Condition, Metric, Op, Segment, write_path, write_segment};
use super::compare;
use super::parse::edit_distance;
use super::value::Value;

/// The outcome of one condition.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// The condition does not hold: `"cert.days_left 9 < 30"`, `"header.server missing"`.
    Fail(String),
    /// The condition cannot apply to what was observed, e.g. a duration compared with a plain
    /// number. It is a mistake in the configuration that only shows once the probe reports;
    /// show it like a failure, but blame the configuration.
    Invalid(String),
}

impl Verdict {
    pub fn is_pass(&self) -> bool {
        matches!(self, Verdict::Pass)
    }

    /// What went wrong, unless the condition holds.
    pub fn message(&self) -> Option<&str> {
        match self {
            Verdict::Pass => None,
            Verdict::Fail(message) | Verdict::Invalid(message) => Some(message),
        }
    }
}

/// What a probe observed: metric name → value.
///
/// Names under `header.` are case-insensitive, as HTTP header names are: they are stored and
/// looked up in lowercase. Structured data is stored whole, as [`Value::Json`] (or
/// [`Value::List`]) under its root name, e.g. `json`; a metric below it such as
/// `json.data.items[0].id` is found by walking it, so probes need not flatten documents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observations {
    values: BTreeMap<String, Value>,
}

impl Observations {
    pub fn new() -> Observations {
        Observations::default()
    }

    /// Records `name`, replacing and returning any earlier value.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.values.insert(normalize(name.into()), value.into())
    }

    /// The value stored under exactly `name` (headers in any case); paths into stored JSON
    /// are walked only by [`Condition::evaluate`].
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(&normalize(name.to_owned()))
    }

    /// Whether `metric` was observed: stored under its own name, or found by walking a stored
    /// document (`json.data.id`, `cert.days_left`). Dotted names are whole names, not paths
    /// below a root that must exist on its own.
    pub fn observes(&self, metric: &Metric) -> bool {
        lookup(self, metric).is_ok()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.values
            .iter()
            .map(|(name, value)| (name.as_str(), value))
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Observations {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Observations {
        let mut observations = Observations::new();
        observations.extend(iter);
        observations
    }
}

impl<K: Into<String>, V: Into<Value>> Extend<(K, V)> for Observations {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (name, value) in iter {
            self.insert(name, value);
        }
    }
}

fn is_header(name: &str) -> bool {
    name.get(..6)
        .is_some_and(|root| root.eq_ignore_ascii_case("header"))
        && matches!(name.as_bytes().get(6), None | Some(b'.' | b'['))
}

fn normalize(mut name: String) -> String {
    if is_header(&name) {
        name.make_ascii_lowercase();
    }
    name
}

impl Observations {
    /// The value at `metric`'s path (walking JSON below it), if it was observed.
    pub fn find(&self, metric: &Metric) -> Option<Value> {
        lookup(self, metric).ok().map(Cow::into_owned)
    }
}

impl Condition {
    /// Checks the condition against `observed`. A metric that was not observed fails the
    /// condition (`exists` aside); it never panics.
    pub fn evaluate(&self, observed: &Observations) -> Verdict {
        let metric = &self.metric;
        match (self.op, lookup(observed, metric), &self.value) {
            (Op::Exists, Ok(_), _) | (Op::NotExists, Err(_), _) => Verdict::Pass,
            (Op::Exists, Err(_), _) => Verdict::Fail(format!("{metric} missing")),
            (Op::NotExists, Ok(value), _) => Verdict::Fail(format!(
                "{metric} present: {}",
                compare::shown(&value, None)
            )),
            (_, Err(message), _) => Verdict::Fail(message),
            (op, Ok(value), Some(expected)) => {
                compare::check(metric, op, &value, expected, self.pattern.as_ref())
            }
            // `Condition` guarantees a value for every operator that takes one.
            (op, Ok(_), None) => Verdict::Invalid(format!("`{op}` needs a value")),
        }
    }
}

/// A place in the observations while walking a path.
#[derive(Clone, Copy)]
enum Node<'a> {
    Value(&'a Value),
    Json(&'a serde_json::Value),
}

/// The name that counts a list's items: `json.vulnerabilities.list.count`. An object's own
/// `count` key wins over it, so a document that has one reads as written.
const COUNT: &str = "count";

fn lookup<'a>(observed: &'a Observations, metric: &Metric) -> Result<Cow<'a, Value>, String> {
    let segments = metric.segments();
    let header = is_header(metric.root());
    let key = |len: usize| {
        let mut key = String::new();
        // Writing into a String cannot fail.
        let _ = write_path(&mut key, &segments[..len]);
        if header {
            key.make_ascii_lowercase();
        }
        key
    };
    let not_found = |reason: Option<String>| {
        let mut message = format!("`{metric}` not observed");
        if let Some(reason) = reason.or_else(|| nearest(&key(segments.len()), observed)) {
            message.push_str("; ");
            message.push_str(&reason);
        }
        message
    };
    // The longest stored prefix wins, so a probe may also store a leaf directly.
    for len in (1..=segments.len()).rev() {
        let prefix = key(len);
        if let Some(value) = observed.values.get(&prefix) {
            return walk(Node::Value(value), prefix, &segments[len..])
                .map_err(|reason| not_found(Some(reason)));
        }
    }
    Err(not_found(None))
}

/// The items of a list node, or `None` when it is not a list.
fn items(node: Node<'_>) -> Option<Vec<Node<'_>>> {
    match node {
        Node::Value(Value::List(items)) => Some(items.iter().map(Node::Value).collect()),
        Node::Value(Value::Json(serde_json::Value::Array(items)))
        | Node::Json(serde_json::Value::Array(items)) => {
            Some(items.iter().map(Node::Json).collect())
        }
        _ => None,
    }
}

/// `count` as the last step: a number; anywhere else a mistake, since a number has no parts.
fn counted<'a>(len: usize, path: &str, rest: &[Segment]) -> Result<Cow<'a, Value>, String> {
    match rest {
        [] => Ok(Cow::Owned(Value::Number(len as f64))),
        _ => Err(format!("`{path}.{COUNT}` is a plain number")),
    }
}

fn walk<'a>(
    mut node: Node<'a>,
    mut path: String,
    rest: &[Segment],
) -> Result<Cow<'a, Value>, String> {
    for (at, segment) in rest.iter().enumerate() {
        let list = items(node);
        match (segment, list) {
            (Segment::All, Some(list)) => {
                let _ = write_segment(&mut path, segment, false);
                return spread(list, path, &rest[at + 1..]);
            }
            (Segment::All, None) => {
                return Err(format!(
                    "`{path}` is not a list, so `[*]` has nothing to take"
                ));
            }
            (Segment::Key(key), Some(list)) if key == COUNT => {
                return counted(list.len(), &path, &rest[at + 1..]);
            }
            _ => {}
        }
        node = step(node, segment, &path)?;
        // Writing into a String cannot fail.
        let _ = write_segment(&mut path, segment, false);
    }
    Ok(resolve(node))
}

/// One step below `node`; `count` and `[*]` are handled by the callers.
fn step<'a>(node: Node<'a>, segment: &Segment, path: &str) -> Result<Node<'a>, String> {
    match node {
        Node::Value(Value::Json(json)) | Node::Json(json) => step_json(json, segment, path),
        Node::Value(Value::List(items)) => match segment {
            Segment::Index(index) => items
                .get(*index)
                .map(Node::Value)
                .ok_or_else(|| format!("`{path}` has {} items", items.len())),
            Segment::Key(_) | Segment::Selector(_) | Segment::All => Err(format!(
                "`{path}` is a list; pick an item, e.g. `{path}[0]`, or count them: `{path}.{COUNT}`"
            )),
        },
        Node::Value(value) => Err(format!("`{path}` is {}", value.kind())),
    }
}

/// The steps after `[*]`, applied to every item; lists they reach are flattened, so
/// `results[*].packages[*].vulnerabilities.count` counts every vulnerability of every package.
/// An item that lacks a step's key fails the lookup rather than being skipped: a typo must
/// not read as "no vulnerabilities".
fn spread<'a>(
    mut set: Vec<Node<'a>>,
    mut path: String,
    rest: &[Segment],
) -> Result<Cow<'a, Value>, String> {
    for (at, segment) in rest.iter().enumerate() {
        match segment {
            Segment::Key(key) if key == COUNT => return counted(set.len(), &path, &rest[at + 1..]),
            // One item picked from the set is walked on its own.
            Segment::Index(index) => {
                let node = *set
                    .get(*index)
                    .ok_or_else(|| format!("`{path}` has {} items", set.len()))?;
                let _ = write_segment(&mut path, segment, false);
                return walk(node, path, &rest[at + 1..]);
            }
            // Lists met after a `[*]` are already flattened: a second one only opens lists of
            // lists, so `results[*].packages[*]` and `results[*].packages` read the same.
            Segment::All => {
                set = set
                    .into_iter()
                    .flat_map(|node| items(node).unwrap_or_else(|| vec![node]))
                    .collect();
            }
            Segment::Key(_) | Segment::Selector(_) => {
                let mut next = Vec::with_capacity(set.len());
                for (i, node) in set.into_iter().enumerate() {
                    let found = step(node, segment, &path)
                        .map_err(|reason| format!("{reason} (item {i})"))?;
                    match items(found) {
                        Some(list) => next.extend(list),
                        None => next.push(found),
                    }
                }
                set = next;
            }
        }
        // Writing into a String cannot fail.
        let _ = write_segment(&mut path, segment, false);
    }
    Ok(Cow::Owned(Value::List(
        set.into_iter()
            .map(|node| resolve(node).into_owned())
            .collect(),
    )))
}

fn step_json<'a>(
    json: &'a serde_json::Value,
    segment: &Segment,
    path: &str,
) -> Result<Node<'a>, String> {
    use serde_json::Value as Json;
    match (json, segment) {
        (Json::Object(map), Segment::Key(key) | Segment::Selector(key)) => map
            .get(key)
            .map(Node::Json)
            .ok_or_else(|| format!("`{path}` has no key `{key}`")),
        (Json::Array(items), Segment::Index(index)) => items
            .get(*index)
            .map(Node::Json)
            .ok_or_else(|| format!("`{path}` has {} items", items.len())),
        (Json::Array(_), Segment::Key(_) | Segment::Selector(_) | Segment::All) => Err(format!(
            "`{path}` is a list; pick an item, e.g. `{path}[0]`, or count them: `{path}.{COUNT}`"
        )),
        (Json::Object(_), Segment::Index(_) | Segment::All) => {
            Err(format!("`{path}` is an object, not a list"))
        }
        (scalar, _) => Err(format!("`{path}` is {}", Value::from_json(scalar).kind())),
    }
}

fn resolve(node: Node<'_>) -> Cow<'_, Value> {
    match node {
        Node::Value(Value::Json(json)) | Node::Json(json) => Cow::Owned(Value::from_json(json)),
        Node::Value(value) => Cow::Borrowed(value),
    }
}

/// "did you mean `latency`?" for a small typo in a metric name.
fn nearest(name: &str, observed: &Observations) -> Option<String> {
    let allowed = if name.chars().count() >= 6 { 2 } else { 1 };
    observed
        .values
        .keys()
        .map(|key| (edit_distance(name, key), key))
        .filter(|(distance, _)| *distance <= allowed)
        .min()
        .map(|(_, key)| format!("did you mean `{key}`?"))
}

#[cfg(test)]
mod tests;
