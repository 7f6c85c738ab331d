//! `watch --listen`: `/metrics` (Prometheus text format 0.0.4), `/api/status` (JSON) and the
//! status page at `/`. axum, because the team server will grow many more routes on the same
//! stack (hyper, already a dependency), and a router is what axum does well.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::page;
use super::status::Snapshot;
use crate::store::Store;

#[derive(Clone)]
struct Shared {
    snapshot: Arc<RwLock<Snapshot>>,
    store: Store,
}

/// Binds `addr` (the error says why not) and serves until the runtime stops.
pub async fn serve(
    addr: SocketAddr,
    snapshot: Arc<RwLock<Snapshot>>,
    store: Store,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = axum::Router::new()
        .route("/", get(status_page))
        .route("/metrics", get(metrics))
        .route("/api/status", get(api_status))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(Shared { snapshot, store });
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((bound, task))
}

fn read(shared: &Shared) -> Snapshot {
    shared
        .snapshot
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

async fn api_status(State(shared): State<Shared>) -> Response {
    let snapshot = read(&shared);
    match serde_json::to_vec_pretty(&snapshot) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

async fn metrics(State(shared): State<Shared>) -> Response {
    let snapshot = read(&shared);
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        exposition(&snapshot),
    )
        .into_response()
}

async fn status_page(State(shared): State<Shared>) -> Response {
    let snapshot = read(&shared);
    let since_hour = chrono::Utc::now().timestamp() / 3600 - 90 * 24;
    let hours = shared
        .store
        .hours(&snapshot.checklist, since_hour)
        .await
        .unwrap_or_default();
    let alerts = shared
        .store
        .events_after(&snapshot.checklist, &[crate::store::event::Kind::Alert], 0)
        .await
        .unwrap_or_default();
    let html = page::render(&snapshot, &hours, &alerts, chrono::Utc::now());
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(page::CSP),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        html,
    )
        .into_response()
}

