//! HTTP/2 connections, on hyper's connection-level client (no pool), its driver spawned as
//! a task of the load runtime. HTTP/1.1 has golive's own client ([`super::http1`]).

use std::future::poll_fn;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper::body::Body as _;
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::stream::Stream;

pub(crate) struct H2 {
    sender: http2::SendRequest<Full<Bytes>>,
}

impl H2 {
    pub(crate) async fn handshake(stream: Stream) -> Result<H2, String> {
        let (sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .map_err(|error| format!("HTTP/2 handshake failed: {}", describe(&error)))?;
        // The driver ends when the worker drops its sender, or the server closes.
        tokio::spawn(connection);
        Ok(H2 { sender })
    }

    /// Waits until the connection takes a request; an error when it has closed.
    pub(crate) async fn ready(&mut self) -> Result<(), String> {
        if self.sender.is_ready() {
            return Ok(());
        }
        poll_fn(|cx| self.sender.poll_ready(cx))
            .await
            .map_err(|error| describe(&error))
    }

    /// Sends `request` and reads the whole response body, discarding it: the status.
    pub(crate) async fn exchange(&mut self, request: Request<Full<Bytes>>) -> Result<u16, String> {
        let response = self
            .sender
            .send_request(request)
            .await
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
