//! Property tests across the parser, `Display` and evaluation.

use std::time::Duration;

use proptest::prelude::*;

use super::{
    ByteUnit, Condition, DurationUnit, Literal, Metric, Number, Observations, Op, Segment, Value,
    Verdict, Version,
};

fn metric() -> impl Strategy<Value = Metric> {
    let segment = prop_oneof![
        "[a-zA-Z0-9_-]{1,6}".prop_map(Segment::Key),
        ".{0,6}".prop_map(Segment::Key),
        (0usize..1000).prop_map(Segment::Index),
    ];
    (
        "[a-z_][a-z0-9_-]{0,8}",
        proptest::collection::vec(segment, 0..4),
    )
        .prop_map(|(root, rest)| {
            let segments = std::iter::once(Segment::Key(root)).chain(rest).collect();
            Metric::from_segments(segments).expect("a valid root")
        })
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        (-1_000_000i64..1_000_000).prop_map(|n| n as f64),
        -1e6f64..1e6,
        proptest::num::f64::NORMAL | proptest::num::f64::ZERO | proptest::num::f64::SUBNORMAL,
    ]
    .prop_map(|value| Number::new(value).expect("finite"))
}

fn duration_unit() -> impl Strategy<Value = DurationUnit> {
    proptest::sample::select(DurationUnit::ALL.to_vec())
}

fn byte_unit() -> impl Strategy<Value = ByteUnit> {
    proptest::sample::select(ByteUnit::ALL.to_vec())
}

/// Thresholds a person could write: whole thousandths of their unit (ten-bit fractions for
/// the binary sizes).
fn ordered_literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        number().prop_map(Literal::Number),
        (0u64..10_000_000_000, duration_unit()).prop_map(|(thousandths, unit)| {
            let nanos = u128::from(thousandths) * unit.nanos() / 1000;
            let duration = Duration::new(
                u64::try_from(nanos / 1_000_000_000).expect("fits"),
                u32::try_from(nanos % 1_000_000_000).expect("fits"),
            );
            Literal::Duration(duration, unit)
        }),
        (0u64..4_000_000, byte_unit()).prop_map(|(n, unit)| {
            let parts = if unit.is_binary() { 1024 } else { 1000 };
            Literal::Bytes(n * unit.bytes() / parts, unit)
        }),
        prop_oneof![-1e6f64..1e6, proptest::num::f64::NORMAL].prop_map(Literal::Percent),
        proptest::collection::vec(0u64..100_000, 1..5)
            .prop_map(|parts| Literal::Version(Version::new(parts))),
    ]
}

fn any_literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        ordered_literal(),
        Just(Literal::Null),
        any::<bool>().prop_map(Literal::Bool),
        (0u32..=0o7777).prop_map(Literal::Mode),
        ".{0,12}".prop_map(Literal::Text),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    let operand = prop_oneof![
        (
            proptest::sample::select(vec![Op::Eq, Op::Ne, Op::Contains]),
            any_literal()
        )
            .prop_map(|(op, literal)| (op, Some(literal))),
        (
            proptest::sample::select(vec![Op::Lt, Op::Le, Op::Gt, Op::Ge]),
            ordered_literal()
        )
            .prop_map(|(op, literal)| (op, Some(literal))),
        (
            proptest::sample::select(vec![Op::Le, Op::Ge]),
            0u32..=0o7777
        )
            .prop_map(|(op, mode)| (op, Some(Literal::Mode(mode)))),
        ".{0,10}".prop_map(|text| (Op::Matches, Some(Literal::Text(regex::escape(&text))))),
        proptest::sample::select(vec![Op::Exists, Op::NotExists]).prop_map(|op| (op, None)),
    ];
    (metric(), operand).prop_map(|(metric, (op, value))| {
        Condition::new(metric, op, value).expect("generated conditions are valid")
    })
}

fn holds(op: Op, ordering: std::cmp::Ordering) -> bool {
    match op {
        Op::Eq => ordering.is_eq(),
        Op::Ne => ordering.is_ne(),
        Op::Lt => ordering.is_lt(),
        Op::Le => ordering.is_le(),
        Op::Gt => ordering.is_gt(),
        Op::Ge => ordering.is_ge(),
        _ => unreachable!("only comparisons are generated"),
    }
}

