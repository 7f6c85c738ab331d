//! `prometheus`: one PromQL instant query against a Prometheus server's HTTP API. `value` is
//! the first series' sample (or the scalar), `series` how many series came back, `labels` the
//! first series' labels (`labels.job == "api"`).

use std::time::Duration;

use serde_json::Value as Json;

use super::keys::{KeyDoc, KeyKind, ProbeDoc};
use super::{Context, Outcome};
use crate::checklist::toml::Fields;
use crate::diagnostic::Diagnostic;
use crate::expr::Value;

pub const DOC: ProbeDoc = ProbeDoc {
    name: "prometheus",
    summary: "runs a PromQL instant query against Prometheus's HTTP API",
    keys: &[
        KeyDoc {
            name: "url",
            kind: KeyKind::String,
            required: true,
            doc: "the server's base URL, e.g. \"http://prometheus:9090\"",
        },
        KeyDoc {
            name: "query",
            kind: KeyKind::String,
            required: true,
            doc: "a PromQL expression, evaluated now, e.g. 'sum(rate(http_requests_total{code=~\"5..\"}[5m]))'",
        },
    ],
    metrics: &[
        (
            "value",
            "the first series' sample (or the scalar result); absent when no series matched",
        ),
        ("series", "how many series the query returned"),
        ("labels", "the first series' labels, e.g. `labels.job`"),
        ("labels.NAME", "one label of the first series"),
    ],
    default_expect: &["series > 0"],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrometheusSpec {
    pub url: reqwest::Url,
    pub query: String,
}

impl PrometheusSpec {
    pub fn from_fields(fields: &mut Fields) -> Result<Self, Vec<Diagnostic>> {
        let url = fields.required_string("url", "\"http://prometheus:9090\"");
        let query = fields.required_string("query", "\"up{job='api'}\"");
        let mut errors = Vec::new();
        let url = url.map_err(|d| errors.push(d)).ok();
        let query = query.map_err(|d| errors.push(d)).ok();
        let parsed = url
            .as_ref()
            .and_then(|url| match reqwest::Url::parse(&url.value) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Some(parsed),
                Ok(_) | Err(_) => {
                    errors.push(
                        Diagnostic::new(
                            url.span.clone(),
                            format!("not an http(s) URL: `{}`", url.value),
                        )
                        .with_hint("write the server's base URL, e.g. \"http://127.0.0.1:9090\""),
                    );
                    None
                }
            });
        if let Some(query) = &query
            && query.value.trim().is_empty()
        {
            errors.push(
                Diagnostic::new(query.span.clone(), "`query` is empty")
                    .with_hint("write a PromQL expression, e.g. \"up\""),
            );
        }
        match (parsed, query) {
            (Some(url), Some(query)) if errors.is_empty() => Ok(PrometheusSpec {
                url,
                query: query.value,
            }),
            _ => Err(errors),
        }
    }

    pub fn target(&self) -> String {
        format!("{} {}", self.url, self.query)
    }

    pub async fn run(&self, context: &Context, timeout: Duration) -> Outcome {
        let client = match context.http.api() {
            Ok(client) => client,
            Err(error) => return Outcome::with_problem(error),
        };
        match tokio::time::timeout(timeout, self.query(&client)).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(problem)) => Outcome::with_problem(problem),
            Err(_) => Outcome::with_problem(format!(
                "Prometheus at {} did not answer within {}",
                self.url,
                Value::Duration(timeout)
            )),
        }
    }

    async fn query(&self, client: &reqwest::Client) -> Result<Outcome, String> {
        let mut url = self.url.clone();
        url.path_segments_mut()
            .map_err(|_| format!("invalid Prometheus URL `{}`", self.url))?
            .pop_if_empty()
            .extend(["api", "v1", "query"]);
        url.query_pairs_mut().append_pair("query", &self.query);
        let base = &self.url;
        let response = client
            .get(url)
            .send()
            .await
            .map_err(|error| format!("Prometheus at {base}: {error}"))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|error| format!("Prometheus at {base}: {error}"))?;
        let body: Json = serde_json::from_slice(&body).map_err(|error| {
            format!("Prometheus at {base} answered {status} without JSON: {error}")
        })?;
        read(&body).map_err(|error| format!("`{}`: {error}", self.query))
    }
}

/// The metrics of one `/api/v1/query` answer.
fn read(body: &Json) -> Result<Outcome, String> {
    if body["status"] != "success" {
        return Err(format!(
            "Prometheus refused the query: {}",
            body["error"].as_str().unwrap_or("no reason given")
        ));
    }
    let data = &body["data"];
    let mut outcome = Outcome::default();
    let sample = |pair: &Json| -> Option<Value> {
        let text = pair.get(1)?.as_str()?;
        // Prometheus writes "+Inf", "-Inf" and "NaN" as strings too.
        let number = match text {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            _ => text.parse().ok()?,
        };
        Some(Value::Number(number))
    };
    match data["resultType"].as_str() {
        Some("vector") | Some("matrix") => {
            let result = data["result"].as_array().cloned().unwrap_or_default();
            outcome.observe("series", Value::from(result.len() as i64));
            if let Some(first) = result.first() {
                outcome.observe("labels", Value::Json(first["metric"].clone()));
                let pair = first
                    .get("value")
                    .or_else(|| first["values"].as_array().and_then(|v| v.last()));
                if let Some(value) = pair.and_then(sample) {
                    outcome.observe("value", value);
                }
            } else {
                outcome.problem = Some("no series matched".to_owned());
            }
        }
        Some("scalar") => {
            outcome.observe("series", Value::from(1i64));
            if let Some(value) = sample(&data["result"]) {
                outcome.observe("value", value);
            }
        }
        Some("string") => {
            outcome.observe("series", Value::from(1i64));
            if let Some(text) = data["result"].get(1).and_then(Json::as_str) {
                outcome.observe("value", Value::Text(text.to_owned()));
            }
        }
        other => return Err(format!("unexpected result type {other:?}")),
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vectors_scalars_and_empty_results() {
        let vector = serde_json::json!({"status": "success", "data": {"resultType": "vector",
            "result": [{"metric": {"job": "api"}, "value": [1.0, "42.5"]},
                       {"metric": {"job": "db"}, "value": [1.0, "1"]}]}});
        let outcome = read(&vector).unwrap();
        assert_eq!(outcome.observed.get("value"), Some(&Value::Number(42.5)));
        assert_eq!(outcome.observed.get("series"), Some(&Value::Number(2.0)));
        let scalar = serde_json::json!({"status": "success", "data": {"resultType": "scalar",
            "result": [1.0, "+Inf"]}});
        let outcome = read(&scalar).unwrap();
        assert_eq!(
            outcome.observed.get("value"),
            Some(&Value::Number(f64::INFINITY))
        );
        let empty = serde_json::json!({"status": "success", "data": {"resultType": "vector",
            "result": []}});
        let outcome = read(&empty).unwrap();
        assert_eq!(outcome.observed.get("series"), Some(&Value::Number(0.0)));
        assert!(outcome.observed.get("value").is_none());
        let refused = serde_json::json!({"status": "error", "error": "parse error"});
        assert!(read(&refused).unwrap_err().contains("parse error"));
    }
}
