//! `dns`: asks a DNS server for one name and record type and observes the answer. A name that
//! does not exist (NXDOMAIN) or has no record of the type is an answer (`resolves == false`),
//! not a problem: names that must not exist are checked the same way as names that must.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use hickory_resolver::{Resolver, TokioResolver};

use super::Outcome;
use super::keys::{KeyDoc, KeyKind, ProbeDoc};
use crate::checklist::toml::Fields;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::expr::Value;

const TYPES: &[&str] = &["A", "AAAA", "CNAME", "MX", "TXT", "NS"];

pub const DOC: ProbeDoc = ProbeDoc {
    name: "dns",
    summary: "looks up one name and record type; NXDOMAIN reads as `resolves == false`",
    keys: &[
        KeyDoc {
            name: "name",
            kind: KeyKind::String,
            required: true,
            doc: "the name to look up, e.g. \"api.example.test\" (always fully qualified)",
        },
        KeyDoc {
            name: "type",
            kind: KeyKind::Choice(TYPES),
            required: false,
            doc: "record type (default A)",
        },
        KeyDoc {
            name: "server",
            kind: KeyKind::String,
            required: false,
            doc: "DNS server `ip:port` (port 53 if omitted; default: /etc/resolv.conf)",
        },
    ],
    metrics: &[
        (
            "resolves",
            "whether the answer holds at least one record of the type",
        ),
        (
            "addresses",
            "the IP addresses answered, for types A and AAAA",
        ),
        (
            "records",
            "each record's data as text, e.g. \"10 mail.example.test.\" for MX",
        ),
        ("count", "how many records of the type were answered"),
    ],
    default_expect: &["resolves == true"],
};

#[derive(Debug, Clone)]
pub struct DnsSpec {
    /// The name as written, for people.
    pub name: String,
    pub record_type: RecordType,
    /// `None`: the servers of the system configuration.
    pub server: Option<SocketAddr>,
    /// `name` made fully qualified, so no search domain is ever appended to it.
    query: Name,
}

