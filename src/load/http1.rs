//! golive's own HTTP/1.1 client for the hot path of a load test: the request is bytes
//! prepared before the test, the response head is parsed in place by `httparse`, and the
//! body is read by its framing (`Content-Length`, chunked, or until the server closes) and
//! dropped unless a capture needs it. One buffer per connection, reused for every answer.
//!
//! hyper's connection-level client did the same with about three times the instructions
//! per request, most of them spent building a `HeaderMap` no load test reads (issue 5's
//! callgrind figures). HTTP/2 stays on hyper.
//!
//! Everything a server can do wrong ends in an [`Exchange::Io`] with what happened: closed
//! mid-response, a head over [`MAX_HEAD`], a bad chunk size. A body that never ends is cut by
//! the request timeout, which the caller enforces.

use std::io;
use std::mem::MaybeUninit;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::stream::Stream;

/// Largest response head (status line and headers) accepted.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// Most headers in one response head.
const MAX_HEADERS: usize = 96;
/// Longest chunk-size or trailer line.
const MAX_LINE: usize = 4096;
/// Read buffer to start with; it grows up to [`MAX_HEAD`] for a large head.
const BUFFER: usize = 16 * 1024;

/// Why an exchange failed.
#[derive(Debug)]
pub(crate) enum Exchange {
    /// The server had closed this kept-alive connection before the request: nothing was
    /// answered, and the request may go again on a new connection.
    Stale,
    /// The connection broke or the server spoke no HTTP/1.1.
    Io(String),
}

/// What a request got back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    /// The connection can carry the next request.
    pub(crate) keep_alive: bool,
}

/// What a capture needs kept from an answer.
pub(crate) struct Keep<'a> {
    /// The body, up to this many bytes.
    pub(crate) body: Option<(&'a mut Vec<u8>, usize)>,
    /// Lowercase names of the headers to keep, and their values, in the same order.
    pub(crate) headers: &'a [String],
    pub(crate) values: &'a mut Vec<Option<Vec<u8>>>,
}

/// One HTTP/1.1 connection.
pub(crate) struct Http1 {
    stream: Stream,
    /// Always initialised; `start..end` holds bytes read but not consumed yet.
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    /// A request was answered on this connection already.
    reused: bool,
}

enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

impl Http1 {
    pub(crate) fn new(stream: Stream) -> Http1 {
        Http1 {
            stream,
            buffer: vec![0; BUFFER],
            start: 0,
            end: 0,
            reused: false,
        }
    }

    /// Sends `request` and reads its whole answer.
    pub(crate) async fn exchange(
        &mut self,
        request: &[u8],
        head_request: bool,
        mut keep: Option<Keep<'_>>,
    ) -> Result<Answer, Exchange> {
        if let Err(error) = self.send(request).await {
            return Err(match self.reused {
                true => Exchange::Stale,
                false => Exchange::Io(format!("cannot send the request: {error}")),
            });
        }
        let (status, framing, keep_alive) = self.head(head_request, keep.as_mut()).await?;
        let body = keep.and_then(|keep| keep.body);
        let keep_alive = match framing {
            Framing::None => keep_alive,
            Framing::Length(length) => {
                self.body(length, body).await?;
                keep_alive
            }
            Framing::Chunked => {
                self.chunked(body).await?;
                keep_alive
            }
            Framing::UntilClose => {
                self.until_close(body).await?;
                false
            }
        };
        self.reused = true;
        Ok(Answer { status, keep_alive })
    }

    async fn send(&mut self, request: &[u8]) -> io::Result<()> {
        self.stream.write_all(request).await?;
        if matches!(self.stream, Stream::Tls(_)) {
            self.stream.flush().await?;
        }
        Ok(())
    }

    /// Reads more into the buffer: how many bytes came (0 when the server closed).
    async fn fill(&mut self) -> Result<usize, Exchange> {
        self.read_more()
            .await
            .map_err(|error| Exchange::Io(format!("the connection broke: {error}")))
    }

