//! The status page: one self-contained HTML document (inline CSS and SVG, no script, no
//! external asset, a CSP that forbids loading anything): current state per monitor, 90-day
//! uptime bars from the hourly aggregates, hypercare, and recent incidents. It refreshes
//! itself every 30 s with a meta tag.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::level::Level;
use super::status::Snapshot;
use crate::report::html::escape;
use crate::store::event::Event;
use crate::store::monitor::Hour;

pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
pub const DAYS: i64 = 90;

const STYLE: &str = "
:root{--ok:#1a7f37;--warn:#bf8700;--crit:#cf222e;--unknown:#8c959f;--none:#eaeef2;--ink:#1f2328;--mute:#59636e;--line:#d1d9e0}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--ink);margin:0 auto;max-width:1000px;padding:24px}
h1{margin:0 0 4px;font-size:26px}h2{margin:28px 0 8px;font-size:19px;border-bottom:1px solid var(--line);padding-bottom:4px}
.mute{color:var(--mute);font-size:13px}
.banner{border-radius:10px;padding:14px 20px;margin:16px 0;color:#fff;font-size:20px;font-weight:700}
.banner.ok{background:var(--ok)}.banner.warn{background:var(--warn)}.banner.crit{background:var(--crit)}.banner.unknown{background:var(--unknown)}
.monitor{border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin:10px 0}
.head{display:flex;justify-content:space-between;gap:12px;align-items:baseline}
.name{font-weight:700}.badge{display:inline-block;min-width:72px;text-align:center;border-radius:12px;padding:1px 8px;font-size:12px;font-weight:700;color:#fff}
.badge.ok{background:var(--ok)}.badge.warn{background:var(--warn)}.badge.crit{background:var(--crit)}.badge.unknown{background:var(--unknown)}
.bars{width:100%;height:28px;display:block;margin:6px 0 2px}
.bars .ok{fill:var(--ok)}.bars .warn{fill:var(--warn)}.bars .crit{fill:var(--crit)}.bars .none{fill:var(--none)}
.reasons{margin:4px 0 0;padding-left:18px;font-size:13px}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:1px 4px;border-radius:4px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top;font-size:14px}
th{font-size:13px;color:var(--mute)}
";

fn worst(snapshot: &Snapshot) -> Level {
    let s = &snapshot.summary;
    if s.crit > 0 {
        Level::Crit
    } else if s.warn > 0 {
        Level::Warn
    } else if s.unknown > 0 && s.ok == 0 {
        Level::Unknown
    } else {
        Level::Ok
    }
}

/// Per monitor, per day (0 = `DAYS - 1` days ago … today): (total, passed, crit results).
fn days(hours: &[Hour], now: DateTime<Utc>) -> HashMap<&str, Vec<(i64, i64, i64)>> {
    let today = now.timestamp().div_euclid(86_400);
    let mut out: HashMap<&str, Vec<(i64, i64, i64)>> = HashMap::new();
    for hour in hours {
        let day = (hour.hour * 3600).div_euclid(86_400);
        let index = DAYS - 1 - (today - day);
        if !(0..DAYS).contains(&index) {
            continue;
        }
        let entry = out
            .entry(hour.monitor.as_str())
            .or_insert_with(|| vec![(0, 0, 0); DAYS as usize]);
        let slot = &mut entry[index as usize];
        slot.0 += hour.total;
        slot.1 += hour.passed;
        slot.2 += hour.crit;
    }
    out
}

pub fn render(snapshot: &Snapshot, hours: &[Hour], alerts: &[Event], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let overall = worst(snapshot);
    let headline = match overall {
        Level::Ok => "All systems operational",
        Level::Warn => "Degraded",
        Level::Crit => "Outage",
        Level::Unknown => "Waiting for results",
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta http-equiv=\"refresh\" content=\"30\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{headline} — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&snapshot.checklist)
    );
    let _ = writeln!(out, "<h1>{}</h1>", escape(&snapshot.checklist));
    let s = &snapshot.summary;
    let _ = writeln!(
        out,
        "<p class=\"mute\">{} OK · {} WARN · {} CRIT · {} UNKNOWN — updated {}</p>",
        s.ok,
        s.warn,
        s.crit,
        s.unknown,
        escape(&snapshot.generated_at)
    );
    let _ = writeln!(
        out,
        "<div class=\"banner {}\" id=\"overall\">{headline}</div>",
        overall.as_str()
    );
    if let Some(care) = &snapshot.hypercare {
        let overdue: Vec<String> = care.overdue().map(|i| escape(&i.title)).collect();
        let _ = writeln!(
            out,
            "<p id=\"hypercare\"><strong>{}</strong> (GO on {}){}</p>",
            escape(&care.headline()),
            escape(&care.since),
            if overdue.is_empty() {
                String::new()
            } else {
                format!(" — overdue: {}", overdue.join(", "))
            }
        );
    }
    let by_day = days(hours, now);
    let _ = writeln!(out, "<h2>Monitors</h2>");
    for monitor in &snapshot.monitors {
        let level = monitor.level.as_str();
        let _ = writeln!(
            out,
            "<div class=\"monitor\" data-monitor=\"{}\" data-level=\"{level}\">",
            escape(&monitor.name)
        );
        let _ = writeln!(
            out,
            "<div class=\"head\"><span><span class=\"name\">{}</span> <span class=\"mute\">{} <code>{}</code> · {}</span></span><span class=\"badge {level}\">{}</span></div>",
            escape(&monitor.name),
            escape(&monitor.probe),
            escape(&monitor.target),
            escape(&monitor.schedule),
            monitor.level
        );
        let slots = by_day.get(monitor.name.as_str());
        let (total, passed) = slots.map_or((0, 0), |days| {
            days.iter().fold((0, 0), |(t, p), d| (t + d.0, p + d.1))
        });
        let _ = write!(
            out,
            "<svg class=\"bars\" viewBox=\"0 0 {} 28\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"90-day uptime\">",
            DAYS * 4
        );
        for day in 0..DAYS {
            let (t, p, c) = slots.map_or((0, 0, 0), |d| d[day as usize]);
            let class = if t == 0 {
                "none"
            } else if c * 100 >= t * 5 || p * 100 < t * 95 {
                "crit"
            } else if p < t {
                "warn"
            } else {
                "ok"
            };
            let date = (now - chrono::Duration::days(DAYS - 1 - day)).format("%Y-%m-%d");
            let title = if t == 0 {
                format!("{date}: no data")
            } else {
                format!(
                    "{date}: {:.2}% of {t} results passed",
                    p as f64 * 100.0 / t as f64
                )
            };
            let _ = write!(
                out,
                "<rect class=\"{class}\" x=\"{}\" y=\"0\" width=\"3\" height=\"28\"><title>{title}</title></rect>",
                day * 4
            );
        }
        let _ = writeln!(out, "</svg>");
        let uptime = if total == 0 {
            "no data yet".to_string()
        } else {
            format!(
                "{:.3}% uptime over {DAYS} days",
                passed as f64 * 100.0 / total as f64
            )
        };
        let mut line = format!(
            "<span class=\"mute\">{uptime} · since {}",
            escape(&monitor.since)
        );
        if let Some(until) = &monitor.silenced_until {
            let _ = write!(line, " · silenced until {}", escape(until));
        }
        if let Some(threshold) = &monitor.threshold {
            let _ = write!(
                line,
                " · levels from the checklist's row {}",
                escape(threshold)
            );
        }
        line.push_str("</span>");
        let _ = writeln!(out, "{line}");
        if !monitor.reasons.is_empty() {
            let _ = writeln!(out, "<ul class=\"reasons\">");
            for reason in &monitor.reasons {
                let _ = writeln!(out, "<li>{}</li>", escape(reason));
            }
            let _ = writeln!(out, "</ul>");
        }
        let _ = writeln!(out, "</div>");
    }
    if !snapshot.triggers.is_empty() {
        let _ = writeln!(
            out,
            "<h2>Rollback criteria</h2>\n<table><tr><th>criterion</th><th>condition</th><th>now</th></tr>"
        );
        for trigger in &snapshot.triggers {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td><span class=\"badge {}\">{}</span></td></tr>",
                escape(&trigger.criterion),
                escape(&trigger.when.join(" and ")),
                if trigger.holding { "crit" } else { "ok" },
                if trigger.holding { "HOLDS" } else { "clear" }
            );
        }
        let _ = writeln!(out, "</table>");
    }
    let _ = writeln!(out, "<h2>Incidents</h2>");
    incidents(&mut out, alerts);
    if !snapshot.unmonitored.is_empty() {
        let _ = writeln!(
            out,
            "<h2>Unmonitored thresholds</h2>\n<p class=\"mute\">Rows of the checklist's threshold tables that no monitor measures.</p><ul>"
        );
        for row in &snapshot.unmonitored {
            let _ = writeln!(out, "<li>{} (line {})</li>", escape(&row.name), row.line);
        }
        let _ = writeln!(out, "</ul>");
    }
    let _ = writeln!(
        out,
        "<p class=\"mute\">golive watch · started {}</p>\n</body>\n</html>",
        escape(&snapshot.started_at)
    );
    out
}

/// The latest 20 incidents, newest first: when each opened, its worst level and, if over,
/// when it resolved.
fn incidents(out: &mut String, alerts: &[Event]) {
    struct Row {
        monitor: String,
        opened: String,
        level: Level,
        summary: String,
        resolved: Option<String>,
    }
    let mut rows: Vec<(i64, Row)> = Vec::new();
    for event in alerts {
        let Some((notice, _, _)) = super::alert::notice(event) else {
            continue;
        };
        let id = event
            .payload
            .get("incident")
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(event.seq);
        match rows.iter_mut().find(|(seq, _)| *seq == id) {
            Some((_, row)) => {
                if notice.is_resolved() {
                    row.resolved = Some(notice.at.clone());
                } else if notice.level == Level::Crit {
                    row.level = Level::Crit;
                }
            }
            None if !notice.is_resolved() => rows.push((
                id,
                Row {
                    monitor: notice.monitor.clone(),
                    opened: notice.at.clone(),
                    level: notice.level,
                    summary: notice.summary.clone(),
                    resolved: None,
                },
            )),
            None => {}
        }
    }
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"mute\" id=\"no-incidents\">No incidents recorded.</p>"
        );
        return;
    }
    let _ = writeln!(
        out,
        "<table id=\"incidents\"><tr><th>opened</th><th>monitor</th><th>level</th><th>what</th><th>resolved</th></tr>"
    );
    for (_, row) in rows.iter().rev().take(20) {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td><span class=\"badge {}\">{}</span></td><td>{}</td><td>{}</td></tr>",
            escape(&row.opened),
            escape(&row.monitor),
            row.level.as_str(),
            row.level,
            escape(&row.summary),
            row.resolved
                .as_deref()
                .map_or_else(|| "ongoing".to_string(), escape)
        );
    }
    let _ = writeln!(out, "</table>");
}
