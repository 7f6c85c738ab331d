#!/usr/bin/env bash
# Benchmark: golive's `http` probe against Debian's prometheus-blackbox-exporter.
#
# A local nginx serves 10,000 distinct paths /p/1 … /p/10000 (one regex location,
# `location ~ ^/p/[0-9]+$ { return 200 "ok\n"; }`). golive checks each path once (one `http`
# check per path, `expect = ["status == 200"]`); the same 10,000 probes then go through
# blackbox_exporter (module http_2xx), driven by wrk with a Lua script that walks the 10,000
# `/probe?module=http_2xx&target=…` URLs over keep-alive connections. Prints probes/s, wall
# time, peak RSS and errors of both, and the ratio.
#
# Usage: scripts/bench/probes.sh
# Environment (all optional):
#   N=10000                  number of paths / checks / probes
#   JOBS="default 32 64 128 256"   golive --jobs values to try ("default" = no --jobs flag)
#   REPEAT=3                 golive runs per --jobs value (the median is reported)
#   PEER_CONFIGS="1:32 2:32 2:64 2:128"   wrk threads:connections to try; the best is the peer's
#   PEER_DURATION=6          seconds per wrk run (must cover >= N probes; checked)
#   NGINX_WORKERS=2          nginx worker_processes
#   GOLIVE_BIN=path          use this binary instead of `cargo build --profile release-lto`
#   KEEP_STORE=0             1: keep golive's event store (.golive/state.db beside the checklist)
#                            across runs, so each run also reads the history of the runs
#                            before it; 0 (default): every run starts from an empty store, as
#                            a first check of a new checklist does
#
# Needs root (or the packages already installed): nginx prometheus-blackbox-exporter wrk time,
# plus python3. Everything listens on 127.0.0.1 on ports chosen at run time.
# Exit status: 0 when golive returned N results with 0 failures on every run, 1 otherwise
# (missed performance targets are printed as MISSED but do not fail the script), 2 on setup
# errors.

set -euo pipefail

N=${N:-10000}
JOBS=${JOBS:-"default 32 64 128 256"}
REPEAT=${REPEAT:-3}
PEER_CONFIGS=${PEER_CONFIGS:-"1:32 2:32 2:64 2:128"}
PEER_DURATION=${PEER_DURATION:-6}
NGINX_WORKERS=${NGINX_WORKERS:-2}
KEEP_STORE=${KEEP_STORE:-0}
# golive records every result in its store; never let a GOLIVE_STORE from the caller's
# environment point the benchmark at a real history.
unset GOLIVE_STORE

# Targets from the issue: golive >= 5x the peer's probes/s, < 100 MB peak RSS.
TARGET_RATIO=5
TARGET_RSS_MB=100

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

say() { printf '%s\n' "$*" >&2; }
die() { say "probes.sh: error: $*"; exit 2; }

# --- tools -------------------------------------------------------------------------------
missing=()
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
command -v prometheus-blackbox-exporter >/dev/null || missing+=(prometheus-blackbox-exporter)
command -v wrk >/dev/null || missing+=(wrk)
[[ -x /usr/bin/time ]] || missing+=(time)
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]})); then
    say "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y nginx prometheus-blackbox-exporter wrk time
    command -v python3 >/dev/null || apt-get install -y python3
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
BLACKBOX=$(command -v prometheus-blackbox-exporter)

if [[ -n ${GOLIVE_BIN:-} ]]; then
    golive=$(realpath "$GOLIVE_BIN")
else
    say "building golive (cargo build --profile release-lto, as distributed)…"
    (cd "$repo" && cargo build --profile release-lto --quiet)
    golive=$repo/target/release-lto/golive
fi
[[ -x $golive ]] || die "no golive binary at $golive"

