//! Arbitrary text into the condition parser (`expect = ["…"]`): it must never panic; what it
//! accepts prints back in a canonical form that parses to the same condition; a refusal
//! points inside the text; and evaluating against any observations never panics.
#![no_main]

use golive::expr::{Condition, Observations, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Condition::parse(text) {
        Ok(condition) => {
            let canonical = condition.to_string();
            let again = Condition::parse(&canonical)
                .unwrap_or_else(|error| panic!("canonical `{canonical}` of `{text}` fails: {error:?}"));
            assert_eq!(again.to_string(), canonical, "canonical form of `{text}` moves");
            assert_eq!(again.metric(), condition.metric());
            assert_eq!(again.op(), condition.op());
            assert_eq!(again.value(), condition.value());
            let metric = condition.metric().to_string();
            for value in [
                Value::Number(9.0),
                Value::Text(text.to_string()),
                Value::Bool(true),
                Value::Duration(std::time::Duration::from_millis(412)),
                Value::Bytes(1200),
                Value::Json(serde_json::json!({"a": [1, "x", null], "b": {"c": 2.5}})),
                Value::List(vec![Value::Number(1.0), Value::Text("x".into())]),
            ] {
                let observed: Observations = [(metric.clone(), value)].into_iter().collect();
                let _ = condition.evaluate(&observed);
                let _ = condition.evaluate(&Observations::new());
            }
        }
        Err(error) => {
            let span = error.span();
            assert!(
                span.start <= span.end && span.end <= text.len(),
                "error span {span:?} outside `{text}` ({} bytes)",
                text.len()
            );
            let _ = error.to_string();
            let _ = error.render();
        }
    }
});
