//! The TLS client setup for `https://` load tests: the same trust rules as the `http` probe
//! (system roots, a `ca` file, or `insecure`), with ALPN set to the one protocol the test
//! speaks so that a server that cannot do HTTP/2 is found at the handshake.
//!
//! This repeats `probe::http`'s root loading and any-certificate verifier (which build a
//! reqwest client and are private to that probe) rather than reach into it.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_rustls::TlsConnector;

use super::LoadError;

pub(crate) fn connector(
    ca: Option<&Path>,
    insecure: bool,
    http2: bool,
) -> Result<TlsConnector, LoadError> {
    // Our own provider, so no process-wide default needs installing.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| LoadError::Tls(error.to_string()))?;
    let mut config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate { algorithms }))
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(roots(ca)?)
            .with_no_client_auth()
    };
    config.alpn_protocols = vec![if http2 {
        b"h2".to_vec()
    } else {
        b"http/1.1".to_vec()
    }];
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The server name to verify the certificate against: a DNS name or an IP address.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_string())
        .map_err(|_| format!("`{host}` is not a valid TLS server name"))
}

fn roots(ca: Option<&Path>) -> Result<RootCertStore, LoadError> {
    let mut roots = RootCertStore::empty();
    let Some(path) = ca else {
        // Unreadable system certificates are skipped; with none at all, every handshake
        // fails with "unknown issuer", which the connect errors show.
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        return Ok(roots);
    };
    let shown = path.display();
    let pem = std::fs::read(path)
        .map_err(|error| LoadError::Tls(format!("cannot read `ca` file `{shown}`: {error}")))?;
    for certificate in CertificateDer::pem_slice_iter(&pem) {
        let certificate = certificate.map_err(|error| {
            LoadError::Tls(format!("`ca` file `{shown}` is not valid PEM: {error}"))
        })?;
        roots.add(certificate).map_err(|error| {
            LoadError::Tls(format!(
                "`ca` file `{shown}` holds an unusable certificate: {error}"
            ))
        })?;
    }
    if roots.is_empty() {
        return Err(LoadError::Tls(format!(
            "`ca` file `{shown}` holds no `-----BEGIN CERTIFICATE-----` block"
        )));
    }
    Ok(roots)
}

/// `insecure`: any certificate is accepted, but the server must still prove it holds the
/// certificate's key, so the handshake costs what a real one costs.
#[derive(Debug)]
struct AnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, certificate, signature, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, certificate, signature, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