# Many sockets at once: nginx, wrk, the exporter and golive all want descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# --- temp dir and cleanup ----------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/golive-bench.XXXXXX")
nginx_pid=
exporter_pid=
stop_pid() { # pid: TERM, wait up to 5 s, then KILL
    local pid=$1 i
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop_pid "$exporter_pid"
    stop_pid "$nginx_pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers -----------------------------------------------------------------------------
free_ports() { # count: prints that many distinct free loopback ports, one a line
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
EOF
}

wait_port() { # port what: waits up to 10 s for a listener
    local i
    for ((i = 0; i < 200; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    die "$2 did not start listening on 127.0.0.1:$1 (logs in $tmp)"
}

load() { cut -d' ' -f1-3 /proc/loadavg; }

# "user system idle" jiffies of the whole machine
cpu_snapshot() { awk '/^cpu /{print $2+$3, $4+$7+$8, $5+$6}' /proc/stat; }
cpu_busy_pct() { # before after: busy % of all cores between two snapshots
    awk -v a="$1" -v b="$2" 'BEGIN{split(a,x," ");split(b,y," ");
        busy=(y[1]-x[1])+(y[2]-x[2]); idle=y[3]-x[3];
        if (busy+idle>0) printf "%.0f", 100*busy/(busy+idle); else print "?"}'
}

now_ns() { date +%s%N; }

read -r nginx_port exporter_port < <(free_ports 2 | paste -sd' ')

# --- nginx -------------------------------------------------------------------------------
mkdir -p "$tmp/nginx/logs"
cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $NGINX_WORKERS;
worker_rlimit_nofile 65536;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;

events {
    worker_connections 16384;
    multi_accept on;
}

http {
    access_log off;
    default_type text/plain;
    keepalive_requests 100000;
    keepalive_timeout 60s;
    client_body_temp_path $tmp/nginx/client_body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;

    server {
        listen 127.0.0.1:$nginx_port backlog=4096;
        # 10,000 distinct paths /p/1 … /p/N, answered by one regex location.
        location ~ ^/p/[0-9]+$ {
            return 200 "ok\n";
        }
        location / {
            return 404;
        }
    }
}
EOF
"$NGINX" -p "$tmp/nginx" -e "$tmp/nginx/logs/error.log" -c "$tmp/nginx/nginx.conf" -t -q \
    || die "nginx rejected its configuration"
"$NGINX" -p "$tmp/nginx" -e "$tmp/nginx/logs/error.log" -c "$tmp/nginx/nginx.conf" \
    >"$tmp/nginx/logs/stdout.log" 2>&1 &
nginx_pid=$!
wait_port "$nginx_port" nginx
probe_status=$(python3 -c 'import sys,urllib.request as u; print(u.urlopen(sys.argv[1]).status)' \
    "http://127.0.0.1:$nginx_port/p/$N")
[[ $probe_status == 200 ]] || die "nginx answered $probe_status for /p/$N"

# --- golive inputs -----------------------------------------------------------------------
mkdir -p "$tmp/golive"
{
    printf '# Bench\n\n'
    for ((i = 1; i <= N; i++)); do printf -- '- [ ] path %d\n' "$i"; done
} >"$tmp/golive/bench.md"
{
    for ((i = 1; i <= N; i++)); do
        printf '[[check]]\nitem = "path-%d"\nprobe = "http"\nurl = "http://127.0.0.1:%d/p/%d"\nexpect = ["status == 200"]\n\n' \
            "$i" "$nginx_port" "$i"
    done
} >"$tmp/golive/golive.toml"

store_mode="fresh store per run"
[[ $KEEP_STORE != 1 ]] || store_mode="store kept across runs"
say "load before: $(load)   (nginx :$nginx_port, $NGINX_WORKERS workers; N=$N; $store_mode)"

# --- golive runs -------------------------------------------------------------------------
golive_errors=0
: >"$tmp/golive_runs.tsv" # jobs run wall_s rss_kb results failed rc cpu_pct load1 busy_pct time_v_s
run_golive() { # jobs-value run-index [record]
    local jobs=$1 run=$2 record=${3:-yes}
    local args=(check bench.md --format json -q)
    [[ $jobs == default ]] || args+=(--jobs "$jobs")
    local rc=0 t0 t1 c0 c1
    [[ $KEEP_STORE == 1 ]] || rm -rf "$tmp/golive/.golive"
    c0=$(cpu_snapshot)
    t0=$(now_ns)
    (cd "$tmp/golive" && /usr/bin/time -v -o "$tmp/time.txt" "$golive" "${args[@]}" \
        >"$tmp/results.json" 2>"$tmp/golive.stderr") || rc=$?
    t1=$(now_ns)
    c1=$(cpu_snapshot)
    [[ $record == yes ]] || return 0
    local rss cpu verdict elapsed
    rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$tmp/time.txt")
    # /usr/bin/time's own wall clock ("m:ss.cc", 10 ms resolution), shown as a cross-check.
    elapsed=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,p,":"); s=0;
        for (i=1;i<=n;i++) s=s*60+p[i]; printf "%.2f", s}' "$tmp/time.txt")
    cpu=$(awk -F': ' '/Percent of CPU this job got/{sub("%","",$2); print $2}' "$tmp/time.txt")
    verdict=$(python3 - "$tmp/results.json" <<'EOF'
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
    results = doc["results"]
    failed = sum(1 for r in results if not r.get("passed"))
    # The summary must agree with the results themselves.
    if doc["summary"]["failed"] != failed or doc["summary"]["checks"] != len(results):
        failed = max(failed, 1)
    print(len(results), failed)
except Exception as error:  # unreadable output counts as an error
    print(0, -1)
    print(f"cannot read golive's JSON: {error}", file=sys.stderr)
EOF
)
    local count=${verdict% *} failed=${verdict#* }
    if ((rc != 0 || count != N || failed != 0)); then
        golive_errors=$((golive_errors + 1))
        say "golive --jobs $jobs run $run: exit $rc, $count results, $failed failed"
        head -c 2000 "$tmp/golive.stderr" >&2 || true
        python3 - "$tmp/results.json" <<'EOF' >&2 || true
import json, sys
doc = json.load(open(sys.argv[1]))
for r in [r for r in doc["results"] if not r.get("passed")][:5]:
    print("  failed:", r["name"], r.get("failures"), r.get("problem"))
EOF
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$jobs" "$run" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", (b-a)/1e9}')" \
        "$rss" "$count" "$failed" "$rc" "$cpu" "$(cut -d' ' -f1 /proc/loadavg)" \
        "$(cpu_busy_pct "$c0" "$c1")" "$elapsed" >>"$tmp/golive_runs.tsv"
}

