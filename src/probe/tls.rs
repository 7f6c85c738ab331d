//! `tls`: connects to `host:port`, completes a TLS handshake and reports the server's
//! certificate (days left, subject, issuer, names), the negotiated protocol version, and
//! whether the chain and the name verify.
//!
//! A go-live gate has to *see* a bad certificate to say what is wrong with it, so the
//! handshake never aborts on verification: [`Recorder`] runs the real webpki checks, keeps
//! the verdict as data and lets the handshake finish. Handshake signatures are still
//! verified, so what is reported is what the server really holds the key for.

use std::net::IpAddr;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::{
    CryptoProvider, WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, DigitallySignedStruct, ProtocolVersion, RootCertStore, SignatureScheme,
};
use tokio::io::AsyncWriteExt;
use x509_parser::extensions::GeneralName;

use super::Outcome;
use super::keys::{KeyDoc, KeyKind, ProbeDoc, split_host_port};
use crate::checklist::toml::Fields;
use crate::diagnostic::Diagnostic;
use crate::expr::{Value, Version};

const SECONDS_PER_DAY: i64 = 86_400;

pub const DOC: ProbeDoc = ProbeDoc {
    name: "tls",
    summary: "a server's TLS certificate and protocol; bad certificates are read and reported, not refused",
    keys: &[
        KeyDoc {
            name: "host",
            kind: KeyKind::String,
            required: true,
            doc: "`name:port` to connect to, e.g. \"api.example.test:443\" or \"[::1]:443\"",
        },
        KeyDoc {
            name: "server_name",
            kind: KeyKind::String,
            required: false,
            doc: "name sent as SNI and verified against the certificate (default: the name in `host`)",
        },
        KeyDoc {
            name: "ca",
            kind: KeyKind::String,
            required: false,
            doc: "PEM file of CA certificates to trust instead of the system's",
        },
    ],
    metrics: &[
        (
            "cert.days_left",
            "whole days until the certificate expires; negative once it has",
        ),
        ("cert.not_after", "expiry time, RFC 3339 in UTC"),
        ("cert.subject", "subject name, e.g. `CN=api.example.test`"),
        (
            "cert.issuer",
            "issuer name, e.g. `CN=R11, O=Let's Encrypt, C=US`",
        ),
        (
            "cert.sans",
            "subject alternative names: DNS names and IP addresses",
        ),
        (
            "tls.version",
            "negotiated protocol version: `tls.version >= 1.2`",
        ),
        (
            "tls.cipher",
            "negotiated cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`",
        ),
        (
            "chain_valid",
            "whether the chain leads to a trusted CA, all of it in date",
        ),
        (
            "hostname_valid",
            "whether the certificate names `server_name`",
        ),
    ],
    // 14 days: ACME clients renew at 30 days left, so a healthy setup never trips this,
    // while a failed renewal still leaves two weeks to fix it by hand.
    default_expect: &[
        "chain_valid == true",
        "hostname_valid == true",
        "cert.days_left >= 14",
    ],
};

#[derive(Debug, Clone)]
pub struct TlsSpec {
    /// Host name or IP address to connect to (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// Name sent as SNI and verified; validated at load.
    pub server_name: ServerName<'static>,
    /// PEM file of CA certificates; `None` trusts the system's roots.
    pub ca: Option<String>,
}

impl TlsSpec {
    pub fn from_fields(fields: &mut Fields) -> Result<Self, Vec<Diagnostic>> {
        let host = fields
            .required_string("host", "\"api.example.test:443\"")
            .map_err(|d| vec![d])?;
        let server_name = fields.string("server_name").map_err(|d| vec![d])?;
        let ca = fields.string("ca").map_err(|d| vec![d])?;
        let mut errors = Vec::new();
        let address = split_host_port(&host, 443).map_err(|d| errors.push(d)).ok();
        // The name to verify is `server_name`, or else the name part of `host`.
        let server_name = match (server_name, &address) {
            (Some(name), _) => Some(parse_server_name(&name.value, &name.span, "server_name")),
            (None, Some((name, _))) => Some(parse_server_name(name, &host.span, "host")),
            (None, None) => None,
        };
        let server_name = server_name.and_then(|name| name.map_err(|d| errors.push(d)).ok());
        if let Some(ca) = &ca
            && ca.value.trim().is_empty()
        {
            let hint = "give a PEM file of CA certificates, or remove `ca` to trust the system's";
            errors.push(Diagnostic::new(ca.span.clone(), "`ca` is empty").with_hint(hint));
        }
        match (address, server_name) {
            (Some((host, port)), Some(server_name)) if errors.is_empty() => Ok(TlsSpec {
                host,
                port,
                server_name,
                ca: ca.map(|ca| ca.value),
            }),
            _ => Err(errors),
        }
    }

