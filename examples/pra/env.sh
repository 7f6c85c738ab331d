# Sourced by the scripts: reads .env without overriding what the environment already sets, so
# `DATABASE_URL=postgres://… ./backup.sh` works with or without a .env.
cd "$(dirname "$0")" || exit 2
if [ -f .env ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        case $line in '' | '#'*) continue ;; esac
        key=${line%%=*}
        case $key in '' | *[!A-Za-z0-9_]*) continue ;; esac
        printenv "$key" >/dev/null || export "$key=${line#*=}"
    done <.env
fi
: "${DATABASE_URL:=postgres://postgres@127.0.0.1:5432/test}"
: "${BACKUP_DIR:=backups}"
: "${RETENTION_DAYS:=30}"
: "${RESTORE_DB:=akig_restore}"
export DATABASE_URL BACKUP_DIR RETENTION_DAYS RESTORE_DB