    async fn read_more(&mut self) -> io::Result<usize> {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        }
        if self.end == self.buffer.len() {
            if self.start > 0 {
                self.buffer.copy_within(self.start..self.end, 0);
                (self.start, self.end) = (0, self.end - self.start);
            } else {
                let grown = (self.buffer.len() * 2).min(MAX_HEAD + BUFFER);
                if grown == self.buffer.len() {
                    return Err(io::Error::other("the answer overflows the read buffer"));
                }
                self.buffer.resize(grown, 0);
            }
        }
        let read = self.stream.read(&mut self.buffer[self.end..]).await?;
        self.end += read;
        Ok(read)
    }

    /// Reads the status line and headers (skipping `100 Continue` and other interim
    /// answers): the status, how the body is framed, and whether the connection stays open.
    async fn head(
        &mut self,
        head_request: bool,
        mut keep: Option<&mut Keep<'_>>,
    ) -> Result<(u16, Framing, bool), Exchange> {
        let mut received = 0usize;
        loop {
            if self.end > self.start {
                // Uninitialised: `[EMPTY_HEADER; 96]` wrote 3 KB of empty headers before
                // every parse, for the handful an answer has.
                let mut headers =
                    [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
                let mut response = httparse::Response::new(&mut []);
                let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
                    &mut response,
                    &self.buffer[self.start..self.end],
                    &mut headers,
                );
                match parsed {
                    Ok(httparse::Status::Complete(length)) => {
                        let status = response.code.unwrap_or(0);
                        let http10 = response.version == Some(0);
                        let (mut framing, mut close, mut keep_alive_header) =
                            (Framing::UntilClose, false, false);
                        for header in response.headers.iter() {
                            let name = header.name;
                            if name.eq_ignore_ascii_case("content-length") {
                                let value = std::str::from_utf8(header.value)
                                    .ok()
                                    .and_then(|text| text.trim().parse::<u64>().ok())
                                    .ok_or_else(|| {
                                        Exchange::Io("invalid Content-Length in the answer".into())
                                    })?;
                                // Chunked framing wins over a length (RFC 9112, 6.3).
                                if !matches!(framing, Framing::Chunked) {
                                    framing = Framing::Length(value);
                                }
                            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                                if last_token_is(header.value, b"chunked") {
                                    framing = Framing::Chunked;
                                }
                            } else if name.eq_ignore_ascii_case("connection") {
                                if has_token(header.value, b"close") {
                                    close = true;
                                }
                                if has_token(header.value, b"keep-alive") {
                                    keep_alive_header = true;
                                }
                            }
                            if let Some(keep) = keep.as_deref_mut()
                                && let Some(at) = keep
                                    .headers
                                    .iter()
                                    .position(|wanted| name.eq_ignore_ascii_case(wanted))
                            {
                                keep.values.resize(keep.headers.len(), None);
                                keep.values[at] = Some(header.value.to_vec());
                            }
                        }
                        self.start += length;
                        if status == 101 {
                            return Err(Exchange::Io(
                                "the server switched protocols (101), which a load test does not follow".into(),
                            ));
                        }
                        if (100..200).contains(&status) {
                            // An interim answer: the real one follows.
                            continue;
                        }
                        if head_request || status == 204 || status == 304 {
                            framing = Framing::None;
                        }
                        // HTTP/1.0 closes unless it says otherwise; HTTP/1.1 keeps open.
                        let keep_alive = !close && (!http10 || keep_alive_header);
                        return Ok((status, framing, keep_alive));
                    }
                    Ok(httparse::Status::Partial) => {}
                    Err(httparse::Error::TooManyHeaders) => {
                        return Err(Exchange::Io(format!(
                            "the answer has more than {MAX_HEADERS} headers"
                        )));
                    }
                    Err(error) => {
                        return Err(Exchange::Io(format!("not an HTTP/1.1 answer: {error}")));
                    }
                }
                if self.end - self.start >= MAX_HEAD {
                    return Err(Exchange::Io(format!(
                        "the answer's head is over {} KB",
                        MAX_HEAD / 1024
                    )));
                }
            }
            let read = match self.read_more().await {
                Ok(read) => read,
                // A reset before the first byte of the answer, on a connection that carried
                // answers before: the server had closed it, as a plain close would say.
                Err(_) if received == 0 && self.reused => return Err(Exchange::Stale),
                Err(error) => return Err(Exchange::Io(format!("the connection broke: {error}"))),
            };
            if read == 0 {
                return Err(if received == 0 && self.reused {
                    Exchange::Stale
                } else if received == 0 {
                    Exchange::Io("the server closed the connection without answering".into())
                } else {
                    Exchange::Io(
                        "the server closed the connection in the middle of the answer's head"
                            .into(),
                    )
                });
            }
            received += read;
        }
    }

    /// Reads `length` body bytes, keeping up to a cap of them when asked.
    async fn body(
        &mut self,
        length: u64,
        mut keep: Option<(&mut Vec<u8>, usize)>,
    ) -> Result<(), Exchange> {
        let mut remaining = length;
        while remaining > 0 {
            if self.start == self.end && self.fill().await? == 0 {
                return Err(Exchange::Io(format!(
                    "the server closed the connection in the middle of the answer: {} of {length} body bytes",
                    length - remaining
                )));
            }
            let available = (self.end - self.start) as u64;
            let take = remaining.min(available) as usize;
            if let Some((body, cap)) = keep.as_mut() {
                let room = cap.saturating_sub(body.len()).min(take);
                body.extend_from_slice(&self.buffer[self.start..self.start + room]);
            }
            self.start += take;
            remaining -= take as u64;
        }
        Ok(())
    }

    /// Reads a chunked body through its last chunk and trailers.
    async fn chunked(&mut self, mut keep: Option<(&mut Vec<u8>, usize)>) -> Result<(), Exchange> {
        loop {
            let size = loop {
                match httparse::parse_chunk_size(&self.buffer[self.start..self.end]) {
                    Ok(httparse::Status::Complete((used, size))) => {
                        self.start += used;
                        break size;
                    }
                    Ok(httparse::Status::Partial) => {
                        if self.end - self.start > MAX_LINE {
                            return Err(Exchange::Io("a chunk-size line is too long".into()));
                        }
                        if self.fill().await? == 0 {
                            return Err(closed_in_chunks());
                        }
                    }
                    Err(_) => return Err(Exchange::Io("invalid chunk size in the answer".into())),
                }
            };
            if size == 0 {
                return self.trailers().await;
            }
            self.body(size, keep.as_mut().map(|(body, cap)| (&mut **body, *cap)))
                .await
                .map_err(|_| closed_in_chunks())?;
            while self.end - self.start < 2 {
                if self.fill().await? == 0 {
                    return Err(closed_in_chunks());
                }
            }
            if &self.buffer[self.start..self.start + 2] != b"\r\n" {
                return Err(Exchange::Io("a chunk does not end with CRLF".into()));
            }
            self.start += 2;
        }
    }

    /// Skips trailer lines up to the empty line that ends a chunked body.
    async fn trailers(&mut self) -> Result<(), Exchange> {
        loop {
            let line = self.buffer[self.start..self.end]
                .windows(2)
                .position(|pair| pair == b"\r\n");
            match line {
                Some(0) => {
                    self.start += 2;
                    return Ok(());
                }
                Some(length) => self.start += length + 2,
                None => {
                    if self.end - self.start > MAX_LINE {
                        return Err(Exchange::Io("a trailer line is too long".into()));
                    }
                    if self.fill().await? == 0 {
                        return Err(closed_in_chunks());
                    }
                }
            }
        }
    }

    /// A body without length or chunks: everything until the server closes.
    async fn until_close(
        &mut self,
        mut keep: Option<(&mut Vec<u8>, usize)>,
    ) -> Result<(), Exchange> {
        loop {
            if let Some((body, cap)) = keep.as_mut() {
                let room = cap.saturating_sub(body.len()).min(self.end - self.start);
                body.extend_from_slice(&self.buffer[self.start..self.start + room]);
            }
            self.start = self.end;
            if self.fill().await? == 0 {
                return Ok(());
            }
        }
    }
}

