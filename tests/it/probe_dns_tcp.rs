//! The `tcp` and `dns` probes against real sockets on loopback: listeners the tests open
//! and close, and a small DNS server answering from a fixed zone on 127.0.0.1.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use golive::diagnostic::Diagnostic;
use golive::expr::Verdict;
use golive::probe::dns::{self, DnsSpec};
use golive::probe::tcp::{self, TcpSpec};
use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

use crate::support::{assert_all_hold, check_fields, verdict};

const TIMEOUT: Duration = Duration::from_secs(2);

fn only_error(result: Result<impl std::fmt::Debug, Vec<Diagnostic>>) -> Diagnostic {
    let mut errors = result.expect_err("a load error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.remove(0)
}

// --- tcp -----------------------------------------------------------------------------------

fn tcp_spec(host: &str) -> TcpSpec {
    TcpSpec::from_fields(&mut check_fields(&format!("host = \"{host}\"")))
        .expect("a valid tcp check")
}

#[tokio::test(flavor = "multi_thread")]
async fn tcp_open_port_is_open_with_a_connect_time() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let spec = tcp_spec(&format!("127.0.0.1:{port}"));
    assert_eq!(spec.target(), format!("127.0.0.1:{port}"));
    let outcome = spec.run(TIMEOUT).await;
    assert_eq!(outcome.problem, None);
    assert_all_hold(&outcome, &["open == true", "connect_time < 2s"]);
    assert_all_hold(&outcome, tcp::DOC.default_expect);
}

#[tokio::test(flavor = "multi_thread")]
async fn tcp_refused_port_is_closed_without_a_problem() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let outcome = tcp_spec(&format!("127.0.0.1:{port}")).run(TIMEOUT).await;
    assert_eq!(outcome.problem, None, "a refused port is an answer");
    assert_all_hold(&outcome, &["open == false", "connect_time not exists"]);
    let default = verdict(&outcome, tcp::DOC.default_expect[0]);
    assert_eq!(default, Verdict::Fail("open false != true".into()));
}

#[tokio::test(flavor = "multi_thread")]
async fn tcp_ipv6_loopback_in_brackets() {
    let Ok(listener) = TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).await else {
        eprintln!("skipped: cannot bind [::1] on this machine");
        return;
    };
    let port = listener.local_addr().unwrap().port();
    let spec = tcp_spec(&format!("[::1]:{port}"));
    assert_eq!(spec.host, "::1");
    assert_eq!(spec.target(), format!("[::1]:{port}"));
    let outcome = spec.run(TIMEOUT).await;
    assert_eq!(outcome.problem, None);
    assert_all_hold(&outcome, &["open == true"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn tcp_unanswered_connect_times_out_as_filtered() {
    // A listener whose accept queue is full drops further SYNs, as a firewall would; fill it
    // with connections nobody accepts until one hangs.
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind((Ipv4Addr::LOCALHOST, 0).into()).unwrap();
    let listener = socket.listen(0).unwrap();
    let address = listener.local_addr().unwrap();
    let mut held = Vec::new();
    let mut hung = false;
    for _ in 0..16 {
        match tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(address)).await {
            Ok(Ok(stream)) => held.push(stream),
            Ok(Err(_)) => break,
            Err(_) => {
                hung = true;
                break;
            }
        }
    }
    if !hung {
        eprintln!("skipped: this kernel does not drop SYNs to a full accept queue");
        return;
    }
    let started = Instant::now();
    let outcome = tcp_spec(&address.to_string())
        .run(Duration::from_millis(300))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        outcome.problem.as_deref(),
        Some("no answer within 300ms (filtered?)")
    );
    assert_all_hold(&outcome, &["open == false"]);
}

