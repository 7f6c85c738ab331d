#!/usr/bin/env bash
# Benchmark of `golive watch` against Prometheus + blackbox_exporter, both probing the same
# 1,000 HTTP targets on one nginx on loopback every 10 s.
#
#   scripts/bench/watch.sh [--force]
#
# Not part of the tests: it needs a quiet machine and takes ROUNDS × 2 × DURATION (10 min).
#
# Set-up: nginx (worker_processes 1) answers `/t/N` with 200 for N = 1..$MONITORS. golive
# runs a generated checklist with one item per target and a golive.toml with one `http`
# monitor per item (`every = "10s"`, `expect = ["status == 200"]`, a webhook notifier that is
# never called), its SQLite store in a temporary directory, for DURATION seconds
# (`watch --for`). The peer runs Prometheus scraping blackbox_exporter's `http_2xx` module for
# the same targets every 10 s (the usual blackbox set-up: one probe per target per scrape),
# for the same time. Both are measured with /usr/bin/time: CPU seconds (user + system) and
# peak RSS; the peer's figures are the sum of its two processes. Rounds alternate golive and
# the peer; medians are printed with the ratios. Target: golive ≤ 0.5× the peer's CPU and
# ≤ 0.5× its RSS, and under 60 MB.
#
# Refuses to run (exit 3) when the 1-minute load average is above $MAX_LOAD; --force runs
# anyway. Needs nginx, prometheus and prometheus-blackbox-exporter (Debian packages; installed
# with apt-get when missing and running as root).
#
# Environment: MONITORS (1000), DURATION (seconds, 300), ROUNDS (1), MAX_LOAD (1.0),
# GOLIVE (a built binary; default: builds --profile release-lto).

set -euo pipefail
cd "$(dirname "$0")/../.."

MONITORS=${MONITORS:-1000}
DURATION=${DURATION:-300}
ROUNDS=${ROUNDS:-1}
MAX_LOAD=${MAX_LOAD:-1.0}
FORCE=0
for arg in "$@"; do
    case "$arg" in
        --force) FORCE=1 ;;
        -h | --help)
            sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "watch.sh: unknown argument \`$arg\` (try --help)" >&2
            exit 2
            ;;
    esac
done

