#!/bin/sh
# ./status.sh: the PRA's health at a glance; exit 1 when a check fails. Cron runs it every
# 5 minutes (see CHECKLIST.md).
set -u
. "$(dirname "$0")/env.sh"
failed=0
check() {
    if eval "$2" >/dev/null 2>&1; then echo "ok   $1"; else echo "FAIL $1"; failed=1; fi
}
check ".env is 600" '[ "$(stat -c %a .env)" = 600 ]'
check "$BACKUP_DIR is 700" '[ "$(stat -c %a "$BACKUP_DIR")" = 700 ]'
check "PostgreSQL answers" 'psql "$DATABASE_URL" -Atc "select 1"'
check "a full backup under 1 hour old" '[ -n "$(find "$BACKUP_DIR" -name "full-*.dump" -mmin -60)" ]'
if [ "$failed" = 0 ]; then echo "All checks passed ✓"; else echo "Some checks failed"; fi
exit "$failed"
