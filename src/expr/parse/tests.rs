use std::time::Duration;

use super::super::{
    ByteUnit, Condition, DurationUnit, Literal, Metric, Op, Segment, Span, Version, parse_duration,
};

fn parse(text: &str) -> Condition {
    Condition::parse(text).unwrap_or_else(|error| panic!("{text}: {}", error.render()))
}

fn value(text: &str) -> Literal {
    parse(text).value().cloned().expect("a value")
}

/// The rendered error: message, the condition, carets.
fn error(text: &str) -> String {
    match Condition::parse(text) {
        Ok(condition) => panic!("{text} parsed as {condition:?}"),
        Err(error) => error.render(),
    }
}

fn key(name: &str) -> Segment {
    Segment::Key(name.to_owned())
}

#[test]
fn reads_metric_op_value_with_spans() {
    let condition = parse("  latency   <   300ms ");
    assert_eq!(condition.metric().to_string(), "latency");
    assert_eq!(condition.op(), Op::Lt);
    assert_eq!(
        condition.value(),
        Some(&Literal::Duration(
            Duration::from_millis(300),
            DurationUnit::Millis
        ))
    );
    let spans = condition.spans();
    assert_eq!(spans.metric, Span::new(2, 9));
    assert_eq!(spans.op, Span::new(12, 13));
    assert_eq!(spans.value, Some(Span::new(16, 21)));
    assert_eq!(condition.to_string(), "latency < 300ms");
}

#[test]
fn reads_every_operator() {
    let cases = [
        ("status == 200", Op::Eq),
        ("status != 200", Op::Ne),
        ("status < 200", Op::Lt),
        ("status <= 200", Op::Le),
        ("status > 200", Op::Gt),
        ("status >= 200", Op::Ge),
        ("body contains \"ok\"", Op::Contains),
        ("body matches \"^ok\"", Op::Matches),
        ("header.server exists", Op::Exists),
        ("header.server not exists", Op::NotExists),
        ("header.server not   exists", Op::NotExists),
        ("status==200", Op::Eq),
        ("latency<=1s", Op::Le),
    ];
    for (text, op) in cases {
        assert_eq!(parse(text).op(), op, "{text}");
    }
    assert_eq!(
        parse("header.server not exists").spans().op,
        Span::new(14, 24)
    );
    assert_eq!(parse("header.server exists").value(), None);
}

