//! One worker: one connection, one request at a time, until the schedule says stop.
//!
//! Each connection is hyper's connection-level client (`client::conn::http1` or `http2`),
//! no pool, with its driver spawned as a task of the load runtime. (Driving it from inside the
//! worker's own future instead cost about 9 % more instructions per request: every poll of
//! the worker then polled the connection too.) The runtime is a multi-thread one because of
//! its LIFO slot: the worker woken by its response runs next, so the response is timed as it
//! arrives. On a current-thread runtime the wake-up waited behind every other connection's
//! work, and p50 at a fixed 20,000 req/s read about 35 % above oha's for the same server.
//!
//! A connection the server closed (keep-alive limits, `Connection: close`) is replaced before
//! the next request without counting an error; one that broke during a request is an `io`
//! error; one that cannot be opened is a `connect` error.

use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Body as _;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::schedule::Schedule;
use super::stats::{Failure, WorkerStats};
use super::{Config, Live, Target};
use crate::expr::Value;

/// Wait after a failed connect before the next attempt in a closed-model test bounded by
/// time, so that a refused port does not become a connect flood that burns the client's CPU
/// for the whole duration. (A test bounded by `requests` goes on at once: it ends sooner.)
const CONNECT_BACKOFF: Duration = Duration::from_millis(10);

/// What every worker shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) connect: Connect,
    pub(crate) template: Template,
    pub(crate) schedule: Schedule,
    pub(crate) timeout: Duration,
    pub(crate) live: Arc<Live>,
}

/// How to open a connection.
#[derive(Clone)]
pub(crate) struct Connect {
    pub(crate) address: SocketAddr,
    pub(crate) tls: Option<(TlsConnector, ServerName<'static>)>,
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

/// The request every worker sends, built once; each send clones its parts (reference counts
/// for the URI and body, a small copy for the headers).
#[derive(Debug)]
pub(crate) struct Template {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl Template {
    pub(crate) fn new(config: &Config, target: &Target) -> Template {
        Template {
            method: config.method.clone(),
            // HTTP/1.1 sends the path in its request line and the host in `Host`; HTTP/2
            // takes `:scheme` and `:authority` from the full URL.
            uri: if config.http2 {
                target.absolute.clone()
            } else {
                target.origin.clone()
            },
            headers: super::request_headers(config, target),
            body: config.body.clone(),
        }
    }

    fn request(&self) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(self.body.clone()));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

/// Where a request was when its time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Connecting,
    Exchanging,
}

/// Runs requests until the schedule has none left; returns what it measured.
pub(crate) async fn work(shared: Arc<Shared>, index: usize, mut stats: WorkerStats) -> WorkerStats {
    let Some(deadline) = shared.schedule.deadline() else {
        return stats;
    };
    let mut connection: Option<Connection> = None;
    // One timer per worker, not one per request: see `within`.
    let mut alarm = pin!(tokio::time::sleep_until(deadline.into()));
    let paced = !shared.schedule.is_closed_model();
    while let Some(due) = shared.schedule.next() {
        // Latency runs from when the request fell due, so that in the open model a request
        // that waited for a busy connection counts the wait. When instead the connection was
        // idle and waiting for the request, it runs from when the timer woke the worker:
        // tokio's timer fires up to a millisecond late, and that lateness is golive's, not
        // the server's.
        let mut start = due;
        if paced && due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
            // Let the connection's driver run first: the server may have closed the idle
            // connection meanwhile (keep-alive timeout), and sending into that would read as
            // an error. The clock starts after, so golive's own scheduling is not counted.
            tokio::task::yield_now().await;
            start = Instant::now();
        }
        // The timeout runs from the same moment: a request that waited for a connection has
        // used part of its patience already, as its user has.
        let patience = start + shared.timeout;
        let limit = patience.min(deadline);
        let mut stage = Stage::Exchanging;
        // The exchange borrows the connection and counters; it is dropped before they are used.
        let result = {
            let exchange = pin!(exchange(
                &shared.connect,
                &shared.template,
                &mut connection,
                &mut stage,
                &mut stats.connections_opened,
            ));
            within(limit, alarm.as_mut(), exchange).await
        };
        let end = Instant::now();
        match result {
            Some(Ok(status)) => stats.response(status, end - start, end),
            Some(Err((kind, message))) => {
                connection = None;
                stats.failure(kind, || message, end);
                if kind == Failure::Connect && shared.schedule.backs_off() {
                    tokio::time::sleep_until((end + CONNECT_BACKOFF).min(deadline).into()).await;
                }
            }
            None if patience > deadline => {
                // The test ended first: neither an error nor a latency sample.
                stats.in_flight += 1;
                break;
            }
            None => {
                // HTTP/1.1 cannot abandon one request and keep the connection.
                connection = None;
                let waited = Value::Duration(shared.timeout);
                match stage {
                    Stage::Connecting => stats.failure(
                        Failure::Connect,
                        || {
                            format!(
                                "no connection to {} within {waited}",
                                shared.connect.address
                            )
                        },
                        end,
                    ),
                    Stage::Exchanging => stats.timeout(
                        end - start,
                        || format!("no complete answer within {waited}"),
                        end,
                    ),
                }
            }
        }
        shared
            .live
            .publish(index, stats.finished(), stats.errors.total());
    }
    stats
}

/// `future`'s output, or `None` once `limit` has passed.
///
/// A fresh timer per request would insert into and remove from tokio's timer wheel every
/// time. Instead the worker's one `alarm` stays set at an earlier request's limit (limits only
/// grow), and when it fires before the current request's limit it is set to that limit. So
/// it is re-armed about once per timeout period, not once per request.
async fn within<F: Future>(
    limit: Instant,
    mut alarm: Pin<&mut tokio::time::Sleep>,
    mut future: Pin<&mut F>,
) -> Option<F::Output> {
    let limit = tokio::time::Instant::from(limit);
    if alarm.deadline() > limit {
        alarm.as_mut().reset(limit);
    }
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        while alarm.as_mut().poll(cx).is_ready() {
            if tokio::time::Instant::now() >= limit {
                return Poll::Ready(None);
            }
            alarm.as_mut().reset(limit);
        }
        Poll::Pending
    })
    .await
}

