//! The `load` probe and `golive load` against real servers on loopback: counts checked
//! against the server's own, a stall that must show in an open-model p99, errors by kind,
//! thresholds through `golive check` and `golive load --expect`. Every test is bounded to a
//! few hundred requests or under two seconds.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Version};
use axum::routing::get;
use golive::expr::Value;
use golive::probe::Outcome;
use golive::probe::load::LoadSpec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Sandbox, assert_all_hold, assert_holds, check_fields, serve};

const TIMEOUT: Duration = Duration::from_secs(5);

fn spec(keys: &str) -> LoadSpec {
    let mut fields = check_fields(keys);
    let spec = LoadSpec::from_fields(&mut fields).expect("a valid load check");
    assert!(fields.is_empty(), "the probe left keys behind: {fields:?}");
    spec
}

async fn probe(keys: &str, timeout: Duration) -> Outcome {
    spec(keys).run(timeout).await
}

fn number(outcome: &Outcome, metric: &str) -> f64 {
    match outcome.observed.get(metric) {
        Some(Value::Number(n)) => *n,
        other => panic!("`{metric}` is not a number: {other:?}\n{outcome:?}"),
    }
}

fn duration(outcome: &Outcome, metric: &str) -> Duration {
    match outcome.observed.get(metric) {
        Some(Value::Duration(d)) => *d,
        other => panic!("`{metric}` is not a duration: {other:?}\n{outcome:?}"),
    }
}

/// Counts the requests it answers; `/fail-every-10th` answers 500 to one request in ten,
/// `/hang` never answers in time, `/h2` says which HTTP version it heard.
#[derive(Default)]
struct Counter {
    hits: AtomicU64,
    http2: AtomicU64,
}

async fn counting_server() -> (SocketAddr, Arc<Counter>) {
    let counter = Arc::new(Counter::default());
    let router = Router::new()
        .route(
            "/",
            get(|State(c): State<Arc<Counter>>| async move {
                c.hits.fetch_add(1, Ordering::Relaxed);
                "ok"
            }),
        )
        .route(
            "/fail-every-10th",
            get(|State(c): State<Arc<Counter>>| async move {
                let n = c.hits.fetch_add(1, Ordering::Relaxed) + 1;
                if n % 10 == 0 {
                    (StatusCode::INTERNAL_SERVER_ERROR, "boom")
                } else {
                    (StatusCode::OK, "ok")
                }
            }),
        )
        .route(
            "/hang",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "too late"
            }),
        )
        .route(
            "/h2",
            get(
                |State(c): State<Arc<Counter>>, version: Version| async move {
                    c.hits.fetch_add(1, Ordering::Relaxed);
                    if version == Version::HTTP_2 {
                        c.http2.fetch_add(1, Ordering::Relaxed);
                    }
                    "ok"
                },
            ),
        )
        .with_state(Arc::clone(&counter));
    (serve(router).await, counter)
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_model_sends_exactly_the_requests_asked() {
    let (server, counter) = counting_server().await;
    let outcome = probe(
        &format!("url = \"http://{server}/\"\nrequests = 500\nconnections = 8"),
        TIMEOUT,
    )
    .await;
    assert_eq!(outcome.problem, None);
    assert_eq!(counter.hits.load(Ordering::Relaxed), 500);
    assert_eq!(number(&outcome, "requests"), 500.0);
    assert_eq!(number(&outcome, "errors"), 0.0);
    assert_eq!(number(&outcome, "in_flight"), 0.0);
    assert_holds(&outcome, "error_rate == 0%");
    assert_holds(&outcome, "rps > 0");
    assert_holds(&outcome, "status_codes.200 == 500");
    let (p50, p99, max) = (
        duration(&outcome, "p50"),
        duration(&outcome, "p99"),
        duration(&outcome, "max"),
    );
    assert!(p50 <= p99 && p99 <= max, "{p50:?} {p99:?} {max:?}");
    assert_all_hold(&outcome, golive::probe::load::DOC.default_expect);
    let Some(Value::Json(histogram)) = outcome.observed.get("histogram") else {
        panic!("no histogram: {outcome:?}");
    };
    let buckets = histogram.as_array().expect("a list of buckets");
    assert!(!buckets.is_empty() && buckets.len() <= 20);
    let counted: u64 = buckets.iter().filter_map(|b| b["count"].as_u64()).sum();
    assert_eq!(counted, 500);
}

