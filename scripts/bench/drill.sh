#!/usr/bin/env bash
# Benchmark: golive's backup + restore drill against the same steps done by hand.
#
# Makes a database of ROWS rows (default 1,000,000 invoices and 10,000 clients) on the local
# PostgreSQL, then, in the same run and interleaved (the order flips every round so neither
# side always finds the caches warm), ROUNDS times each:
#   golive:  `golive check` of a two-item checklist: `action = "backup"` (pg_dump -Fc in a
#            repeatable-read snapshot, every table counted, SHA-256 while streaming, manifest)
#            then `action = "restore"` (checksum, CREATE DATABASE, pg_restore, every table
#            counted against the manifest, DROP DATABASE). `amcheck = false`: the hand steps
#            run no pg_amcheck either.
#   by hand: the same count queries on the source, `pg_dump -Fc`, `createdb`, `pg_restore`,
#            the same count queries on the copy, `dropdb`.
# Prints each round's wall time, both medians and their ratio, and golive's peak RSS
# (/usr/bin/time -v). Targets (issue 11): golive <= 1.1x the bare tools, RSS < 50 MB.
#
# Usage: scripts/bench/drill.sh
# Environment (all optional):
#   ROWS=1000000        invoices in the generated database
#   ROUNDS=3            rounds of each
#   PGURL=postgres://postgres@127.0.0.1:5432   the server (trust auth, or a password in the URL)
#   GOLIVE_BIN=path     this binary instead of `cargo build --release`'s
# Exit status: 0 when every run succeeded (missed targets print MISSED), 1 when a run failed,
# 2 on setup errors. The database is dropped on exit.

set -euo pipefail

ROWS=${ROWS:-1000000}
ROUNDS=${ROUNDS:-3}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
TARGET_RATIO=1.1
TARGET_RSS_MB=50
unset GOLIVE_STORE

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
say() { printf '%s\n' "$*" >&2; }
die() {
    say "drill.sh: error: $*"
    exit 2
}