#[test]
fn reads_metric_paths() {
    let metric = parse("json.data.items[0].id == 7").metric().clone();
    assert_eq!(
        metric.segments(),
        [
            key("json"),
            key("data"),
            key("items"),
            Segment::Index(0),
            key("id")
        ]
    );
    assert_eq!(metric.root(), "json");
    let metric = parse(r#"json["a key"]['b.c'][12] exists"#).metric().clone();
    assert_eq!(
        metric.segments(),
        [key("json"), key("a key"), key("b.c"), Segment::Index(12)]
    );
    let spread = parse("json.deps[*].vulns.count == 0").metric().clone();
    assert_eq!(
        spread.segments(),
        [
            key("json"),
            key("deps"),
            Segment::All,
            key("vulns"),
            key("count")
        ]
    );
    assert_eq!(spread.to_string(), "json.deps[*].vulns.count");
    assert_eq!(metric.to_string(), r#"json["a key"]["b.c"][12]"#);
    assert_eq!(
        parse("header.Strict-Transport-Security exists")
            .metric()
            .segments(),
        [key("header"), key("Strict-Transport-Security")]
    );
    assert_eq!(
        parse("_x.0 == 1").metric().segments(),
        [key("_x"), key("0")]
    );
    assert_eq!(
        "cert.days_left".parse::<Metric>().unwrap().to_string(),
        "cert.days_left"
    );
    assert!(" status x".parse::<Metric>().is_err());
    assert!("".parse::<Metric>().is_err());
}

#[test]
fn reads_numbers_as_written() {
    let Literal::Number(number) = value("x == -12.50") else {
        panic!()
    };
    assert_eq!(number.value(), -12.5);
    assert_eq!(number.as_written(), "-12.50");
    let Literal::Number(number) = value("x == 0600") else {
        panic!()
    };
    assert_eq!(number.value(), 600.0);
}

#[test]
fn reads_every_duration_unit() {
    let cases = [
        ("300ms", Duration::from_millis(300), DurationUnit::Millis),
        ("0.5ms", Duration::from_micros(500), DurationUnit::Millis),
        ("1.5s", Duration::from_millis(1500), DurationUnit::Seconds),
        ("5m", Duration::from_secs(300), DurationUnit::Minutes),
        ("2h", Duration::from_secs(7200), DurationUnit::Hours),
        ("30d", Duration::from_secs(30 * 86_400), DurationUnit::Days),
        ("0s", Duration::ZERO, DurationUnit::Seconds),
    ];
    for (text, duration, unit) in cases {
        assert_eq!(
            value(&format!("age < {text}")),
            Literal::Duration(duration, unit),
            "{text}"
        );
    }
}

#[test]
fn reads_every_size_unit_with_decimal_and_binary_prefixes() {
    let cases = [
        ("512B", 512, ByteUnit::B),
        ("10KB", 10_000, ByteUnit::KB),
        ("10kB", 10_000, ByteUnit::KB),
        ("1.5MB", 1_500_000, ByteUnit::MB),
        ("2GB", 2_000_000_000, ByteUnit::GB),
        ("1TB", 1_000_000_000_000, ByteUnit::TB),
        ("1KiB", 1024, ByteUnit::KiB),
        ("1.5MiB", 1_572_864, ByteUnit::MiB),
        ("1GiB", 1 << 30, ByteUnit::GiB),
        ("1TiB", 1 << 40, ByteUnit::TiB),
    ];
    for (text, bytes, unit) in cases {
        assert_eq!(
            value(&format!("size < {text}")),
            Literal::Bytes(bytes, unit),
            "{text}"
        );
    }
}

#[test]
fn reads_percentages_modes_versions_and_keywords() {
    assert_eq!(value("error_rate < 0.1%"), Literal::Percent(0.1));
    assert_eq!(value("x > -5%"), Literal::Percent(-5.0));
    assert_eq!(value("mode == 0o600"), Literal::Mode(0o600));
    assert_eq!(value("mode == 0o4755"), Literal::Mode(0o4755));
    assert_eq!(
        value("v >= 1.2.3"),
        Literal::Version(Version::new(vec![1, 2, 3]))
    );
    assert_eq!(value("open == true"), Literal::Bool(true));
    assert_eq!(value("open == false"), Literal::Bool(false));
    assert_eq!(value("json.x == null"), Literal::Null);
}

#[test]
fn reads_text_quoted_single_quoted_and_bare() {
    assert_eq!(
        value(r#"body contains "say \"hi\"\n\t\\ \u{e9}""#),
        Literal::Text("say \"hi\"\n\t\\ é".into())
    );
    assert_eq!(
        value(r"body matches '\d+ ok'"),
        Literal::Text(r"\d+ ok".into())
    );
    assert_eq!(value("status == OK"), Literal::Text("OK".into()));
    assert_eq!(
        value("tls.version >= TLSv1.2"),
        Literal::Text("TLSv1.2".into())
    );
    assert_eq!(value("body contains \"\""), Literal::Text(String::new()));
    assert_eq!(parse("status == OK").to_string(), r#"status == "OK""#);
}

#[test]
fn error_unknown_operator_suggests_the_right_one() {
    assert_eq!(
        error("latency => 300ms"),
        "unknown operator `=>`; did you mean `>=`?\n  | latency => 300ms\n  |         ^^"
    );
    assert_eq!(
        error("status = 200"),
        "unknown operator `=`; did you mean `==`?\n  | status = 200\n  |        ^"
    );
    assert_eq!(
        error("body contain \"ok\""),
        "unknown operator `contain`; did you mean `contains`?\n  | body contain \"ok\"\n  |      ^^^^^^^"
    );
    assert_eq!(
        error("x frobs 1"),
        "unknown operator `frobs`; use one of == != < <= > >= contains matches exists, not exists\n  | x frobs 1\n  |   ^^^^^"
    );
    for (text, suggestion) in [
        ("x =< 1", "<="),
        ("x <> 1", "!="),
        ("x ≥ 1", ">="),
        ("x =~ 'a'", "matches"),
        ("x CONTAINS 'a'", "contains"),
        ("x gte 1", ">="),
        ("x missing", "not exists"),
        ("x has 'a'", "contains"),
    ] {
        let rendered = error(text);
        assert!(
            rendered.contains(&format!("did you mean `{suggestion}`?")),
            "{rendered}"
        );
    }
}

#[test]
fn error_unknown_unit_lists_the_units() {
    assert_eq!(
        error("latency < 300mss"),
        "unknown unit `mss` in `300mss`; use one of ms, s, m, h, d\n  | latency < 300mss\n  |              ^^^"
    );
    assert_eq!(
        error("size < 10mb"),
        "unknown unit `mb` in `10mb`; did you mean `MB`?\n  | size < 10mb\n  |          ^^"
    );
    assert_eq!(
        error("size < 10Kb"),
        "unknown unit `Kb` in `10Kb`; did you mean `KB`?\n  | size < 10Kb\n  |          ^^"
    );
    assert_eq!(
        error("age < 5mins"),
        "unknown unit `mins` in `5mins`; did you mean `m`?\n  | age < 5mins\n  |        ^^^^"
    );
    assert!(error("age < 5us").contains("durations go down to milliseconds"));
    assert!(error("age < 2w").contains("write weeks in days, e.g. `7d`"));
    assert!(error("size < 2zb").contains("sizes take B, KB, MB"));
    assert!(error("x < 1q").contains("durations take ms, s, m, h, d; sizes"));
    assert!(error("size < 1M").contains("did you mean `m` (minutes) or `MB`?"));
    assert!(
        error("x >= 1e5")
            .starts_with("unknown unit `e5` in `1e5`; write the number out in full: `100000`")
    );
    assert!(error("x >= 2.5E-3").contains("write the number out in full: `0.0025`"));
}

#[test]
fn error_numbers_that_cannot_be_thresholds() {
    assert_eq!(
        error("age < -5m"),
        "a duration can't be negative\n  | age < -5m\n  |       ^^^"
    );
    assert_eq!(
        error("size < 1.0001KB"),
        "`1.0001KB` is not a whole number of bytes; use fewer decimals or a smaller unit\n  | size < 1.0001KB\n  |        ^^^^^^^^"
    );
    assert_eq!(
        error("x < 1."),
        "`1.` is not a number; write digits on both sides of the point, e.g. `0.5`\n  | x < 1.\n  |     ^^"
    );
    assert_eq!(
        error("x < .5"),
        "a number needs a digit before the point; write `0.5`\n  | x < .5\n  |     ^^"
    );
    assert_eq!(
        error("x < -"),
        "expected a number after `-`\n  | x < -\n  |     ^"
    );
    assert!(error("size < -1KB").starts_with("a size can't be negative"));
    assert!(error(&format!("x < 1{}", "0".repeat(400))).contains("is too large"));
    assert!(error(&format!("age < 1{}d", "0".repeat(30))).starts_with("duration `1"));
    assert!(error("size < 99999999999TB").starts_with("size `99999999999TB` is too large"));
    assert!(error("v == 1.2.3ms").starts_with("unexpected `ms` after version `1.2.3`"));
    assert!(error("v == -1.2.3").starts_with("a version can't be negative"));
    assert!(error("v == 1.99999999999999999999999.3").starts_with("version `1.9"));
}

#[test]
fn error_file_modes() {
    assert_eq!(
        error("mode == 0o680"),
        "invalid octal digit `8` in `0o680`; file modes use digits 0 to 7, e.g. `0o644`\n  | mode == 0o680\n  |            ^"
    );
    assert_eq!(
        error("mode == 0o17777"),
        "file mode `0o17777` is out of range; modes go up to `0o7777`\n  | mode == 0o17777\n  |         ^^^^^^^"
    );
    assert!(error("mode == 0o").starts_with("`0o` needs octal digits; e.g. `0o600`"));
    assert!(error("mode == -0o600").starts_with("a file mode can't be negative"));
    assert_eq!(
        error("mode < 0o600"),
        "file modes can't be compared with `<`; use `==`, `<=` (grants nothing beyond) or `>=` (grants at least)\n  | mode < 0o600\n  |        ^^^^^"
    );
}

#[test]
fn error_text() {
    assert_eq!(
        error("body contains \"ok"),
        "unterminated text; add a closing `\"`\n  | body contains \"ok\n  |               ^^^"
    );
    assert_eq!(
        error(r#"body matches "\d+""#),
        "unknown escape `\\d`; write `\\\\` for a backslash, or use single quotes, which take text as is: '\\d+'\n  | body matches \"\\d+\"\n  |               ^^"
    );
    assert!(
        error(r#"x == "\u{110000}""#)
            .starts_with("invalid unicode escape; write it like `\\u{e9}`")
    );
    assert!(error(r#"x == "\u00e9""#).starts_with("invalid unicode escape"));
    assert!(error("x == 'abc").starts_with("unterminated text; add a closing `'`"));
    assert_eq!(
        error("status == OK then"),
        "unexpected `then` after the value; quote text that has spaces or symbols: `\"OK then\"`\n  | status == OK then\n  |              ^^^^"
    );
    assert!(error("status == OK!").contains("quote text that has spaces or symbols: `\"OK!\"`"));
    assert_eq!(
        error("open == False"),
        "`False` is not a keyword; write `false` in lowercase, or quote it as text\n  | open == False\n  |         ^^^^^"
    );
}

#[test]
fn error_regex_is_checked_at_load() {
    assert_eq!(
        error("body matches \"(ok\""),
        "invalid regular expression: unclosed group\n  | body matches \"(ok\"\n  |              ^^^^^"
    );
    assert!(error("status matches 200").starts_with(
        "`matches` needs a regular expression in quotes, not a plain number; e.g. `matches \"200\"`"
    ));
}

#[test]
fn error_missing_parts() {
    assert_eq!(
        error("   "),
        "empty condition; write `metric op value`, e.g. `status == 200`\n  |    \n  |    ^"
    );
    assert_eq!(
        error("status"),
        "missing operator after `status`; use one of == != < <= > >= contains matches exists, not exists\n  | status\n  |       ^"
    );
    assert_eq!(
        error("latency <"),
        "missing value after `<`; e.g. `latency < 300ms`\n  | latency <\n  |          ^"
    );
    assert_eq!(
        error("== 200"),
        "missing metric name before `==`; e.g. `status == 200`\n  | == 200\n  | ^^"
    );
    assert!(error("\"status\" == 200").starts_with("a metric name is not quoted"));
    assert!(error("9lives == 1").starts_with("expected a metric name, found `9`"));
    assert!(error("status $ 200").starts_with("expected an operator after `status`, found `$`"));
    assert!(
        error("body contains")
            .starts_with("missing value after `contains`; e.g. `body contains \"ok\"`")
    );
    assert!(error("body matches").contains("e.g. `body matches \"^ok\"`"));
    assert!(error("x == @").starts_with("expected a value after `==`, found `@`"));
}

#[test]
fn error_metric_paths() {
    assert_eq!(
        error("cert. == 1"),
        "expected a name after `.`; e.g. `cert.days_left`\n  | cert. == 1\n  |     ^^"
    );
    assert!(error("json.\"a\" == 1").contains("quote names in brackets"));
    assert_eq!(
        error("json.items[0 == 1"),
        "missing `]`; close the bracket, e.g. `json.items[0]`\n  | json.items[0 == 1\n  |           ^^"
    );
    assert!(
        error("json[-x] == 1").starts_with("expected an index, a name or a quoted name after `[`")
    );
    // A bare name is a selector now (`p95[login]`).
    assert!(Condition::parse("json[x] == 1").is_ok());
    assert!(error("json[99999999999999999999999] == 1").starts_with("index `9"));
}

#[test]
fn error_trailing_input() {
    assert_eq!(
        error("header.server exists 200"),
        "`exists` takes no value; remove `200`\n  | header.server exists 200\n  |                      ^^^"
    );
    assert_eq!(
        error("status == 200 && latency < 1s"),
        "unexpected `&& latency < 1s` after the value; write each condition as its own entry in `expect`; all of them must hold\n  | status == 200 && latency < 1s\n  |               ^^^^^^^^^^^^^^^"
    );
    assert!(error("status == 200 and x == 1").contains("its own entry"));
    assert_eq!(
        error("latency < 300 ms"),
        "unexpected `ms` after the value; write the unit right after the number: `300ms`\n  | latency < 300 ms\n  |               ^^"
    );
    assert!(error("x == \"a\" \"b\"").starts_with("unexpected `\"b\"` after the value\n"));
    assert!(
        error("x not 1")
            .starts_with("`not` only goes with `exists`; write `not exists`, or use `!=`")
    );
}

#[test]
fn error_operator_value_mismatches() {
    assert_eq!(
        error("open < true"),
        "`<` needs a number, duration, size, percentage or version, not `true`; compare it with `==` or `!=`\n  | open < true\n  |        ^^^^"
    );
    assert!(
        error("cert.subject > \"abc\"")
            .starts_with("`>` needs a number, duration, size, percentage or version, not text")
    );
    assert!(error("json.x >= null").starts_with("`>=` needs"));
    // Version-like text may be ordered.
    assert_eq!(parse("tls.version >= \"TLSv1.2\"").op(), Op::Ge);
}

#[test]
fn errors_expose_position_for_the_loader() {
    let error = Condition::parse("latency => 300ms").unwrap_err();
    assert_eq!(error.span(), Span::new(8, 10));
    assert_eq!(error.line_col(), (1, 9));
    assert_eq!(error.message(), "unknown operator `=>`");
    assert_eq!(error.hint(), Some("did you mean `>=`?"));
    assert_eq!(error.text(), "latency => 300ms");
    assert_eq!(
        error.to_string(),
        "unknown operator `=>`; did you mean `>=`?"
    );
}

#[test]
fn display_is_canonical() {
    let cases = [
        ("status==200", "status == 200"),
        ("latency <  1.50s", "latency < 1.5s"),
        ("age < 90m", "age < 90m"),
        ("size <= 1.5MiB", "size <= 1.5MiB"),
        ("mode == 0o7", "mode == 0o007"),
        ("v >= 1.2.0", "v >= 1.2.0"),
        ("x == 1.10", "x == 1.10"),
        ("error_rate < 0.10%", "error_rate < 0.1%"),
        ("body matches '\\d'", r#"body matches "\\d""#),
        (
            "header.X-Frame-Options   not exists",
            "header.X-Frame-Options not exists",
        ),
        ("json['a b'] exists", r#"json["a b"] exists"#),
    ];
    for (text, canonical) in cases {
        let condition = parse(text);
        assert_eq!(condition.to_string(), canonical, "{text}");
        assert_eq!(
            parse(canonical),
            Condition::parse(&condition.to_string()).unwrap()
        );
    }
}

#[test]
fn conditions_can_be_built_and_are_checked_like_parsed_ones() {
    let metric: Metric = "cert.days_left".parse().unwrap();
    let number = super::super::Number::new(30.0).unwrap();
    let built = Condition::new(metric.clone(), Op::Ge, Some(Literal::Number(number))).unwrap();
    assert_eq!(built, parse("cert.days_left >= 30"));
    assert!(Condition::new(metric.clone(), Op::Ge, None).is_err());
    assert!(Condition::new(metric.clone(), Op::Exists, Some(Literal::Null)).is_err());
    let bad_regex = Condition::new(metric, Op::Matches, Some(Literal::Text("(".into())));
    assert_eq!(bad_regex.unwrap_err().span(), Span::new(23, 26));
    assert!(Metric::from_segments(vec![Segment::Index(0)]).is_none());
    assert!(Metric::from_segments(vec![key("9")]).is_none());
    assert!(Metric::from_segments(vec![]).is_none());
}

#[test]
fn duration_settings_use_the_same_units() {
    assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
    assert_eq!(parse_duration(" 1.5s "), Some(Duration::from_millis(1500)));
    assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
    assert_eq!(parse_duration("2 h"), Some(Duration::from_secs(7200)));
    assert_eq!(
        parse_duration("30d"),
        Some(Duration::from_secs(30 * 86_400))
    );
    for bad in [
        "5",
        "s",
        "5x",
        "-5s",
        "1.s",
        ".5s",
        "1.2.3s",
        "",
        "5 s s",
        "99999999999999999999999999999d",
    ] {
        assert_eq!(parse_duration(bad), None, "{bad}");
    }
}

#[test]
fn a_bare_name_in_brackets_selects_a_member_of_a_metric_family() {
    let condition = parse("p95[login] < 200ms");
    assert_eq!(
        condition.metric().segments(),
        [key("p95"), Segment::Selector("login".to_owned())]
    );
    assert_eq!(condition.metric().selector(), Some("login"));
    assert_eq!(condition.spans().metric, Span::new(0, 10));
    assert_eq!(condition.to_string(), "p95[login] < 200ms");
    assert_eq!(parse("p95[\"login\"] < 1s").metric().selector(), None);
    assert!(error("p95[ login] < 1s").contains("expected an index, a name"));
    assert!(error("p95[login < 1s").contains("missing `]`"));
}

#[test]
fn sizes_per_time_read_with_their_units_and_sign() {
    assert_eq!(
        value("memory.slope < 10MB/h"),
        Literal::ByteRate(10_000_000, ByteUnit::MB, DurationUnit::Hours)
    );
    assert_eq!(
        value("memory.slope > -1.5KiB/s"),
        Literal::ByteRate(-1536, ByteUnit::KiB, DurationUnit::Seconds)
    );
    assert_eq!(parse("m < 10MB/h").to_string(), "m < 10MB/h");
    assert_eq!(parse("m > -1.5KiB/s").to_string(), "m > -1.5KiB/s");
    assert!(error("m < 10MB/week").contains("unknown unit `MB/week`"));
    assert!(error("m < 10/h").contains("unknown unit `/h`"));
}
