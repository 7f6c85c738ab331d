//! The TLS client setup for `https://` load tests: the same trust rules as the `http` probe
//! (system roots, a `ca` file, or `insecure`), with ALPN set to the one protocol the test
//! speaks so that a server that cannot do HTTP/2 is found at the handshake.
//!
//! The trust rules themselves live in `probe::tls_client`, shared with the `http` probe.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

use super::LoadError;

pub(crate) fn connector(
    ca: Option<&Path>,
    insecure: bool,
    http2: bool,
) -> Result<TlsConnector, LoadError> {
    let mut config =
        crate::probe::tls_client::client_config(ca, insecure).map_err(LoadError::Tls)?;
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
