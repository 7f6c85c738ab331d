//! `tcp`: whether a port accepts connections, and how long the handshake takes. A refused
//! connection is an answer (`open == false`), not a problem: ports that must stay closed are
//! checked the same way as ports that must be open.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::task::JoinSet;

use super::Outcome;
use super::keys::{KeyDoc, KeyKind, ProbeDoc, join_host_port, split_host_port};
use crate::checklist::toml::Fields;
use crate::diagnostic::Diagnostic;
use crate::expr::Value;

pub const DOC: ProbeDoc = ProbeDoc {
    name: "tcp",
    summary: "connects to a TCP port; a refused connection reads as `open == false`",
    keys: &[KeyDoc {
        name: "host",
        kind: KeyKind::String,
        required: true,
        doc: "`name:port`, e.g. \"db.example.test:5432\" or \"[::1]:5432\"",
    }],
    metrics: &[
        (
            "open",
            "whether a connection was accepted (false when refused or unanswered)",
        ),
        (
            "connect_time",
            "time to complete the TCP handshake, name resolution excluded",
        ),
    ],
    default_expect: &["open == true"],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpSpec {
    /// A name or an IP address, without brackets.
    pub host: String,
    pub port: u16,
}

impl TcpSpec {
    pub fn from_fields(fields: &mut Fields) -> Result<Self, Vec<Diagnostic>> {
        let host = fields
            .required_string("host", "\"db.example.test:5432\"")
            .map_err(|d| vec![d])?;
        let (name, port) = split_host_port(&host, 5432).map_err(|d| vec![d])?;
        Ok(TcpSpec { host: name, port })
    }

    pub fn target(&self) -> String {
        join_host_port(&self.host, self.port)
    }

    pub async fn run(&self, timeout: Duration) -> Outcome {
        let deadline = tokio::time::Instant::now() + timeout;
        let lookup = tokio::net::lookup_host((self.host.as_str(), self.port));
        let addresses: Vec<SocketAddr> = match tokio::time::timeout_at(deadline, lookup).await {
            Ok(Ok(addresses)) => addresses.collect(),
            Ok(Err(error)) => {
                return Outcome::with_problem(format!("cannot resolve `{}`: {error}", self.host));
            }
            Err(_) => {
                return Outcome::with_problem(format!(
                    "cannot resolve `{}` within {}",
                    self.host,
                    Value::Duration(timeout)
                ));
            }
        };
        if addresses.is_empty() {
            return Outcome::with_problem(format!("`{}` resolves to no address", self.host));
        }
        // Every address at once: a dual-stack name whose IPv6 address is filtered must not
        // spend the whole timeout before its IPv4 address is tried.
        let mut attempts = JoinSet::new();
        for address in addresses {
            attempts.spawn(async move {
                let started = Instant::now();
                let result = TcpStream::connect(address).await;
                (address, result.map(|_| started.elapsed()))
            });
        }
        let mut outcome = Outcome::default();
        let mut other_error = None;
        loop {
            match tokio::time::timeout_at(deadline, attempts.join_next()).await {
                Ok(Some(Ok((_, Ok(elapsed))))) => {
                    outcome.observe("open", Value::Bool(true));
                    outcome.observe("connect_time", Value::Duration(elapsed));
                    return outcome;
                }
                Ok(Some(Ok((address, Err(error))))) => {
                    if error.kind() != io::ErrorKind::ConnectionRefused {
                        other_error.get_or_insert(format!("`{address}`: {error}"));
                    }
                }
                // A connect task cannot panic; if it was cancelled, the others decide.
                Ok(Some(Err(_))) => {}
                Ok(None) => break,
                Err(_) => {
                    // Dropping the set aborts the attempts still waiting.
                    outcome.problem = Some(format!(
                        "no answer within {} (filtered?)",
                        Value::Duration(timeout)
                    ));
                    break;
                }
            }
        }
        outcome.observe("open", Value::Bool(false));
        // Refused everywhere is a clean answer; anything else (unreachable network, …) is
        // worth showing next to a failed condition.
        if outcome.problem.is_none() {
            outcome.problem = other_error;
        }
        outcome
    }
}
