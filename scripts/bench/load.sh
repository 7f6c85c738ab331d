#!/usr/bin/env bash
# Benchmark of `golive load` against wrk and oha, on one nginx on loopback.
#
#   scripts/bench/load.sh [--force] [--instructions]
#
# Not part of the tests: it needs a quiet machine and takes about ten minutes.
#
# Set-up: nginx (worker_processes 1, one small static file) pinned to CPU $SERVER_CPU; every
# load generator pinned to CPU $CLIENT_CPU, so that generators never compete with the server
# (on a 2-core machine: nginx on CPU 0, generators on CPU 1, one thread each). Five
# interleaved rounds of golive, wrk and oha, each with the same connections and duration; the
# client's CPU time and peak RSS come from /usr/bin/time. Then one golive run of 1M requests
# for peak memory (and oha's, for comparison).
#
# Latency agreement is measured twice. In the closed-model rounds each connection sends its
# next request when the last is answered, so latency is connections ÷ throughput: a faster
# client shows lower latency, and p50 there differs between tools by as much as their req/s.
# So a second comparison runs golive (--rate) and oha (-q, uncorrected) at the same fixed
# rate, $RATE req/s, well below what the server can take: there the figures measure the same
# server at the same load, and must agree. They agree only as long as the machine does not
# stall: a request that falls due while its connection is still busy counts its wait in golive
# (no coordinated omission), not in oha's uncorrected figure. So the same rounds also run oha
# with --latency-correction, which counts it too, and print how far golive's p99 is from that.
#
# Wall-clock rounds on a shared machine are noisy, so the script also counts instructions
# per request under callgrind (valgrind) for golive and wrk against the same nginx: a figure
# that does not move with the machine's load. Then HTTP/2: golive --http2 against h2load
# (Debian's nghttp2-client) on the same nginx, h2c with prior knowledge, interleaved rounds.
# Then the same req/s comparisons (golive/wrk, golive --http2/h2load) on a bare answer
# (`return 200`): with a static file nginx's one worker is the bottleneck, near 100 % busy, and
# the first rounds measure it more than the generators; every round prints how busy it was.
# Last, golive with 10,000 connections held for a few seconds (errors, connections opened).
#
# --instructions runs only the callgrind comparison (a minute or two; any machine load will do):
# the figure to iterate on when changing the engine.
#
# Refuses to run (exit 3) when the machine is busy: 1-minute load average above $MAX_LOAD or
# less than $MIN_IDLE % idle over two seconds; --force runs anyway. Each run also measures the
# CPU that neither nginx nor the generator used (other processes, the hypervisor's steal), and
# the summary warns about runs that lost more than 10 % of a CPU to it.
#
# Environment: CONNECTIONS (50), DURATION (seconds, 10), ROUNDS (5), RSS_REQUESTS (1000000),
# RATE (20000), PACED_ROUNDS (as ROUNDS), CALLGRIND_SHORT (3), CALLGRIND_LONG (12), H2_ROUNDS (as ROUNDS),
# BOUND_ROUNDS (as ROUNDS; 0 skips the rounds on bare answers),
# MANY (10000; 0 skips that run),
# SERVER_CPU (0), CLIENT_CPU (1), MAX_LOAD (0.5), MIN_IDLE (90), GOLIVE (a built binary),
# OHA (an oha binary; else oha from PATH, else `cargo install oha` into $OHA_ROOT).

set -euo pipefail

CONNECTIONS=${CONNECTIONS:-50}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-5}
RSS_REQUESTS=${RSS_REQUESTS:-1000000}
RATE=${RATE:-20000}
PACED_ROUNDS=${PACED_ROUNDS:-$ROUNDS}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
CALLGRIND_SHORT=${CALLGRIND_SHORT:-3}
CALLGRIND_LONG=${CALLGRIND_LONG:-12}
H2_ROUNDS=${H2_ROUNDS:-$ROUNDS}
BOUND_ROUNDS=${BOUND_ROUNDS:-$ROUNDS}
MANY=${MANY:-10000}
MAX_LOAD=${MAX_LOAD:-0.5}
MIN_IDLE=${MIN_IDLE:-90}
OHA_ROOT=${OHA_ROOT:-${TMPDIR:-/tmp}/golive-bench-oha}
FORCE=0
INSTRUCTIONS_ONLY=0

