#!/bin/sh
# ./loadtest.sh: the monthly SLA validation: every check (backup, restore drill with its RPO
# and RTO), the gate's decision, and a report archived under reports/.
set -u
cd "$(dirname "$0")"
golive=${GOLIVE:-golive}
mkdir -p reports
"$golive" check CHECKLIST.md
"$golive" gate CHECKLIST.md
status=$?
"$golive" report CHECKLIST.md --format md -o "reports/pra-$(date -u +%Y%m%d).md"
exit "$status"
