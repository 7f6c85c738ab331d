#!/usr/bin/env bash
# Recurring procedures at a year's scale: time and peak memory of `golive due` and of the
# evidence pack (`golive report --since --until`) on a store holding a year of daily history
# for 100 recurring items (36,500 period records). Target: under 1 s each.
#
#   scripts/bench/recurring.sh [--force]
#
# Not part of the tests: it needs a quiet machine.
#
# The store is made by golive and grown fast: golive itself creates and migrates it and
# records the first period (`golive tick --at`); then the other 36,499 records are appended in
# one SQLite transaction, each a copy of that first event's shape (same payload keys, same
# canonical JSON, same actor and checklist key) with its own item, period and time, each
# hashed onto the one before exactly as `store::event` does. `golive audit verify` must then
# pass on all 36,500 + 1 events, which it could not if a single byte differed from what
# golive writes; the script stops if it does not. (Ticking 36,500 times through the binary
# takes hours.)
#
# Every command runs $ROUNDS times; the medians of wall time, CPU time (user + system) and
# peak RSS (MB), from /usr/bin/time, are printed.
#
# Refuses to run (exit 3) when the 1-minute load average is above $MAX_LOAD; --force runs
# anyway.
#
# Environment: ITEMS (100), DAYS (365), ROUNDS (3), MAX_LOAD (1.0), GOLIVE (a built binary;
# default: build the release-lto profile).

set -euo pipefail

ITEMS=${ITEMS:-100}
DAYS=${DAYS:-365}
ROUNDS=${ROUNDS:-3}
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
            echo "recurring.sh: unknown argument \`$arg\` (try --help)" >&2
            exit 2
            ;;
    esac
done

cd "$(dirname "$0")/../.."
for tool in /usr/bin/time python3; do
    command -v "$tool" >/dev/null || {
        echo "recurring.sh: $tool is missing" >&2
        exit 2
    }
done

load=$(cut -d' ' -f1 /proc/loadavg)
if ((FORCE == 0)) && awk -v l="$load" -v m="$MAX_LOAD" 'BEGIN { exit !(l > m) }'; then
    echo "recurring.sh: load average $load is above $MAX_LOAD; the figures would be noise (--force runs anyway)" >&2
    exit 3
fi

if [[ -z ${GOLIVE:-} ]]; then
    cargo build --quiet --profile release-lto
    GOLIVE=$PWD/target/release-lto/golive
fi
echo "golive: $GOLIVE ($("$GOLIVE" --version))"

work=$(mktemp -d "${TMPDIR:-/tmp}/golive-recurring.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# 100 daily items, due at 09:00 UTC.
awk -v n="$ITEMS" 'BEGIN {
    print "# Operations\n\n## Daily maintenance (09:00)\n"
    for (i = 1; i <= n; i++) printf "- [ ] Daily check %03d\n", i
}' >ops.md

first_day=$(date -u -d "2025-12-01" +%F)
"$GOLIVE" tick ops.md "Daily check 001" --at "${first_day}T08:00:00Z" --by bench >/dev/null

python3 - "$ITEMS" "$DAYS" "$first_day" <<'EOF'
import datetime, hashlib, json, sqlite3, sys

items, days, first = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
db = sqlite3.connect(".golive/state.db")
rows = db.execute("SELECT seq, checklist, item, actor, payload, hash FROM events WHERE kind = 'period'").fetchall()
assert len(rows) == 1, rows
seq, checklist, first_item, actor, payload, prev = rows[0]
template = json.loads(payload)
assert first_item == "daily-check-001", first_item
assert template["period"] == first and template["source"] == "tick", template
(seq,) = db.execute("SELECT max(seq) FROM events").fetchone()
(prev,) = db.execute("SELECT hash FROM events WHERE seq = ?", (seq,)).fetchone()

def canonical(value):
    # store::event::canonical_json: keys sorted at every depth, no whitespace, serde_json's
    # escaping (the same as Python's for these ASCII values).
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

def field(name, value):
    data = value.encode()
    return name.encode() + b"=" + str(len(data)).encode() + b":" + data + b";"

start = datetime.datetime.fromisoformat(first + "T08:00:00+00:00")
batch = []
for day in range(days):
    for index in range(1, items + 1):
        if day == 0 and index == 1:
            continue  # recorded by golive itself
        at = start + datetime.timedelta(days=day, minutes=index % 50)
        stamp = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        body = dict(template)
        body["period"] = at.strftime("%Y-%m-%d")
        body["at"] = stamp
        text = canonical(body)
        seq += 1
        item = "daily-check-%03d" % index
        encoded = b"".join([
            field("seq", str(seq)), field("at", stamp), field("checklist", checklist),
            field("kind", "period"), field("item", item), field("actor", actor),
            field("payload", text), field("prev", prev),
        ])
        digest = hashlib.sha256(encoded).hexdigest()
        batch.append((seq, stamp, checklist, "period", item, actor, text, prev, digest))
        prev = digest
with db:
    db.executemany("INSERT INTO events (seq, at, checklist, kind, item, actor, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
print(f"appended {len(batch)} period records (store: {seq} events)")
EOF

"$GOLIVE" audit verify ops.md || {
    echo "recurring.sh: the generated history does not verify: it is not what golive writes" >&2
    exit 1
}
records=$(python3 -c "import sqlite3; print(sqlite3.connect('.golive/state.db').execute(\"SELECT count(*) FROM events WHERE kind = 'period'\").fetchone()[0])")
echo "period records: $records"

last_day=$(date -u -d "$first_day + $((DAYS - 1)) days" +%F)
at="${last_day}T20:00:00Z"

# Prints "wall cpu megabytes" for one golive command (exit 1 is findings: it ran to its end).
measure() {
    /usr/bin/time -f '%e %U %S %M' -o "$work/time.out" "$GOLIVE" "$@" >/dev/null 2>"$work/stderr" || {
        local code=$?
        ((code == 1)) || {
            cat "$work/stderr" >&2
            return 1
        }
    }
    tail -n 1 "$work/time.out" | awk '{ printf "%s %.2f %.0f\n", $1, $2 + $3, $4 / 1024 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "none") }'; }

commands=(
    "due:due ops.md --at $at"
    "due json:due ops.md --at $at --format json"
    "pack json:report ops.md --since $first_day --until $last_day --at $at --format json -o pack.json"
    "pack html:report ops.md --since $first_day --until $last_day --at $at --format html -o pack.html"
    "pack csv:report ops.md --since $first_day --until $last_day --at $at --format csv -o pack.csv"
)
printf '%-10s %10s %10s %10s\n' command wall_s cpu_s peak_MB
for entry in "${commands[@]}"; do
    name=${entry%%:*}
    # shellcheck disable=SC2206
    args=(${entry#*:})
    : >"$work/rounds"
    for ((r = 0; r < ROUNDS; r++)); do
        measure "${args[@]}" >>"$work/rounds"
    done
    wall=$(cut -d' ' -f1 "$work/rounds" | median)
    cpu=$(cut -d' ' -f2 "$work/rounds" | median)
    mem=$(cut -d' ' -f3 "$work/rounds" | median)
    printf '%-10s %10s %10s %10s\n' "$name" "$wall" "$cpu" "$mem"
done
