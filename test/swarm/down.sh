#!/usr/bin/env bash
# Removes what test/swarm/up.sh made (node containers, their volumes, the network, the socket
# folder and the state file), as recorded in $SWARM_STATE; nothing else. Safe to run when
# nothing is up, and after an up.sh that failed half-way.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ -f "$SWARM_STATE" ] || exit 0
SWARM_NETWORK=
SWARM_DIR=
. "$SWARM_STATE"
[ -n "${SWARM_CLUSTER:-}" ] || { rm -f "$SWARM_STATE"; exit 0; }
# Each node is recorded before it is started, so a failed up.sh leaves none unrecorded.
SWARM_NODES=
for i in $(seq 1 "$SWARM_NODE_COUNT"); do
  var="SWARM_NODE$i"
  [ -n "${!var:-}" ] && SWARM_NODES="$SWARM_NODES ${!var}"
done

# Services first (on the manager), then every task container on each node, so runc removes
# their cgroups (they live in the host's cgroup tree); then the nodes themselves.
mgr="$SWARM_DIR/node1/docker.sock"
if [ -S "$mgr" ]; then
  timeout 30 docker -H "unix://$mgr" service ls -q 2>/dev/null | xargs -r timeout 60 docker -H "unix://$mgr" service rm >/dev/null 2>&1
fi
i=0
for node in $SWARM_NODES; do
  i=$((i + 1))
  sock="$SWARM_DIR/node$i/docker.sock"
  if [ -S "$sock" ]; then
    inner=(timeout 60 docker -H "unix://$sock")
    "${inner[@]}" ps -aq 2>/dev/null | xargs -r "${inner[@]}" rm -f >/dev/null 2>&1 || true
  fi
done
for node in $SWARM_NODES; do docker stop -t 20 "$node" >/dev/null 2>&1 & done
wait
for node in $SWARM_NODES; do
  docker rm -f "$node" >/dev/null 2>&1 || true
  for parent in /sys/fs/cgroup/*/"$node"; do
    [ -d "$parent" ] && find "$parent" -depth -type d -exec rmdir {} + 2>/dev/null
  done
done
# Volumes and the network carry the cluster's run label; removed by name and checked by label.
docker volume ls -q --filter "label=dom-test.run=$SWARM_CLUSTER" | xargs -r docker volume rm >/dev/null 2>&1 || true
[ -n "$SWARM_NETWORK" ] && docker network rm "$SWARM_NETWORK" >/dev/null 2>&1
case "$SWARM_DIR" in "$SWARM_WORK"/"$SWARM_PREFIX"-*) rm -rf "$SWARM_DIR" ;; esac
rm -f "$SWARM_STATE"
echo "removed swarm $SWARM_CLUSTER"