impl DnsSpec {
    pub fn from_fields(fields: &mut Fields) -> Result<Self, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let name = fields
            .required_string("name", "\"api.example.test\"")
            .map_err(|error| errors.push(error))
            .ok();
        let record_type = fields.string("type");
        let server = fields.string("server");
        let query = name.as_ref().and_then(|name| {
            let text = name.value.trim();
            match Name::from_utf8(text) {
                Ok(mut query) if !text.is_empty() => {
                    query.set_fqdn(true);
                    Some(query)
                }
                Ok(_) | Err(_) => {
                    errors.push(
                        Diagnostic::new(name.span.clone(), format!("invalid DNS name `{text}`"))
                            .with_hint("write a domain name, e.g. \"api.example.test\""),
                    );
                    None
                }
            }
        });
        let record_type = match record_type {
            Ok(None) => Some(RecordType::A),
            Ok(Some(text)) => {
                let known = TYPES
                    .iter()
                    .find(|known| known.eq_ignore_ascii_case(&text.value));
                let parsed = known.and_then(|known| known.parse::<RecordType>().ok());
                if parsed.is_none() {
                    let diagnostic = Diagnostic::new(
                        text.span,
                        format!("unsupported record type `{}`", text.value),
                    );
                    errors.push(match did_you_mean(&text.value, TYPES.iter().copied()) {
                        Some(close) => diagnostic.with_hint(format!("did you mean `{close}`?")),
                        None => diagnostic.with_hint(format!("types: {}", TYPES.join(", "))),
                    });
                }
                parsed
            }
            Err(error) => {
                errors.push(error);
                None
            }
        };
        let server = match server {
            Ok(None) => Some(None),
            Ok(Some(text)) => match parse_server(text.value.trim()) {
                Some(server) => Some(Some(server)),
                None => {
                    errors.push(
                        Diagnostic::new(
                            text.span,
                            format!(
                                "`server` must be an IP address and port, not `{}`",
                                text.value
                            ),
                        )
                        .with_hint("e.g. \"10.0.0.2:53\" or \"[2001:db8::53]:53\""),
                    );
                    None
                }
            },
            Err(error) => {
                errors.push(error);
                None
            }
        };
        match (name, record_type, server, query) {
            (Some(name), Some(record_type), Some(server), Some(query)) if errors.is_empty() => {
                let name = name.value.trim().to_owned();
                Ok(DnsSpec {
                    name,
                    record_type,
                    server,
                    query,
                })
            }
            _ => Err(errors),
        }
    }

    /// `api.example.test MX @10.0.0.2:53`, as `dig` would be asked.
    pub fn target(&self) -> String {
        match self.server {
            Some(server) => format!("{} {} @{server}", self.name, self.record_type),
            None => format!("{} {}", self.name, self.record_type),
        }
    }

    pub async fn run(&self, timeout: Duration) -> Outcome {
        let resolver = match self.resolver(timeout) {
            Ok(resolver) => resolver,
            Err(error) => return Outcome::with_problem(format!("cannot set up DNS: {error}")),
        };
        let lookup = resolver.lookup(self.query.clone(), self.record_type);
        // The resolver's own timeouts apply per attempt; this bounds the whole lookup.
        match tokio::time::timeout(timeout, lookup).await {
            Ok(Ok(lookup)) => self.observe(lookup.answers()),
            // NXDOMAIN, or the name exists without records of this type: an answer.
            Ok(Err(error)) if error.is_no_records_found() => self.observe(&[]),
            Ok(Err(NetError::Timeout)) | Err(_) => Outcome::with_problem(format!(
                "no answer from {} within {}",
                self.server_label(),
                Value::Duration(timeout)
            )),
            Ok(Err(NetError::Dns(DnsError::ResponseCode(code)))) => {
                // `SERVFAIL`, `REFUSED`: the names operators know from `dig`.
                let code = format!("{code:?}").to_uppercase();
                Outcome::with_problem(format!("{} answered {code}", self.server_label()))
            }
            Ok(Err(error)) => Outcome::with_problem(format!(
                "lookup via {} failed: {error}",
                self.server_label()
            )),
        }
    }

    fn observe(&self, answers: &[Record]) -> Outcome {
        // With CNAMEs kept, an A answer may start with the alias chain: keep the asked type.
        let records: Vec<&Record> = answers
            .iter()
            .filter(|record| record.record_type() == self.record_type)
            .collect();
        let mut outcome = Outcome::default();
        outcome.observe("resolves", Value::Bool(!records.is_empty()));
        outcome.observe("count", Value::Number(records.len() as f64));
        if matches!(self.record_type, RecordType::A | RecordType::AAAA) {
            let addresses = records.iter().filter_map(|record| match &record.data {
                RData::A(address) => Some(IpAddr::V4(address.0)),
                RData::AAAA(address) => Some(IpAddr::V6(address.0)),
                _ => None,
            });
            let addresses = addresses
                .map(|address| Value::Text(address.to_string()))
                .collect();
            outcome.observe("addresses", Value::List(addresses));
        }
        let records = records
            .iter()
            .map(|record| Value::Text(record.data.to_string()))
            .collect();
        outcome.observe("records", Value::List(records));
        outcome
    }

    fn server_label(&self) -> String {
        match self.server {
            Some(server) => format!("`{server}`"),
            None => "the system resolver".to_owned(),
        }
    }

    /// A resolver for this lookup only: no cache (every run asks again), no hosts file (the
    /// check is about DNS), and per-attempt timeouts that fit two attempts in `timeout`.
    fn resolver(&self, timeout: Duration) -> Result<TokioResolver, NetError> {
        let config = match self.server {
            Some(server) => {
                let mut name_server = NameServerConfig::udp_and_tcp(server.ip());
                for connection in &mut name_server.connections {
                    connection.port = server.port();
                }
                ResolverConfig::from_name_servers(vec![name_server])
            }
            None => hickory_resolver::system_conf::read_system_conf()?.0,
        };
        let mut builder = Resolver::builder_with_config(config, TokioRuntimeProvider::default());
        let options = builder.options_mut();
        options.timeout = timeout / 2;
        // One retry: a lost UDP datagram should not fail the check.
        options.attempts = 1;
        options.cache_size = 0;
        options.use_hosts_file = ResolveHosts::Never;
        builder.build()
    }
}

/// `ip:port`, `[v6]:port`, or a bare IP address meaning port 53.
fn parse_server(text: &str) -> Option<SocketAddr> {
    text.parse::<SocketAddr>().ok().or_else(|| {
        text.parse::<IpAddr>()
            .ok()
            .map(|ip| SocketAddr::new(ip, 53))
    })
}
