//! The `postgres`, `prometheus` and `drill` (pgBackRest catalogue) probes against real
//! servers each test starts on loopback and stops: a primary with a streaming standby made by
//! `pg_basebackup -R`, Prometheus scraping an endpoint the test serves with known values, and
//! pgBackRest archiving a throwaway cluster's WAL.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use golive::drill::DrillSpec;
use golive::probe::postgres::PostgresSpec;
use golive::probe::prometheus::PrometheusSpec;
use golive::probe::{Context, Outcome};

use crate::cluster::{Cluster, as_postgres, free_port, postgres_dir};
use crate::support::{assert_all_hold, assert_fails, check_fields, serve};

const TIMEOUT: Duration = Duration::from_secs(10);

async fn postgres(url: &str, query: &str) -> Outcome {
    let keys = format!("url = \"{url}\"\nquery = \"{query}\"");
    PostgresSpec::from_fields(&mut check_fields(&keys))
        .unwrap()
        .run(TIMEOUT)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_probe_sees_a_streaming_standby_from_both_sides() {
    let primary = Cluster::start();
    primary.psql(
        "postgres",
        "create table t(v int); insert into t select generate_series(1, 100)",
    );
    let standby = Cluster::standby_of(&primary, "standby_a");
    primary.wait_for(
        "select count(*) from pg_stat_replication where state = 'streaming'",
        "1",
        Duration::from_secs(60),
    );

    let on_primary = postgres(&primary.url("postgres"), "select count(*) from t").await;
    assert_eq!(on_primary.problem, None, "{on_primary:?}");
    assert_all_hold(
        &on_primary,
        &[
            "in_recovery == false",
            "standbys == 1",
            "replication_lag.standby_a exists",
            "replication_lag.standby_a < 10s",
            "replication_lag < 10s",
            "value == 100",
            "rows == 1",
            "connections_used > 0%",
            "server_version >= 15",
        ],
    );
    assert_fails(&on_primary, "replication_lag.walreceiver exists");

    let on_standby = postgres(&standby.url("postgres"), "select count(*) from t").await;
    assert_eq!(on_standby.problem, None, "{on_standby:?}");
    assert_all_hold(
        &on_standby,
        &[
            "in_recovery == true",
            "replication_lag < 10s",
            "value == 100",
        ],
    );
    assert_fails(&on_standby, "standbys exists");

    // A transaction replayed, then replay paused while the primary writes: the standby falls
    // behind, and says by how much (the lag counts from the last transaction it replayed).
    primary.psql("postgres", "insert into t select generate_series(1, 50)");
    standby.wait_for("select count(*) from t", "150", Duration::from_secs(30));
    standby.psql("postgres", "select pg_wal_replay_pause()");
    primary.psql("postgres", "insert into t select generate_series(1, 50)");
    standby.wait_for(
        "select pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()",
        "t",
        Duration::from_secs(30),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let behind = postgres(&standby.url("postgres"), "select count(*) from t").await;
    assert_all_hold(&behind, &["replication_lag >= 2s", "value == 150"]);

    standby.psql("postgres", "select pg_wal_replay_resume()");
    standby.wait_for("select count(*) from t", "200", Duration::from_secs(30));
    let caught_up = postgres(&standby.url("postgres"), "select count(*) from t").await;
    assert_all_hold(&caught_up, &["replication_lag < 1s", "value == 200"]);
}

/// A process the test started; killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn prometheus(url: &str, query: &str) -> Outcome {
    let keys = format!("url = \"{url}\"\nquery = '{query}'");
    PrometheusSpec::from_fields(&mut check_fields(&keys))
        .unwrap()
        .run(&Context::default(), TIMEOUT)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_probe_reads_what_a_real_prometheus_scraped() {
    let exposition = "# TYPE shop_queue_depth gauge\n\
                      shop_queue_depth{queue=\"orders\"} 42.5\n\
                      shop_queue_depth{queue=\"mails\"} 7\n";
    let router = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || async move { exposition }),
    );
    let target = serve(router).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: shop\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let _prometheus = Server(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("prometheus (scripts/test installs it)"),
    );
    let url = format!("http://127.0.0.1:{port}");

    let query = "shop_queue_depth{queue=\"orders\"}";
    let deadline = Instant::now() + Duration::from_secs(90);
    let orders = loop {
        let outcome = prometheus(&url, query).await;
        if outcome.problem.is_none() {
            break outcome;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus never had {query}: {:?}\n{}",
            outcome.problem,
            std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_all_hold(
        &orders,
        &[
            "value == 42.5",
            "series == 1",
            "labels.queue == \"orders\"",
            "labels.job == \"shop\"",
            &format!("labels.instance == \"{target}\""),
        ],
    );

    let all = prometheus(&url, "shop_queue_depth").await;
    assert_all_hold(&all, &["series == 2"]);
    let sum = prometheus(&url, "sum(shop_queue_depth)").await;
    assert_all_hold(&sum, &["value == 49.5", "series == 1"]);
    let scalar = prometheus(&url, "scalar(sum(shop_queue_depth))").await;
    assert_all_hold(&scalar, &["value == 49.5"]);
    let up = prometheus(&url, "up{job=\"shop\"}").await;
    assert_all_hold(&up, &["value == 1"]);

    let none = prometheus(&url, "shop_queue_depth{queue=\"refunds\"}").await;
    assert_all_hold(&none, &["series == 0"]);
    assert_fails(&none, "series > 0");
    assert_eq!(none.problem.as_deref(), Some("no series matched"));

    let refused = prometheus(&url, "sum(").await;
    let problem = refused.problem.unwrap_or_default();
    assert!(
        problem.contains("Prometheus refused the query"),
        "{problem}"
    );
}

fn pgbackrest(config: &std::path::Path, args: &[&str]) {
    let output = as_postgres("pgbackrest")
        .arg(format!("--config={}", config.display()))
        .arg("--stanza=main")
        .args(args)
        .output()
        .expect("pgbackrest (scripts/test installs it)");
    assert!(
        output.status.success(),
        "pgbackrest {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn catalogue(config: &std::path::Path) -> (DrillSpec, Outcome) {
    let keys = format!(
        "action = \"catalogue\"\nstanza = \"main\"\npgbackrest_config = \"{}\"\nrpo = \"1h\"",
        config.display()
    );
    let spec = DrillSpec::from_fields(&mut check_fields(&keys)).unwrap();
    let outcome = spec.run(&Context::default(), TIMEOUT).await;
    (spec, outcome)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgbackrest_catalogue_reads_a_real_repository_with_archiving_on() {
    let repo = postgres_dir();
    let config = repo.path().join("pgbackrest.conf");
    let archive = format!(
        "archive_command='pgbackrest --config={} --stanza=main archive-push %p'",
        config.display()
    );
    let cluster = Cluster::start_with(&["archive_mode=on", "wal_level=replica", &archive]);
    let root = repo.path().display();
    std::fs::write(
        &config,
        format!(
            "[global]\nrepo1-path={root}/repo\nlog-path={root}/log\nlock-path={root}/lock\n\
             log-level-console=warn\nlog-level-file=off\nstart-fast=y\narchive-timeout=60\n\
             repo1-retention-full=2\n\n[main]\npg1-path={}\npg1-port={}\npg1-socket-path={}\n",
            cluster.data().display(),
            cluster.port,
            cluster.path().display()
        ),
    )
    .unwrap();
    pgbackrest(&config, &["stanza-create"]);

    // A stanza without a backup proves nothing: unknown, with the reason.
    let (_, empty) = catalogue(&config).await;
    assert_all_hold(&empty, &["verdict == \"unknown\"", "backups == 0"]);
    let problem = empty.problem.clone().unwrap_or_default();
    assert!(problem.contains("no good backup"), "{problem}");

    pgbackrest(&config, &["--type=full", "backup"]);
    // WAL written after the backup, archived: the RPO counts from it, not from the backup.
    cluster.psql(
        "postgres",
        "create table t(v int); insert into t select generate_series(1, 1000)",
    );
    let archived: u64 = cluster
        .psql("postgres", "select archived_count from pg_stat_archiver")
        .parse()
        .unwrap();
    cluster.psql("postgres", "select pg_switch_wal()");
    cluster.wait_for(
        &format!("select archived_count > {archived} from pg_stat_archiver"),
        "t",
        Duration::from_secs(60),
    );

    let (spec, outcome) = catalogue(&config).await;
    assert_eq!(outcome.problem, None, "{outcome:?}");
    assert_all_hold(
        &outcome,
        &[
            "verdict == \"verified\"",
            "backups == 1",
            "age < 5m",
            "rpo < 5m",
            "wal_age exists",
            "size > 1MB",
            "duration exists",
        ],
    );
    let seconds = |metric: &str| match outcome.observed.get(metric) {
        Some(golive::expr::Value::Duration(d)) => *d,
        other => panic!("{metric}: {other:?}"),
    };
    // The newest archived segment came after the backup: it is what the RPO measures.
    assert!(seconds("wal_age") <= seconds("age"), "{outcome:?}");
    assert_eq!(seconds("rpo"), seconds("wal_age"));
    for condition in spec.objective_conditions() {
        assert!(
            condition.evaluate(&outcome.observed).is_pass(),
            "{condition:?}"
        );
    }
}
