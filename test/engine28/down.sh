#!/usr/bin/env bash
# Removes what test/engine28/up.sh made (the node container, its volume and socket folder),
# as recorded in $ENGINE28_STATE; nothing else. Safe to run when nothing is up.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ -f "$ENGINE28_STATE" ] || exit 0
. "$ENGINE28_STATE"
if [ -S "$ENGINE28_OUTER/docker.sock" ]; then
  # Everything in the inner Engine is the suite's: stop it there first, so runc removes the
  # containers' cgroups (they live in the host's cgroup tree), then let dockerd shut down.
  inner=(timeout 60 docker -H "unix://$ENGINE28_OUTER/docker.sock")
  "${inner[@]}" ps -aq 2>/dev/null | xargs -r "${inner[@]}" rm -f >/dev/null 2>&1 || true
  docker stop -t 20 "$ENGINE28_NAME" >/dev/null 2>&1 || true
fi
docker rm -f "$ENGINE28_NAME" >/dev/null 2>&1 || true
# Cgroups a killed node left behind under its own parent (rmdir removes only empty ones).
for parent in /sys/fs/cgroup/*/"$ENGINE28_NAME"; do
  [ -d "$parent" ] && find "$parent" -depth -type d -exec rmdir {} + 2>/dev/null
done
docker volume rm "$ENGINE28_VOLUME" >/dev/null 2>&1 || true
# The socket folder holds only the inner Engine's socket.
case "$ENGINE28_OUTER" in "$ENGINE28_WORK"/dom-engine28-*) rm -rf "$ENGINE28_OUTER" ;; esac
rm -f "$ENGINE28_STATE"
echo "removed $ENGINE28_NAME"
