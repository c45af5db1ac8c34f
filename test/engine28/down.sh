#!/usr/bin/env bash
# Removes what test/engine28/up.sh made (the node container, its volume and socket folder),
# as recorded in $ENGINE28_STATE; nothing else. Safe to run when nothing is up.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ -f "$ENGINE28_STATE" ] || exit 0
. "$ENGINE28_STATE"
docker rm -f "$ENGINE28_NAME" >/dev/null 2>&1 || true
docker volume rm "$ENGINE28_VOLUME" >/dev/null 2>&1 || true
# The socket folder holds only the inner Engine's socket.
case "$ENGINE28_OUTER" in "$ENGINE28_WORK"/dom-engine28-*) rm -rf "$ENGINE28_OUTER" ;; esac
rm -f "$ENGINE28_STATE"
echo "removed $ENGINE28_NAME"
