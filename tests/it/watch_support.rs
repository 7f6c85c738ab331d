//! Helpers for the `watch` tests: a target whose answers a test changes, a receiver that
//! records what notifiers send, and a `golive watch` process that is stopped (or killed)
//! by the test. Each runs its own tokio runtime on its own thread, so tests stay plain
//! blocking code that waits with deadlines.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};

/// Runs `future` on a runtime of its own thread for the rest of the test.
fn background<F>(make: impl FnOnce() -> F + Send + 'static) -> SocketAddr
where
    F: std::future::Future<Output = SocketAddr> + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let addr = make().await;
            tx.send(addr).unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv_timeout(Duration::from_secs(10)).unwrap()
}

/// An HTTP target answering `status` after `delay_ms`; both can change while it runs.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) addr: SocketAddr,
    status: Arc<AtomicU16>,
    delay_ms: Arc<AtomicU64>,
}

impl Target {
    pub(crate) fn start() -> Target {
        let status = Arc::new(AtomicU16::new(200));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let state = (Arc::clone(&status), Arc::clone(&delay_ms));
        let addr = background(move || async move {
            let app = axum::Router::new()
                .route(
                    "/health",
                    get(|State((status, delay)): State<(Arc<AtomicU16>, Arc<AtomicU64>)>| async move {
                        let wait = delay.load(Ordering::SeqCst);
                        if wait > 0 {
                            tokio::time::sleep(Duration::from_millis(wait)).await;
                        }
                        let code = StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap();
                        (code, "ok")
                    }),
                )
                .with_state(state);
            crate::support::serve(app).await
        });
        Target {
            addr,
            status,
            delay_ms,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}/health", self.addr)
    }

    pub(crate) fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    pub(crate) fn delay(&self, delay: Duration) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }
}

/// What a [`Receiver`] got, with when.
type Bodies = Arc<Mutex<Vec<(Instant, serde_json::Value)>>>;

/// Records every JSON body POSTed to it, with when it arrived.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub(crate) addr: SocketAddr,
    bodies: Bodies,
}

impl Receiver {
    pub(crate) fn start() -> Receiver {
        let bodies: Bodies = Arc::default();
        let state = Arc::clone(&bodies);
        let addr = background(move || async move {
            let app = axum::Router::new()
                .route(
                    "/{*path}",
                    post(
                        |State(bodies): State<Bodies>, body: axum::body::Bytes| async move {
                            let json = serde_json::from_slice(&body).unwrap_or_else(|_| {
                                serde_json::Value::String(String::from_utf8_lossy(&body).into())
                            });
                            bodies.lock().unwrap().push((Instant::now(), json));
                            StatusCode::OK
                        },
                    ),
                )
                .with_state(state);
            crate::support::serve(app).await
        });
        Receiver { addr, bodies }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    pub(crate) fn bodies(&self) -> Vec<serde_json::Value> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b)| b.clone())
            .collect()
    }

    /// Waits until `count` bodies satisfy `matches`; returns the first match and when it came.
    pub(crate) fn wait_for(
        &self,
        what: &str,
        limit: Duration,
        matches: impl Fn(&serde_json::Value) -> bool,
    ) -> (Instant, serde_json::Value) {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(found) = self.bodies.lock().unwrap().iter().find(|(_, b)| matches(b)) {
                return found.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no {what} within {limit:?}; received: {:#?}",
                self.bodies()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn count(&self, matches: impl Fn(&serde_json::Value) -> bool) -> usize {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, b)| matches(b))
            .count()
    }
}

pub(crate) fn state_is(body: &serde_json::Value, state: &str) -> bool {
    body["state"] == state
}

/// A running `golive watch`; stopped with SIGTERM when dropped.
pub(crate) struct Watch {
    pub(crate) child: Child,
    log: PathBuf,
}

impl Watch {
    pub(crate) fn start(dir: &Path, args: &[&str]) -> Watch {
        Watch::start_with_env(dir, args, &[])
    }

    pub(crate) fn start_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Watch {
        let log = dir.join(format!(
            "watch-{}.log",
            Instant::now().elapsed().as_nanos() ^ rand_suffix()
        ));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(assert_cmd::cargo::cargo_bin("golive"))
            .arg("watch")
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap();
        Watch { child, log }
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for a line of the log containing `needle`.
    pub(crate) fn wait_log(&mut self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let text = self.log();
            if let Some(line) = text.lines().find(|line| line.contains(needle)) {
                return line.to_string();
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("watch exited ({status}) before logging `{needle}`:\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "watch did not log `{needle}` within {limit:?}:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The address it serves on, once it says so.
    pub(crate) fn listening(&mut self) -> SocketAddr {
        let line = self.wait_log("listening on http://", Duration::from_secs(60));
        let rest = line.split("http://").nth(1).unwrap();
        rest.split_whitespace().next().unwrap().parse().unwrap()
    }

    pub(crate) fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub(crate) fn stop(&mut self) -> std::process::ExitStatus {
        if let Some(status) = self.child.try_wait().unwrap() {
            return status;
        }
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                self.kill9();
                panic!("watch did not stop on SIGTERM within 30s:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn rand_suffix() -> u128 {
    let mut bytes = [0u8; 8];
    let _ = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    u128::from(u64::from_le_bytes(bytes))
}

/// GET `url` (plain HTTP on loopback): status and body.
pub(crate) fn get_text(url: &str) -> (u16, String) {
    let url = url.strip_prefix("http://").unwrap();
    let (host, path) = url
        .split_once('/')
        .map_or((url, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    use std::io::Write;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut chunked = false;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line
            .to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
        {
            chunked = true;
        }
        if line == "\r\n" || line.is_empty() {
            break;
        }
    }
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut body).unwrap();
    let body = if chunked { dechunk(&body) } else { body };
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap().trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
    out
}

/// `/api/status` of a running watch, parsed.
pub(crate) fn api_status(addr: SocketAddr) -> serde_json::Value {
    let (status, body) = get_text(&format!("http://{addr}/api/status"));
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Waits until `/api/status` satisfies `ready`.
pub(crate) fn wait_status(
    addr: SocketAddr,
    limit: Duration,
    ready: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + limit;
    loop {
        let status = api_status(addr);
        if ready(&status) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "status not reached within {limit:?}: {status:#}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The store's events of `kind`, via `golive audit log --format json`.
pub(crate) fn events(dir: &Path, checklist: &str, kind: &str) -> Vec<serde_json::Value> {
    let output = Command::new(assert_cmd::cargo::cargo_bin("golive"))
        .args(["audit", "log", checklist, "--format", "json"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let log: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let list = log.get("events").cloned().unwrap_or(log);
    list.as_array()
        .unwrap()
        .iter()
        .filter(|event| event["kind"] == kind)
        .cloned()
        .collect()
}
