#!/bin/sh
# ./restore_run.sh: restores BACKUP_FILE (default: the newest full dump) into RESTORE_DB on the
# same server, prints each table's row count, then drops it (KEEP=1 keeps it). Refuses to
# touch a RESTORE_DB that already exists.
set -eu
. "$(dirname "$0")/env.sh"
file=${BACKUP_FILE:-$(ls -t "$BACKUP_DIR"/full-*.dump 2>/dev/null | head -1)}
[ -n "$file" ] && [ -f "$file" ] || { echo "restore_run.sh: no backup; run ./backup.sh --full" >&2; exit 1; }
admin=$(printf '%s' "$DATABASE_URL" | sed 's#/[^/?]*\([?].*\)\{0,1\}$#/postgres\1#')
target=$(printf '%s' "$DATABASE_URL" | sed "s#/[^/?]*\\([?].*\\)\\{0,1\\}\$#/$RESTORE_DB\\1#")
exists=$(psql "$admin" -Atc "select count(*) from pg_database where datname = '$RESTORE_DB'")
[ "$exists" = 0 ] || { echo "restore_run.sh: $RESTORE_DB already exists; drop it or pick another RESTORE_DB" >&2; exit 1; }
started=$(date +%s)
psql "$admin" -qc "create database $RESTORE_DB"
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$target" "$file"
psql "$target" -Atc "select schemaname || '.' || relname, n_live_tup from pg_stat_user_tables order by 1"
echo "restore_run.sh: $file restored into $RESTORE_DB in $(($(date +%s) - started)) s"
[ "${KEEP:-0}" = 1 ] || psql "$admin" -qc "drop database $RESTORE_DB"