for arg in "$@"; do
    case "$arg" in
        --force) FORCE=1 ;;
        --instructions) INSTRUCTIONS_ONLY=1 ;;
        -h | --help)
            sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "load.sh: unknown argument \`$arg\` (try --help)" >&2
            exit 2
            ;;
    esac
done

die() {
    echo "load.sh: $*" >&2
    exit 1
}

for tool in nginx wrk h2load valgrind taskset python3 cargo pgrep getconf; do
    command -v "$tool" > /dev/null || die "needs \`$tool\` (apt-get install nginx-light wrk nghttp2-client valgrind util-linux python3 procps libc-bin)"
done
[ -x /usr/bin/time ] || die "needs /usr/bin/time (apt-get install time)"

# --- Is the machine quiet enough to measure anything? ---------------------------------------
cpu_idle_percent() {
    # Idle share of all CPUs over two seconds, from /proc/stat (idle + iowait).
    read -r _ a1 a2 a3 a4 a5 a6 a7 a8 _ < /proc/stat
    sleep 2
    read -r _ b1 b2 b3 b4 b5 b6 b7 b8 _ < /proc/stat
    local total=$(((b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8) - (a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8)))
    local idle=$(((b4 + b5) - (a4 + a5)))
    echo $((100 * idle / (total > 0 ? total : 1)))
}
load1=$(cut -d' ' -f1 /proc/loadavg)
idle=$(cpu_idle_percent)
busy=$(python3 -c "print(int($load1 > $MAX_LOAD or $idle < $MIN_IDLE))")
if [ "$busy" = 1 ] && [ "$INSTRUCTIONS_ONLY" = 0 ]; then
    echo "load.sh: the machine is busy (load average $load1 > $MAX_LOAD, or idle $idle% < $MIN_IDLE%):" >&2
    echo "         figures would measure the other work, not the load generators." >&2
    ps -eo pcpu,comm --sort=-pcpu | head -6 | sed 's/^/         /' >&2
    if [ "$FORCE" = 0 ]; then
        echo "         wait for it to calm down, or pass --force" >&2
        exit 3
    fi
    echo "         --force: running anyway" >&2
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/golive-bench.XXXXXX")

# --- The binaries ------------------------------------------------------------------------------
if [ -z "${GOLIVE:-}" ]; then
    echo "building golive (--profile release-lto, as distributed)…" >&2
    (cd "$root" && cargo build --profile release-lto --quiet --bin golive)
    GOLIVE="${CARGO_TARGET_DIR:-$root/target}/release-lto/golive"
fi
[ -x "$GOLIVE" ] || die "no golive binary at $GOLIVE"
if [ "$INSTRUCTIONS_ONLY" = 1 ]; then
    OHA=
elif [ -z "${OHA:-}" ]; then
    if command -v oha > /dev/null; then
        OHA=$(command -v oha)
    else
        OHA="$OHA_ROOT/bin/oha"
        if [ ! -x "$OHA" ]; then
            echo "installing oha into $OHA_ROOT (once; a few minutes)…" >&2
            cargo install oha --locked --quiet --root "$OHA_ROOT"
        fi
    fi
fi
[ "$INSTRUCTIONS_ONLY" = 1 ] || [ -x "$OHA" ] || die "no oha binary at $OHA"

