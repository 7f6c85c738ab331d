//! `golive demo` as a newcomer runs it: nothing but the binary, a few seconds, exit 0, and
//! nothing left running afterwards (its ports closed), whether it ends, is cut off by a closed
//! pipe or is interrupted.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Sandbox;
use crate::support_newcomer::{golive_unprivileged, open_folder, read_only_folder};

fn golive() -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("golive"));
    command.env("NO_COLOR", "1").env_remove("GOLIVE_STORE");
    command
}

/// The two addresses the first line of the demo names.
fn addresses(first_line: &str) -> Vec<SocketAddr> {
    first_line
        .split_whitespace()
        .filter_map(|word| {
            word.strip_prefix("http://")
                .or(word.strip_prefix("https://"))
        })
        .map(|address| address.parse().expect("an address"))
        .collect()
}

fn refused(address: SocketAddr) -> bool {
    TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_err()
}

#[test]
fn the_demo_shows_a_no_go_whose_reasons_shrink_and_stops_its_service() {
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.path().join("demo");
    let started = Instant::now();
    let output = golive()
        .args(["demo", "--dir"])
        .arg(&dir)
        .output()
        .expect("run the demo");
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        elapsed < Duration::from_secs(10),
        "the demo took {elapsed:?}"
    );
    assert!(text.contains("NO-GO"), "{text}");
    assert!(
        text.contains("4 reasons") && text.contains("3 reasons"),
        "{text}"
    );
    assert!(text.contains("status 503 != 200"), "{text}");
    assert!(text.contains("mode 0o644 != 0o600"), "{text}");
    assert!(text.contains("Next, try:"), "{text}");
    for name in [
        "demo.md",
        "golive.toml",
        ".env",
        "demo-ca.pem",
        ".golive/state.db",
    ] {
        assert!(dir.join(name).exists(), "{name} missing");
    }
    let mode = std::fs::metadata(dir.join(".env"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let first = text.lines().next().unwrap();
    let ports = addresses(first);
    assert_eq!(ports.len(), 2, "{first}");
    for address in ports {
        assert!(refused(address), "{address} still accepts connections");
    }
    // The next commands it prints work on what it left.
    let status = golive()
        .arg("status")
        .arg(dir.join("demo.md"))
        .output()
        .unwrap();
    assert!(status.status.success());
    // A second demo into the same folder refuses to overwrite it.
    let again = golive().args(["demo", "--dir"]).arg(&dir).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}

#[test]
fn demos_at_once_from_a_read_only_folder_never_collide() {
    let sandbox = Sandbox::new();
    let locked = sandbox.dir.path().join("locked");
    let tmp = sandbox.dir.path().join("tmp");
    read_only_folder(sandbox.dir.path(), &locked);
    open_folder(&tmp);
    let children: Vec<_> = (0..3)
        .map(|_| {
            golive_unprivileged()
                .arg("demo")
                .current_dir(&locked)
                .env("TMPDIR", &tmp)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(std::fs::read_dir(&locked).unwrap().count(), 0);
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        3,
        "one folder per demo"
    );
}

#[test]
fn a_closed_pipe_still_exits_0_and_stops_the_service() {
    let sandbox = Sandbox::new();
    for round in 0..3 {
        let mut child = golive()
            .args(["demo", "--dir"])
            .arg(sandbox.dir.path().join(format!("d{round}")))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        drop(stdout); // `golive demo | head -1`
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert!(status.success(), "round {round}: {status:?} {stderr}");
        assert!(stderr.is_empty(), "{stderr}");
        for address in addresses(&first) {
            assert!(refused(address), "{address} still accepts connections");
        }
    }
}

#[test]
fn an_interrupted_demo_leaves_nothing_listening() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let sandbox = Sandbox::new();
    let mut caught_alive = 0;
    for round in 0..5 {
        let mut child = golive()
            .args(["demo", "--dir"])
            .arg(sandbox.dir.path().join(format!("d{round}")))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = Pid::from_raw(i32::try_from(child.id()).unwrap());
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let _ = kill(pid, Signal::SIGSTOP);
        let ports = addresses(&first);
        if ports.iter().all(|address| !refused(*address)) {
            caught_alive += 1;
        }
        let _ = kill(pid, Signal::SIGINT);
        let _ = kill(pid, Signal::SIGCONT);
        let status = child.wait().unwrap();
        assert!(status.code() != Some(2), "{status:?}");
        for address in ports {
            assert!(
                refused(address),
                "{address} still accepts connections after Ctrl-C"
            );
        }
    }
    assert!(
        caught_alive > 0,
        "never interrupted a demo while its service ran"
    );
}