    pub fn target(&self) -> String {
        let address = self.address();
        let server_name = self.server_name.to_str();
        if server_name == self.host {
            address
        } else {
            format!("{address} (as {server_name})")
        }
    }

    /// `host:port`, with IPv6 addresses in brackets.
    fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    pub async fn run(&self, timeout: Duration) -> Outcome {
        // The verifier writes what it saw here; it outlives a timeout, so a server that
        // stalls after sending its certificate still has that certificate reported.
        let seen = Arc::new(Mutex::new(None));
        let deadline = tokio::time::Instant::now() + timeout;
        let result = tokio::time::timeout_at(deadline, self.handshake(Arc::clone(&seen))).await;
        let mut outcome = Outcome::default();
        let mut problems = Vec::new();
        match result {
            Ok(Ok((negotiated, mut stream))) => {
                if let Some(version) = negotiated.version {
                    outcome.observe("tls.version", Value::Version(version));
                }
                if let Some(cipher) = negotiated.cipher {
                    outcome.observe("tls.cipher", Value::Text(cipher));
                }
                // Say goodbye properly with the time left; everything is already observed,
                // so neither a failure nor a stall here changes the outcome.
                let _ = tokio::time::timeout_at(deadline, stream.shutdown()).await;
            }
            Ok(Err(problem)) => problems.push(problem),
            Err(_) => problems.push(format!("timed out after {}", Value::Duration(timeout))),
        }
        let seen = seen.lock().ok().and_then(|mut seen| seen.take());
        if let Some(seen) = seen {
            problems.extend(report(&mut outcome, &seen, self));
        }
        if !problems.is_empty() {
            outcome.problem = Some(problems.join("; "));
        }
        outcome
    }

    /// Connects and shakes hands; `Err` is the problem to report.
    async fn handshake(&self, seen: Arc<Mutex<Option<Seen>>>) -> Result<(Negotiated, Tls), String> {
        let roots = Arc::new(self.roots().await?);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = Recorder {
            roots,
            provider: Arc::clone(&provider),
            seen,
        };
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| format!("cannot set up TLS: {error}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let address = self.address();
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|error| format!("cannot connect to `{address}`: {error}"))?;
        let stream = connector
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(|error| format!("TLS handshake with `{address}` failed: {error}"))?;
        let (_, connection) = stream.get_ref();
        let negotiated = Negotiated {
            version: match connection.protocol_version() {
                Some(ProtocolVersion::TLSv1_2) => Some(Version::new(vec![1, 2])),
                Some(ProtocolVersion::TLSv1_3) => Some(Version::new(vec![1, 3])),
                _ => None,
            },
            cipher: connection.negotiated_cipher_suite().map(|suite| {
                let suite = suite.suite();
                suite
                    .as_str()
                    .map_or_else(|| format!("{suite:?}"), str::to_owned)
            }),
        };
        Ok((negotiated, stream))
    }

    /// The trust anchors: the `ca` file, or the system's roots.
    async fn roots(&self) -> Result<RootCertStore, String> {
        let mut roots = RootCertStore::empty();
        match &self.ca {
            Some(path) => {
                let pem = tokio::fs::read(path)
                    .await
                    .map_err(|error| format!("cannot read `ca` file `{path}`: {error}"))?;
                let certs = CertificateDer::pem_slice_iter(&pem)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|error| format!("`ca` file `{path}` is not valid PEM: {error}"))?;
                let (added, _) = roots.add_parsable_certificates(certs);
                if added == 0 {
                    return Err(format!("`ca` file `{path}` holds no usable CA certificate"));
                }
            }
            None => {
                // Reading the system store touches files; keep it off the async workers. A
                // store that cannot be read leaves no roots, and verification says so.
                let native = tokio::task::spawn_blocking(rustls_native_certs::load_native_certs)
                    .await
                    .map(|result| result.certs)
                    .unwrap_or_default();
                roots.add_parsable_certificates(native);
            }
        }
        Ok(roots)
    }
}

