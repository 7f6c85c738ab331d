//! The `tls` probe against real TLS servers on loopback, with certificates made by rcgen:
//! good, expired, self-signed and wrong-host certificates must all be read and reported,
//! and conditions on what was observed must read well when they fail.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use golive::checklist::toml::parse;
use golive::expr::{Value, Verdict, Version};
use golive::probe::Outcome;
use golive::probe::tls::{DOC, TlsSpec};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::SupportedProtocolVersion;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

use crate::support::{Sandbox, check_fields, verdict};

const DAY: i64 = 86_400;
const TIMEOUT: Duration = Duration::from_secs(10);
const BOTH: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];

type Ca = CertifiedIssuer<'static, KeyPair>;

/// A certificate chain and its key, for a test server.
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}

/// Valid from `from` to `until` seconds relative to now (negative: in the past).
fn validity(params: &mut CertificateParams, from: i64, until: i64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let at = |offset: i64| {
        let seconds = i64::try_from(now).expect("a sane clock") + offset;
        Duration::from_secs(u64::try_from(seconds).expect("after 1970"))
    };
    params.not_before = rcgen::date_time_ymd(1970, 1, 1) + at(from);
    params.not_after = rcgen::date_time_ymd(1970, 1, 1) + at(until);
}

fn ca(common_name: &str) -> Ca {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    validity(&mut params, -DAY, 365 * DAY);
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("a key")).expect("a CA")
}

/// A server certificate named `common_name` for `sans`, signed by `ca` or self-signed.
fn leaf(common_name: &str, sans: &[&str], from: i64, until: i64, ca: Option<&Ca>) -> Identity {
    let mut params =
        CertificateParams::new(sans.iter().map(|san| san.to_string()).collect::<Vec<_>>())
            .expect("valid names");
    params.distinguished_name = name(common_name);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    validity(&mut params, from, until);
    let key = KeyPair::generate().expect("a key");
    let cert = match ca {
        Some(ca) => params.signed_by(&key, ca),
        None => params.self_signed(&key),
    }
    .expect("a certificate");
    Identity {
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

/// A TLS server on `127.0.0.1:0` (or `bind`) that completes handshakes and waits for the
/// client to close; it lives as long as the test's runtime.
async fn serve_on(
    bind: &str,
    identity: Identity,
    versions: &[&'static SupportedProtocolVersion],
) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("supported versions")
        .with_no_client_auth()
        .with_single_cert(identity.chain, identity.key)
        .expect("a usable certificate");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind(bind).await.expect("bind a loopback port");
    let address = listener.local_addr().expect("a local address");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let mut buffer = [0u8; 64];
                    let _ = tls.read(&mut buffer).await;
                }
            });
        }
    });
    address
}

async fn serve(identity: Identity, versions: &[&'static SupportedProtocolVersion]) -> SocketAddr {
    serve_on("127.0.0.1:0", identity, versions).await
}

/// A tls check as an operator writes it in `golive.toml`.
fn spec(keys: &str) -> TlsSpec {
    let keys = format!("item = \"ssl-certificates\"\nprobe = \"tls\"\n{keys}");
    TlsSpec::from_fields(&mut check_fields(&keys)).expect("a valid tls check")
}

fn days_left(outcome: &Outcome) -> f64 {
    match outcome.observed.get("cert.days_left") {
        Some(Value::Number(days)) => *days,
        other => panic!("cert.days_left is {other:?}"),
    }
}

fn text<'a>(outcome: &'a Outcome, metric: &str) -> &'a str {
    match outcome.observed.get(metric) {
        Some(Value::Text(text)) => text,
        other => panic!("{metric} is {other:?}"),
    }
}

fn flag(outcome: &Outcome, metric: &str) -> bool {
    match outcome.observed.get(metric) {
        Some(Value::Bool(flag)) => *flag,
        other => panic!("{metric} is {other:?}"),
    }
}

fn problem(outcome: &Outcome) -> &str {
    outcome.problem.as_deref().expect("a problem")
}