#[test]
fn tcp_host_is_checked_at_load() {
    let error = |host: &str| {
        only_error(TcpSpec::from_fields(&mut check_fields(&format!(
            "host = \"{host}\""
        ))))
    };

    let missing = error("db.example.test");
    assert_eq!(missing.message, "missing port in `db.example.test`");
    assert_eq!(
        missing.hint.as_deref(),
        Some("write `name:port`, e.g. \"db.example.test:5432\"")
    );
    let zero = error("db.example.test:0");
    assert_eq!(zero.message, "invalid port `0` in `db.example.test:0`");
    assert_eq!(
        zero.hint.as_deref(),
        Some("a port is a number from 1 to 65535")
    );
    assert_eq!(
        error("db:65536").message,
        "invalid port `65536` in `db:65536`"
    );
    assert_eq!(error("db:").message, "invalid port `` in `db:`");
    assert_eq!(
        error("::1:5432").message,
        "IPv6 address without brackets: `::1:5432`"
    );
    assert_eq!(error("[::1]").message, "missing port in `[::1]`");
    assert_eq!(error(":5432").message, "missing host name in `:5432`");
    assert_eq!(
        error("tcp://db:5432").message,
        "`host` takes `name:port`, not a URL: `tcp://db:5432`"
    );

    let source = "[[check]]\nprobe = \"tcp\"\n";
    let absent = only_error(TcpSpec::from_fields(&mut check_fields("probe = \"tcp\"")));
    assert_eq!(absent.message, "missing key `host`");
    assert_eq!(absent.line_col(source).0, 1);

    let text = "[[check]]\nhost = \"db:99999\"\n";
    let located = only_error(TcpSpec::from_fields(&mut check_fields(
        "host = \"db:99999\"",
    )));
    assert_eq!(located.line_col(text), (2, 8));
}

// --- dns -----------------------------------------------------------------------------------