/// Label values escape `\`, `"` and newlines, as the text format requires.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A metric name from a probe metric: `cert.days_left` → `cert_days_left`.
fn metric_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The Prometheus text exposition of the snapshot.
pub fn exposition(snapshot: &Snapshot) -> String {
    let mut out = String::new();
    let checklist = label(&snapshot.checklist);
    let _ = writeln!(
        out,
        "# HELP golive_monitor_level Confirmed level: 0 ok, 1 warn, 2 crit, 3 unknown."
    );
    let _ = writeln!(out, "# TYPE golive_monitor_level gauge");
    for m in &snapshot.monitors {
        let _ = writeln!(
            out,
            "golive_monitor_level{{checklist=\"{checklist}\",monitor=\"{}\"}} {}",
            label(&m.name),
            m.level.gauge()
        );
    }
    let _ = writeln!(
        out,
        "# HELP golive_monitor_up 1 when the monitor is OK or WARN, 0 when CRIT or UNKNOWN."
    );
    let _ = writeln!(out, "# TYPE golive_monitor_up gauge");
    for m in &snapshot.monitors {
        let up = u8::from(matches!(m.level, super::Level::Ok | super::Level::Warn));
        let _ = writeln!(
            out,
            "golive_monitor_up{{checklist=\"{checklist}\",monitor=\"{}\"}} {up}",
            label(&m.name)
        );
    }
    let _ = writeln!(
        out,
        "# HELP golive_monitor_runs_total Results since watch started."
    );
    let _ = writeln!(out, "# TYPE golive_monitor_runs_total counter");
    for m in &snapshot.monitors {
        let _ = writeln!(
            out,
            "golive_monitor_runs_total{{checklist=\"{checklist}\",monitor=\"{}\"}} {}",
            label(&m.name),
            m.runs
        );
    }
    let _ = writeln!(
        out,
        "# HELP golive_monitor_failures_total Results whose expect failed since watch started."
    );
    let _ = writeln!(out, "# TYPE golive_monitor_failures_total counter");
    for m in &snapshot.monitors {
        let _ = writeln!(
            out,
            "golive_monitor_failures_total{{checklist=\"{checklist}\",monitor=\"{}\"}} {}",
            label(&m.name),
            m.failures
        );
    }
    let _ = writeln!(
        out,
        "# HELP golive_monitor_duration_seconds How long the latest check took."
    );
    let _ = writeln!(out, "# TYPE golive_monitor_duration_seconds gauge");
    for m in &snapshot.monitors {
        if let Some(ms) = m.duration_ms {
            let _ = writeln!(
                out,
                "golive_monitor_duration_seconds{{checklist=\"{checklist}\",monitor=\"{}\"}} {}",
                label(&m.name),
                ms / 1000.0
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP golive_monitor_observed The latest numeric observation of each metric (durations in seconds, percentages in points)."
    );
    let _ = writeln!(out, "# TYPE golive_monitor_observed gauge");
    for m in &snapshot.monitors {
        for (name, value) in &m.observed {
            let _ = writeln!(
                out,
                "golive_monitor_observed{{checklist=\"{checklist}\",monitor=\"{}\",metric=\"{}\"}} {value}",
                label(&m.name),
                label(&metric_name(name))
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP golive_trigger_holding 1 while a rollback criterion holds."
    );
    let _ = writeln!(out, "# TYPE golive_trigger_holding gauge");
    for t in &snapshot.triggers {
        let _ = writeln!(
            out,
            "golive_trigger_holding{{checklist=\"{checklist}\",trigger=\"{}\"}} {}",
            label(&t.name),
            u8::from(t.holding)
        );
    }
    let _ = writeln!(
        out,
        "# HELP golive_notifications_total Alert notices per notifier and outcome since watch started."
    );
    let _ = writeln!(out, "# TYPE golive_notifications_total counter");
    for n in &snapshot.notifiers {
        let _ = writeln!(
            out,
            "golive_notifications_total{{notifier=\"{}\",result=\"delivered\"}} {}",
            label(&n.name),
            n.delivered
        );
        let _ = writeln!(
            out,
            "golive_notifications_total{{notifier=\"{}\",result=\"failed\"}} {}",
            label(&n.name),
            n.failed
        );
    }
    if let Some(care) = &snapshot.hypercare {
        let _ = writeln!(
            out,
            "# HELP golive_hypercare_day Day of hypercare since the GO (1 on the day of the GO)."
        );
        let _ = writeln!(out, "# TYPE golive_hypercare_day gauge");
        let _ = writeln!(
            out,
            "golive_hypercare_day{{checklist=\"{checklist}\"}} {}",
            care.day
        );
        let _ = writeln!(
            out,
            "# HELP golive_hypercare_overdue_items Post-go-live items past their window."
        );
        let _ = writeln!(out, "# TYPE golive_hypercare_overdue_items gauge");
        let _ = writeln!(
            out,
            "golive_hypercare_overdue_items{{checklist=\"{checklist}\"}} {}",
            care.overdue().count()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::status::MonitorStatus;

    #[test]
    fn exposition_escapes_labels() {
        let mut snapshot = Snapshot {
            checklist: "a\"b.md".into(),
            ..Snapshot::default()
        };
        snapshot.monitors.push(MonitorStatus {
            name: "api\\x".into(),
            items: vec![],
            probe: "http".into(),
            target: String::new(),
            schedule: String::new(),
            level: super::super::Level::Crit,
            since: String::new(),
            reasons: vec![],
            last_run: None,
            duration_ms: Some(12.0),
            observed: [("cert.days_left".to_string(), 9.0)].into_iter().collect(),
            warn: vec![],
            crit: vec![],
            threshold: None,
            incident: None,
            silenced_until: None,
            runs: 3,
            failures: 1,
        });
        let text = exposition(&snapshot);
        assert!(
            text.contains("golive_monitor_level{checklist=\"a\\\"b.md\",monitor=\"api\\\\x\"} 2"),
            "{text}"
        );
        assert!(text.contains("metric=\"cert_days_left\"} 9"), "{text}");
        assert!(text.contains("golive_monitor_duration_seconds{checklist=\"a\\\"b.md\",monitor=\"api\\\\x\"} 0.012"), "{text}");
    }
}
