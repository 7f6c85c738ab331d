//! `golive demo`: what golive is for, in ten seconds, with nothing but the binary.
//!
//! A sample service runs inside this process (HTTP and HTTPS on loopback ports the system
//! picks, with a certificate made on the spot), so it cannot outlive the demo: when the
//! process ends — normally, on Ctrl-C or killed — its listeners end with it. The checklist,
//! `golive.toml` and the store go into a fresh folder, never into the current one.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

use super::gate::{self, Sources};
use super::output::say;
use super::store::StoreArgs;
use super::view::{self, ConfigArgs, Items};
use super::{Format, Outcome, check};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Where to write the demo's checklist, golive.toml and store (a new or empty folder;
    /// default: a new folder in the system's temporary directory, kept so you can explore it)
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

const CHECKLIST: &str = "\
# Shop API — go-live (golive demo)

## Service

- [ ] **Health endpoint** `/health` returns 200
- [ ] **Readiness endpoint** `/ready` returns 200
- [ ] **TLS certificate** valid for more than 30 days
- [ ] **HSTS header** sent over HTTPS

## Security

- [ ] **`.env` permissions** set to 600

## Operations

- [ ] **Rollback plan** reviewed with on-call

## Sign-off

| Role          | Name | Approval | Date |
| ------------- | ---- | -------- | ---- |
| **Tech Lead** |      | [ ]      |      |
";

fn config(http: SocketAddr, https: SocketAddr) -> String {
    format!(
        r#"# golive.toml for demo.md: each [[check]] verifies one item of the checklist.
# `golive schema` prints the JSON Schema of this file for your editor.

[defaults]
timeout = "3s"

[[check]]
item = "title:Health endpoint*"
probe = "http"
url = "http://{http}/health"
expect = ["status == 200"]

[[check]]
item = "title:Readiness endpoint*"
probe = "http"
url = "http://{http}/ready"
expect = ["status == 200"]

[[check]]
item = "title:TLS certificate*"
probe = "tls"
host = "{https}"
server_name = "localhost"
ca = "demo-ca.pem"           # the demo's own CA; real services use the system's roots
expect = ["chain_valid == true", "cert.days_left > 30"]

[[check]]
item = "title:HSTS header*"
probe = "http"
url = "https://localhost:{port}/health"
ca = "demo-ca.pem"
expect = ["status == 200", "header.strict-transport-security exists"]

[[check]]
item = "title:*.env* permissions*"
probe = "file"
path = ".env"
expect = ["mode == 0o600"]
"#,
        port = https.port(),
    )
}

pub(super) fn run(args: Args) -> anyhow::Result<Outcome> {
    let dir = folder(args.dir)?;
    let identity = Identity::new()?;
    std::fs::write(dir.join("demo-ca.pem"), &identity.ca_pem)
        .with_context(|| format!("cannot write into `{}`", dir.display()))?;
    let service = Service::start(identity)?;
    let checklist = dir.join("demo.md");
    std::fs::write(&checklist, CHECKLIST)?;
    std::fs::write(dir.join("golive.toml"), config(service.http, service.https))?;
    let env = dir.join(".env");
    std::fs::write(&env, "DATABASE_URL=postgres://shop:change-me@db/shop\n")?;
    set_mode(&env, 0o644)?;
    // Explicit, so a GOLIVE_STORE in the environment never receives the demo's history.
    let store = StoreArgs {
        store: Some(dir.join(".golive").join("state.db").display().to_string()),
    };

    say!(
        "golive demo: a sample service is running in this process on http://{} and https://{} \
(certificate made just now),\nits checklist and golive.toml are in {}\n",
        service.http,
        service.https,
        dir.display()
    )?;
    say!(
        "1. The checklist has 6 items and one sign-off. golive runs the checks of golive.toml:\n"
    )?;
    say!("$ golive check {}", checklist.display())?;
    run_check(&checklist, &store)?;
    say!("\n2. The gate decides from the checklist and its history, with every reason:\n")?;
    say!("$ golive gate {}", checklist.display())?;
    let before = run_gate(&checklist, &store)?;

    say!(
        "\n3. Fix one thing: the secrets file was readable by everyone.\n\n$ chmod 600 {}",
        env.display()
    )?;
    set_mode(&env, 0o600)?;
    say!("$ golive check {}", checklist.display())?;
    run_check(&checklist, &store)?;
    say!("\n$ golive gate {}", checklist.display())?;
    let after = run_gate(&checklist, &store)?;
    say!(
        "\nThe reasons went from {before} to {after}. Each one is work to do: fix /ready, tick the \
rollback plan once reviewed (golive tick), and have the Tech Lead approve (golive approve); \
the gate says GO when none is left.\n"
    )?;
    drop(service);

    let file = checklist.display();
    let folder = dir.display();
    let next = [
        (
            format!("golive status {file}"),
            "where it stands, from the file and its history",
        ),
        (
            format!("golive tick {file} \"rollback plan\""),
            "tick an item in place: one byte changes",
        ),
        (
            format!("golive approve {file} --role \"Tech Lead\" --by you --go"),
            "record a sign-off",
        ),
        (
            format!("golive audit log {file}"),
            "every result, tick and approval, hash-chained",
        ),
        (
            format!("golive report {file} --format html -o {folder}/report.html"),
            "one self-contained page",
        ),
        (
            "golive init --list".to_owned(),
            "templates to start your own checklist from",
        ),
        (
            "golive suggest YOUR-CHECKLIST.md".to_owned(),
            "checks golive can propose for your items",
        ),
    ];
    say!("Next, try:")?;
    for (command, why) in next {
        say!("  # {why}\n  {command}")?;
    }
    say!("\nThe sample service has stopped; remove the demo's folder with: rm -r {folder}")?;
    Ok(Outcome::Ok)
}

