//! golive's ML probes against the Python tools they stand in for, on the same inputs in the
//! same run: `drift` against scipy and Evidently. The peers run from the virtualenv that
//! `scripts/test` makes from `tests/it/python/requirements.txt` (`target/pyenv`), or the
//! interpreter `GOLIVE_TEST_PYTHON` names; without either these tests fail and say so, they
//! never pass by skipping.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use golive::expr::Value;
use golive::probe::drift::DriftSpec;
use serde_json::Value as Json;

use crate::support::{Sandbox, check_fields};

fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("GOLIVE_TEST_PYTHON") {
        return python.into();
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyenv/bin/python");
    assert!(
        venv.exists(),
        "the peer tests need scipy, Evidently, scikit-learn and detect-secrets: run scripts/test \
         (it makes target/pyenv from tests/it/python/requirements.txt) or set GOLIVE_TEST_PYTHON"
    );
    venv
}

/// Runs `tests/it/python/peers.py ARGS…` and reads the JSON it prints.
fn peer(args: &[&str]) -> Json {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/python/peers.py");
    let output = Command::new(python())
        .arg(script)
        .args(args)
        .output()
        .expect("run the Python peer");
    assert!(
        output.status.success(),
        "peers.py {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the peer prints JSON")
}

/// A small deterministic generator (xorshift64*), so the data is the same on every machine.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly normal: the sum of twelve uniforms, centred.
    pub(crate) fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        mean + sd * ((0..12).map(|_| self.unit()).sum::<f64>() - 6.0)
    }

    pub(crate) fn pick<'a>(&mut self, choices: &[(&'a str, f64)]) -> &'a str {
        let mut at = self.unit() * choices.iter().map(|c| c.1).sum::<f64>();
        for (name, weight) in choices {
            if at < *weight {
                return name;
            }
            at -= weight;
        }
        choices[choices.len() - 1].0
    }
}

/// A reference and a current file: `age` shifted, `income` unchanged, `rating` with eleven
/// values (binned by value), `city` re-weighted, `plan` unchanged; a few current cells missing.
fn drift_files(sandbox: &Sandbox) -> (PathBuf, PathBuf) {
    let mut rng = Rng::new(16);
    let mut write = |name: &str, rows: usize, shift: f64, missing: f64| {
        let mut csv = String::from("age,income,rating,city,plan\n");
        let cities: &[(&str, f64)] = if shift > 0.0 {
            &[
                ("Paris", 3.0),
                ("Lyon", 3.0),
                ("Lille", 2.0),
                ("Nantes", 2.0),
            ]
        } else {
            &[
                ("Paris", 5.0),
                ("Lyon", 2.0),
                ("Lille", 2.0),
                ("Nantes", 1.0),
            ]
        };
        for _ in 0..rows {
            let age = rng.normal(40.0 + shift, 9.0);
            let income = rng.normal(3200.0, 700.0);
            let age = if rng.unit() < missing {
                String::new()
            } else {
                format!("{age:.2}")
            };
            let income = if rng.unit() < missing {
                String::new()
            } else {
                format!("{income:.1}")
            };
            let rating = (rng.unit() * 11.0).floor() as u32;
            let city = rng.pick(cities).to_string();
            let plan = rng.pick(&[("free", 6.0), ("pro", 3.0), ("team", 1.0)]);
            let _ = writeln!(csv, "{age},{income},{rating},{city},{plan}");
        }
        sandbox.write(name, csv)
    };
    let reference = write("ref.csv", 2000, 0.0, 0.0);
    let current = write("cur.csv", 1500, 2.5, 0.02);
    (reference, current)
}

fn number(outcome: &golive::probe::Outcome, name: &str) -> f64 {
    match outcome.observed.get(name) {
        Some(Value::Number(n)) => *n,
        Some(Value::Percent(p)) => *p / 100.0,
        other => panic!("{name}: {other:?} in {:?}", outcome.observed),
    }
}

/// Asserts |golive − peer| ≤ `abs` + `rel`·|peer|.
fn close(what: &str, golive: f64, peer: f64, abs: f64, rel: f64) {
    assert!(
        (golive - peer).abs() <= abs + rel * peer.abs(),
        "{what}: golive {golive} vs peer {peer} (tolerance {abs} + {rel}·|peer|)"
    );
}

/// Tolerances: statistics computed from the same counts agree to rounding (1e-9); p-values
/// to 1e-6 relative (scipy's asymptotic Kolmogorov distribution and chi-square survival
/// function are series evaluated to about that precision), and 1e-12 absolute for the tiny
/// p-values of a drifted column.
#[test]
fn drift_agrees_with_scipy_and_evidently() {
    let sandbox = Sandbox::new();
    let (reference, current) = drift_files(&sandbox);
    let spec = DriftSpec::from_fields(&mut check_fields(&format!(
        "reference = \"{}\"\ncurrent = \"{}\"",
        reference.display(),
        current.display()
    )))
    .expect("valid drift check");
    let outcome = spec.compare();
    assert_eq!(outcome.problem, None, "{outcome:?}");
    let peers = peer(&[
        "drift",
        &reference.display().to_string(),
        &current.display().to_string(),
    ]);
    let peer_number = |column: &str, key: &str| {
        peers[column][key]
            .as_f64()
            .unwrap_or_else(|| panic!("{column}.{key} in {peers}"))
    };
    for column in ["age", "income", "rating"] {
        let ks = format!("drift.{column}.ks");
        close(
            &ks,
            number(&outcome, &ks),
            peer_number(column, "ks"),
            1e-9,
            0.0,
        );
        let p = number(&outcome, &format!("drift.{column}.ks_p"));
        close(
            &format!("{column} ks_p (scipy)"),
            p,
            peer_number(column, "ks_p"),
            1e-12,
            1e-6,
        );
        close(
            &format!("{column} ks_p (Evidently)"),
            p,
            peer_number(column, "evidently_ks_p"),
            1e-12,
            1e-6,
        );
    }
    for column in ["city", "plan"] {
        let chi2 = format!("drift.{column}.chi2");
        close(
            &chi2,
            number(&outcome, &chi2),
            peer_number(column, "chi2"),
            1e-9,
            1e-9,
        );
        let p = number(&outcome, &format!("drift.{column}.chi2_p"));
        close(
            &format!("{column} chi2_p (scipy)"),
            p,
            peer_number(column, "chi2_p"),
            1e-12,
            1e-6,
        );
        close(
            &format!("{column} chi2_p (Evidently)"),
            p,
            peer_number(column, "evidently_chi2_p"),
            1e-12,
            1e-6,
        );
        let js = format!("drift.{column}.js");
        close(
            &js,
            number(&outcome, &js),
            peer_number(column, "js"),
            1e-9,
            1e-9,
        );
    }
    for column in ["age", "income", "rating", "city", "plan"] {
        let psi = format!("drift.{column}.psi");
        close(
            &format!("{psi} (Evidently)"),
            number(&outcome, &psi),
            peer_number(column, "psi"),
            1e-9,
            1e-9,
        );
        let missing = format!("drift.{column}.missing");
        close(
            &missing,
            number(&outcome, &missing),
            peer_number(column, "missing"),
            1e-12,
            0.0,
        );
    }
    // The data was made so: `age` and `city` drifted, the rest did not.
    for (column, drifted) in [
        ("age", true),
        ("income", false),
        ("rating", false),
        ("city", true),
        ("plan", false),
    ] {
        assert_eq!(
            outcome.observed.get(&format!("drift.{column}.drifted")),
            Some(&Value::Bool(drifted)),
            "{column}"
        );
    }
}