say "golive: warm-up run (not counted)…"
run_golive default 0 no
for jobs in $JOBS; do
    for ((r = 1; r <= REPEAT; r++)); do
        run_golive "$jobs" "$r"
    done
done

# --- blackbox exporter + wrk -------------------------------------------------------------
mkdir -p "$tmp/peer"
cat >"$tmp/peer/blackbox.yml" <<'EOF'
modules:
  http_2xx:
    prober: http
    timeout: 5s
EOF

start_exporter() {
    "$BLACKBOX" --config.file="$tmp/peer/blackbox.yml" \
        --web.listen-address="127.0.0.1:$exporter_port" --log.level=warn \
        >>"$tmp/peer/exporter.log" 2>&1 &
    exporter_pid=$!
    wait_port "$exporter_port" blackbox_exporter
}

# wrk script: each thread walks its own slice of the N targets, round and round, over
# keep-alive connections; requests are formatted once in init(). No response() hook, so wrk
# does not parse bodies into Lua (that would take CPU from the exporter); probe success is
# checked separately by sampling.
write_lua() { # threads
    cat >"$tmp/peer/walk.lua" <<EOF
local n, nthreads, port = $N, $1, $nginx_port
local next_id = 0

function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
end

function init(args)
    local first = math.floor(id * n / nthreads) + 1
    local last = math.floor((id + 1) * n / nthreads)
    reqs = {}
    for i = first, last do
        reqs[#reqs + 1] = wrk.format("GET",
            "/probe?module=http_2xx&target=http://127.0.0.1:" .. port .. "/p/" .. i)
    end
    idx = 0
end

function request()
    idx = idx % #reqs + 1
    return reqs[idx]
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "WRK_RESULT requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
        summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
end
EOF
}