/// A check of the server at `address` under the name `localhost`, trusting `ca`.
fn localhost_check(sandbox: &Sandbox, address: SocketAddr, ca: &Ca) -> TlsSpec {
    let ca_path = ca_file(sandbox, ca);
    let port = address.port();
    spec(&format!(
        "host = \"127.0.0.1:{port}\"\nserver_name = \"localhost\"\nca = '{ca_path}'"
    ))
}

/// The CA written where a check's `ca` key can point at it.
fn ca_file(sandbox: &Sandbox, ca: &Ca) -> String {
    sandbox.write("ca.pem", ca.pem()).display().to_string()
}

#[tokio::test]
async fn valid_certificate_from_a_private_ca_passes_the_default_conditions() {
    let sandbox = Sandbox::new();
    let ca = ca("golive test CA");
    let identity = leaf(
        "localhost",
        &["localhost", "127.0.0.1"],
        -DAY,
        90 * DAY,
        Some(&ca),
    );
    let address = serve(identity, BOTH).await;
    let spec = localhost_check(&sandbox, address, &ca);
    assert_eq!(
        spec.target(),
        format!("127.0.0.1:{} (as localhost)", address.port())
    );

    let outcome = spec.run(TIMEOUT).await;

    assert_eq!(outcome.problem, None);
    assert!(flag(&outcome, "chain_valid"));
    assert!(flag(&outcome, "hostname_valid"));
    assert!([89.0, 90.0].contains(&days_left(&outcome)), "{outcome:?}");
    assert_eq!(text(&outcome, "cert.subject"), "CN=localhost");
    assert_eq!(text(&outcome, "cert.issuer"), "CN=golive test CA");
    assert!(text(&outcome, "cert.not_after").ends_with('Z'));
    assert_eq!(
        outcome.observed.get("tls.version"),
        Some(&Value::Version(
            Version::parse("TLSv1.3").expect("a version")
        ))
    );
    assert!(text(&outcome, "tls.cipher").starts_with("TLS13_"));
    for condition in DOC.default_expect.iter().chain(&[
        "cert.days_left >= 30",
        "tls.version >= 1.2",
        "tls.version == 1.3",
        "cert.subject == \"CN=localhost\"",
        "cert.sans contains \"127.0.0.1\"",
    ]) {
        assert_eq!(verdict(&outcome, condition), Verdict::Pass, "{condition}");
    }
}

#[tokio::test]
async fn ip_address_hosts_are_verified_against_ip_names() {
    let sandbox = Sandbox::new();
    let ca = ca("golive test CA");
    let address = serve(
        leaf(
            "localhost",
            &["localhost", "127.0.0.1"],
            -DAY,
            90 * DAY,
            Some(&ca),
        ),
        BOTH,
    )
    .await;
    let ca_path = ca_file(&sandbox, &ca);
    let spec = spec(&format!(
        "host = \"127.0.0.1:{}\"\nca = '{ca_path}'",
        address.port()
    ));
    assert_eq!(spec.target(), format!("127.0.0.1:{}", address.port()));

    let outcome = spec.run(TIMEOUT).await;

    assert_eq!(outcome.problem, None);
    assert!(flag(&outcome, "chain_valid"));
    assert!(flag(&outcome, "hostname_valid"));
}

#[tokio::test]
async fn ipv6_hosts_are_written_in_brackets() {
    let sandbox = Sandbox::new();
    let ca = ca("golive test CA");
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: no IPv6 loopback here");
        return;
    }
    let identity = leaf("localhost", &["::1"], -DAY, 90 * DAY, Some(&ca));
    let address = serve_on("[::1]:0", identity, BOTH).await;
    let ca_path = ca_file(&sandbox, &ca);
    let spec = spec(&format!(
        "host = \"[::1]:{}\"\nca = '{ca_path}'",
        address.port()
    ));
    assert_eq!(spec.target(), format!("[::1]:{}", address.port()));

    let outcome = spec.run(TIMEOUT).await;

    assert_eq!(outcome.problem, None);
    assert!(flag(&outcome, "chain_valid") && flag(&outcome, "hostname_valid"));
}