fn comparison() -> impl Strategy<Value = Op> {
    proptest::sample::select(vec![Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn display_then_parse_gives_back_the_same_condition(condition in condition()) {
        let text = condition.to_string();
        let parsed = Condition::parse(&text).map_err(|error| TestCaseError::fail(error.render()))?;
        prop_assert_eq!(parsed, condition, "{}", text);
    }

    #[test]
    fn the_parser_never_panics(text in ".{0,40}") {
        let _ = Condition::parse(&text);
    }

    #[test]
    fn the_parser_never_panics_on_near_misses(
        text in r#"[a-z_.\[\]0-9"' ]{0,8}[ =!<>~a-z]{0,6}[ 0-9a-zA-Z.%'"\\{}-]{0,16}"#
    ) {
        match Condition::parse(&text) {
            Ok(condition) => {
                // Whatever reads, its canonical form reads back the same.
                let canonical = condition.to_string();
                let again = Condition::parse(&canonical)
                    .map_err(|error| TestCaseError::fail(error.render()))?;
                prop_assert_eq!(again.to_string(), canonical);
            }
            Err(error) => {
                // Rendering slices the text by the span; it must stay in bounds.
                let _ = error.render();
                prop_assert!(error.span().end <= text.len());
            }
        }
    }

    #[test]
    fn numbers_compare_mathematically(observed in number(), threshold in number(), op in comparison()) {
        let condition = Condition::new(
            "x".parse().expect("a metric"),
            op,
            Some(Literal::Number(threshold.clone())),
        ).expect("valid");
        let observations: Observations = [("x", Value::Number(observed.value()))].into_iter().collect();
        let ordering = observed.value().partial_cmp(&threshold.value()).expect("finite");
        let verdict = condition.evaluate(&observations);
        prop_assert_eq!(verdict.is_pass(), holds(op, ordering), "{:?}", verdict);
        prop_assert!(!matches!(verdict, Verdict::Invalid(_)));
    }

    #[test]
    fn durations_and_sizes_compare_mathematically(
        observed in 0u64..1_000_000_000_000,
        threshold in 0u64..1_000_000_000_000,
        op in comparison(),
    ) {
        let x = || "x".parse::<Metric>().expect("a metric");
        let duration = Condition::new(
            x(),
            op,
            Some(Literal::Duration(Duration::from_nanos(threshold), DurationUnit::Millis)),
        ).expect("valid");
        let observations: Observations =
            [("x", Value::Duration(Duration::from_nanos(observed)))].into_iter().collect();
        prop_assert_eq!(duration.evaluate(&observations).is_pass(), holds(op, observed.cmp(&threshold)));

        let size = Condition::new(x(), op, Some(Literal::Bytes(threshold, ByteUnit::KiB))).expect("valid");
        let observations: Observations = [("x", Value::Bytes(observed))].into_iter().collect();
        prop_assert_eq!(size.evaluate(&observations).is_pass(), holds(op, observed.cmp(&threshold)));
    }

    #[test]
    fn evaluation_never_panics(condition in condition(), value in any_literal()) {
        let value = match value {
            Literal::Null => Value::Null,
            Literal::Bool(flag) => Value::Bool(flag),
            Literal::Number(number) => Value::Number(number.value()),
            Literal::Duration(duration, _) => Value::Duration(duration),
            Literal::Bytes(bytes, _) => Value::Bytes(bytes),
            Literal::Percent(percent) => Value::Percent(percent),
            Literal::Mode(mode) => Value::Mode(mode),
            Literal::Version(version) => Value::Version(version),
            Literal::Text(text) => Value::Text(text),
            Literal::ByteRate(bytes, _, per) => {
                Value::BytesPerHour(bytes as f64 * 3600e9 / per.nanos() as f64)
            }
        };
        let name = condition.metric().to_string();
        let observations: Observations = [(name, value)].into_iter().collect();
        let verdict = condition.evaluate(&observations);
        // A failure always says something.
        prop_assert!(verdict.message().is_none_or(|message| !message.is_empty()));
    }
}
