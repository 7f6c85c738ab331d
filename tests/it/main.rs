//! One integration-test binary (as just and uv do): every module drives the real `golive`
//! binary or the library's public API on real files.

// All of this binary is test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod agree;
mod ci;
mod cluster;
mod conventions;
mod corpus;
mod demo;
mod drill;
mod drill_cli;
mod edits;
mod fixtures;
mod formats;
mod gate;
mod identity;
mod init;
mod load;
mod load_shapes;
mod outputs;
mod peers;
mod people;
mod pipes;
mod pra;
mod probe_dns_tcp;
mod probe_http;
mod probe_json;
mod probe_local;
mod probe_servers;
mod probe_tls;
mod props;
mod readme;
mod readonly;
mod recurring;
mod reports;
mod secrets;
mod seeds;
mod store;
mod suggest;
mod support;
mod support_newcomer;
mod tick;
mod trust;
mod watch;
mod watch_checklist;
mod watch_drill;
mod watch_receivers;
mod watch_support;