#[tokio::test]
async fn expired_certificate_is_still_read_and_reported() {
    let sandbox = Sandbox::new();
    let ca = ca("golive test CA");
    // Expired three days and a minute ago, so the message and the floor are both stable.
    let identity = leaf(
        "localhost",
        &["localhost"],
        -30 * DAY,
        -3 * DAY - 60,
        Some(&ca),
    );
    let address = serve(identity, BOTH).await;
    let spec = localhost_check(&sandbox, address, &ca);

    let outcome = spec.run(TIMEOUT).await;

    assert!(!flag(&outcome, "chain_valid"));
    assert!(
        flag(&outcome, "hostname_valid"),
        "the name is checked even when the chain is not valid"
    );
    // Whole days left, rounded down: three days and a minute ago is day -4.
    assert_eq!(days_left(&outcome), -4.0);
    assert_eq!(text(&outcome, "cert.subject"), "CN=localhost");
    assert!(
        problem(&outcome).starts_with("certificate expired 3 days ago ("),
        "{outcome:?}"
    );
    assert!(
        outcome.observed.get("tls.version").is_some(),
        "the handshake completes"
    );
    assert_eq!(
        verdict(&outcome, "cert.days_left >= 14").message(),
        Some("cert.days_left -4 < 14")
    );
    assert!(!verdict(&outcome, "chain_valid == true").is_pass());
}