# --- nginx on its own CPU -------------------------------------------------------------------
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
h2port=$(free_port)
# mktemp makes the folder 0700; nginx's worker, run as root, drops to `nobody` and must read it.
chmod 755 "$work"
mkdir -p "$work/nginx/logs" "$work/www"
printf 'hello from nginx\n' > "$work/www/index.html"
cat > "$work/nginx/nginx.conf" << EOF
worker_processes 1;
worker_rlimit_nofile 30000;
daemon on;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 20000; }
http {
    access_log off;
    # Every generator keeps its connections for the whole run: reconnection policies differ
    # between tools and are not what is measured here.
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:$port;
        location / { root $work/www; }
        # The cheapest answer nginx gives (no file opened): the rounds on bare answers.
        location = /bare { default_type text/plain; return 200 "hello from nginx\n"; }
    }
    # HTTP/2 over plain TCP with prior knowledge (h2c), as h2load and golive --http2 speak it.
    server {
        listen 127.0.0.1:$h2port http2;
        location / { root $work/www; }
        location = /bare { default_type text/plain; return 200 "hello from nginx\n"; }
    }
}
EOF
cleanup() {
    if [ -f "$work/nginx/nginx.pid" ]; then
        kill "$(cat "$work/nginx/nginx.pid")" 2> /dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
taskset -c "$SERVER_CPU" nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" 2> /dev/null
url="http://127.0.0.1:$port/"
nginx_up=0
for _ in $(seq 50); do
    if python3 -c "import urllib.request; urllib.request.urlopen('$url')" 2> /dev/null; then
        nginx_up=1
        break
    fi
    sleep 0.1
done
[ "$nginx_up" = 1 ] || die "nginx does not answer $url: $(tail -3 "$work/nginx/logs/error.log" 2> /dev/null)"

# How busy nginx's worker was during the last client run (%), from its CPU ticks: near 100 %,
# the run measured nginx, not the generator.
nginx_worker=$(pgrep -P "$(cat "$work/nginx/nginx.pid")" | head -1)
clock_tick=$(getconf CLK_TCK)
nginx_ticks() { awk '{ print $14 + $15 }' "/proc/$nginx_worker/stat"; }
# CPU time of the whole machine (user, nice, system, irq, softirq, steal), in ticks.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# Per run, the share of a CPU that neither nginx nor the generator used (other processes, or
# the hypervisor's steal): the figure that says a round was disturbed. On a kernel built with
# CONFIG_IRQ_TIME_ACCOUNTING, softirq time (loopback networking) is charged to no process and
# shows here too: there, a high figure on every run is the network stack, not a neighbour.
others="$work/others"
client() {
    local before machine_before began status=0
    before=$(nginx_ticks)
    machine_before=$(machine_ticks)
    began=$(date +%s.%N)
    taskset -c "$CLIENT_CPU" /usr/bin/time -f '%U %S %M' -o "$work/time" "$@" || status=$?
    read -r nginx_busy other < <(python3 -c "
elapsed = $(date +%s.%N) - $began
nginx = ($(nginx_ticks) - $before) / $clock_tick
user, sys_ = open('$work/time').read().split()[-3:-1]
rest = ($(machine_ticks) - $machine_before) / $clock_tick - nginx - float(user) - float(sys_)
print(round(100 * nginx / elapsed), max(0, round(100 * rest / elapsed)))")
    echo "$other" >> "$others"
    return "$status"
}

# One line per run: tool round rps requests cpu_seconds rss_kb p50_ms p99_ms nginx_busy_%
results="$work/results.tsv"
run_golive() {
    client "$GOLIVE" load "$url" -z "${DURATION}s" -c "$CONNECTIONS" -q --format json > "$work/out"
    python3 - "$1" "$work/out" "$work/time" "$nginx_busy" >> "$results" << 'EOF'
import json, sys
d = json.load(open(sys.argv[2])); user, sys_, rss = open(sys.argv[3]).read().split()[-3:]
print("golive", sys.argv[1], d["rps"], d["requests"], float(user) + float(sys_), rss,
      d["latency_ms"]["p50"], d["latency_ms"]["p99"], sys.argv[4], sep="\t")
EOF
}
run_wrk() {
    client wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url" > "$work/out"
    python3 - "$1" "$work/out" "$work/time" "$nginx_busy" >> "$results" << 'EOF'
import re, sys
t = open(sys.argv[2]).read(); user, sys_, rss = open(sys.argv[3]).read().split()[-3:]
def ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
requests = int(re.search(r"(\d+) requests in", t).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
# Anchored: a "+/- Stdev" column such as 66.50% must not read as the 50th percentile.
p50 = ms(re.search(r"^\s*50%\s+(\S+)", t, re.M).group(1))
p99 = ms(re.search(r"^\s*99%\s+(\S+)", t, re.M).group(1))
print("wrk", sys.argv[1], rps, requests, float(user) + float(sys_), rss, p50, p99, sys.argv[4], sep="\t")
EOF
}
run_oha() {
    client "$OHA" -z "${DURATION}s" -c "$CONNECTIONS" --worker-threads 1 --no-tui --output-format json "$url" > "$work/out"
    python3 - "$1" "$work/out" "$work/time" "$nginx_busy" >> "$results" << 'EOF'
import json, sys
d = json.load(open(sys.argv[2])); user, sys_, rss = open(sys.argv[3]).read().split()[-3:]
s = d["summary"]; p = d["latencyPercentiles"]
requests = sum(d["statusCodeDistribution"].values())
print("oha", sys.argv[1], s["requestsPerSec"], requests, float(user) + float(sys_), rss,
      p["p50"] * 1000, p["p99"] * 1000, sys.argv[4], sep="\t")
EOF
}

echo "instructions per request under callgrind: ${CALLGRIND_SHORT}s and ${CALLGRIND_LONG}s runs, -c $CONNECTIONS…" >&2
# Whole-process instructions include start-up and shutdown (wrk's LuaJIT, golive's runtime and
# report), which a run of a few seconds under callgrind does not amortise: a short run flatters
# whichever tool starts lighter, a long one the other. So each tool runs twice and the figure is
# the marginal cost, (instructions of the long run − the short one) ÷ (its extra requests):
# what one more request costs, start-up cancelled out.
instructions() { grep -Eo 'Collected : [0-9]+' "$1" | awk '{print $3}'; }
callgrind_golive() {
    taskset -c "$CLIENT_CPU" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "$GOLIVE" load "$url" -z "${1}s" -c "$CONNECTIONS" -q --format json > "$work/out" 2> "$work/cg"
    echo "$(instructions "$work/cg") $(python3 -c "import json; print(json.load(open('$work/out'))['requests'])")"
}
callgrind_wrk() {
    taskset -c "$CLIENT_CPU" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        wrk -t1 -c"$CONNECTIONS" -d"${1}s" "$url" > "$work/out" 2> "$work/cg"
    echo "$(instructions "$work/cg") $(python3 -c "import re; print(re.search(r'(\d+) requests in', open('$work/out').read()).group(1))")"
}
read -r golive_ir_short golive_req_short < <(callgrind_golive "$CALLGRIND_SHORT")
read -r golive_ir_long golive_req_long < <(callgrind_golive "$CALLGRIND_LONG")
read -r wrk_ir_short wrk_req_short < <(callgrind_wrk "$CALLGRIND_SHORT")
read -r wrk_ir_long wrk_req_long < <(callgrind_wrk "$CALLGRIND_LONG")
echo "  golive $golive_ir_short / $golive_req_short requests, $golive_ir_long / $golive_req_long;" \
    "wrk $wrk_ir_short / $wrk_req_short, $wrk_ir_long / $wrk_req_long (instructions / requests)" >&2
marginal() { python3 -c "print(round(($3 - $1) / max(1, $4 - $2)))"; }
golive_ipr=$(marginal "$golive_ir_short" "$golive_req_short" "$golive_ir_long" "$golive_req_long")
wrk_ipr=$(marginal "$wrk_ir_short" "$wrk_req_short" "$wrk_ir_long" "$wrk_req_long")
echo "  instructions per extra request: golive $golive_ipr, wrk $wrk_ipr ($(python3 -c "print(f'{$golive_ipr / $wrk_ipr:.3f}')")×)" >&2
[ "$INSTRUCTIONS_ONLY" = 1 ] && exit 0

echo "golive $("$GOLIVE" --version | cut -d' ' -f2), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $("$OHA" --version)" >&2
echo "nginx $(nginx -v 2>&1 | cut -d/ -f2) on CPU $SERVER_CPU, generators on CPU $CLIENT_CPU ($(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))" >&2
echo "$ROUNDS rounds × {golive, wrk, oha}, -c $CONNECTIONS, ${DURATION}s each" >&2
# Warm-up: page cache, nginx's first connections, CPU frequency.
taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d2s "$url" > /dev/null
for round in $(seq "$ROUNDS"); do
    # The order rotates so that no tool always runs first or last.
    case $((round % 3)) in
        1) order="golive wrk oha" ;;
        2) order="wrk oha golive" ;;
        0) order="oha golive wrk" ;;
    esac
    for tool in $order; do
        "run_$tool" "$round"
        tail -1 "$results" | awk -F'\t' '{printf "  round %s %-6s %9.0f req/s  %6.3f CPU-s  p50 %.3fms  p99 %.3fms  nginx %s%% busy\n", $2, $1, $3, $5, $7, $8, $9}' >&2
    done