fn parse_server_name(
    name: &str,
    span: &Range<usize>,
    key: &str,
) -> Result<ServerName<'static>, Diagnostic> {
    ServerName::try_from(name.to_owned()).map_err(|_| {
        Diagnostic::new(
            span.clone(),
            format!("`{key}` has an invalid name `{name}`"),
        )
        .with_hint("give a DNS name such as `api.example.test` or an IP address")
    })
}

/// A finished handshake, kept to close it politely.
type Tls = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

/// What the handshake agreed on.
struct Negotiated {
    version: Option<Version>,
    cipher: Option<String>,
}

/// What the verifier saw and concluded.
#[derive(Debug)]
struct Seen {
    end_entity: CertificateDer<'static>,
    /// Whether the chain leads to a trusted root, every certificate in date.
    chain: Result<(), rustls::Error>,
    /// Whether the end-entity certificate names the server name; `None` when it could not
    /// be parsed to tell (the chain verdict says why).
    name: Option<Result<(), rustls::Error>>,
}

/// A verifier that records instead of refusing.
///
/// Chain and name are checked separately with the two functions `WebPkiServerVerifier`
/// itself is made of, so an expired or self-signed certificate still gets a real answer
/// about its name, and a certificate for the wrong host still gets one about its chain.
#[derive(Debug)]
struct Recorder {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
    seen: Arc<Mutex<Option<Seen>>>,
}

impl Recorder {
    fn algorithms(&self) -> &WebPkiSupportedAlgorithms {
        &self.provider.signature_verification_algorithms
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let (chain, name) = match ParsedCertificate::try_from(end_entity) {
            Ok(cert) => {
                let all = self.algorithms().all;
                let chain = verify_server_cert_signed_by_trust_anchor(
                    &cert,
                    &self.roots,
                    intermediates,
                    now,
                    all,
                );
                (chain, Some(verify_server_name(&cert, server_name)))
            }
            Err(error) => (Err(error), None),
        };
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(Seen {
                end_entity: end_entity.clone().into_owned(),
                chain,
                name,
            });
        }
        // Accept whatever was presented: the verdict is reported as metrics, and refusing
        // here would end the handshake before anything could be reported.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, self.algorithms())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, self.algorithms())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms().supported_schemes()
    }
}

/// The fields of the end-entity certificate that metrics and messages use.
struct CertInfo {
    subject: String,
    issuer: String,
    self_issued: bool,
    not_after: i64,
    sans: Vec<String>,
}

impl CertInfo {
    fn parse(der: &[u8]) -> Option<CertInfo> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let sans = match cert.subject_alternative_name() {
            Ok(Some(extension)) => extension
                .value
                .general_names
                .iter()
                .filter_map(san)
                .collect(),
            _ => Vec::new(),
        };
        Some(CertInfo {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
            not_after: cert.validity().not_after.timestamp(),
            sans,
        })
    }
}

fn san(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::DNSName(name) => Some((*name).to_owned()),
        GeneralName::IPAddress(bytes) => <[u8; 4]>::try_from(*bytes)
            .map(IpAddr::from)
            .or_else(|_| <[u8; 16]>::try_from(*bytes).map(IpAddr::from))
            .ok()
            .map(|ip| ip.to_string()),
        _ => None,
    }
}

/// Observes the certificate's metrics and verdicts; returns the problems found.
fn report(outcome: &mut Outcome, seen: &Seen, spec: &TlsSpec) -> Vec<String> {
    let mut problems = Vec::new();
    let now = unix_now();
    let info = CertInfo::parse(&seen.end_entity);
    match &info {
        Some(info) => {
            let days_left = (info.not_after - now).div_euclid(SECONDS_PER_DAY);
            outcome.observe("cert.days_left", Value::Number(days_left as f64));
            outcome.observe("cert.not_after", Value::Text(rfc3339(info.not_after)));
            outcome.observe("cert.subject", Value::Text(info.subject.clone()));
            outcome.observe("cert.issuer", Value::Text(info.issuer.clone()));
            outcome.observe(
                "cert.sans",
                Value::List(info.sans.iter().cloned().map(Value::Text).collect()),
            );
        }
        None => problems.push("cannot parse the server's certificate".to_owned()),
    }
    outcome.observe("chain_valid", Value::Bool(seen.chain.is_ok()));
    outcome.observe(
        "hostname_valid",
        Value::Bool(matches!(seen.name, Some(Ok(())))),
    );
    if let Err(error) = &seen.chain {
        problems.push(chain_problem(error, info.as_ref(), spec.ca.as_deref()));
    }
    match &seen.name {
        // A certificate webpki cannot parse was already reported as a chain problem.
        None | Some(Ok(())) => {}
        Some(Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ))) => {
            let names = match info.as_ref().map(|info| info.sans.as_slice()) {
                Some([]) => "it has no subject alternative names".to_owned(),
                Some(sans) => format!("it names `{}`", sans.join("`, `")),
                None => "its names cannot be read".to_owned(),
            };
            problems.push(format!(
                "certificate is not valid for `{}` ({names})",
                spec.server_name.to_str()
            ));
        }
        Some(Err(error)) => problems.push(format!("cannot check the certificate's names: {error}")),
    }
    problems
}