#[tokio::test]
async fn long_expired_certificate_reports_its_expiry_date() {
    let sandbox = Sandbox::new();
    let ca = ca("golive test CA");
    let key = KeyPair::generate().expect("a key");
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("a name");
    params.not_before = rcgen::date_time_ymd(2000, 1, 1);
    params.not_after = rcgen::date_time_ymd(2000, 2, 29);
    let cert = params.signed_by(&key, &ca).expect("a certificate");
    let identity = Identity {
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    };
    let address = serve(identity, BOTH).await;
    let spec = localhost_check(&sandbox, address, &ca);

    let outcome = spec.run(TIMEOUT).await;

    // A leap day, to check the date is spelled right.
    assert_eq!(text(&outcome, "cert.not_after"), "2000-02-29T00:00:00Z");
    assert!(days_left(&outcome) < -9000.0);
    assert!(
        problem(&outcome).ends_with(" days ago (2000-02-29T00:00:00Z)"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn certificate_for_another_host_has_a_valid_chain_but_not_hostname() {
    let sandbox = Sandbox::new();
    let ca = ca("golive test CA");
    let address = serve(
        leaf("other.test", &["other.test"], -DAY, 90 * DAY, Some(&ca)),
        BOTH,
    )
    .await;
    let spec = localhost_check(&sandbox, address, &ca);

    let outcome = spec.run(TIMEOUT).await;

    assert!(flag(&outcome, "chain_valid"));
    assert!(!flag(&outcome, "hostname_valid"));
    assert_eq!(text(&outcome, "cert.subject"), "CN=other.test");
    assert_eq!(
        problem(&outcome),
        "certificate is not valid for `localhost` (it names `other.test`)"
    );
    assert_eq!(
        verdict(&outcome, "hostname_valid == true").message(),
        Some("hostname_valid false != true")
    );
    assert!(verdict(&outcome, "cert.sans contains \"other.test\"").is_pass());
}

#[tokio::test]
async fn self_signed_certificate_without_ca_is_read_but_untrusted() {
    let address = serve(
        leaf("localhost", &["localhost"], -DAY, 30 * DAY, None),
        BOTH,
    )
    .await;
    let spec = spec(&format!(
        "host = \"127.0.0.1:{}\"\nserver_name = \"localhost\"",
        address.port()
    ));

    let outcome = spec.run(TIMEOUT).await;

    assert!(!flag(&outcome, "chain_valid"));
    assert!(flag(&outcome, "hostname_valid"));
    assert_eq!(text(&outcome, "cert.subject"), "CN=localhost");
    assert_eq!(text(&outcome, "cert.issuer"), "CN=localhost");
    assert!([29.0, 30.0].contains(&days_left(&outcome)));
    assert_eq!(
        problem(&outcome),
        "certificate is self-signed and not trusted by the system's CAs (set `ca` to trust a private CA)"
    );
}

#[tokio::test]
async fn certificate_from_another_ca_is_untrusted() {
    let sandbox = Sandbox::new();
    let (ours, theirs) = (ca("golive test CA"), ca("someone else's CA"));
    let address = serve(
        leaf("localhost", &["localhost"], -DAY, 90 * DAY, Some(&theirs)),
        BOTH,
    )
    .await;
    let spec = localhost_check(&sandbox, address, &ours);
    let ca_path = sandbox.dir.path().join("ca.pem").display().to_string();

    let outcome = spec.run(TIMEOUT).await;

    assert!(!flag(&outcome, "chain_valid"));
    assert!(flag(&outcome, "hostname_valid"));
    assert_eq!(
        problem(&outcome),
        format!(
            "certificate issuer `CN=someone else's CA` is not trusted by the CAs in `{ca_path}`"
        )
    );
}

#[tokio::test]
async fn tls12_only_server_fails_a_tls13_condition_readably() {
    let sandbox = Sandbox::new();
    let ca = ca("golive test CA");
    let identity = leaf("localhost", &["localhost"], -DAY, 90 * DAY, Some(&ca));
    let address = serve(identity, &[&rustls::version::TLS12]).await;
    let spec = localhost_check(&sandbox, address, &ca);

    let outcome = spec.run(TIMEOUT).await;

    assert_eq!(outcome.problem, None);
    assert_eq!(
        outcome.observed.get("tls.version"),
        Some(&Value::Version(Version::new(vec![1, 2])))
    );
    assert!(verdict(&outcome, "tls.version >= 1.2").is_pass());
    assert_eq!(
        verdict(&outcome, "tls.version >= 1.3").message(),
        Some("tls.version 1.2 < 1.3")
    );
}

#[tokio::test]
async fn near_expiry_fails_days_left_with_the_observed_value() {
    let sandbox = Sandbox::new();
    let ca = ca("golive test CA");
    let identity = leaf(
        "localhost",
        &["localhost"],
        -80 * DAY,
        9 * DAY + 3600,
        Some(&ca),
    );
    let address = serve(identity, BOTH).await;
    let spec = localhost_check(&sandbox, address, &ca);

    let outcome = spec.run(TIMEOUT).await;

    assert_eq!(outcome.problem, None);
    assert_eq!(
        verdict(&outcome, "cert.days_left >= 30").message(),
        Some("cert.days_left 9 < 30")
    );
    assert!(verdict(&outcome, "cert.days_left >= 7").is_pass());
}

#[tokio::test]
async fn closed_port_is_a_problem_without_metrics() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.local_addr().expect("a local address").port()
    };
    let outcome = spec(&format!("host = \"127.0.0.1:{port}\""))
        .run(TIMEOUT)
        .await;

    assert!(problem(&outcome).starts_with(&format!("cannot connect to `127.0.0.1:{port}`: ")));
    assert!(outcome.observed.is_empty());
    assert!(!verdict(&outcome, "chain_valid == true").is_pass());
}

#[tokio::test]
async fn silent_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let port = listener.local_addr().expect("a local address").port();
    // Accepts and holds connections without ever answering the client hello.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    let outcome = spec(&format!("host = \"127.0.0.1:{port}\""))
        .run(Duration::from_millis(300))
        .await;

    assert_eq!(problem(&outcome), "timed out after 300ms");
    assert!(outcome.observed.is_empty());
}

#[tokio::test]
async fn unreadable_ca_file_is_a_problem() {
    let sandbox = Sandbox::new();
    let missing = sandbox.dir.path().join("missing.pem").display().to_string();
    let outcome = spec(&format!("host = \"127.0.0.1:1\"\nca = '{missing}'"))
        .run(TIMEOUT)
        .await;
    assert!(problem(&outcome).starts_with(&format!("cannot read `ca` file `{missing}`: ")));

    let empty = sandbox
        .write("empty.pem", "not a certificate\n")
        .display()
        .to_string();
    let outcome = spec(&format!("host = \"127.0.0.1:1\"\nca = '{empty}'"))
        .run(TIMEOUT)
        .await;
    assert_eq!(
        problem(&outcome),
        format!("`ca` file `{empty}` holds no usable CA certificate")
    );
}

