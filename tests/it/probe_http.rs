//! The `http` probe against real servers on loopback: plain HTTP through axum, HTTPS through
//! a small hand-written responder whose certificate comes from a test CA.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::routing::{any, get};
use axum::serve::ListenerExt;
use golive::checklist::toml;
use golive::diagnostic::Diagnostic;
use golive::probe::http::{BODY_CAP, DOC, HttpSpec};
use golive::probe::{Context, Outcome};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Sandbox, assert_all_hold, assert_fails, assert_holds, check_fields, serve};

const TIMEOUT: Duration = Duration::from_secs(5);

/// Builds a spec from the keys of one `[[check]]`, as `golive.toml` would give them.
fn spec(keys: &str) -> HttpSpec {
    let mut fields = check_fields(keys);
    let spec = HttpSpec::from_fields(&mut fields).expect("a valid http check");
    assert!(fields.is_empty(), "the probe left keys behind: {fields:?}");
    spec
}

/// The diagnostics for a check that must not load, with the source they point into.
fn load_errors(keys: &str) -> (String, Vec<Diagnostic>) {
    let source = format!("[[check]]\n{keys}\n");
    let mut config = toml::parse(&source).expect("valid TOML");
    let errors = HttpSpec::from_fields(&mut config.checks[0]).expect_err("the check is rejected");
    (source, errors)
}

async fn probe(keys: &str) -> Outcome {
    spec(keys).run(&Context::default(), TIMEOUT).await
}

fn problem(outcome: &Outcome) -> &str {
    outcome
        .problem
        .as_deref()
        .expect("the outcome names a problem")
}

