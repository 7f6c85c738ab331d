use std::time::Duration;

use serde_json::json;

use super::super::{Condition, Observations, Value, Verdict, Version};

fn check(condition: &str, observed: &Observations) -> Verdict {
    Condition::parse(condition)
        .unwrap_or_else(|error| panic!("{}", error.render()))
        .evaluate(observed)
}

fn one(name: &str, value: impl Into<Value>) -> Observations {
    [(name, value.into())].into_iter().collect()
}

fn fail(message: &str) -> Verdict {
    Verdict::Fail(message.to_owned())
}

fn invalid(message: &str) -> Verdict {
    Verdict::Invalid(message.to_owned())
}

#[test]
fn design_examples_pass_and_fail_as_documented() {
    let mut http = Observations::new();
    http.insert("status", 200u16);
    http.insert("latency", Duration::from_millis(412));
    http.insert("header.Strict-Transport-Security", "max-age=63072000");
    assert_eq!(check("status == 200", &http), Verdict::Pass);
    assert_eq!(
        check("latency < 300ms", &http),
        fail("latency 412ms > 300ms")
    );
    assert_eq!(check("latency < 1s", &http), Verdict::Pass);
    assert_eq!(
        check("header.strict-transport-security exists", &http),
        Verdict::Pass
    );

    let tls: Observations = [
        ("cert.days_left", Value::Number(9.0)),
        (
            "tls.version",
            Value::Version(Version::parse("TLSv1.3").unwrap()),
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        check("cert.days_left >= 30", &tls),
        fail("cert.days_left 9 < 30")
    );
    assert_eq!(check("tls.version >= 1.2", &tls), Verdict::Pass);
}

#[test]
fn every_comparison_reports_the_relation_that_holds() {
    let observed = one("x", 5.0);
    let cases = [
        ("x == 5", None),
        ("x == 6", Some("x 5 != 6")),
        ("x != 6", None),
        ("x != 5", Some("x 5 == 5")),
        ("x < 6", None),
        ("x < 5", Some("x 5 == 5")),
        ("x < 4", Some("x 5 > 4")),
        ("x <= 5", None),
        ("x <= 4.5", Some("x 5 > 4.5")),
        ("x > 4", None),
        ("x > 5", Some("x 5 == 5")),
        ("x >= 5", None),
        ("x >= 6", Some("x 5 < 6")),
        ("x > -1", None),
    ];
    for (condition, failure) in cases {
        let expected = failure.map_or(Verdict::Pass, fail);
        assert_eq!(check(condition, &observed), expected, "{condition}");
    }
}

#[test]
fn durations_sizes_and_percentages_compare_in_their_units() {
    let observed: Observations = [
        ("latency", Value::Duration(Duration::from_micros(300_200))),
        ("age", Value::Duration(Duration::from_secs(2 * 3600))),
        ("size", Value::Bytes(12_582_912)),
        ("error_rate", Value::percent_of(5.0, 10_000.0)),
    ]
    .into_iter()
    .collect();
    // Rounding must not make 300.2ms look like the threshold it exceeds.
    assert_eq!(
        check("latency < 300ms", &observed),
        fail("latency 300.2ms > 300ms")
    );
    assert_eq!(
        check("latency < 0.3002s", &observed),
        fail("latency 300.2ms == 0.3002s")
    );
    assert_eq!(check("latency <= 300.2ms", &observed), Verdict::Pass);
    assert_eq!(check("age < 1h", &observed), fail("age 2h > 1h"));
    assert_eq!(check("age <= 120m", &observed), Verdict::Pass);
    assert_eq!(check("size < 10MB", &observed), fail("size 12.58MB > 10MB"));
    assert_eq!(check("size < 10MiB", &observed), fail("size 12MiB > 10MiB"));
    assert_eq!(check("size <= 12MiB", &observed), Verdict::Pass);
    assert_eq!(check("error_rate < 0.1%", &observed), Verdict::Pass);
    assert_eq!(
        check("error_rate < 0.01%", &observed),
        fail("error_rate 0.05% > 0.01%")
    );
    assert_eq!(check("error_rate == 0.05%", &observed), Verdict::Pass);
}

#[test]
fn unitless_thresholds_are_invalid_with_a_hint() {
    let observed: Observations = [
        ("latency", Value::Duration(Duration::from_millis(5))),
        ("size", Value::Bytes(5)),
        ("error_rate", Value::Percent(5.0)),
        ("mode", Value::Mode(0o600)),
        ("cert.days_left", Value::Number(9.0)),
    ]
    .into_iter()
    .collect();
    let cases = [
        (
            "latency < 300",
            "`latency` is a duration; write the threshold with a unit, e.g. `300ms`",
        ),
        (
            "size < 10",
            "`size` is a size; write the threshold with a unit, e.g. `10MB`",
        ),
        (
            "error_rate < 0.1",
            "`error_rate` is a percentage; write the threshold with `%`, e.g. `0.1%`, or `10%` if `0.1` is a ratio",
        ),
        (
            "mode == 0600",
            "`mode` is a file mode; write it in octal, e.g. `0o600`",
        ),
        (
            "mode == 644",
            "`mode` is a file mode; write it in octal, e.g. `0o644`",
        ),
        (
            "cert.days_left >= 30d",
            "`cert.days_left` is a plain number, but `30d` is a duration; write the threshold without a unit, e.g. `30`",
        ),
        (
            "latency < 1MB",
            "`latency` is a duration, but `1MB` is a size",
        ),
    ];
    for (condition, message) in cases {
        assert_eq!(check(condition, &observed), invalid(message), "{condition}");
    }
}

#[test]
fn modes_compare_as_permission_sets() {
    let observed = one("mode", Value::Mode(0o640));
    assert_eq!(check("mode == 0o640", &observed), Verdict::Pass);
    assert_eq!(
        check("mode == 0o600", &observed),
        fail("mode 0o640 != 0o600")
    );
    assert_eq!(
        check("mode != 0o640", &observed),
        fail("mode 0o640 == 0o640")
    );
    assert_eq!(check("mode <= 0o644", &observed), Verdict::Pass);
    assert_eq!(
        check("mode <= 0o600", &observed),
        fail("mode 0o640 grants more than 0o600")
    );
    // Numerically smaller, yet it grants "other" a read the threshold does not.
    assert_eq!(
        check("mode <= 0o640", &one("mode", Value::Mode(0o604))),
        fail("mode 0o604 grants more than 0o640")
    );
    assert_eq!(check("mode >= 0o400", &observed), Verdict::Pass);
    assert_eq!(
        check("mode >= 0o444", &observed),
        fail("mode 0o640 lacks part of 0o444")
    );
}

#[test]
fn versions_compare_by_component() {
    let tls = |text: &str| one("tls.version", Value::Version(Version::parse(text).unwrap()));
    assert_eq!(check("tls.version >= 1.2", &tls("1.2")), Verdict::Pass);
    assert_eq!(
        check("tls.version >= 1.2", &tls("TLSv1.1")),
        fail("tls.version 1.1 < 1.2")
    );
    assert_eq!(check("tls.version >= TLSv1.3", &tls("1.3")), Verdict::Pass);
    assert_eq!(check("tls.version == 1.3", &tls("1.3.0")), Verdict::Pass);
    assert_eq!(
        check(
            "v >= 1.10",
            &one("v", Value::Version(Version::new(vec![1, 9])))
        ),
        fail("v 1.9 < 1.10")
    );
    assert_eq!(
        check("v >= 1.2.3", &one("v", Version::new(vec![1, 2, 4]))),
        Verdict::Pass
    );
    // Text that reads as a version compares as one; other text cannot be ordered.
    assert_eq!(
        check("json.version >= 1.9", &one("json.version", "1.10.2")),
        Verdict::Pass
    );
    assert_eq!(
        check("tls.version >= 1.2", &one("tls.version", "TLSv1.3")),
        Verdict::Pass
    );
    assert_eq!(
        check("tls.version >= 1.2", &one("tls.version", "SSLv3")),
        invalid("`tls.version` is \"SSLv3\", not a version; `>=` can't compare it")
    );
    assert_eq!(
        check("tls.version == TLSv1.3", &one("tls.version", "TLSv1.3")),
        Verdict::Pass
    );
}

#[test]
fn text_booleans_and_null_compare_for_equality() {
    let observed: Observations = [
        ("cert.issuer", Value::from("Let's Encrypt")),
        ("open", Value::Bool(false)),
        ("json", Value::Json(json!({"gone": null, "code": 200}))),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        check("cert.issuer == \"Let's Encrypt\"", &observed),
        Verdict::Pass
    );
    assert_eq!(
        check("cert.issuer == Evil", &observed),
        fail("cert.issuer \"Let's Encrypt\" != \"Evil\"")
    );
    assert_eq!(check("open == false", &observed), Verdict::Pass);
    assert_eq!(check("open == true", &observed), fail("open false != true"));
    assert_eq!(check("open != true", &observed), Verdict::Pass);
    assert_eq!(check("json.gone == null", &observed), Verdict::Pass);
    assert_eq!(check("json.gone exists", &observed), Verdict::Pass);
    assert_eq!(check("json.code != null", &observed), Verdict::Pass);
    // Different kinds are unequal, not errors.
    assert_eq!(
        check("json.code == \"ok\"", &observed),
        fail("json.code 200 != \"ok\"")
    );
    assert_eq!(
        check("json.gone > 1", &observed),
        fail("json.gone null is not comparable with 1")
    );
    assert_eq!(
        check("cert.issuer > 1", &observed),
        invalid("`cert.issuer` is \"Let's Encrypt\", not a version; `>` can't compare it")
    );
    assert_eq!(
        check("open > 1", &observed),
        invalid("`open` is a boolean; `>` needs a number, duration, size, percentage or version")
    );
}

#[test]
fn contains_looks_in_text_lists_and_objects() {
    let observed: Observations = [
        ("body", Value::from("{\"status\":\"ok\"}")),
        (
            "addresses",
            Value::List(vec!["10.0.0.1".into(), "127.0.0.1".into()]),
        ),
        (
            "json",
            Value::Json(json!({"data": {"id": 1}, "tags": ["a", "b"], "ports": [80, 443]})),
        ),
        ("status", Value::Number(200.0)),
    ]
    .into_iter()
    .collect();
    assert_eq!(check("body contains \"ok\"", &observed), Verdict::Pass);
    assert_eq!(
        check("body contains ready", &observed),
        fail("body \"{\\\"status\\\":\\\"ok\\\"}\" does not contain \"ready\"")
    );
    assert_eq!(
        check("addresses contains \"127.0.0.1\"", &observed),
        Verdict::Pass
    );
    assert_eq!(
        check("addresses contains \"::1\"", &observed),
        fail("addresses [\"10.0.0.1\", \"127.0.0.1\"] does not contain \"::1\"")
    );
    assert_eq!(check("json.tags contains a", &observed), Verdict::Pass);
    assert_eq!(check("json.ports contains 443", &observed), Verdict::Pass);
    assert_eq!(check("json.data contains \"id\"", &observed), Verdict::Pass);
    assert_eq!(check("json contains \"tags\"", &observed), Verdict::Pass);
    assert_eq!(
        check("status contains 2", &observed),
        invalid("`status` is a plain number; `contains` needs text or a list")
    );
    assert_eq!(
        check("body contains 200", &one("body", "HTTP 200 OK")),
        Verdict::Pass
    );
}

#[test]
fn long_observations_are_cut_short_in_messages() {
    let body = "x".repeat(500);
    let Verdict::Fail(message) = check("body contains ok", &one("body", body)) else {
        panic!("expected a failure")
    };
    assert_eq!(
        message,
        format!("body \"{}…\" does not contain \"ok\"", "x".repeat(60))
    );
}

#[test]
fn matches_uses_the_compiled_pattern() {
    let observed: Observations = [
        ("body", Value::from("version: 2.4.1")),
        ("status", Value::Number(204.0)),
        ("records", Value::List(vec!["v=spf1 -all".into()])),
    ]
    .into_iter()
    .collect();
    assert_eq!(check(r"body matches '\d+\.\d+'", &observed), Verdict::Pass);
    assert_eq!(
        check("body matches \"^ok\"", &observed),
        fail("body \"version: 2.4.1\" does not match \"^ok\"")
    );
    assert_eq!(check("status matches \"^2\"", &observed), Verdict::Pass);
    assert_eq!(
        check("status matches \"^3\"", &observed),
        fail("status 204 does not match \"^3\"")
    );
    assert_eq!(
        check("records matches \"^v=spf1\"", &observed),
        Verdict::Pass
    );
}

#[test]
fn exists_and_not_exists() {
    let observed = one("header.Server", "nginx");
    assert_eq!(check("header.server exists", &observed), Verdict::Pass);
    assert_eq!(check("header.SERVER exists", &observed), Verdict::Pass);
    assert_eq!(
        check("header.x-frame-options exists", &observed),
        fail("header.x-frame-options missing")
    );
    assert_eq!(
        check("header.x-frame-options not exists", &observed),
        Verdict::Pass
    );
    assert_eq!(
        check("header.server not exists", &observed),
        fail("header.server present: \"nginx\"")
    );
    assert_eq!(check("header.Server == nginx", &observed), Verdict::Pass);
    assert_eq!(observed.get("HEADER.server"), Some(&Value::from("nginx")));
}

#[test]
fn missing_metrics_fail_with_where_the_lookup_stopped() {
    let observed: Observations = [
        ("latency", Value::Duration(Duration::from_millis(3))),
        (
            "json",
            Value::Json(json!({"data": {"items": [{"id": 1}, {"id": 2}]}, "name": "x"})),
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        check("json.data.items[1].id == 2", &observed),
        Verdict::Pass
    );
    assert_eq!(check("json.data.items[0] exists", &observed), Verdict::Pass);
    let cases = [
        (
            "json.status == 200",
            "`json.status` not observed; `json` has no key `status`",
        ),
        (
            "json.data.items[5].id == 1",
            "`json.data.items[5].id` not observed; `json.data.items` has 2 items",
        ),
        (
            "json.data.items.id == 1",
            "`json.data.items.id` not observed; `json.data.items` is a list; pick an item, e.g. `json.data.items[0]`, or count them: `json.data.items.count`",
        ),
        (
            "json.data[0] == 1",
            "`json.data[0]` not observed; `json.data` is an object, not a list",
        ),
        (
            "json.name.first == 1",
            "`json.name.first` not observed; `json.name` is text",
        ),
        (
            "latncy < 1s",
            "`latncy` not observed; did you mean `latency`?",
        ),
        ("status == 200", "`status` not observed"),
        (
            "latency.p50 < 1s",
            "`latency.p50` not observed; `latency` is a duration",
        ),
    ];
    for (condition, message) in cases {
        assert_eq!(check(condition, &observed), fail(message), "{condition}");
    }
    assert_eq!(
        check("json.status exists", &observed),
        fail("json.status missing")
    );
}

#[test]
fn lists_and_objects_are_not_scalars() {
    let observed: Observations = [
        ("addresses", Value::List(vec!["::1".into()])),
        ("json", Value::Json(json!({"data": {"id": 1}}))),
        ("value", Value::Number(f64::NAN)),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        check("addresses == \"::1\"", &observed),
        invalid("`addresses` is a list; use `contains` to look inside it")
    );
    assert_eq!(
        check("json.data == 1", &observed),
        invalid(
            "`json.data` is a JSON object; compare one of its fields, e.g. `json.data.id`, or use `exists`"
        )
    );
    assert_eq!(
        check("json.data matches \"x\"", &observed),
        invalid("`json.data` is a JSON object; match one of its fields instead")
    );
    assert_eq!(
        check("value > 1", &observed),
        fail("value NaN is not comparable with 1")
    );
}

#[test]
fn observations_normalize_only_header_names() {
    let mut observed = Observations::new();
    assert!(observed.is_empty());
    observed.insert("Header.X-Test", "1");
    observed.insert("headers_total", 3i64);
    observed.insert("Status", 200u16);
    let names: Vec<&str> = observed.iter().map(|(name, _)| name).collect();
    assert_eq!(names, ["Status", "header.x-test", "headers_total"]);
    assert_eq!(observed.len(), 3);
    assert_eq!(observed.insert("status", 1u16), None);
    assert_eq!(check("Status == 200", &observed), Verdict::Pass);
}

#[test]
fn verdict_accessors() {
    assert!(Verdict::Pass.is_pass());
    assert_eq!(Verdict::Pass.message(), None);
    assert_eq!(fail("x").message(), Some("x"));
    assert_eq!(invalid("y").message(), Some("y"));
    assert!(!invalid("y").is_pass());
}

#[test]
fn selected_metrics_and_memory_slopes_evaluate() {
    let mut observed = Observations::new();
    observed.insert("p95[login]", Duration::from_millis(150));
    observed.insert("memory.slope", Value::BytesPerHour(12_000_000.0));
    assert_eq!(check("p95[login] < 200ms", &observed), Verdict::Pass);
    assert!(
        matches!(check("p95[cart] < 200ms", &observed), Verdict::Fail(m) if m.contains("`p95[cart]` not observed"))
    );
    assert_eq!(
        check("memory.slope < 10MB/h", &observed),
        fail("memory.slope 12MB/h > 10MB/h")
    );
    assert_eq!(check("memory.slope < 200KB/s", &observed), Verdict::Pass);
    assert_eq!(
        check("memory.slope < 10MB", &observed),
        invalid("`memory.slope` is a size per time, but `10MB` is a size")
    );
}

#[test]
fn count_and_star_walk_lists() {
    let observed = one(
        "json",
        Value::Json(json!({
            "deps": [
                {"name": "a", "vulns": [{"id": 1}, {"id": 2}]},
                {"name": "b", "vulns": []},
                {"name": "c", "vulns": [{"id": 3}]}
            ],
            "summary": {"count": 7},
            "grid": [[1, 2], [3]]
        })),
    );
    for holds in [
        "json.deps.count == 3",
        "json.deps[*].vulns.count == 3",
        "json.deps[*].vulns[*].id contains 3",
        "json.deps[*].vulns[0].id == 1",
        "json.deps[*].name contains \"b\"",
        "json.deps[1].vulns.count == 0",
        // An object's own key named `count` is read as written.
        "json.summary.count == 7",
        "json.grid[*].count == 2",
        "json.grid[*][*].count == 3",
    ] {
        assert_eq!(check(holds, &observed), Verdict::Pass, "{holds}");
    }
    assert_eq!(
        check("json.deps.count.x == 1", &observed),
        fail("`json.deps.count.x` not observed; `json.deps.count` is a plain number")
    );
    assert_eq!(
        check("json.summary[*].count == 1", &observed),
        fail(
            "`json.summary[*].count` not observed; `json.summary` is not a list, so `[*]` has nothing to take"
        )
    );
    assert_eq!(
        check("json.deps[*].vuln.count == 0", &observed),
        fail("`json.deps[*].vuln.count` not observed; `json.deps[*]` has no key `vuln` (item 0)")
    );
    // Lists stored as values (a resolver's addresses) count too.
    let addresses = one("addresses", Value::List(vec!["a".into(), "b".into()]));
    assert_eq!(check("addresses.count == 2", &addresses), Verdict::Pass);
    assert_eq!(check("addresses[*].count == 2", &addresses), Verdict::Pass);
}
