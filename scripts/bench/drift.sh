#!/usr/bin/env bash
# Benchmark: golive's `drift` probe against Evidently (DataDriftPreset) on the same two CSV
# files, in the same run: ROWS rows × COLS numeric columns each (default 1,000,000 × 20, half
# the columns shifted in the current file). Prints wall time and peak RSS of both, and the
# ratios; the targets (issue 16) are golive ≥ 10× faster and < 200 MB peak RSS.
#
# Evidently's preset picks its own tests on large data (Wasserstein, Jensen–Shannon) where
# golive computes KS, PSI (and chi-square, JS for text): both read both files and test every
# column, which is the job; the peer's time includes pandas' read_csv, as golive's includes
# its CSV parsing.
#
# Usage: scripts/bench/drift.sh        Environment: ROWS, COLS, GOLIVE_BIN, PYTHON
# Needs the peers' virtualenv (target/pyenv, made by scripts/test) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${ROWS:-1000000}
COLS=${COLS:-20}
PYTHON=${PYTHON:-target/pyenv/bin/python}
if [[ -z ${GOLIVE_BIN:-} ]]; then
    cargo build --release --quiet
    GOLIVE_BIN=target/release/golive
fi
GOLIVE_BIN=$(realpath "$GOLIVE_BIN")
PYTHON=$(realpath -s "$PYTHON")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$PYTHON" - "$work" "$ROWS" "$COLS" <<'PY'
import sys
import numpy as np
import pandas as pd
work, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(16)
for name, shift in (("ref.csv", 0.0), ("cur.csv", 0.3)):
    data = {f"c{i}": rng.normal(shift if i % 2 else 0.0, 1.0, rows) for i in range(cols)}
    pd.DataFrame(data).to_csv(f"{work}/{name}", index=False, float_format="%.6f")
PY
printf -- '- [ ] Data drift detection configured <!-- id: drift -->\n' > "$work/go-live.md"
cat > "$work/golive.toml" <<'TOML'
[[check]]
item = "drift"
probe = "drift"
reference = "ref.csv"
current = "cur.csv"
timeout = "30m"
expect = ["drift.share < 30%"]
TOML
cat > "$work/evidently_drift.py" <<'PY'
import sys
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
ref = pd.read_csv(sys.argv[1])
cur = pd.read_csv(sys.argv[2])
snapshot = Report([DataDriftPreset()]).run(cur, ref)
print(snapshot.dict()["metrics"][0]["value"])
PY
size=$(du -m "$work/ref.csv" | cut -f1)
echo "files: ${ROWS} rows x ${COLS} columns, ${size} MB each"

measure() { # label, command…: prints "label seconds peak_kB"
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/$label.out" 2> "$work/$label.err" || true
    # GNU time puts "Command exited with non-zero status N" first when it did (a NO-GO).
    read -r seconds kb < <(tail -1 "$work/time")
    echo "$label $seconds $kb"
}
golive=$(cd "$work" && measure golive "$GOLIVE_BIN" check go-live.md --format json)
peer=$(measure evidently "$PYTHON" "$work/evidently_drift.py" "$work/ref.csv" "$work/cur.csv")
echo "golive: $(grep -o "\"drift.share\": *\"[^\"]*\"" "$work/golive.out" | head -1)"
tail -1 "$work/evidently.out"
read -r _ gs gk <<< "$golive"
read -r _ ps pk <<< "$peer"
printf 'golive:    %8.2f s  %8.1f MB peak RSS\n' "$gs" "$(echo "$gk/1024" | bc -l)"
printf 'Evidently: %8.2f s  %8.1f MB peak RSS\n' "$ps" "$(echo "$pk/1024" | bc -l)"
printf 'ratio: golive %.1fx faster, %.1fx less memory (targets: >= 10x, < 200 MB)\n' \
    "$(echo "$ps/$gs" | bc -l)" "$(echo "$pk/$gk" | bc -l)"