fn app() -> Router {
    Router::new()
        .route(
            "/ok",
            get(|| async { ([("X-Request-Id", "abc123"), ("Content-Type", "text/plain")], "hello from golive") }),
        )
        .route("/fail", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }))
        .route(
            "/slowish",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(150)).await;
                "done"
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
            "/json",
            get(|| async {
                axum::Json(serde_json::json!({"data": {"items": [{"id": 7, "name": "seven"}]}, "ok": true}))
            }),
        )
        .route(
            "/echo",
            any(|method: Method, headers: HeaderMap, body: String| async move {
                let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
                axum::Json(serde_json::json!({
                    "method": method.as_str(),
                    "token": header("x-token"),
                    "content_type": header("content-type"),
                    "received": serde_json::from_str::<serde_json::Value>(&body).ok(),
                }))
            }),
        )
        .route("/moved", get(|| async { (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/ok")]) }))
        .route(
            "/latin1",
            get(|| async { ([("Content-Type", "text/plain; charset=ISO-8859-1")], b"caf\xe9".to_vec()) }),
        )
        .route("/loop", get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/loop")]) }))
        .route("/big", get(|| async { vec![b'x'; 3 * BODY_CAP] }))
}

#[tokio::test(flavor = "multi_thread")]
async fn status_body_size_and_headers_are_observed() {
    let server = serve(app()).await;
    let ok = probe(&format!("url = \"http://{server}/ok\"")).await;
    assert_eq!(ok.problem, None);
    assert_holds(&ok, "status == 200");
    assert_holds(&ok, "body contains \"from golive\"");
    assert_holds(&ok, "body == \"hello from golive\"");
    assert_holds(&ok, "size == 17B");
    assert_holds(&ok, "header.X-Request-Id == \"abc123\"");
    assert_holds(&ok, "header.x-request-id == \"abc123\"");
    assert_holds(&ok, "header.content-type contains \"text/plain\"");
    assert_holds(&ok, &format!("url == \"http://{server}/ok\""));
    assert_holds(&ok, "json not exists");
    assert_all_hold(&ok, DOC.default_expect);

    let failed = probe(&format!("url = \"http://{server}/fail\"")).await;
    assert_eq!(
        failed.problem, None,
        "a 500 is an observation, not a problem"
    );
    assert_holds(&failed, "status == 500");
    assert_fails(&failed, "status < 400");
    assert_holds(&failed, "body == \"boom\"");

    let latin1 = probe(&format!("url = \"http://{server}/latin1\"")).await;
    assert_holds(&latin1, "body == \"café\"");
}

#[tokio::test(flavor = "multi_thread")]
async fn latency_covers_the_whole_response() {
    let server = serve(app()).await;
    let outcome = probe(&format!("url = \"http://{server}/slowish\"")).await;
    assert_holds(&outcome, "latency >= 150ms");
    assert_holds(&outcome, "latency < 5s");
    assert_fails(&outcome, "latency < 100ms");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_bodies_are_walked_by_path() {
    let server = serve(app()).await;
    let outcome = probe(&format!("url = \"http://{server}/json\"")).await;
    assert_holds(&outcome, "json.data.items[0].id == 7");
    assert_holds(&outcome, "json.data.items[0].name == \"seven\"");
    assert_holds(&outcome, "json.ok == true");
    assert_fails(&outcome, "json.data.items[1].id == 7");
}

#[tokio::test(flavor = "multi_thread")]
async fn size_counts_past_the_body_cap() {
    let server = serve(app()).await;
    let outcome = probe(&format!("url = \"http://{server}/big\"")).await;
    assert_eq!(outcome.problem, None);
    assert_holds(&outcome, "size == 3MiB");
    let Some(golive::expr::Value::Text(body)) = outcome.observed.get("body") else {
        panic!("no body text: {:?}", outcome.observed.get("body"));
    };
    assert_eq!(body.len(), BODY_CAP);
}

#[tokio::test(flavor = "multi_thread")]
async fn post_sends_method_headers_and_body() {
    let server = serve(app()).await;
    let outcome = probe(&format!(
        "url = \"http://{server}/echo\"\nmethod = \"POST\"\n\
         headers = {{ X-Token = \"s3cret\", Content-Type = \"application/json\" }}\n\
         body = '{{\"a\": 1}}'"
    ))
    .await;
    assert_holds(&outcome, "json.method == \"POST\"");
    assert_holds(&outcome, "json.token == \"s3cret\"");
    assert_holds(&outcome, "json.content_type == \"application/json\"");
    assert_holds(&outcome, "json.received.a == 1");

    let head = probe(&format!("url = \"http://{server}/ok\"\nmethod = \"HEAD\"")).await;
    assert_holds(&head, "status == 200");
    assert_holds(&head, "size == 0B");
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_are_observed_unless_followed() {
    let server = serve(app()).await;
    let seen = probe(&format!("url = \"http://{server}/moved\"")).await;
    assert_holds(&seen, "status == 301");
    assert_holds(&seen, "header.location == \"/ok\"");

    let followed = probe(&format!(
        "url = \"http://{server}/moved\"\nfollow_redirects = true"
    ))
    .await;
    assert_holds(&followed, "status == 200");
    assert_holds(&followed, &format!("url == \"http://{server}/ok\""));
    assert_holds(&followed, "body == \"hello from golive\"");

    let endless = probe(&format!(
        "url = \"http://{server}/loop\"\nfollow_redirects = true"
    ))
    .await;
    assert_eq!(
        problem(&endless),
        "cannot follow the redirect: too many redirects"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_server_times_out_on_time() {
    let server = serve(app()).await;
    let spec = spec(&format!("url = \"http://{server}/hang\""));
    let started = Instant::now();
    let outcome = spec
        .run(&Context::default(), Duration::from_millis(300))
        .await;
    let elapsed = started.elapsed();
    assert_eq!(problem(&outcome), "timed out after 300ms");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert_fails(&outcome, "status == 200");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_port_is_a_refused_connection() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let outcome = probe(&format!("url = \"http://127.0.0.1:{port}/\"")).await;
    assert_eq!(
        problem(&outcome),
        format!("connection refused by 127.0.0.1:{port}")
    );
    assert!(outcome.observed.get("status").is_none());
    assert_fails(&outcome, "status == 200");
}

#[tokio::test(flavor = "multi_thread")]
async fn checks_reuse_keep_alive_connections() {
    let accepted = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let server = listener.local_addr().expect("a local address");
    let counter = Arc::clone(&accepted);
    let listener = listener.tap_io(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    tokio::spawn(async move { axum::serve(listener, app()).await.expect("serve") });

    let context = Context::default();
    let spec = spec(&format!("url = \"http://{server}/ok\""));
    for _ in 0..20 {
        let outcome = spec.run(&context, TIMEOUT).await;
        assert_eq!(outcome.problem, None);
    }
    // hyper hands a connection back to the pool from its own task, so a check that starts
    // the instant the previous one ends can occasionally open a second one; never one each.
    let connections = accepted.load(Ordering::SeqCst);
    assert!(
        connections <= 3,
        "20 checks opened {connections} connections"
    );
}

/// A CA, a server certificate it signed for `names`, and the CA written to a PEM file.
struct Pki {
    sandbox: Sandbox,
    ca: PathBuf,
    server: Arc<rustls::ServerConfig>,
}

fn certificates_for(names: &[&str]) -> Pki {
    let ca_key = rcgen::KeyPair::generate().expect("a CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(
        rcgen::DnType::CommonName,
        format!("golive test CA for {}", names.join(" ")),
    );
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("a CA certificate");
    let key = rcgen::KeyPair::generate().expect("a server key");
    let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
    let leaf = rcgen::CertificateParams::new(names)
        .expect("server params")
        .signed_by(&key, &ca)
        .expect("signed");
    let sandbox = Sandbox::new();
    let ca_path = sandbox.write("ca.pem", ca.pem());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("a server TLS config");
    Pki {
        sandbox,
        ca: ca_path,
        server: Arc::new(server),
    }
}

/// Answers every request on every connection with `200 secure hello`, then closes.
async fn serve_tls(config: Arc<rustls::ServerConfig>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let address = listener.local_addr().expect("a local address");
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that rejects the certificate ends the handshake; some tests want that.
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buffer = [0u8; 1024];
                while !head.windows(4).any(|window| window == b"\r\n\r\n") {
                    match tls.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => head.extend_from_slice(&buffer[..read]),
                    }
                }
                let body = "secure hello";
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    address
}

#[tokio::test(flavor = "multi_thread")]
async fn https_is_trusted_through_the_given_ca() {
    let pki = certificates_for(&["localhost", "127.0.0.1"]);
    let server = serve_tls(Arc::clone(&pki.server)).await;
    let ca = pki.ca.display();
    let port = server.port();
    for host in ["127.0.0.1", "localhost"] {
        let outcome = probe(&format!("url = \"https://{host}:{port}/\"\nca = \"{ca}\"")).await;
        assert_eq!(outcome.problem, None, "via {host}");
        assert_holds(&outcome, "status == 200");
        assert_holds(&outcome, "body == \"secure hello\"");
    }
    drop(pki.sandbox);
}

#[tokio::test(flavor = "multi_thread")]
async fn https_from_an_unknown_ca_is_not_trusted() {
    let pki = certificates_for(&["localhost", "127.0.0.1"]);
    let server = serve_tls(Arc::clone(&pki.server)).await;
    let outcome = probe(&format!("url = \"https://{server}/\"")).await;
    let reason = problem(&outcome);
    assert!(
        reason.starts_with("certificate not trusted: issued by an unknown authority"),
        "{reason}"
    );
    assert_fails(&outcome, "status == 200");

    // Another CA's bundle does not help either.
    let other = certificates_for(&["localhost"]);
    let outcome = probe(&format!(
        "url = \"https://{server}/\"\nca = \"{}\"",
        other.ca.display()
    ))
    .await;
    assert!(
        problem(&outcome).contains("not in the `ca` file"),
        "{:?}",
        outcome.problem
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn https_for_another_name_is_not_trusted() {
    let pki = certificates_for(&["other.example.test"]);
    let server = serve_tls(Arc::clone(&pki.server)).await;
    let outcome = probe(&format!(
        "url = \"https://{server}/\"\nca = \"{}\"",
        pki.ca.display()
    ))
    .await;
    assert_eq!(
        problem(&outcome),
        "certificate not trusted: it is not valid for `127.0.0.1`, only for other.example.test"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn https_to_a_plain_http_port_is_explained() {
    let server = serve(app()).await;
    let outcome = probe(&format!("url = \"https://{server}/ok\"")).await;
    assert!(
        problem(&outcome).contains("does not speak TLS"),
        "{:?}",
        outcome.problem
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn insecure_accepts_any_certificate() {
    let pki = certificates_for(&["other.example.test"]);
    let server = serve_tls(Arc::clone(&pki.server)).await;
    let outcome = probe(&format!("url = \"https://{server}/\"\ninsecure = true")).await;
    assert_eq!(outcome.problem, None);
    assert_holds(&outcome, "status == 200");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_ca_file_is_a_problem_not_a_panic() {
    let sandbox = Sandbox::new();
    let missing = sandbox.dir.path().join("missing.pem");
    let outcome = probe(&format!(
        "url = \"https://127.0.0.1:1/\"\nca = \"{}\"",
        missing.display()
    ))
    .await;
    assert!(
        problem(&outcome).starts_with("cannot read `ca` file"),
        "{:?}",
        outcome.problem
    );

    let junk = sandbox.write("junk.pem", "not a certificate\n");
    let outcome = probe(&format!(
        "url = \"https://127.0.0.1:1/\"\nca = \"{}\"",
        junk.display()
    ))
    .await;
    assert!(
        problem(&outcome).contains("holds no"),
        "{:?}",
        outcome.problem
    );
}

#[test]
fn bad_urls_are_rejected_at_load() {
    let (source, errors) = load_errors("url = \"http://exa mple.test/\"");
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .message
            .starts_with("invalid URL `http://exa mple.test/`"),
        "{}",
        errors[0].message
    );
    assert_eq!(&source[errors[0].span.clone()], "\"http://exa mple.test/\"");

    let (source, errors) = load_errors("url = \"ftp://files.example.test/\"");
    assert_eq!(errors[0].message, "`url` must be http or https, not `ftp`");
    assert_eq!(
        &source[errors[0].span.clone()],
        "\"ftp://files.example.test/\""
    );
    assert!(errors[0].hint.is_some());

    let (_, errors) = load_errors("url = \"api.example.test/health\"");
    assert_eq!(
        errors[0].hint.as_deref(),
        Some("add the scheme: \"https://api.example.test/health\"")
    );

    let (_, errors) = load_errors("method = \"GET\"");
    assert_eq!(errors[0].message, "missing key `url`");
}

#[test]
fn unknown_methods_and_bad_headers_are_rejected_at_load() {
    let (source, errors) = load_errors("url = \"http://127.0.0.1/\"\nmethod = \"FETCH\"");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].message, "unknown method `FETCH`");
    assert_eq!(&source[errors[0].span.clone()], "\"FETCH\"");
    assert_eq!(errors[0].line_col(&source), (3, 10));
    assert!(
        errors[0]
            .hint
            .as_deref()
            .is_some_and(|hint| hint.contains("GET, HEAD, POST"))
    );

    let (_, errors) = load_errors("url = \"http://127.0.0.1/\"\nmethod = \"post\"");
    assert_eq!(
        errors[0].hint.as_deref(),
        Some("write it in capitals: `POST`")
    );

    let (source, errors) =
        load_errors("url = \"http://127.0.0.1/\"\nheaders = { \"Bad Name\" = \"x\" }");
    assert_eq!(errors[0].message, "invalid header name `Bad Name`");
    assert_eq!(&source[errors[0].span.clone()], "\"Bad Name\"");
}

#[test]
fn every_key_is_taken_even_when_one_is_wrong() {
    let source = "[[check]]\nurl = \"ftp://x/\"\nmethod = \"GET\"\nbody = \"b\"\nca = \"ca.pem\"\n\
                  insecure = true\nfollow_redirects = true\n";
    let mut config = toml::parse(source).expect("valid TOML");
    let errors = HttpSpec::from_fields(&mut config.checks[0]).expect_err("rejected");
    let messages: Vec<&str> = errors.iter().map(|error| error.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`url` must be http or https, not `ftp`",
            "give `ca` or `insecure = true`, not both"
        ]
    );
    assert!(
        config.checks[0].is_empty(),
        "keys left behind would be reported as unknown"
    );
}

#[test]
fn header_values_stay_out_of_debug_output() {
    let spec = spec("url = \"http://127.0.0.1/\"\nheaders = { Authorization = \"Bearer s3cret\" }");
    assert_eq!(spec.target(), "http://127.0.0.1/");
    assert!(!format!("{spec:?}").contains("s3cret"));
}
