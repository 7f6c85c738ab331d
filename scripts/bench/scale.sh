#!/usr/bin/env bash
# How golive's cost grows with the checklist: time and peak memory of `check`, `status`,
# `gate` and `report` on generated checklists of 1k, 10k and 100k items.
#
#   scripts/bench/scale.sh [--force]
#
# Not part of the tests: it needs a quiet machine and takes a few minutes.
#
# Two shapes per size N, each in its own directory with its own store:
#   items     N items in N/100 sections, and one `title:*…*` check on every item (one result
#             that names N items: the case that used to grow with N²);
#   sections  N sections of one item each, nested three deep (per-section totals that used to
#             scan every item for every section).
# The check is a `file` probe that fails (`size < 1B` on golive.toml), so that `gate` and
# `report` also carry N reasons. Every command runs $ROUNDS times; the medians of wall time,
# CPU time (user + system: steadier than wall time on a busy machine) and peak RSS (MB), all
# from /usr/bin/time, are printed, with the growth against the smallest size: `×t` is the CPU
# time ratio over the size ratio, so linear cost reads about 1 (or below, since fixed start-up
# costs weigh less at scale), quadratic cost grows with the size ratio.
# The target for 100k items with a glob check: `gate` under 2 s and 300 MB.
#
# Each command is bounded ($TIME_LIMIT s, $MEMORY_LIMIT MB of address space) so that a
# binary with super-linear cost cannot take the machine down: a command over a limit is
# reported as `over`.
#
# Refuses to run (exit 3) when the 1-minute load average is above $MAX_LOAD; --force runs
# anyway.
#
# Environment: SIZES ("1000 10000 100000"), ROUNDS (3), TIME_LIMIT (120), MEMORY_LIMIT
# (8000), MAX_LOAD (1.0), GOLIVE (a built binary; default: build the release-lto profile),
# IMPORT_BENCH (examples/import_bench, built the same way). With valgrind installed, the
# importer's ratio is also printed in instructions (callgrind), steady on a busy machine.

set -euo pipefail

SIZES=${SIZES:-1000 10000 100000}
ROUNDS=${ROUNDS:-3}
TIME_LIMIT=${TIME_LIMIT:-120}
MEMORY_LIMIT=${MEMORY_LIMIT:-8000}
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
            echo "scale.sh: unknown argument \`$arg\` (try --help)" >&2
            exit 2
            ;;
    esac
done

cd "$(dirname "$0")/../.."
[[ -x /usr/bin/time ]] || {
    echo "scale.sh: /usr/bin/time is missing (apt-get install time)" >&2
    exit 2
}

load=$(cut -d' ' -f1 /proc/loadavg)
if ((FORCE == 0)) && awk -v l="$load" -v m="$MAX_LOAD" 'BEGIN { exit !(l > m) }'; then
    echo "scale.sh: load average $load is above $MAX_LOAD; the figures would be noise (--force runs anyway)" >&2
    exit 3
fi

if [[ -z ${GOLIVE:-} ]]; then
    cargo build --quiet --profile release-lto
    GOLIVE=$PWD/target/release-lto/golive
fi
# The importer beside pulldown-cmark, same profile as golive (IMPORT_BENCH: a built binary).
if [[ -z ${IMPORT_BENCH:-} ]]; then
    cargo build --quiet --profile release-lto --example import_bench
    IMPORT_BENCH=$PWD/target/release-lto/examples/import_bench
fi
echo "golive: $GOLIVE ($("$GOLIVE" --version))"

work=$(mktemp -d "${TMPDIR:-/tmp}/golive-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT

# One checklist of `shape` with `n` items, and its golive.toml, in directory `dir`.
generate() {
    local shape=$1 n=$2 dir=$3
    mkdir -p "$dir"
    case "$shape" in
        items)
            awk -v n="$n" 'BEGIN {
                print "# Scale: " n " items"
                for (i = 0; i < n; i++) {
                    if (i % 100 == 0) printf "\n## Section %d\n\n", i / 100
                    printf "- [ ] step %d is verified by the glob check\n", i
                }
            }' >"$dir/list.md"
            ;;
        sections)
            awk -v n="$n" 'BEGIN {
                print "# Scale: " n " sections"
                for (i = 0; i < n; i++) {
                    printf "\n%s Part %d\n\n- [ ] step %d is verified by the glob check\n", substr("####", 1, 2 + i % 3), i, i
                }
            }' >"$dir/list.md"
            ;;
    esac
    cat >"$dir/golive.toml" <<'EOF'
[[check]]
item = "title:*step*"
probe = "file"
path = "golive.toml"
expect = ["size < 1B"]
EOF
}

