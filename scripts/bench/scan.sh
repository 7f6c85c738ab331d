#!/usr/bin/env bash
# Benchmark: golive's `scan` probe against detect-secrets (`detect-secrets scan --all-files`)
# on the same tree in the same run: FILES log-like files of LINES lines each, with a secret
# planted every 5,000 lines (an AWS key id, a GitHub token, a password assignment, made at
# random here). Prints wall time, MB/s, peak RSS and findings of both, and the ratios; the
# target (issue 16) is golive ≥ 10× detect-secrets' MB/s.
# detect-secrets reads about 0.1–0.2 MB/s here, so the default tree (about 8 MB) takes it a minute.
#
# Usage: scripts/bench/scan.sh        Environment: FILES, LINES, GOLIVE_BIN, PYTHON
# Needs the peers' virtualenv (target/pyenv, made by scripts/test) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/../.."
FILES=${FILES:-10}
LINES=${LINES:-20000}
PYTHON=${PYTHON:-target/pyenv/bin/python}
if [[ -z ${GOLIVE_BIN:-} ]]; then
    cargo build --release --quiet
    GOLIVE_BIN=target/release/golive
fi
GOLIVE_BIN=$(realpath "$GOLIVE_BIN")
PYTHON=$(realpath -s "$PYTHON")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/tree"

"$PYTHON" - "$work/tree" "$FILES" "$LINES" <<'PY'
import random, string, sys
tree, files, lines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(16)
alnum = string.ascii_letters + string.digits
planted = 0
for f in range(files):
    with open(f"{tree}/app-{f}.log", "w") as out:
        for n in range(lines):
            if n % 5000 == 4999:
                kind = (n // 5000) % 3
                planted += 1
                if kind == 0:
                    out.write("config AWS_ACCESS_KEY_ID=AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16)) + "\n")
                elif kind == 1:
                    out.write("push with token ghp_" + "".join(rng.choice(alnum) for _ in range(36)) + "\n")
                else:
                    out.write('db password = "' + "".join(rng.choice(alnum) for _ in range(14)) + '"\n')
            else:
                out.write(f"2026-12-02T10:{n % 60:02d}:{n % 60:02d}Z INFO request id={n} path=/api/v1/items/{n % 977} status=200 duration_ms={n % 300}\n")
print(f"planted {planted} secrets")
PY
printf -- '- [ ] No hardcoded secrets <!-- id: secrets -->\n' > "$work/go-live.md"
cat > "$work/golive.toml" <<'TOML'
[[check]]
item = "secrets"
probe = "scan"
path = "tree"
look_for = ["secrets"]
timeout = "30m"
expect = ["secrets == 0"]
TOML
mb=$(du -sm "$work/tree" | cut -f1)
echo "tree: ${FILES} files x ${LINES} lines, ${mb} MB"

measure() { # label, command…: prints "label seconds peak_kB"
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/$label.out" 2> "$work/$label.err" || true
    # GNU time puts "Command exited with non-zero status N" first when it did (a NO-GO).
    read -r seconds kb < <(tail -1 "$work/time")
    echo "$label $seconds $kb"
}
golive=$(cd "$work" && measure golive "$GOLIVE_BIN" check go-live.md --format json)
peer=$(cd "$work/tree" && measure detect-secrets "$(dirname "$PYTHON")/detect-secrets" scan --all-files .)
echo "golive: $(grep -o '"secrets": *[0-9]*' "$work/golive.out" | head -1)"
echo "detect-secrets: $("$PYTHON" -c 'import json,sys; print(sum(len(v) for v in json.load(open(sys.argv[1]))["results"].values()), "findings")' "$work/detect-secrets.out")"
read -r _ gs gk <<< "$golive"
read -r _ ps pk <<< "$peer"
printf 'golive:         %8.2f s  %8.1f MB/s  %8.1f MB peak RSS\n' "$gs" "$(echo "$mb/$gs" | bc -l)" "$(echo "$gk/1024" | bc -l)"
printf 'detect-secrets: %8.2f s  %8.1f MB/s  %8.1f MB peak RSS\n' "$ps" "$(echo "$mb/$ps" | bc -l)" "$(echo "$pk/1024" | bc -l)"
printf 'ratio: golive %.1fx the MB/s (target >= 10x), %.1fx less memory\n' \
    "$(echo "$ps/$gs" | bc -l)" "$(echo "$pk/$gk" | bc -l)"
