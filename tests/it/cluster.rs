//! A throwaway PostgreSQL cluster for tests: `initdb` into a temporary directory, started on a
//! free loopback port, stopped (immediately) when dropped. Run by the `postgres` user when the
//! tests run as root, since PostgreSQL refuses to run as root. Shared by every test that must
//! not touch the local server's state (kill -9, archiving, standbys, pgBackRest).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The newest installed PostgreSQL's binaries (Debian keeps them out of `PATH`).
pub(crate) fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's server binaries in /usr/lib/postgresql")
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    found.sort_by_key(|bin| {
        bin.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found
        .pop()
        .expect("an initdb under /usr/lib/postgresql/*/bin")
}

/// `program` as the user PostgreSQL runs as.
pub(crate) fn as_postgres(program: &str) -> Command {
    if nix::unistd::Uid::effective().is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// A directory the `postgres` user owns (and root may still read).
pub(crate) fn postgres_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if nix::unistd::Uid::effective().is_root() {
        let user = nix::unistd::User::from_name("postgres")
            .unwrap()
            .expect("a postgres user");
        nix::unistd::chown(dir.path(), Some(user.uid), Some(user.gid)).unwrap();
    }
    dir
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) struct Cluster {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) port: u16,
    /// Extra `-c name=value` settings the server was started with.
    settings: Vec<String>,
}

impl Cluster {
    /// A new cluster, started, trusting local connections as `postgres`.
    pub(crate) fn start() -> Cluster {
        Cluster::start_with(&[])
    }

    /// A new cluster started with extra settings, e.g. `["archive_mode=on", …]`.
    pub(crate) fn start_with(settings: &[&str]) -> Cluster {
        let dir = postgres_dir();
        let init = as_postgres(&bin_dir().join("initdb").display().to_string())
            .arg("-D")
            .arg(dir.path().join("data"))
            .args(["-A", "trust", "-U", "postgres", "--no-sync"])
            .output()
            .unwrap();
        assert!(
            init.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        Cluster::started(dir, settings)
    }

    /// A streaming standby of `primary`, made by `pg_basebackup -R` and started under
    /// `cluster_name = name` (which its walreceiver reports to the primary as its name).
    pub(crate) fn standby_of(primary: &Cluster, name: &str) -> Cluster {
        let dir = postgres_dir();
        let base = as_postgres(&primary.tool("pg_basebackup"))
            .arg("-D")
            .arg(dir.path().join("data"))
            .args(["-h", "127.0.0.1", "-p", &primary.port.to_string()])
            .args(["-U", "postgres", "-R", "-X", "stream", "--no-sync"])
            .output()
            .unwrap();
        assert!(
            base.status.success(),
            "pg_basebackup: {}",
            String::from_utf8_lossy(&base.stderr)
        );
        Cluster::started(dir, &[&format!("cluster_name={name}")])
    }

    fn started(dir: tempfile::TempDir, settings: &[&str]) -> Cluster {
        let cluster = Cluster {
            dir,
            port: free_port(),
            settings: settings.iter().map(|s| (*s).to_owned()).collect(),
        };
        cluster.pg_ctl_start();
        cluster
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn tool(&self, name: &str) -> String {
        bin_dir().join(name).display().to_string()
    }

    pub(crate) fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `postgres://postgres@127.0.0.1:PORT/DB`.
    pub(crate) fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// (Re)starts the server on its port; waits until it accepts connections.
    pub(crate) fn pg_ctl_start(&self) {
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        for setting in &self.settings {
            options.push_str(&format!(" -c {setting}"));
        }
        let start = as_postgres(&self.tool("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-o", &options, "-l"])
            .arg(self.dir.path().join("log"))
            .args(["-w", "-t", "60", "start"])
            .output()
            .unwrap();
        assert!(
            start.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&start.stdout),
            String::from_utf8_lossy(&start.stderr)
        );
    }

    /// `sql` run by psql on database `db`; its unaligned output, trimmed.
    pub(crate) fn psql(&self, db: &str, sql: &str) -> String {
        let output = Command::new("psql")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args([
                "-U",
                "postgres",
                "-d",
                db,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atqc",
                sql,
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Waits until `sql` answers `expected`.
    pub(crate) fn wait_for(&self, sql: &str, expected: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let got = self.psql("postgres", sql);
            if got == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "`{sql}` answered `{got}`, not `{expected}`, for {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn postmaster_pid(&self) -> i32 {
        let text = std::fs::read_to_string(self.data().join("postmaster.pid")).unwrap();
        text.lines().next().unwrap().trim().parse().unwrap()
    }

    /// `kill -9` of the postmaster; returns once the port no longer answers.
    pub(crate) fn kill9(&self) {
        let pid = nix::unistd::Pid::from_raw(self.postmaster_pid());
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
        // Its children notice the postmaster is gone and exit; then the port is free.
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(
                Instant::now() < deadline,
                "the cluster still answers after kill -9"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres(&self.tool("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
    }
}