fn chain_problem(error: &rustls::Error, info: Option<&CertInfo>, ca: Option<&str>) -> String {
    let rustls::Error::InvalidCertificate(error) = error else {
        return format!("certificate chain is invalid: {error}");
    };
    match error {
        CertificateError::ExpiredContext { time, not_after } => {
            let not_after = i64::try_from(not_after.as_secs()).unwrap_or(i64::MAX);
            let elapsed = i64::try_from(time.as_secs())
                .unwrap_or(i64::MAX)
                .saturating_sub(not_after);
            // webpki checks every certificate in the chain; say which one ran out.
            let which = if info.is_some_and(|info| info.not_after == not_after) {
                "certificate"
            } else {
                "a certificate in the chain"
            };
            format!("{which} expired {} ({})", ago(elapsed), rfc3339(not_after))
        }
        CertificateError::Expired => "certificate expired".to_owned(),
        CertificateError::NotValidYetContext { not_before, .. } => {
            let not_before = i64::try_from(not_before.as_secs()).unwrap_or(i64::MAX);
            format!("certificate is not valid until {}", rfc3339(not_before))
        }
        CertificateError::NotValidYet => "certificate is not valid yet".to_owned(),
        // webpki tries every trusted CA whose name matches the issuer; when one does but did
        // not sign, it reports the signature failure. Either way no trusted CA signed it.
        CertificateError::UnknownIssuer
        | CertificateError::BadSignature
        | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            let trusted = match ca {
                Some(path) => format!("the CAs in `{path}`"),
                None => "the system's CAs (set `ca` to trust a private CA)".to_owned(),
            };
            let unknown = matches!(error, CertificateError::UnknownIssuer);
            match info {
                Some(info) if info.self_issued => {
                    format!("certificate is self-signed and not trusted by {trusted}")
                }
                Some(info) if unknown => format!(
                    "certificate issuer `{}` is not trusted by {trusted}",
                    info.issuer
                ),
                Some(info) => format!(
                    "certificate issuer `{}` is not trusted by {trusted}: a CA of that name did not sign it",
                    info.issuer
                ),
                None => format!("certificate is not trusted by {trusted}"),
            }
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "certificate is not for TLS server authentication".to_owned()
        }
        other => format!(
            "certificate chain is invalid: {}",
            rustls::Error::InvalidCertificate(other.clone())
        ),
    }
}

/// `3 days ago`, `5 hours ago`: how long ago something ended, for people.
fn ago(seconds: i64) -> String {
    let plural =
        |count: i64, unit: &str| format!("{count} {unit}{} ago", if count == 1 { "" } else { "s" });
    match seconds {
        s if s >= SECONDS_PER_DAY => plural(s / SECONDS_PER_DAY, "day"),
        s if s >= 3600 => plural(s / 3600, "hour"),
        _ => "less than an hour ago".to_owned(),
    }
}

fn unix_now() -> i64 {
    // A clock before 1970 is broken; 0 makes every certificate look fresh rather than panic.
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

/// A Unix time as RFC 3339 in UTC, e.g. `2025-06-01T12:00:00Z`.
fn rfc3339(timestamp: i64) -> String {
    // Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a proleptic Gregorian date.
    let days = timestamp.div_euclid(SECONDS_PER_DAY) + 719_468;
    let seconds = timestamp.rem_euclid(SECONDS_PER_DAY);
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}