: >"$tmp/peer_runs.tsv" # config requests duration_s rps errors hwm_kb load1 busy_pct
say "load before peer: $(load)"
for config in $PEER_CONFIGS; do
    threads=${config%%:*}
    conns=${config#*:}
    write_lua "$threads"
    start_exporter
    c0=$(cpu_snapshot)
    wrk -t"$threads" -c"$conns" -d"${PEER_DURATION}s" --timeout 10s -s "$tmp/peer/walk.lua" \
        "http://127.0.0.1:$exporter_port" >"$tmp/peer/wrk-$config.txt" 2>&1 \
        || die "wrk failed: $(cat "$tmp/peer/wrk-$config.txt")"
    c1=$(cpu_snapshot)
    hwm=$(awk '/^VmHWM:/{print $2}' "/proc/$exporter_pid/status")
    line=$(grep '^WRK_RESULT' "$tmp/peer/wrk-$config.txt") || die "no result from wrk"
    eval "$(sed 's/^WRK_RESULT //' <<<"$line")" # requests= duration_us= connect= …
    errors=$((connect + read + write + status + timeout))
    rps=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN{printf "%.1f", r/(d/1e6)}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$config" "$requests" \
        "$(awk -v d="$duration_us" 'BEGIN{printf "%.2f", d/1e6}')" "$rps" "$errors" "$hwm" \
        "$(cut -d' ' -f1 /proc/loadavg)" "$(cpu_busy_pct "$c0" "$c1")" >>"$tmp/peer_runs.tsv"
    if [[ $config != "${PEER_CONFIGS##* }" ]]; then
        stop_pid "$exporter_pid"
        exporter_pid=
    fi
done

# Probe success: the exporter answers 200 even when its probe fails, so look inside a sample.
samples=$(python3 - "$exporter_port" "$nginx_port" "$N" <<'EOF'
import sys, urllib.request
exporter, nginx, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
targets = sorted({1, n} | {1 + k * (n - 1) // 19 for k in range(20)})
ok = 0
for i in targets:
    url = (f"http://127.0.0.1:{exporter}/probe?module=http_2xx"
           f"&target=http://127.0.0.1:{nginx}/p/{i}")
    body = urllib.request.urlopen(url, timeout=10).read().decode()
    ok += any(line == "probe_success 1" for line in body.splitlines())
print(ok, len(targets))
EOF
)
stop_pid "$exporter_pid"
exporter_pid=
say "load after: $(load)"

# --- report ------------------------------------------------------------------------------
python3 - "$tmp/golive_runs.tsv" "$tmp/peer_runs.tsv" "$N" "$samples" "$golive_errors" \
    "$TARGET_RATIO" "$TARGET_RSS_MB" <<'EOF'
import statistics, sys

golive_file, peer_file, n, samples, golive_errors, target_ratio, target_rss = sys.argv[1:]
n, golive_errors = int(n), int(golive_errors)
target_ratio, target_rss = float(target_ratio), float(target_rss)
ok_samples, n_samples = map(int, samples.split())

def mb(kb):  # decimal megabytes: kB * 1024 / 1e6 (stricter than MiB against the target)
    return int(kb) * 1024 / 1e6

runs = [line.rstrip("\n").split("\t") for line in open(golive_file) if line.strip()]
peer = [line.rstrip("\n").split("\t") for line in open(peer_file) if line.strip()]

print()
print(f"golive runs (N={n}; wall = whole process: start-up, parsing, probing, recording in")
print("  its event store, JSON output;")
print("  measured with a ns clock around /usr/bin/time -v, whose own 10 ms figure is 'time -v';")
print("  CPU% = golive's share of one core; busy% = all cores busy, anyone's, during the run)")
print(f"{'jobs':>8} {'run':>3} {'wall s':>7} {'time -v':>7} {'probes/s':>9} {'RSS MB':>7} "
      f"{'results':>7} {'failed':>6} {'exit':>4} {'CPU%':>5} {'load1':>5} {'busy%':>5}")
by_jobs = {}
for jobs, run, wall, rss, count, failed, rc, cpu, load1, busy, elapsed in runs:
    wall = float(wall)
    by_jobs.setdefault(jobs, []).append((wall, int(rss), int(count), int(failed)))
    print(f"{jobs:>8} {run:>3} {wall:7.3f} {elapsed:>7} {n / wall:9.0f} {mb(rss):7.1f} "
          f"{count:>7} {failed:>6} {rc:>4} {cpu:>5} {load1:>5} {busy:>5}")
print()
print("golive medians by --jobs:")
medians = {}
for jobs, rows in by_jobs.items():
    wall = statistics.median(r[0] for r in rows)
    rss = max(r[1] for r in rows)
    medians[jobs] = (wall, rss)
    print(f"  --jobs {jobs:>7}: median wall {wall:.3f} s = {n / wall:,.0f} probes/s, "
          f"peak RSS {mb(rss):.1f} MB")

print()
print(f"blackbox_exporter runs (wrk threads:connections, keep-alive, walking the {n} targets)")
print(f"{'t:c':>7} {'requests':>8} {'secs':>5} {'probes/s':>9} {'errors':>6} {'RSS MB':>7} "
      f"{'load1':>5} {'busy%':>5}")
best = None
for config, requests, secs, rps, errors, hwm, load1, busy in peer:
    print(f"{config:>7} {requests:>8} {secs:>5} {float(rps):9.0f} {errors:>6} {mb(hwm):7.1f} "
          f"{load1:>5} {busy:>5}")
    if best is None or float(rps) > float(best[3]):
        best = (config, requests, secs, rps, errors, hwm)

main_jobs = "default" if "default" in medians else min(medians, key=lambda j: medians[j][0])
g_wall, g_rss = medians[main_jobs]
g_rows = by_jobs[main_jobs]
g_results = min(r[2] for r in g_rows)
g_failed = max(r[3] for r in g_rows)
# Errors of the reported runs: missing results plus failed checks, the worst run's.
g_errors = max((n - r[2]) + max(r[3], 0) for r in g_rows)
p_config, p_requests, _, p_rps, p_errors, p_hwm = best
p_rps = float(p_rps)
p_wall = n / p_rps
g_rps = n / g_wall

print()
print(f"{'tool':<34} {'probes':>6} {'wall s':>8} {'probes/s':>9} {'peak RSS':>9} {'errors':>6}")
label = "golive" + (" (--jobs default 64)" if main_jobs == "default" else f" (--jobs {main_jobs})")
print(f"{label:<34} {n:>6} {g_wall:8.3f} {g_rps:9.0f} {mb(g_rss):6.1f} MB "
      f"{g_errors:>6}")
print(f"{'blackbox_exporter (wrk ' + p_config + ')':<34} {n:>6} {p_wall:7.3f}* {p_rps:9.0f} "
      f"{mb(p_hwm):6.1f} MB {int(p_errors):>6}")
print(f"  * peer wall time derived: {n} / its probes/s (wrk ran {p_requests} probes; "
      f"{ok_samples}/{n_samples} sampled probes report probe_success 1)")
if int(p_requests) < n:
    print(f"  NOTE: the peer run covered only {p_requests} probes (< {n}); raise PEER_DURATION")
best_jobs = min(medians, key=lambda j: medians[j][0])
if best_jobs != main_jobs:
    bw = medians[best_jobs][0]
    print(f"  fastest golive setting: --jobs {best_jobs}, median {bw:.3f} s "
          f"({(g_wall - bw) / g_wall * 100:+.1f}% vs default)")
print()
ratio = g_rps / p_rps
target_wall = n / (target_ratio * p_rps)
print(f"ratio golive/peer probes/s = {ratio:.2f} (target >= {target_ratio:g})"
      + ("" if ratio >= target_ratio else
         f"   MISSED (needs wall < {target_wall:.3f} s at this peer rate)"))
print(f"golive peak RSS = {mb(g_rss):.0f} MB (target < {target_rss:g})"
      + ("" if mb(g_rss) < target_rss else "   MISSED"))
print(f"results {g_results}, failed {g_failed}"
      + ("" if g_results == n and g_failed == 0 and golive_errors == 0 else
         f"   ERRORS ({golive_errors} golive runs had errors)"))
if ok_samples != n_samples:
    print(f"WARNING: only {ok_samples}/{n_samples} sampled exporter probes succeeded")
EOF

((golive_errors == 0))