done

echo "fixed rate, $RATE req/s: golive --rate vs oha -q (uncorrected) and oha -q --latency-correction…" >&2
paced="$work/paced.tsv"
for round in $(seq "$PACED_ROUNDS"); do
    case $((round % 3)) in
        1) order="golive oha oha-cor" ;;
        2) order="oha oha-cor golive" ;;
        0) order="oha-cor golive oha" ;;
    esac
    for tool in $order; do
        case "$tool" in
            golive) client "$GOLIVE" load "$url" -z "${DURATION}s" -c "$CONNECTIONS" --rate "$RATE" -q --format json > "$work/out" ;;
            oha) client "$OHA" -z "${DURATION}s" -c "$CONNECTIONS" -q "$RATE" --worker-threads 1 --no-tui --output-format json "$url" > "$work/out" ;;
            # Latency from each request's scheduled time, as golive measures it: the figures
            # to compare when a stalling machine makes corrected and uncorrected ones differ.
            oha-cor) client "$OHA" -z "${DURATION}s" -c "$CONNECTIONS" -q "$RATE" --latency-correction --worker-threads 1 --no-tui --output-format json "$url" > "$work/out" ;;
        esac
        python3 - "$tool" "$work/out" >> "$paced" << 'EOF'
import json, sys
d = json.load(open(sys.argv[2]))
if sys.argv[1] == "golive":
    p50, p99, rps = d["latency_ms"]["p50"], d["latency_ms"]["p99"], d["rps"]
