#!/usr/bin/env bash
# Runs the example end to end on this machine: makes the data, trains and serves the model on
# loopback, runs `golive check` on go-live.md, stops the model. Needs the peers' virtualenv
# (target/pyenv, made by scripts/test) and a built golive (GOLIVE_BIN, default target/debug/golive).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-$root/target/pyenv/bin/python}
golive=${GOLIVE_BIN:-$root/target/debug/golive}
mkdir -p "$here/data"
# The drift data: `age` shifted in the current file, `city` re-weighted, the rest unchanged.
"$python" - "$here/data" <<'PY'
import sys
import numpy as np
import pandas as pd
rng = np.random.default_rng(2)
for name, n, shift in (("ref.csv", 5000, 0.0), ("cur.csv", 3000, 4.0)):
    pd.DataFrame({
        "age": rng.normal(40 + shift, 9, n).round(1),
        "income": rng.normal(3200, 700, n).round(0),
        "city": rng.choice(["Paris", "Lyon", "Lille"], n, p=[0.5, 0.3, 0.2] if shift == 0 else [0.3, 0.4, 0.3]),
        "plan": rng.choice(["free", "pro", "team"], n, p=[0.6, 0.3, 0.1]),
    }).to_csv(f"{sys.argv[1]}/{name}", index=False)
PY
# The model: trained on generated data, its holdout written to data/holdout.csv, served on a
# loopback port it prints first.
exec 3< <("$python" "$root/tests/it/python/peers.py" model "$here/data")
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
read -r started <&3
port=$("$python" -c 'import json,sys; print(json.loads(sys.argv[1])["port"])' "$started")
export MODEL_URL="http://127.0.0.1:$port/"
cd "$here"
"$golive" check go-live.md "$@"
