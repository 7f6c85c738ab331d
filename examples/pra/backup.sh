#!/bin/sh
# ./backup.sh --full: pg_dump -Fc of DATABASE_URL into BACKUP_DIR (0700, files 0600), then
# deletes full dumps older than RETENTION_DAYS. Cron runs it hourly (see CHECKLIST.md).
set -eu
. "$(dirname "$0")/env.sh"
case ${1:---full} in
--full) ;;
--incremental)
    echo "backup.sh: pg_dump makes full backups only; use pgBackRest for incremental ones" >&2
    exit 2
    ;;
*)
    echo "usage: backup.sh [--full]" >&2
    exit 2
    ;;
esac
umask 077
mkdir -p "$BACKUP_DIR"
chmod 700 "$BACKUP_DIR"
file="$BACKUP_DIR/full-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --file="$file.partial" "$DATABASE_URL"
mv "$file.partial" "$file"
find "$BACKUP_DIR" -name 'full-*.dump' -mtime +"$RETENTION_DAYS" -delete
echo "backup.sh: $file ($(wc -c <"$file") bytes)"