else:
    p50, p99 = d["latencyPercentiles"]["p50"] * 1000, d["latencyPercentiles"]["p99"] * 1000
    rps = d["summary"]["requestsPerSec"]
print(sys.argv[1], rps, p50, p99, sep="\t")
EOF
        tail -1 "$paced" | awk -F'\t' '{printf "  round %s %-7s %9.0f req/s  p50 %.3fms  p99 %.3fms\n", r, $1, $2, $3, $4}' r="$round" >&2
    done
done

echo "HTTP/2 (h2c), $H2_ROUNDS rounds × {golive --http2, h2load}, -c $CONNECTIONS, ${DURATION}s each…" >&2
h2url="http://127.0.0.1:$h2port/"
h2="$work/h2.tsv"
# One HTTP/2 run against URL: `golive` (golive --http2) or `h2load`; sets rps.
run_h2() {
    case "$1" in
        golive)
            client "$GOLIVE" load "$2" --http2 -z "${DURATION}s" -c "$CONNECTIONS" -q --format json > "$work/out"
            rps=$(python3 -c "import json; print(json.load(open('$work/out'))['rps'])")
            ;;
        # One stream at a time per connection (-m 1), as golive sends.
        h2load)
            client h2load -c "$CONNECTIONS" -m 1 -t 1 -D "$DURATION" "$2" > "$work/out"
            rps=$(grep -Eo 'finished in [0-9.]+s, [0-9.]+ req/s' "$work/out" | awk '{print $4}')
            ;;
    esac
}
for round in $(seq "$H2_ROUNDS"); do
    case $((round % 2)) in
        1) order="golive h2load" ;;
        0) order="h2load golive" ;;
    esac
    for tool in $order; do
        run_h2 "$tool" "$h2url"
        printf '%s\t%s\n' "$tool" "$rps" >> "$h2"
        echo "  round $round $tool $rps req/s" >&2
    done
done

# The rounds above ask nginx for a static file: on two CPUs its one worker is then the
# bottleneck (near 100 % busy, with the same syscalls and packets per request whichever tool
# asks), so their req/s measure nginx more than the generators. Here nginx answers from
# memory (`return 200`, no file opened), at about twice the rate, so that the generator's own
# CPU runs out too and its cost per request shows in req/s. Each line says how busy nginx was.
bound="$work/bound.tsv"
if [ "$BOUND_ROUNDS" -gt 0 ]; then
    echo "bare answers: $BOUND_ROUNDS rounds × {golive, wrk, golive --http2, h2load} on /bare (nginx answers from memory), -c $CONNECTIONS, ${DURATION}s each…" >&2