/// A new folder for the demo, or the one given if it is empty: nothing is ever overwritten.
fn folder(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let Some(dir) = given else {
        let made = tempfile::Builder::new()
            .prefix("golive-demo-")
            .tempdir()
            .context("cannot make a folder for the demo in the temporary directory (set TMPDIR, or give --dir)")?;
        return Ok(made.keep());
    };
    match std::fs::read_dir(&dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!(
                    "`{}` is not empty; the demo writes only into a new or empty folder",
                    dir.display()
                );
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
        }
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read `{}`", dir.display()));
        }
    }
    Ok(dir)
}

fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot change the mode of `{}`", path.display()))
}

fn run_check(checklist: &Path, store: &StoreArgs) -> anyhow::Result<()> {
    // A failed check is what the demo shows, not an error of the demo.
    check::run(check::Options {
        file: checklist.to_path_buf(),
        config: None,
        jobs: 8,
        format: Format::Table,
        dry_run: false,
        quiet: true,
        by: Some("demo".to_owned()),
        store: store.clone(),
    })?;
    Ok(())
}

/// Runs the gate as `golive gate` does and returns how many reasons it gave.
fn run_gate(checklist: &Path, store: &StoreArgs) -> anyhow::Result<usize> {
    let config = ConfigArgs { config: None };
    gate::gate(
        checklist,
        Sources {
            store,
            config: &config,
            anchors: &[],
            level: None,
        },
        Format::Table,
    )?;
    let inputs = view::read(checklist, store, &config, &[], Items::Required)?;
    gate::with_view(checklist, &inputs, |view| Ok(view.decision.reasons.len()))
}

/// The demo's certificate authority (its PEM goes into the folder, for `ca = …`) and the
/// service's certificate for `localhost` and 127.0.0.1, valid 90 days.
struct Identity {
    ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Identity {
    fn new() -> anyhow::Result<Identity> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("the clock is before 1970")?;
        let day = std::time::Duration::from_secs(86_400);
        let validity = |params: &mut CertificateParams| {
            params.not_before = rcgen::date_time_ymd(1970, 1, 1) + now.saturating_sub(day);
            params.not_after = rcgen::date_time_ymd(1970, 1, 1) + now + day * 90;
        };
        let mut ca_params = CertificateParams::default();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "golive demo CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        validity(&mut ca_params);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        validity(&mut params);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &ca)?;
        Ok(Identity {
            ca_pem: ca.pem(),
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        })
    }
}

/// The sample service: its own runtime on its own thread, stopped when dropped.
struct Service {
    http: SocketAddr,
    https: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Service {
    fn start(identity: Identity) -> anyhow::Result<Service> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("cannot start the sample service's runtime")?;
        let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(identity.chain, identity.key)?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
        // Port 0: the system picks free ports, so the demo never collides with a service
        // already listening, nor with another demo running at the same time.
        let (http, https) = runtime
            .block_on(async {
                let http = TcpListener::bind("127.0.0.1:0").await?;
                let https = TcpListener::bind("127.0.0.1:0").await?;
                Ok::<_, std::io::Error>((http, https))
            })
            .context("cannot listen on a loopback port for the sample service")?;
        let addresses = (http.local_addr()?, https.local_addr()?);
        runtime.spawn(async move {
            while let Ok((stream, _)) = http.accept().await {
                tokio::spawn(serve(stream, false));
            }
        });
        runtime.spawn(async move {
            while let Ok((stream, _)) = https.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        serve(stream, true).await;
                    }
                });
            }
        });
        Ok(Service {
            http: addresses.0,
            https: addresses.1,
            runtime: Some(runtime),
        })
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// One request, one answer, then the connection closes: all a probe needs.
async fn serve(mut stream: impl AsyncRead + AsyncWrite + Unpin, tls: bool) {
    let mut head = Vec::with_capacity(1024);
    let mut buffer = [0u8; 1024];
    let read = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => head.extend_from_slice(&buffer[..n]),
            }
        }
        true
    };
    match tokio::time::timeout(std::time::Duration::from_secs(5), read).await {
        Ok(true) => {}
        _ => return,
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    let path = match request.parse(&head) {
        Ok(_) => request.path.unwrap_or("/"),
        Err(_) => "/",
    };
    let (status, body) = match path {
        "/health" => ("200 OK", "ok\n"),
        "/ready" => ("503 Service Unavailable", "database migration pending\n"),
        _ => ("404 Not Found", "not found\n"),
    };
    let hsts = if tls {
        "Strict-Transport-Security: max-age=31536000\r\n"
    } else {
        ""
    };
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{hsts}Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}
