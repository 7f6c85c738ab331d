//! The connection under a load test: plain TCP or TLS, opened with the errors a person can
//! act on (refused, unknown issuer, no `h2` in ALPN).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// How to reach the server: one address for every connection, and TLS when `https`.
pub(crate) struct Connect {
    pub(crate) address: SocketAddr,
    pub(crate) tls: Option<(TlsConnector, rustls::pki_types::ServerName<'static>)>,
    pub(crate) http2: bool,
}

impl std::fmt::Debug for Connect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connect")
            .field("address", &self.address)
            .field("tls", &self.tls.is_some())
            .field("http2", &self.http2)
            .finish()
    }
}

/// Opens one connection: TCP, then TLS when asked, with `TCP_NODELAY`.
pub(crate) async fn open(connect: &Connect) -> Result<Stream, String> {
    let address = connect.address;
    let tcp = TcpStream::connect(address)
        .await
        .map_err(|error| match error.kind() {
            io::ErrorKind::ConnectionRefused => format!("connection refused by {address}"),
            _ if error.raw_os_error() == Some(24) => format!(
                "cannot connect to {address}: too many open files (raise the limit with `ulimit -n`)"
            ),
            _ => format!("cannot connect to {address}: {error}"),
        })?;
    // Requests are small writes; Nagle's delay would show up as latency.
    tcp.set_nodelay(true)
        .map_err(|error| format!("cannot set TCP_NODELAY: {error}"))?;
    match &connect.tls {
        None => Ok(Stream::Plain(tcp)),
        Some((connector, name)) => {
            let tls = connector
                .connect(name.clone(), tcp)
                .await
                .map_err(|error| tls_problem(&error, address, connect.http2))?;
            if connect.http2 && tls.get_ref().1.alpn_protocol() != Some(b"h2") {
                return Err(format!(
                    "{address} does not offer HTTP/2 over TLS (no `h2` in ALPN)"
                ));
            }
            Ok(Stream::Tls(Box::new(tls)))
        }
    }
}

/// A failed TLS handshake, in words that say what to change.
fn tls_problem(error: &io::Error, address: SocketAddr, http2: bool) -> String {
    use rustls::{AlertDescription, CertificateError, Error};
    let reason = match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<Error>())
    {
        Some(Error::AlertReceived(AlertDescription::NoApplicationProtocol)) if http2 => {
            return format!("{address} does not offer HTTP/2 over TLS (no `h2` in ALPN)");
        }
        Some(Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
            "certificate issued by an unknown authority (trust its CA with `ca`, or `insecure`)"
                .to_string()
        }
        Some(Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        )) => "certificate expired".to_string(),
        Some(Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        )) => "certificate not valid for this host name".to_string(),
        Some(Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)) => {
            "the server does not speak TLS on this port (plain http?)".to_string()
        }
        _ => error.to_string(),
    };
    format!("TLS handshake with {address} failed: {reason}")
}

/// A plain or TLS stream; an enum rather than a boxed trait object so reads and writes are
/// direct calls.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(stream) => stream.is_write_vectored(),
            Stream::Tls(stream) => stream.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}
