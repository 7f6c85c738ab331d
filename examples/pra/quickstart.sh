#!/bin/sh
# ./quickstart.sh daily | test-restore: the two routines of CHECKLIST.md's training section.
set -eu
cd "$(dirname "$0")"
case ${1:-} in
daily) ./backup.sh --full && ./status.sh ;;
# golive's restore drill: newest backup into a scratch database, verified, timed, dropped.
test-restore) exec "${GOLIVE:-golive}" check CHECKLIST.md ;;
*) echo "usage: quickstart.sh daily|test-restore" >&2; exit 2 ;;
esac