fi
for round in $(seq "$BOUND_ROUNDS"); do
    case $((round % 2)) in
        1) order="golive wrk golive-h2 h2load" ;;
        0) order="h2load golive-h2 wrk golive" ;;
    esac
    for tool in $order; do
        case "$tool" in
            golive)
                client "$GOLIVE" load "${url}bare" -z "${DURATION}s" -c "$CONNECTIONS" -q --format json > "$work/out"
                rps=$(python3 -c "import json; print(json.load(open('$work/out'))['rps'])")
                ;;
            wrk)
                client wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "${url}bare" > "$work/out"
                rps=$(grep -Eo 'Requests/sec: +[0-9.]+' "$work/out" | awk '{print $2}')
                ;;
            golive-h2) run_h2 golive "${h2url}bare" ;;
            h2load) run_h2 h2load "${h2url}bare" ;;
        esac
        read -r user sys_ _ < "$work/time"
        printf '%s\t%s\t%s\n' "$tool" "$rps" "$nginx_busy" >> "$bound"
        printf '  round %s %-9s %9.0f req/s  client %s CPU-s  nginx %s%% busy\n' "$round" "$tool" "$rps" \
            "$(python3 -c "print(f'{$user + $sys_:.2f}')")" "$nginx_busy" >&2
    done
done

many_line="skipped"
if [ "$MANY" -gt 0 ]; then
    echo "$MANY users ramped in over 2s, then held for 4s (500ms think time)…" >&2
    client "$GOLIVE" load "$url" --stage "2s:$MANY" --stage "4s:$MANY" --think 500ms -q --format json > "$work/out" || true
    many_line=$(python3 -c "import json; d = json.load(open('$work/out')); print(f\"{d['connections_opened']} connections opened, {d['requests']} requests, {d['in_flight']} in flight at the end, {d['errors']['total']} errors, peak RSS $(awk '{print $3}' "$work/time") KB\")")
fi

echo "peak RSS for $RSS_REQUESTS requests…" >&2
client "$GOLIVE" load "$url" -n "$RSS_REQUESTS" -c "$CONNECTIONS" -q --format json > "$work/out"
golive_rss=$(awk '{print $3}' "$work/time")
client "$OHA" -n "$RSS_REQUESTS" -c "$CONNECTIONS" --worker-threads 1 --no-tui --output-format quiet "$url" > /dev/null
oha_rss=$(awk '{print $3}' "$work/time")

python3 - "$results" "$golive_rss" "$oha_rss" "$RSS_REQUESTS" "$others" "$paced" "$RATE" \
    "$golive_ipr" "$wrk_ipr" "$h2" "$many_line" "$bound" << 'EOF'
import os, statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
golive_rss, oha_rss, rss_requests = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
others = [int(line) for line in open(sys.argv[5]).read().split()]
paced = [line.split("\t") for line in open(sys.argv[6]).read().splitlines()]
rate = sys.argv[7]
def median(tool, column):
    return statistics.median(float(r[column]) for r in rows if r[0] == tool)
def cpu_per_100k(tool):
    return statistics.median(float(r[4]) / float(r[3]) * 1e5 for r in rows if r[0] == tool)
print()
print(f"{'':8}{'req/s':>10}{'CPU-s/100k':>12}{'RSS MB':>9}{'p50 ms':>9}{'p99 ms':>9}   (medians)")
for tool in ("golive", "wrk", "oha"):
    print(f"{tool:8}{median(tool, 2):10.0f}{cpu_per_100k(tool):12.3f}{median(tool, 5) / 1024:9.1f}"
          f"{median(tool, 6):9.3f}{median(tool, 7):9.3f}")
print()
def verdict(ok):
    return "PASS" if ok else "MISSED"
rps = median("golive", 2) / median("wrk", 2)
cpu = cpu_per_100k("golive") / cpu_per_100k("wrk")
rss = golive_rss / 1024
def off(golive, oha):
    return abs(golive - oha) / oha
closed50 = off(median("golive", 6), median("oha", 6))
closed99 = off(median("golive", 7), median("oha", 7))
def paced_median(tool, column):
    return statistics.median(float(r[column]) for r in paced if r[0] == tool)
print(f"{'at ' + rate + ' req/s':18}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}   (medians)")
for tool in ("golive", "oha", "oha-cor"):
    label = "oha (corrected)" if tool == "oha-cor" else tool
    print(f"{label:18}{paced_median(tool, 1):10.0f}{paced_median(tool, 2):9.3f}{paced_median(tool, 3):9.3f}")