fn closed_in_chunks() -> Exchange {
    Exchange::Io("the server closed the connection in the middle of a chunked answer".into())
}

/// `close` in `keep-alive, close`, in any case.
fn has_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|part| part.trim_ascii().eq_ignore_ascii_case(token))
}

/// The last transfer coding decides the framing: `gzip, chunked` is chunked.
fn last_token_is(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .next_back()
        .is_some_and(|part| part.trim_ascii().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpStream};

    /// A server that answers each connection's requests with `answers`, one per request,
    /// then closes.
    async fn client_for(answers: Vec<&'static [u8]>) -> Http1 {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut buffer = [0u8; 4096];
            for answer in answers {
                let _ = socket.read(&mut buffer).await;
                for piece in answer.chunks(7) {
                    let _ = socket.write_all(piece).await;
                    socket.flush().await.ok();
                }
            }
        });
        let stream = TcpStream::connect(address).await.expect("connect");
        Http1::new(Stream::Plain(stream))
    }

    const GET: &[u8] = b"GET / HTTP/1.1\r\nhost: x\r\n\r\n";

    async fn kept(client: &mut Http1) -> (Result<Answer, Exchange>, Vec<u8>) {
        let mut body = Vec::new();
        let mut values = Vec::new();
        let keep = Keep {
            body: Some((&mut body, 1024)),
            headers: &[],
            values: &mut values,
        };
        let answer = client.exchange(GET, false, Some(keep)).await;
        (answer, body)
    }

    #[tokio::test]
    async fn lengths_chunks_and_interim_answers_are_read_in_pieces() {
        let mut client = client_for(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
        ])
        .await;
        let (answer, body) = kept(&mut client).await;
        assert_eq!(
            answer.expect("answered"),
            Answer {
                status: 200,
                keep_alive: true
            }
        );
        assert_eq!(body, b"hello");
        let (answer, body) = kept(&mut client).await;
        assert_eq!(answer.expect("answered").status, 201);
        assert_eq!(body, b"abcde");
        let (answer, _) = kept(&mut client).await;
        assert_eq!(
            answer.expect("answered"),
            Answer {
                status: 204,
                keep_alive: false
            }
        );
        // The server has closed: a request on the reused connection is stale, not an error.
        assert!(matches!(
            client.exchange(GET, false, None).await,
            Err(Exchange::Stale)
        ));
    }

    #[tokio::test]
    async fn a_short_body_and_an_http10_answer() {
        let mut client =
            client_for(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"]).await;
        let Err(Exchange::Io(message)) = client.exchange(GET, false, None).await else {
            panic!("a short body is an io error");
        };
        assert!(message.contains("5 of 10 body bytes"), "{message}");
        let mut client = client_for(vec![b"HTTP/1.0 200 OK\r\n\r\nuntil close"]).await;
        let (answer, body) = kept(&mut client).await;
        assert_eq!(
            answer.expect("answered"),
            Answer {
                status: 200,
                keep_alive: false
            }
        );
        assert_eq!(body, b"until close");
    }

    #[tokio::test]
    async fn garbage_and_huge_heads_are_io_errors() {
        let mut client = client_for(vec![b"SSH-2.0-OpenSSH\r\n\r\n"]).await;
        let Err(Exchange::Io(message)) = client.exchange(GET, false, None).await else {
            panic!("not HTTP");
        };
        assert!(message.contains("not an HTTP/1.1 answer"), "{message}");
        let huge: &'static [u8] = Box::leak(
            [
                b"HTTP/1.1 200 OK\r\nX-Big: ".as_slice(),
                &vec![b'a'; MAX_HEAD + 10],
                b"\r\n\r\n",
            ]
            .concat()
            .into_boxed_slice(),
        );
        let mut client = client_for(vec![huge]).await;
        let Err(Exchange::Io(message)) = client.exchange(GET, false, None).await else {
            panic!("too big");
        };
        assert!(message.contains("head is over 64 KB"), "{message}");
    }

    #[test]
    fn connection_tokens() {
        assert!(has_token(b"Keep-Alive, Close", b"close"));
        assert!(!has_token(b"closed", b"close"));
        assert!(last_token_is(b"gzip, chunked", b"chunked"));
        assert!(!last_token_is(b"chunked, gzip", b"chunked"));
    }
}