[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"
for tool in psql pg_dump pg_restore createdb dropdb python3; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done
if [[ -n ${GOLIVE_BIN:-} ]]; then
    golive=$GOLIVE_BIN
else
    (cd "$repo" && cargo build --release --quiet) || die "cargo build --release failed"
    golive=$repo/target/release/golive
fi

db=golive_bench_drill_$$
work=$(mktemp -d)
cleanup() {
    psql "$PGURL/postgres" -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
    psql "$PGURL/postgres" -qc "drop database if exists ${db}_copy with (force)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

say "drill.sh: making $db: $ROWS invoices, 10000 clients"
psql "$PGURL/postgres" -qc "create database $db"
psql "$PGURL/$db" -q <<SQL
create table clients(id serial primary key, nom text not null, email text not null);
insert into clients(nom, email)
  select 'client ' || g, md5(g::text) || '@example.test' from generate_series(1, 10000) g;
create table factures(id bigserial primary key, client_id int not null references clients,
  montant numeric(12,2) not null, reference text not null, emise_le timestamptz not null);
insert into factures(client_id, montant, reference, emise_le)
  select 1 + g % 10000, (g % 100000) / 100.0, md5(g::text), now() - g * interval '1 minute'
  from generate_series(1, $ROWS) g;
vacuum analyze;
SQL
size=$(psql "$PGURL/$db" -Atc "select pg_size_pretty(pg_database_size(current_database()))")
say "drill.sh: $db is $size"

# golive's side: a checklist of two items and their checks.
mkdir -p "$work/golive"
cat >"$work/golive/drill.md" <<'MD'
# Drill
- [ ] Backup made
- [ ] Restore verified
MD
cat >"$work/golive/golive.toml" <<TOML
[[check]]
item = "backup-made"
name = "backup"
probe = "drill"
action = "backup"
database = "$PGURL/$db"
timeout = "1h"

[[check]]
item = "restore-verified"
probe = "drill"
action = "restore"
database = "$PGURL/$db"
amcheck = false
rto = "30m"
after = ["backup"]
timeout = "1h"
TOML

# The count queries golive runs (manifest::census): every ordinary table, every sequence.
census() {
    local url=$1 sql
    sql=$(psql "$url" -Atc "select string_agg(format('select count(*) from only %I.%I;', n.nspname, c.relname), ' ' order by 1)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema')
          and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'")
    psql "$url" -Atq >/dev/null <<SQL
begin isolation level repeatable read;
$sql
select schemaname || '.' || sequencename, last_value from pg_sequences
  where schemaname not in ('pg_catalog', 'information_schema');
commit;
SQL
}

by_hand() {
    rm -f "$work/hand.dump"
    census "$PGURL/$db"
    pg_dump --format=custom --file="$work/hand.dump" "$PGURL/$db"
    createdb --maintenance-db="$PGURL/postgres" "${db}_copy"
    pg_restore --no-owner --no-privileges --exit-on-error --dbname="$PGURL/${db}_copy" "$work/hand.dump"
    census "$PGURL/${db}_copy"
    dropdb --maintenance-db="$PGURL/postgres" "${db}_copy"
}

now() { date +%s.%N; }
failed=0
golive_times=() hand_times=() rss_kb=()

run_golive() {
    rm -rf "$work/golive/backups" "$work/golive/.golive"
    local start end
    start=$(now)
    if ! /usr/bin/time -v -o "$work/time.txt" "$golive" check "$work/golive/drill.md" --quiet \
        --format json >"$work/golive.json" 2>"$work/golive.err"; then
        say "drill.sh: golive check failed:"
        cat "$work/golive.json" "$work/golive.err" >&2
        failed=1
    fi
    end=$(now)
    golive_times+=("$(python3 -c "print(f'{$end - $start:.3f}')")")
    rss_kb+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")")
    python3 - "$work/golive.json" <<'PY' >&2
import json, sys
report = json.load(open(sys.argv[1]))
for r in report["results"]:
    o = r["observed"]
    print(f"  golive {r['name']}: {o.get('verdict')} duration {o.get('duration')} rows {o.get('rows', o.get('rows_verified'))} rto {o.get('rto', '-')}")
PY
}

run_hand() {
    local start end
    start=$(now)
    by_hand || failed=1
    end=$(now)
    hand_times+=("$(python3 -c "print(f'{$end - $start:.3f}')")")
}

for round in $(seq 1 "$ROUNDS"); do
    if ((round % 2)); then
        run_golive
        run_hand
    else
        run_hand
        run_golive
    fi
    say "round $round: golive ${golive_times[-1]} s (peak RSS $((rss_kb[-1] / 1024)) MB), by hand ${hand_times[-1]} s"
done

python3 - "$TARGET_RATIO" "$TARGET_RSS_MB" "${golive_times[*]}" "${hand_times[*]}" "${rss_kb[*]}" "$ROWS" "$size" <<'PY'
import statistics, sys
ratio_target, rss_target = float(sys.argv[1]), float(sys.argv[2])
g = [float(x) for x in sys.argv[3].split()]
h = [float(x) for x in sys.argv[4].split()]
rss = max(int(x) for x in sys.argv[5].split()) / 1024
gm, hm = statistics.median(g), statistics.median(h)
ratio = gm / hm
print(f"database: {int(sys.argv[6]) + 10000} rows, {sys.argv[7]}")
print(f"golive backup + restore drill: median {gm:.3f} s  (runs: {', '.join(f'{x:.3f}' for x in g)})")
print(f"by hand (pg_dump, pg_restore, counts): median {hm:.3f} s  (runs: {', '.join(f'{x:.3f}' for x in h)})")
print(f"ratio golive / by hand: {ratio:.3f}x  target <= {ratio_target}x  {'MET' if ratio <= ratio_target else 'MISSED'}")
print(f"golive peak RSS: {rss:.1f} MB  target < {rss_target:.0f} MB  {'MET' if rss < rss_target else 'MISSED'}")
PY
exit "$failed"