/// The first load error for a check with `keys`, with its line and column.
fn load_error(keys: &str) -> (String, Option<String>, (usize, usize)) {
    let text = format!("[[check]]\nitem = \"ssl-certificates\"\nprobe = \"tls\"\n{keys}\n");
    let mut config = parse(&text).expect("valid TOML");
    let errors = TlsSpec::from_fields(&mut config.checks[0]).expect_err("an invalid tls check");
    let error = &errors[0];
    (
        error.message.clone(),
        error.hint.clone(),
        error.line_col(&text),
    )
}

#[test]
fn host_without_port_is_refused_at_load() {
    let (message, hint, position) = load_error("host = \"api.example.test\"");
    assert_eq!(message, "missing port in `api.example.test`");
    assert_eq!(
        hint.as_deref(),
        Some("write `name:port`, e.g. \"api.example.test:443\"")
    );
    assert_eq!(position, (4, 8));
}

#[test]
fn other_load_errors_point_at_the_key() {
    let (message, hint, _) = load_error("server_name = \"localhost\"");
    assert_eq!(message, "missing key `host`");
    assert_eq!(
        hint.as_deref(),
        Some("add `host = \"api.example.test:443\"`")
    );

    let (message, hint, _) = load_error("host = \"::1:443\"");
    assert_eq!(message, "IPv6 address without brackets: `::1:443`");
    assert!(hint.expect("a hint").contains("[::1]:443"));

    let (message, hint, _) = load_error("host = \"[::1]\"");
    assert_eq!(message, "missing port in `[::1]`");
    assert_eq!(
        hint.as_deref(),
        Some("add the port after the brackets, e.g. \"[::1]:443\"")
    );

    for (host, port) in [
        ("api.example.test:https", "https"),
        ("api.example.test:0", "0"),
    ] {
        let (message, _, _) = load_error(&format!("host = \"{host}\""));
        assert_eq!(message, format!("invalid port `{port}` in `{host}`"));
    }

    let (message, _, _) = load_error("host = \":443\"");
    assert_eq!(message, "missing host name in `:443`");

    let (message, _, position) =
        load_error("host = \"api.example.test:443\"\nserver_name = \"not a name\"");
    assert_eq!(message, "`server_name` has an invalid name `not a name`");
    assert_eq!(position, (5, 15));

    let (message, _, _) = load_error("host = 443");
    assert_eq!(message, "`host` must be a string, not an integer");
}

/// Issue 9, item 10: a self-signed certificate with 10 days left fails `cert.days_left >= 30`
/// on its value, as read, even though the probe also reports an untrusted chain: a condition
/// on an observed metric is evaluated whatever else went wrong.
#[tokio::test(flavor = "multi_thread")]
async fn an_untrusted_certificate_fails_on_its_days_left_through_the_binary() {
    let sandbox = Sandbox::new();
    let identity = leaf("localhost", &["localhost"], -DAY, 9 * DAY + 3600, None);
    let address = serve(identity, BOTH).await;
    sandbox.write("launch.md", "# Launch\n- [ ] **TLS certificates** valid\n");
    sandbox.write(
        "golive.toml",
        format!(
            "[[check]]\nitem = \"tls-certificates\"\nprobe = \"tls\"\nhost = \"localhost:{}\"\nexpect = [\"cert.days_left >= 30\", \"chain_valid == false\"]\n",
            address.port()
        ),
    );
    let mut command = sandbox.golive();
    command.args(["check", "launch.md", "--format", "json", "--quiet"]);
    let output = tokio::task::spawn_blocking(move || command.output().expect("run golive"))
        .await
        .expect("join");
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let result = &json["results"][0];
    assert_eq!(result["observed"]["cert.days_left"], 9, "{result}");
    assert_eq!(
        result["failures"],
        serde_json::json!(["cert.days_left 9 < 30"]),
        "{result}"
    );
}
