//! Load tests over time in the HTML report: per-interval requests per second, p95 and errors
//! (`observed.series`) and the target's memory (`observed["memory.timeline"]`), as inline SVG
//! line charts, one per load check of the latest run. Kept apart from `html.rs`, which draws
//! the rest of the report and only calls [`draw`].

use std::fmt::Write as _;

use serde_json::Value as Json;

use super::gate::GateView;
use super::html::escape;

const W: f64 = 720.0;
const H: f64 = 180.0;
const LEFT: f64 = 64.0;
const BOTTOM: f64 = 24.0;
/// Room above the plot for its title.
const TOP: f64 = 24.0;

/// Every load check's charts, under one heading; nothing when no check has a series.
pub fn draw(out: &mut String, view: &GateView<'_>) {
    let mut seen: Vec<&str> = Vec::new();
    let mut body = String::new();
    for record in view.items.iter().flat_map(|entry| entry.results) {
        if seen.contains(&record.check.as_str()) {
            continue;
        }
        let series = points(
            &record.observed["series"],
            "t_s",
            &["rps", "p95_ms", "errors"],
        );
        let memory = points(&record.observed["memory.timeline"], "t_s", &["bytes"]);
        if series.is_empty() && memory.is_empty() {
            continue;
        }
        seen.push(&record.check);
        let check = escape(&record.check);
        let _ = writeln!(body, "<h3>Over time: <code>{check}</code></h3>");
        for (index, (label, unit)) in [("requests per second", ""), ("p95", " ms"), ("errors", "")]
            .into_iter()
            .enumerate()
        {
            let line: Vec<(f64, f64)> = series
                .iter()
                .filter_map(|(t, values)| values[index].map(|v| (*t, v)))
                .collect();
            chart(&mut body, &check, label, unit, &line);
        }
        let memory: Vec<(f64, f64)> = memory
            .iter()
            .filter_map(|(t, values)| values[0].map(|bytes| (*t, bytes / 1e6)))
            .collect();
        chart(&mut body, &check, "target memory", " MB", &memory);
    }
    if !body.is_empty() {
        out.push_str("<h2>Load over time</h2>\n");
        out.push_str(&body);
    }
}

/// `[{t_s, a, b}, …]` as (t, [a, b]) with missing values as `None`.
fn points(json: &Json, time: &str, keys: &[&str]) -> Vec<(f64, Vec<Option<f64>>)> {
    let parsed;
    let json = match json {
        Json::String(text) => match serde_json::from_str::<Json>(text) {
            Ok(value) => {
                parsed = value;
                &parsed
            }
            Err(_) => return Vec::new(),
        },
        other => other,
    };
    json.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    let t = item[time].as_f64()?;
                    Some((t, keys.iter().map(|key| item[*key].as_f64()).collect()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One line chart; nothing for fewer than two points.
fn chart(out: &mut String, check: &str, label: &str, unit: &str, line: &[(f64, f64)]) {
    if line.len() < 2 {
        return;
    }
    let (t0, t1) = (line[0].0, line[line.len() - 1].0.max(line[0].0 + 1e-9));
    let low = line
        .iter()
        .map(|p| p.1)
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    let high = line.iter().map(|p| p.1).fold(0.0, f64::max).max(low + 1e-9);
    let (plot_w, plot_h) = (W - LEFT - 8.0, H - BOTTOM - TOP);
    let x = |t: f64| LEFT + (t - t0) / (t1 - t0) * plot_w;
    let y = |v: f64| TOP + plot_h - (v - low) / (high - low) * plot_h;
    let path: Vec<String> = line
        .iter()
        .map(|&(t, v)| format!("{:.1},{:.1}", x(t), y(v)))
        .collect();
    let _ = writeln!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{label} over time, {check}\">\n\
         <line x1=\"{LEFT}\" y1=\"{base:.1}\" x2=\"{right:.1}\" y2=\"{base:.1}\"/>\n\
         <text x=\"4\" y=\"{top_label:.1}\">{}{unit}</text><text x=\"4\" y=\"{base:.1}\">{}</text>\n\
         <text x=\"{LEFT}\" y=\"{H}\">{}s</text><text x=\"{right:.1}\" y=\"{H}\" text-anchor=\"end\">{}s</text>\n\
         <text x=\"{mid:.1}\" y=\"16\" text-anchor=\"middle\">{label}</text>\n\
         <polyline fill=\"none\" stroke=\"#0969da\" stroke-width=\"2\" points=\"{}\"/>\n</svg>",
        round(high),
        round(low),
        round(t0),
        round(t1),
        path.join(" "),
        base = TOP + plot_h,
        top_label = TOP + 4.0,
        right = LEFT + plot_w,
        mid = LEFT + plot_w / 2.0,
    );
}

fn round(value: f64) -> String {
    let text = format!("{value:.1}");
    text.trim_end_matches(".0").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_is_a_line_through_every_point() {
        let mut out = String::new();
        chart(
            &mut out,
            "soak",
            "p95",
            " ms",
            &[(0.0, 1.0), (1.0, 3.0), (2.0, 2.0)],
        );
        assert_eq!(out.matches("<svg").count(), 1);
        let points = out.split("points=\"").nth(1).expect("a polyline");
        assert_eq!(points.split(' ').count(), 3, "{out}");
        assert!(out.contains("3 ms"), "{out}");
        let mut none = String::new();
        chart(&mut none, "soak", "p95", "", &[(0.0, 1.0)]);
        assert!(none.is_empty());
        let parsed = points_of();
        assert_eq!(parsed[1], (1.0, vec![Some(10.0), None]));
    }

    fn points_of() -> Vec<(f64, Vec<Option<f64>>)> {
        let json = serde_json::json!([{"t_s": 0, "rps": 5, "p95_ms": 1.5}, {"t_s": 1, "rps": 10, "p95_ms": null}]);
        points(&json, "t_s", &["rps", "p95_ms"])
    }
}
