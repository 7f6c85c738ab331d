//! Throwaway PostgreSQL clusters for the tests that need a server of their own (a primary with
//! a streaming standby, archiving to pgBackRest): `initdb` in a temporary directory, started
//! on a free loopback port, stopped when dropped. Run by the `postgres` user when the tests
//! run as root, since PostgreSQL refuses to run as root.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) const BIN: &str = "/usr/lib/postgresql/15/bin";

/// `program` as the `postgres` user when we are root, as ourselves otherwise.
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

fn run(mut command: Command, what: &str) -> String {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

pub(crate) struct Cluster {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) port: u16,
    /// `-c name=value` settings it is started with.
    settings: Vec<String>,
}

impl Cluster {
    /// A new primary, started with `settings` (`"archive_mode=on"`, …).
    pub(crate) fn start(settings: &[&str]) -> Cluster {
        let dir = postgres_dir();
        let mut init = as_postgres(&format!("{BIN}/initdb"));
        init.arg("-D").arg(dir.path().join("data")).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ]);
        run(init, "initdb");
        Cluster::started(dir, settings)
    }

    /// A streaming standby of `primary`, made by `pg_basebackup -R` and started under
    /// `cluster_name = name` (which its walreceiver reports to the primary as its name).
    pub(crate) fn standby_of(primary: &Cluster, name: &str) -> Cluster {
        let dir = postgres_dir();
        let mut base = as_postgres(&format!("{BIN}/pg_basebackup"));
        base.arg("-D")
            .arg(dir.path().join("data"))
            .args(["-h", "127.0.0.1", "-p", &primary.port.to_string()])
            .args(["-U", "postgres", "-R", "-X", "stream", "--no-sync"]);
        run(base, "pg_basebackup");
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

    pub(crate) fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub(crate) fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn pg_ctl_start(&self) {
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        for setting in &self.settings {
            options.push_str(&format!(" -c {setting}"));
        }
        let mut start = as_postgres(&format!("{BIN}/pg_ctl"));
        start
            .arg("-D")
            .arg(self.data())
            .args(["-o", &options, "-l"])
            .arg(self.dir.path().join("log"))
            .args(["-w", "-t", "60", "start"]);
        run(start, "pg_ctl start");
    }

    /// `psql -Atc sql` on `database`.
    pub(crate) fn psql(&self, database: &str, sql: &str) -> String {
        let mut psql = Command::new("psql");
        psql.args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-d", database, "-Atqc", sql]);
        run(psql, "psql")
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
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres(&format!("{BIN}/pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
    }
}