# Runs one golive command in `dir`, bounded; prints "wall cpu megabytes" (or "over over over").
measure() {
    local dir=$1
    shift
    local stats=$work/time.out
    if (
        cd "$dir" &&
            ulimit -v $((MEMORY_LIMIT * 1024)) &&
            timeout "$TIME_LIMIT" /usr/bin/time -f '%e %U %S %M' -o "$stats" "$GOLIVE" "$@" >/dev/null 2>"$work/stderr"
    ); then
        :
    else
        local code=$?
        # 1 is golive's "findings" (failed checks, NO-GO): the command ran to its end.
        if ((code != 1)); then
            echo "over over over"
            return
        fi
    fi
    # time(1) writes "Command exited with non-zero status 1" first when golive exits 1.
    tail -n 1 "$stats" | awk '{ printf "%s %.2f %.0f\n", $1, $2 + $3, $4 / 1024 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "over") }'; }

commands=(
    "check:check list.md -q"
    "status:status list.md"
    "gate:gate list.md"
    "report:report list.md --format html -o report.html"
)

printf '\n%-9s %8s  %-7s %7s %7s %8s %6s %6s\n' shape items command 'wall s' 'cpu s' 'RSS MB' '×t' '×mem'
for shape in items sections; do
    declare -A base_time=() base_mem=()
    base_size=
    for n in $SIZES; do
        dir=$work/$shape-$n
        generate "$shape" "$n" "$dir"
        base_size=${base_size:-$n}
        for entry in "${commands[@]}"; do
            name=${entry%%:*}
            read -ra args <<<"${entry#*:}"
            walls=() times=() mems=()
            for _ in $(seq 1 "$ROUNDS"); do
                read -r w t m < <(measure "$dir" "${args[@]}")
                walls+=("$w") times+=("$t") mems+=("$m")
            done
            w=$(printf '%s\n' "${walls[@]}" | median)
            t=$(printf '%s\n' "${times[@]}" | median)
            m=$(printf '%s\n' "${mems[@]}" | median)
            growth_t=- growth_m=-
            if [[ $t != over && $m != over ]]; then
                base_time[$name]=${base_time[$name]:-$t}
                base_mem[$name]=${base_mem[$name]:-$m}
                growth_t=$(awk -v t="$t" -v b="${base_time[$name]}" -v n="$n" -v s="$base_size" \
                    'BEGIN { printf "%.2f", (t / (b > 0.01 ? b : 0.01)) / (n / s) }')
                growth_m=$(awk -v m="$m" -v b="${base_mem[$name]}" -v n="$n" -v s="$base_size" \
                    'BEGIN { printf "%.2f", (m / b) / (n / s) }')
            fi
            printf '%-9s %8s  %-7s %7s %7s %8s %6s %6s\n' "$shape" "$n" "$name" "$w" "$t" "$m" "$growth_t" "$growth_m"
        done
        # The importer against a bare pulldown-cmark pass over the same file, in one process
        # (issue 10; target: import ≤ 5× the bare parse).
        if [[ $shape == items ]]; then
            read -r bytes parse_ms import_ms ratio rest < <("$IMPORT_BENCH" "$dir/list.md" "$ROUNDS" 2>&1)
            printf '%-9s %8s  %-7s %7s %7s %8s  pulldown-cmark %s ms, import %s ms: %s× (%s bytes)\n' \
                "$shape" "$n" import - - - "$parse_ms" "$import_ms" "$ratio" "$bytes"
            # The same ratio in instructions (callgrind, one round), which a busy machine does
            # not disturb: the figure to compare across runs.
            if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
                valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
                    "$IMPORT_BENCH" "$dir/list.md" 1 >/dev/null 2>&1
                callgrind_annotate --inclusive=yes "$work/callgrind.out" 2>/dev/null |
                    awk -v shape="$shape" -v n="$n" '
                        function ir(s) { gsub(/,/, "", s); return s + 0 }
                        /bench_parse/ && !p { p = ir($1) }
                        /bench_import/ && !i { i = ir($1) }
                        END {
                            if (p > 0 && i > 0)
                                printf "%-9s %8s  %-7s %7s %7s %8s  pulldown-cmark %.0fM instructions, import %.0fM: %.2f× (callgrind)\n",
                                    shape, n, "import", "-", "-", "-", p / 1e6, i / 1e6, i / p
                        }'
            fi
        fi
    done
    unset base_time base_mem
done

cat <<EOF

×t, ×mem: cost per item relative to the ${SIZES%% *}-item run (about 1 or below: linear; growing with size: worse).
Target: 100000 items with a glob check, gate < 2 s and < 300 MB.
EOF