need=()
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
command -v prometheus >/dev/null || need+=(prometheus)
command -v prometheus-blackbox-exporter >/dev/null || need+=(prometheus-blackbox-exporter)
if ((${#need[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "watch.sh: installing ${need[*]}" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "watch.sh: needs ${need[*]} (apt-get install -y ${need[*]})" >&2
        exit 3
    fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

load=$(cut -d' ' -f1 /proc/loadavg)
if ((FORCE == 0)) && awk -v l="$load" -v m="$MAX_LOAD" 'BEGIN { exit !(l > m) }'; then
    echo "watch.sh: the machine is busy (load average $load > $MAX_LOAD); try later or --force" >&2
    exit 3
fi

if [[ -z ${GOLIVE:-} ]]; then
    cargo build --profile release-lto --quiet
    GOLIVE=target/release-lto/golive
fi

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# nginx: /t/N answers 200.
NGINX_PORT=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/nginx;
    proxy_temp_path $work/nginx;
    fastcgi_temp_path $work/nginx;
    uwsgi_temp_path $work/nginx;
    scgi_temp_path $work/nginx;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location /t/ { return 200 "ok\n"; }
    }
}
EOF
"$NGINX" -c "$work/nginx/nginx.conf" -p "$work/nginx"
pids+=("$(cat "$work/nginx/nginx.pid")")

# golive's checklist and monitors.
mkdir -p "$work/golive"
{
    echo "# Watch benchmark"
    echo
    echo "## Post Go-Live"
    echo
    for n in $(seq 1 "$MONITORS"); do echo "- [ ] Target $n <!-- id: t$n -->"; done
} >"$work/golive/watch.md"
{
    for n in $(seq 1 "$MONITORS"); do
        printf '[[check]]\nitem = "t%s"\nprobe = "http"\nurl = "http://127.0.0.1:%s/t/%s"\nexpect = ["status == 200"]\nevery = "10s"\n\n' "$n" "$NGINX_PORT" "$n"
    done
    printf '[[notifier]]\ntype = "webhook"\nurl = "http://127.0.0.1:9/never"\n'
} >"$work/golive/golive.toml"

# The peer: blackbox_exporter probing, Prometheus scraping it.
cat >"$work/blackbox.yml" <<EOF
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
EOF

run_golive() {
    rm -rf "$work/golive/.golive"
    /usr/bin/time -f '%U %S %M' -o "$work/time.golive" \
        "$GOLIVE" watch "$work/golive/watch.md" --for "${DURATION}s" 2>"$work/golive.log"
    grep -q "watching $MONITORS monitors" "$work/golive.log" || {
        echo "watch.sh: golive did not start its $MONITORS monitors:" >&2
        tail -5 "$work/golive.log" >&2
        exit 1
    }
    read -r user sys rss < <(tail -n 1 "$work/time.golive")
    golive_cpu+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')")
    golive_rss+=("$rss")
}

run_peer() {
    local bb_port prom_port
    bb_port=$(free_port)
    prom_port=$(free_port)
    rm -rf "$work/prom-data"
    {
        printf 'global:\n  scrape_interval: 10s\n  scrape_timeout: 5s\nscrape_configs:\n  - job_name: blackbox\n    metrics_path: /probe\n    params:\n      module: [http_2xx]\n    static_configs:\n      - targets:\n'
        for n in $(seq 1 "$MONITORS"); do printf '        - http://127.0.0.1:%s/t/%s\n' "$NGINX_PORT" "$n"; done
        printf '    relabel_configs:\n      - source_labels: [__address__]\n        target_label: __param_target\n      - source_labels: [__param_target]\n        target_label: instance\n      - target_label: __address__\n        replacement: 127.0.0.1:%s\n' "$bb_port"
    } >"$work/prometheus.yml"
    /usr/bin/time -f '%U %S %M' -o "$work/time.blackbox" \
        timeout -s TERM "$DURATION" prometheus-blackbox-exporter --config.file="$work/blackbox.yml" \
        --web.listen-address="127.0.0.1:$bb_port" >"$work/blackbox.log" 2>&1 &
    local bb=$!
    /usr/bin/time -f '%U %S %M' -o "$work/time.prometheus" \
        timeout -s TERM "$DURATION" prometheus --config.file="$work/prometheus.yml" \
        --storage.tsdb.path="$work/prom-data" --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
    local prom=$!
    # The peer is up when Prometheus has scraped every target once.
    sleep 30
    local up
    up=$(curl -s "http://127.0.0.1:$prom_port/api/v1/query?query=count(probe_success==1)" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')
    wait "$prom" "$bb" || true
    # `timeout` ends both with SIGTERM, so /usr/bin/time writes "Command exited with non-zero
    # status 124" before its figures: the figures are its last line.
    read -r pu ps pr < <(tail -n 1 "$work/time.prometheus")
    read -r bu bs br < <(tail -n 1 "$work/time.blackbox")
    peer_cpu+=("$(awk -v a="$pu" -v b="$ps" -v c="$bu" -v d="$bs" 'BEGIN { printf "%.2f", a + b + c + d }')")
    peer_rss+=("$((pr + br))")
    echo "  peer: $up of $MONITORS targets probed successfully after 30 s; prometheus ${pr} KB, blackbox ${br} KB" >&2
}

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

golive_cpu=() golive_rss=() peer_cpu=() peer_rss=()
echo "watch.sh: $MONITORS HTTP monitors every 10 s for ${DURATION}s, $ROUNDS round(s); nginx on 127.0.0.1:$NGINX_PORT" >&2
for round in $(seq 1 "$ROUNDS"); do
    echo "round $round: golive" >&2
    run_golive
    echo "round $round: prometheus + blackbox_exporter" >&2
    run_peer
done

gc=$(median "${golive_cpu[@]}") gr=$(median "${golive_rss[@]}")
pc=$(median "${peer_cpu[@]}") pr=$(median "${peer_rss[@]}")
awk -v gc="$gc" -v gr="$gr" -v pc="$pc" -v pr="$pr" -v n="$MONITORS" -v d="$DURATION" 'BEGIN {
    printf "%-32s %12s %14s\n", "", "CPU seconds", "peak RSS (MB)"
    printf "%-32s %12.2f %14.1f\n", "golive watch", gc, gr / 1024
    printf "%-32s %12.2f %14.1f\n", "prometheus + blackbox_exporter", pc, pr / 1024
    printf "%-32s %11.2fx %13.2fx\n", "golive / peer", gc / pc, gr / pr
    printf "targets: CPU <= 0.5x: %s; RSS <= 0.5x: %s; RSS < 60 MB: %s  (%d monitors, %d s)\n",
        (gc / pc <= 0.5) ? "met" : "MISSED", (gr / pr <= 0.5) ? "met" : "MISSED", (gr / 1024 < 60) ? "met" : "MISSED", n, d
}'