/// One request on the worker's connection, opening one first if there is none: the response
/// status, or what went wrong.
async fn exchange(
    connect: &Connect,
    template: &Template,
    slot: &mut Option<Connection>,
    stage: &mut Stage,
    opened: &mut u64,
) -> Result<u16, (Failure, String)> {
    // A connection the server closed since the last answer is replaced, not counted: servers
    // end keep-alive connections after some requests (nginx after 1000) or when idle.
    if let Some(connection) = slot
        && connection.ready().await.is_err()
    {
        *slot = None;
    }
    let connection = match slot {
        Some(connection) => connection,
        None => {
            *stage = Stage::Connecting;
            // Boxed: opening (TLS, HTTP/2 handshakes) needs a large future, and keeping it out
            // of this one keeps the per-request future small and cheap to set up.
            let fresh = Box::pin(Connection::open(connect))
                .await
                .map_err(|message| (Failure::Connect, message))?;
            *opened += 1;
            let connection = slot.insert(fresh);
            connection
                .ready()
                .await
                .map_err(|message| (Failure::Connect, message))?;
            *stage = Stage::Exchanging;
            connection
        }
    };
    connection
        .exchange(template.request())
        .await
        .map_err(|message| (Failure::Io, message))
}

/// A hyper connection; its driver runs as a task of its own.
struct Connection {
    sender: Sender,
}

enum Sender {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
}

impl Connection {
    async fn open(connect: &Connect) -> Result<Connection, String> {
        let address = connect.address;
        let tcp = TcpStream::connect(address)
            .await
            .map_err(|error| match error.kind() {
                io::ErrorKind::ConnectionRefused => format!("connection refused by {address}"),
                _ => format!("cannot connect to {address}: {error}"),
            })?;
        // Requests are small writes; Nagle's delay would show up as latency.
        tcp.set_nodelay(true)
            .map_err(|error| format!("cannot set TCP_NODELAY: {error}"))?;
        let stream = match &connect.tls {
            None => Stream::Plain(tcp),
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
                Stream::Tls(Box::new(tls))
            }
        };
        let io = TokioIo::new(stream);
        // Each driver ends when the worker drops its sender, or the server closes the
        // connection.
        let sender = if connect.http2 {
            let (sender, connection) = http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(|error| format!("HTTP/2 handshake failed: {}", describe(&error)))?;
            tokio::spawn(connection);
            Sender::Http2(sender)
        } else {
            let (sender, connection) = http1::handshake(io)
                .await
                .map_err(|error| format!("HTTP/1.1 handshake failed: {}", describe(&error)))?;
            tokio::spawn(connection);
            Sender::Http1(sender)
        };
        Ok(Connection { sender })
    }

    /// Waits until the connection takes a request; an error when it has closed. After a
    /// complete answer hyper already wants the next request, so this rarely waits.
    async fn ready(&mut self) -> Result<(), String> {
        let ready = match &self.sender {
            Sender::Http1(sender) => sender.is_ready(),
            Sender::Http2(sender) => sender.is_ready(),
        };
        if ready {
            return Ok(());
        }
        poll_fn(|cx| match &mut self.sender {
            Sender::Http1(sender) => sender.poll_ready(cx),
            Sender::Http2(sender) => sender.poll_ready(cx),
        })
        .await
        .map_err(|error| describe(&error))
    }

    /// Sends `request` and reads the whole response body (discarding it, so that the
    /// connection can carry the next request): the status.
    async fn exchange(&mut self, request: Request<Full<Bytes>>) -> Result<u16, String> {
        let response = match &mut self.sender {
            Sender::Http1(sender) => sender.send_request(request).await,
            Sender::Http2(sender) => sender.send_request(request).await,
        }
        .map_err(|error| describe(&error))?;
        let status = response.status().as_u16();
        let mut body = response.into_body();
        // A body of known length ends with its last byte: no wait for the end-of-stream.
        while !body.is_end_stream() {
            match body.frame().await {
                Some(Ok(_)) => {}
                Some(Err(error)) => {
                    return Err(format!("the response body broke off: {}", describe(&error)));
                }
                None => break,
            }
        }
        Ok(status)
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

/// hyper's message and its causes: `connection error: Connection reset by peer (os error 104)`.
fn describe(error: &hyper::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// A plain or TLS stream; an enum rather than a boxed trait object so reads and writes are
/// direct calls.
enum Stream {
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