#[tokio::test(flavor = "multi_thread")]
async fn duration_model_stops_on_time() {
    let (server, counter) = counting_server().await;
    let started = Instant::now();
    let outcome = probe(
        &format!("url = \"http://{server}/\"\nduration = \"400ms\"\nconnections = 4"),
        TIMEOUT,
    )
    .await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(took < Duration::from_millis(1400), "{took:?}");
    let requests = number(&outcome, "requests") as u64;
    let in_flight = number(&outcome, "in_flight") as u64;
    let served = counter.hits.load(Ordering::Relaxed);
    assert!(requests > 0);
    assert!(in_flight <= 4, "at most one per connection: {in_flight}");
    // An in-flight request may or may not have reached the server.
    assert!(
        (requests..=requests + in_flight).contains(&served),
        "served {served}, answered {requests}, in flight {in_flight}"
    );
    assert_eq!(number(&outcome, "errors"), 0.0);
}

/// A server that, from the first request after `after`, holds every request until `length`
/// has passed: a garbage-collection pause, a lock, a full disk.
async fn stalling_server(after: Duration, length: Duration) -> SocketAddr {
    struct Stall {
        start: Instant,
        after: Duration,
        length: Duration,
        until: Mutex<Option<Instant>>,
    }
    let stall = Arc::new(Stall {
        start: Instant::now(),
        after,
        length,
        until: Mutex::new(None),
    });
    let router = Router::new()
        .route(
            "/",
            get(|State(stall): State<Arc<Stall>>| async move {
                let now = Instant::now();
                let hold = {
                    let mut until = stall.until.lock().expect("not poisoned");
                    match *until {
                        None if now - stall.start >= stall.after => {
                            *until = Some(now + stall.length);
                            *until
                        }
                        Some(end) if now < end => Some(end),
                        _ => None,
                    }
                };
                if let Some(end) = hold {
                    tokio::time::sleep_until(end.into()).await;
                }
                "ok"
            }),
        )
        .with_state(stall);
    serve(router).await
}

