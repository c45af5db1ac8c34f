#!/usr/bin/env bash
# Starts a three-node Docker Swarm for the swarm test project: three Engine 28.5 nodes (the
# image of test/engine28) as containers of the host Engine on a user network of their own;
# node 1 runs `swarm init`, nodes 2 and 3 join as workers, and the test images are loaded into
# every node (there is no registry). Each node's Engine answers on a socket in a host folder:
#   DOCKER_HOST=unix://$SWARM_WORK/<cluster>/node1/docker.sock   (the manager)
# Ports that services publish live in the nodes' network namespaces, not on the host: reach
# them from inside a node (docker exec). Everything made is recorded in $SWARM_STATE as it is
# made, so test/swarm/down.sh removes exactly that, also after a failed up.
# Usage: SWARM_PREFIX=dom-swarm test/swarm/up.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if [ -f "$SWARM_STATE" ]; then
  echo "a cluster is already recorded in $SWARM_STATE: run test/swarm/down.sh first" >&2
  exit 1
fi
for img in "${ENGINE28_TEST_IMAGES[@]}"; do
  docker image inspect "$img" >/dev/null 2>&1 || { echo "missing test image $img: run test/images/build.sh all" >&2; exit 1; }
done

started=$(date +%s)
bash "$here/../engine28/build-image.sh"

cluster="$SWARM_PREFIX-$(date +%s)-$$"
dir="$SWARM_WORK/$cluster"
mkdir -p "$dir"
record() { echo "$1" >>"$SWARM_STATE"; }
record "SWARM_CLUSTER=$cluster"
record "SWARM_DIR=$dir"
record "SWARM_NETWORK=$cluster-net"
record "SWARM_DOCKER_HOST=unix://$dir/node1/docker.sock"
docker network create --label "dom-test.run=$cluster" "$cluster-net" >/dev/null

nodes=()
for i in $(seq 1 "$SWARM_NODE_COUNT"); do
  node="$cluster-node$i"
  nodes+=("$node")
  mkdir -p "$dir/node$i"
  record "SWARM_NODE$i=$node"
  record "SWARM_NODE${i}_HOST=unix://$dir/node$i/docker.sock"
  docker volume create --label "dom-test.run=$cluster" "$node-data" >/dev/null
  # As test/engine28/up.sh runs a node: --privileged fails here (no CAP_SYS_RESOURCE);
  # systempaths=unconfined or Engine 28 fails every start on "failed to disable IPv6"; the
  # host's cgroup tree with a parent of the node's name, so down.sh finds what a killed node
  # left there. The hostname is the Swarm node's name.
  docker run -d --init --name "$node" --hostname "node$i" --network "$cluster-net" \
    --label "dom-test.run=$cluster" --label dom-test.swarm=1 \
    --cap-add ALL --cap-drop SYS_RESOURCE \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
    --device-cgroup-rule 'a *:* rwm' --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    -v "$node-data:/var/lib/docker" -v "$dir/node$i:/run/outer" \
    "$ENGINE28_IMAGE" dockerd -H unix:///var/run/docker.sock -H unix:///run/outer/docker.sock \
    --cgroup-parent "/$node" >/dev/null
done

inner() { local i=$1; shift; timeout 120 docker -H "unix://$dir/node$i/docker.sock" "$@"; }
for i in $(seq 1 "$SWARM_NODE_COUNT"); do
  for _ in $(seq 1 60); do
    timeout 5 docker -H "unix://$dir/node$i/docker.sock" version >/dev/null 2>&1 && break
    sleep 1
  done
  if ! timeout 5 docker -H "unix://$dir/node$i/docker.sock" version >/dev/null 2>&1; then
    echo "the Engine in ${nodes[$((i - 1))]} did not answer within 60 s:" >&2
    docker logs --tail 30 "${nodes[$((i - 1))]}" >&2 || true
    exit 1
  fi
done

# The images, saved once (the service images share their Debian base layer), loaded into
# every node in parallel.
tar="$dir/images.tar"
docker save -o "$tar" "${ENGINE28_TEST_IMAGES[@]}"
pids=()
for i in $(seq 1 "$SWARM_NODE_COUNT"); do
  inner "$i" load -q -i "$tar" >/dev/null &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
rm -f "$tar"

ip1=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$cluster-net\").IPAddress}}" "${nodes[0]}")
inner 1 swarm init --advertise-addr "$ip1" >/dev/null
token=$(inner 1 swarm join-token -q worker)
for i in $(seq 2 "$SWARM_NODE_COUNT"); do
  inner "$i" swarm join --token "$token" "$ip1:2377" >/dev/null
done
for _ in $(seq 1 60); do
  ready=$(inner 1 node ls --format '{{.Status}}' | grep -c '^Ready$' || true)
  [ "$ready" = "$SWARM_NODE_COUNT" ] && break
  sleep 1
done
[ "$ready" = "$SWARM_NODE_COUNT" ] || { echo "only $ready of $SWARM_NODE_COUNT nodes Ready" >&2; inner 1 node ls >&2; exit 1; }
inner 1 node ls
echo "swarm $cluster up in $(($(date +%s) - started)) s; state in $SWARM_STATE"
echo "manager: DOCKER_HOST=unix://$dir/node1/docker.sock"