/// A DNS server on 127.0.0.1 answering from a fixed zone until dropped.
struct DnsServer {
    address: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl DnsServer {
    async fn start() -> DnsServer {
        let socket = UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind a UDP port on loopback");
        let address = socket.local_addr().expect("its address");
        let task = tokio::spawn(async move {
            let mut buffer = [0u8; 4096];
            loop {
                let Ok((len, peer)) = socket.recv_from(&mut buffer).await else {
                    continue;
                };
                let Ok(query) = Message::from_vec(&buffer[..len]) else {
                    continue;
                };
                let response = answer(&query).to_vec().expect("encode a response");
                let _ = socket.send_to(&response, peer).await;
            }
        });
        DnsServer { address, task }
    }

    fn spec(&self, keys: &str) -> DnsSpec {
        DnsSpec::from_fields(&mut check_fields(&format!(
            "server = \"{}\"\n{keys}",
            self.address
        )))
        .expect("a valid dns check")
    }
}

fn name(text: &str) -> Name {
    Name::from_ascii(text).expect("a valid name")
}

/// The zone: names it does not know get NXDOMAIN; known names without the asked type get an
/// empty NOERROR answer.
fn zone(owner: &str, record_type: RecordType) -> Option<Vec<(Name, RData)>> {
    let here = name(owner);
    let data: Vec<RData> = match (owner, record_type) {
        ("api.example.test.", RecordType::A) => vec![
            RData::A(A(Ipv4Addr::new(10, 1, 2, 3))),
            RData::A(A(Ipv4Addr::new(10, 1, 2, 4))),
        ],
        ("api.example.test.", RecordType::AAAA) => {
            vec![RData::AAAA(AAAA(
                "2001:db8::1".parse().expect("an IPv6 address"),
            ))]
        }
        ("api.example.test.", _) => vec![],
        ("www.example.test.", RecordType::CNAME) => {
            vec![RData::CNAME(CNAME(name("api.example.test.")))]
        }
        ("www.example.test.", _) => {
            // Chase the alias as a recursive server would: the alias first, then its target.
            let mut chain = vec![(here, RData::CNAME(CNAME(name("api.example.test."))))];
            chain.extend(zone("api.example.test.", record_type)?);
            return Some(chain);
        }
        ("example.test.", RecordType::MX) => vec![
            RData::MX(MX::new(10, name("mail.example.test."))),
            RData::MX(MX::new(20, name("backup.example.test."))),
        ],
        ("example.test.", RecordType::TXT) => {
            vec![RData::TXT(TXT::new(vec!["v=spf1 -all".into()]))]
        }
        ("example.test.", _) => vec![],
        _ => return None,
    };
    Some(data.into_iter().map(|data| (here.clone(), data)).collect())
}

fn answer(query: &Message) -> Message {
    let mut response = Message::new(
        query.metadata.id,
        MessageType::Response,
        query.metadata.op_code,
    );
    response.metadata.recursion_desired = query.metadata.recursion_desired;
    response.metadata.recursion_available = true;
    response.add_queries(query.queries.clone());
    let Some(question) = query.queries.first() else {
        response.metadata.response_code = ResponseCode::FormErr;
        return response;
    };
    let owner = question.name().to_ascii().to_ascii_lowercase();
    if owner == "broken.example.test." {
        response.metadata.response_code = ResponseCode::ServFail;
        return response;
    }
    match zone(&owner, question.query_type()) {
        Some(records) => {
            response.add_answers(
                records
                    .into_iter()
                    .map(|(owner, data)| Record::from_rdata(owner, 60, data)),
            );
        }
        None => response.metadata.response_code = ResponseCode::NXDomain,
    }
    response
}

#[tokio::test(flavor = "multi_thread")]
async fn dns_a_record_lists_addresses() {
    let server = DnsServer::start().await;
    let spec = server.spec("name = \"api.example.test\"");
    assert_eq!(
        spec.target(),
        format!("api.example.test A @{}", server.address)
    );
    let outcome = spec.run(TIMEOUT).await;
    assert_eq!(outcome.problem, None);
    assert_all_hold(
        &outcome,
        &[
            "resolves == true",
            "addresses contains \"10.1.2.3\"",
            "addresses contains \"10.1.2.4\"",
            "records contains \"10.1.2.3\"",
            "count == 2",
        ],
    );
    assert_all_hold(&outcome, dns::DOC.default_expect);
    assert!(!verdict(&outcome, "addresses contains \"10.9.9.9\"").is_pass());
}

#[tokio::test(flavor = "multi_thread")]
async fn dns_aaaa_and_names_in_any_case() {
    let server = DnsServer::start().await;
    let outcome = server
        .spec("name = \"API.Example.Test.\"\ntype = \"aaaa\"")
        .run(TIMEOUT)
        .await;
    assert_eq!(outcome.problem, None);
    assert_all_hold(
        &outcome,
        &[
            "resolves == true",
            "addresses contains \"2001:db8::1\"",
            "count == 1",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dns_mx_and_txt_records_read_as_text() {
    let server = DnsServer::start().await;
    let mx = server
        .spec("name = \"example.test\"\ntype = \"MX\"")
        .run(TIMEOUT)
        .await;
    assert_eq!(mx.problem, None);
    assert_all_hold(
        &mx,
        &[
            "records contains \"10 mail.example.test.\"",
            "records contains \"20 backup.example.test.\"",
            "addresses not exists",
        ],
    );
    let txt = server
        .spec("name = \"example.test\"\ntype = \"TXT\"")
        .run(TIMEOUT)
        .await;
    assert_all_hold(&txt, &["records contains \"v=spf1 -all\"", "count == 1"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn dns_alias_chains_keep_only_the_asked_type() {
    let server = DnsServer::start().await;
    let a = server
        .spec("name = \"www.example.test\"")
        .run(TIMEOUT)
        .await;
    assert_eq!(a.problem, None);
    assert_all_hold(&a, &["addresses contains \"10.1.2.3\"", "count == 2"]);
    assert!(!verdict(&a, "records contains \"api.example.test.\"").is_pass());
    let cname = server
        .spec("name = \"www.example.test\"\ntype = \"CNAME\"")
        .run(TIMEOUT)
        .await;
    assert_all_hold(
        &cname,
        &["records contains \"api.example.test.\"", "count == 1"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dns_nxdomain_and_empty_answers_do_not_resolve_without_a_problem() {
    let server = DnsServer::start().await;
    let missing = server
        .spec("name = \"old.example.test\"")
        .run(TIMEOUT)
        .await;
    assert_eq!(
        missing.problem, None,
        "a name that does not exist is an answer"
    );
    assert_all_hold(&missing, &["resolves == false", "count == 0"]);
    let default = verdict(&missing, dns::DOC.default_expect[0]);
    assert_eq!(default, Verdict::Fail("resolves false != true".into()));
    assert!(!verdict(&missing, "addresses contains \"10.1.2.3\"").is_pass());

    let no_mx = server
        .spec("name = \"api.example.test\"\ntype = \"MX\"")
        .run(TIMEOUT)
        .await;
    assert_eq!(no_mx.problem, None);
    assert_all_hold(&no_mx, &["resolves == false", "count == 0"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn dns_server_failure_is_a_problem() {
    let server = DnsServer::start().await;
    let outcome = server
        .spec("name = \"broken.example.test\"")
        .run(TIMEOUT)
        .await;
    let expected = format!("`{}` answered SERVFAIL", server.address);
    assert_eq!(outcome.problem, Some(expected));
    assert!(outcome.observed.is_empty(), "{outcome:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn dns_server_with_nothing_listening_is_a_problem() {
    let address = {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.local_addr().unwrap()
    };
    let spec = DnsSpec::from_fields(&mut check_fields(&format!(
        "name = \"api.example.test\"\nserver = \"{address}\""
    )))
    .unwrap();
    let started = Instant::now();
    let outcome = spec.run(Duration::from_millis(500)).await;
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "took {:?}",
        started.elapsed()
    );
    let problem = outcome.problem.as_deref().unwrap();
    assert!(problem.contains(&format!("`{address}`")), "{problem}");
    assert!(verdict(&outcome, "resolves == true").message().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn dns_silent_server_times_out() {
    // Bound but never answering: queries are swallowed, as by a firewall.
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    let spec = DnsSpec::from_fields(&mut check_fields(&format!(
        "name = \"api.example.test\"\nserver = \"{address}\""
    )))
    .unwrap();
    let started = Instant::now();
    let outcome = spec.run(Duration::from_millis(500)).await;
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "took {:?}",
        started.elapsed()
    );
    let expected = format!("no answer from `{address}` within 500ms");
    assert_eq!(outcome.problem, Some(expected));
    drop(silent);
}

#[test]
fn dns_keys_are_checked_at_load() {
    let error = |body: &str| only_error(DnsSpec::from_fields(&mut check_fields(body)));
    assert_eq!(error("type = \"A\"").message, "missing key `name`");
    let typo = error("name = \"example.test\"\ntype = \"MXX\"");
    assert_eq!(typo.message, "unsupported record type `MXX`");
    assert_eq!(typo.hint.as_deref(), Some("did you mean `MX`?"));
    let unknown = error("name = \"example.test\"\ntype = \"ZZZZZZ\"");
    assert_eq!(
        unknown.hint.as_deref(),
        Some("types: A, AAAA, CNAME, MX, TXT, NS")
    );
    let server = error("name = \"example.test\"\nserver = \"dns.example.test:53\"");
    assert_eq!(
        server.message,
        "`server` must be an IP address and port, not `dns.example.test:53`"
    );
    assert_eq!(
        error("name = \"bad name!\"").message,
        "invalid DNS name `bad name!`"
    );
    assert_eq!(error("name = \"\"").message, "invalid DNS name ``");

    // Every key is reported at once.
    let all =
        DnsSpec::from_fields(&mut check_fields("type = \"MXX\"\nserver = \"nope\"")).unwrap_err();
    assert_eq!(all.len(), 3, "{all:?}");

    let bare = DnsSpec::from_fields(&mut check_fields(
        "name = \"_dmarc.example.test\"\nserver = \"10.0.0.2\"",
    ))
    .unwrap();
    assert_eq!(bare.server, Some("10.0.0.2:53".parse().unwrap()));
    assert_eq!(bare.record_type, RecordType::A);
    assert_eq!(bare.target(), "_dmarc.example.test A @10.0.0.2:53");
    let v6 = DnsSpec::from_fields(&mut check_fields(
        "name = \"x.test\"\nserver = \"[::1]:5353\"\ntype = \"ns\"",
    ))
    .unwrap();
    assert_eq!(v6.target(), "x.test NS @[::1]:5353");
}