/// The point of the open model: a 600 ms stall in a 1.5 s run at 200 req/s leaves about a
/// third of the requests queued behind it, with latencies spread from 600 ms down, so p99
/// reads above 500 ms. (A stall of exactly T spreads them over [0, T], so p99 comes out just
/// under T; the stall here is longer than the threshold it must cross.) The closed model,
/// which stops sending while the server stalls, sees only one slow request per connection.
#[tokio::test(flavor = "multi_thread")]
async fn open_model_shows_a_stall_in_p99_where_the_closed_model_hides_it() {
    let stall = Duration::from_millis(600);
    let server = stalling_server(Duration::from_millis(300), stall).await;
    let open = probe(
        &format!("url = \"http://{server}/\"\nduration = \"1500ms\"\nrate = 200\nconnections = 10"),
        TIMEOUT,
    )
    .await;
    assert_eq!(number(&open, "errors"), 0.0, "{open:?}");
    let p99 = duration(&open, "p99");
    assert!(p99 >= Duration::from_millis(500), "open-model p99 {p99:?}");
    assert!(duration(&open, "max") >= stall);
    let sent = number(&open, "requests") + number(&open, "in_flight");
    assert!(
        (280.0..=301.0).contains(&sent),
        "the schedule holds whatever the server does: {sent}"
    );

    let server = stalling_server(Duration::from_millis(300), stall).await;
    let closed = probe(
        &format!("url = \"http://{server}/\"\nduration = \"1500ms\"\nconnections = 10"),
        TIMEOUT,
    )
    .await;
    assert!(duration(&closed, "max") >= Duration::from_millis(500));
    let closed_p99 = duration(&closed, "p99");
    assert!(
        closed_p99 < Duration::from_millis(500),
        "closed-model p99 {closed_p99:?} over {} requests",
        number(&closed, "requests")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn status_errors_are_counted() {
    let (server, _) = counting_server().await;
    let outcome = probe(
        &format!("url = \"http://{server}/fail-every-10th\"\nrequests = 200\nconnections = 4"),
        TIMEOUT,
    )
    .await;
    assert_eq!(number(&outcome, "requests"), 200.0);
    assert_eq!(number(&outcome, "errors.status"), 20.0);
    assert_eq!(number(&outcome, "errors"), 20.0);
    assert_holds(&outcome, "error_rate == 10%");
    assert_holds(&outcome, "status_codes.500 == 20");
    assert_eq!(outcome.problem, None, "answered requests have latencies");
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_errors_are_counted() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let outcome = probe(
        &format!("url = \"http://127.0.0.1:{port}/\"\nrequests = 30\nconnections = 3"),
        TIMEOUT,
    )
    .await;
    assert_eq!(number(&outcome, "requests"), 30.0);
    assert_eq!(number(&outcome, "errors.connect"), 30.0);
    assert_holds(&outcome, "error_rate == 100%");
    assert!(outcome.observed.get("p50").is_none());
    let problem = outcome.problem.as_deref().expect("a problem");
    assert!(problem.contains("connection refused"), "{problem}");
}

#[tokio::test(flavor = "multi_thread")]
async fn timeouts_are_counted_with_their_latency() {
    let (server, _) = counting_server().await;
    let outcome = probe(
        &format!("url = \"http://{server}/hang\"\nrequests = 4\nconnections = 4"),
        Duration::from_millis(200),
    )
    .await;
    assert_eq!(number(&outcome, "errors.timeout"), 4.0);
    assert_eq!(number(&outcome, "requests"), 4.0);
    // A request that timed out took at least the timeout: it counts in the latencies.
    assert!(duration(&outcome, "p50") >= Duration::from_millis(200));
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_connections_are_io_errors() {
    // Answers with a body shorter than it announced, then hangs up.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
                    .await;
            });
        }
    });
    let outcome = probe(
        &format!("url = \"http://{address}/\"\nrequests = 10\nconnections = 2"),
        TIMEOUT,
    )
    .await;
    assert_eq!(number(&outcome, "errors.io"), 10.0, "{outcome:?}");
    assert_holds(&outcome, "error_rate == 100%");
}

#[tokio::test(flavor = "multi_thread")]
async fn http2_is_spoken_when_asked() {
    let (server, counter) = counting_server().await;
    let outcome = probe(
        &format!("url = \"http://{server}/h2\"\nrequests = 100\nconnections = 2\nhttp2 = true"),
        TIMEOUT,
    )
    .await;
    assert_eq!(number(&outcome, "errors"), 0.0, "{outcome:?}");
    assert_eq!(counter.http2.load(Ordering::Relaxed), 100);
}

#[test]
fn a_load_check_needs_exactly_one_bound() {
    let errors = |keys: &str| LoadSpec::from_fields(&mut check_fields(keys)).expect_err("rejected");
    let none = errors("url = \"http://127.0.0.1:1/\"");
    assert!(none[0].message.contains("needs a bound"), "{none:?}");
    let both = errors("url = \"http://127.0.0.1:1/\"\nduration = \"1s\"\nrequests = 5");
    assert!(both[0].message.contains("not both"), "{both:?}");
    let long = errors("url = \"http://127.0.0.1:1/\"\nduration = \"25h\"");
    assert!(long[0].message.contains("at most"), "{long:?}");
    let zero = errors("url = \"http://127.0.0.1:1/\"\nrequests = 0\nconnections = 0");
    assert_eq!(zero.len(), 2, "{zero:?}");
}

/// Runs the real binary off the async runtime, so the server in this process keeps serving.
async fn golive(sandbox: &Sandbox, args: &[&str]) -> std::process::Output {
    let mut command = sandbox.golive();
    command.args(args);
    tokio::task::spawn_blocking(move || command.output().expect("run golive"))
        .await
        .expect("the blocking task")
}