print()
# The target compares with oha --latency-correction, which counts, as golive does, the wait of
# a request that fell due while its connection was busy; uncorrected oha is printed beside it.
paced50 = off(paced_median("golive", 2), paced_median("oha-cor", 2))
paced99 = off(paced_median("golive", 3), paced_median("oha-cor", 3))
busy = statistics.median(float(r[8]) for r in rows)
rows_out = [
    (f"golive rps ÷ wrk rps (static file, nginx {busy:.0f}% busy)", f"{rps:.3f}", "≥ 1.0", rps >= 1.0),
    ("CPU-s per 100k requests, golive ÷ wrk", f"{cpu:.3f}", "≤ 1.0", cpu <= 1.0),
    (f"peak RSS for {rss_requests} requests (oha: {oha_rss / 1024:.0f} MB)", f"{rss:.1f} MB", "≤ 20 MB", rss <= 20),
    (f"p50 vs oha --latency-correction at {rate} req/s", f"{paced50 * 100:.1f}%", "≤ 10%", paced50 <= 0.10),
    (f"p99 vs oha --latency-correction at {rate} req/s", f"{paced99 * 100:.1f}%", "≤ 25%", paced99 <= 0.25),
    ("p50 vs oha, closed model (req/s differ)", f"{closed50 * 100:.1f}%", "≤ 10%", closed50 <= 0.10),
    ("p99 vs oha, closed model (req/s differ)", f"{closed99 * 100:.1f}%", "≤ 25%", closed99 <= 0.25),
]
golive_ipr, wrk_ipr = int(sys.argv[8]), int(sys.argv[9])
h2rows = [line.split("\t") for line in open(sys.argv[10]).read().splitlines()]
def h2median(tool):
    return statistics.median(float(r[1]) for r in h2rows if r[0] == tool)
h2ratio = h2median("golive") / h2median("h2load")
rows_out[0:0] = [
    (f"instructions/request (callgrind): golive {golive_ipr:.0f}, wrk {wrk_ipr:.0f}", f"{golive_ipr / wrk_ipr:.3f}", "≤ 1.0", golive_ipr <= wrk_ipr),
]
rows_out.append((f"HTTP/2 rps ÷ h2load ({h2median('golive'):.0f} / {h2median('h2load'):.0f})", f"{h2ratio:.3f}", "≥ 1.0", h2ratio >= 1.0))
bound = [line.split("\t") for line in open(sys.argv[12]).read().splitlines()] if os.path.exists(sys.argv[12]) else []
if bound:
    def bound_median(tool):
        return statistics.median(float(r[1]) for r in bound if r[0] == tool)
    for mine, peer, label in (("golive", "wrk", "golive rps ÷ wrk rps"), ("golive-h2", "h2load", "HTTP/2 rps ÷ h2load")):
        ratio = bound_median(mine) / bound_median(peer)
        busy = statistics.median(float(r[2]) for r in bound if r[0] in (mine, peer))
        rows_out.append((f"{label}, bare answers (nginx {busy:.0f}% busy)", f"{ratio:.3f}", "≥ 1.0", ratio >= 1.0))
for name, value, target, ok in rows_out:
    print(f"{name:50}{value:>10}   target {target:8} {verdict(ok)}")
uncorrected99 = off(paced_median("golive", 3), paced_median("oha", 3))
print(f"{'p99 vs uncorrected oha at ' + rate + ' req/s':50}{uncorrected99 * 100:9.1f}%   "
      "(no target: oha -q alone does not count waits behind a busy connection)")
print(f"{sys.argv[11]} (golive with many connections)")
# The load average at the end counts this script's own load (two busy CPUs); what neither
# nginx nor the generator used, run by run, is what says whether others disturbed a round.
disturbed = sum(1 for other in others if other > 10)
print(f"\nCPU used by other work (or stolen by the hypervisor) per run: median {statistics.median(others)}%, "
      f"at most {max(others)}% of a CPU")
if disturbed:
    print(f"warning: {disturbed} of {len(others)} runs lost more than 10 % of a CPU to other work; "
          "their figures, and the medians with them, measure that work too")
EOF
