#!/usr/bin/env bash
# Concurrent ticks on one file: how many of N boxes land when N `golive tick` start at once.
# Usage: scripts/bench/ticks.sh [GOLIVE_BINARY] [ROUNDS]   (default: target/debug/golive, 3)
# Prints, per N in 8 and 16, the boxes ticked in the file and the tick events stored, per round.
set -euo pipefail
golive=$(realpath "${1:-target/debug/golive}")
rounds=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for n in 8 16; do
  for round in $(seq "$rounds"); do
    dir="$work/n$n-r$round"
    mkdir -p "$dir"
    {
      echo "# Launch"
      for i in $(seq "$n"); do echo "- [ ] task$i"; done
    } >"$dir/launch.md"
    pids=()
    for i in $(seq "$n"); do
      "$golive" tick "$dir/launch.md" "task$i" --by "p$i" >/dev/null 2>"$dir/err$i" &
      pids+=($!)
    done
    failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
    landed=$(grep -c '^- \[x\]' "$dir/launch.md" || true)
    events=$("$golive" audit log "$dir/launch.md" --format json |
      grep -o '"kind": *"tick"' | wc -l)
    echo "n=$n round=$round boxes_landed=$landed/$n tick_events=$events failed_commands=$failed"
  done
done