#[tokio::test(flavor = "multi_thread")]
async fn thresholds_pass_and_fail_through_golive_check() {
    let (server, counter) = counting_server().await;
    let sandbox = Sandbox::new();
    sandbox.write(
        "c.md",
        "# Launch\n- [ ] Load test passes\n- [ ] Spike test\n",
    );
    sandbox.write(
        "golive.toml",
        format!(
            r#"
[[check]]
item = "load-test-passes"
probe = "load"
url = "http://{server}/"
requests = 300
connections = 5
expect = ["p95 < 2s", "error_rate < 0.1%", "rps >= 1", "requests == 300"]

[[check]]
item = "spike-test"
probe = "load"
url = "http://{server}/"
duration = "300ms"
rate = 100
expect = ["rps >= 1000000", "p99 < 2s"]
"#
        ),
    );
    let output = golive(&sandbox, &["check", "c.md", "--format", "json", "-q"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let results = json["results"].as_array().expect("results");
    assert_eq!(results[0]["passed"], true, "{:#}", results[0]);
    assert_eq!(results[0]["probe"], "load");
    assert_eq!(results[0]["observed"]["requests"], 300.0);
    assert!(results[0]["observed"]["histogram"].is_array());
    assert_eq!(results[1]["passed"], false);
    let failures = results[1]["failures"].as_array().expect("failures");
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].as_str().is_some_and(|f| f.starts_with("rps ")),
        "{failures:?}"
    );
    assert!(counter.hits.load(Ordering::Relaxed) >= 300);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_load_check_without_a_bound_stops_golive_check() {
    let sandbox = Sandbox::new();
    sandbox.write("c.md", "# Launch\n- [ ] Load test passes\n");
    sandbox.write(
        "golive.toml",
        "[[check]]\nitem = \"load-test-passes\"\nprobe = \"load\"\nurl = \"http://127.0.0.1:1/\"\n",
    );
    let output = golive(&sandbox, &["check", "c.md"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("golive.toml:1:1"), "{stderr}");
    assert!(stderr.contains("a load test needs a bound"), "{stderr}");
    assert!(stderr.contains("duration = \"30s\""), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn golive_load_reports_and_gates_on_expect() {
    let (server, counter) = counting_server().await;
    let sandbox = Sandbox::new();
    let url = format!("http://{server}/");
    let output = golive(
        &sandbox,
        &[
            "load",
            &url,
            "--requests",
            "200",
            "-c",
            "4",
            "--expect",
            "p95 < 2s",
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("200 × 200"), "{stdout}");
    assert!(stdout.contains("✓ p95 < 2s"), "{stdout}");
    assert_eq!(counter.hits.load(Ordering::Relaxed), 200);

    let output = golive(
        &sandbox,
        &[
            "load",
            &url,
            "-n",
            "100",
            "--format",
            "json",
            "--expect",
            "p95 < 2s",
            "--expect",
            "rps > 1000000000",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["requests"], 100);
    assert_eq!(json["errors"]["total"], 0);
    assert_eq!(json["status_codes"]["200"], 100);
    assert!(
        json["latency_ms"]["p99"]
            .as_f64()
            .is_some_and(|p99| p99 > 0.0)
    );
    assert!(json["histogram"][0]["le_ms"].is_number());
    assert_eq!(json["expect"][0]["passed"], true);
    assert_eq!(json["expect"][1]["passed"], false);

    let output = golive(
        &sandbox,
        &["load", &url, "-n", "10", "--expect", "latency < 1s"],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no metric `latency`"), "{stderr}");

    let output = golive(&sandbox, &["load", &url]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--duration") && stderr.contains("--requests"),
        "{stderr}"
    );
}

/// A load check runs for its own bound even when it is longer than the per-request
/// `timeout`: the engine must not cut it at `timeout`.
#[test]
fn a_load_check_outlives_its_request_timeout() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    runtime.spawn(async move {
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let _ = axum::serve(listener, app).await;
    });
    let sandbox = crate::support::Sandbox::new();
    sandbox.write("c.md", "# L\n- [ ] load holds\n");
    sandbox.write(
        "golive.toml",
        format!(
            "[[check]]\nitem = \"load-holds\"\nprobe = \"load\"\nurl = \"http://127.0.0.1:{port}/\"\nduration = \"2500ms\"\nconnections = 2\ntimeout = \"1s\"\n"
        ),
    );
    let started = std::time::Instant::now();
    let output = sandbox
        .golive()
        .args(["check", "c.md", "-q", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{json}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(2400));
    assert_eq!(
        json["results"][0]["problem"],
        serde_json::Value::Null,
        "{json}"
    );
}
