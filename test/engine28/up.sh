#!/usr/bin/env bash
# Starts a Docker Engine 28.5 (Debian sid's docker.io) as a container on the host Engine, for
# running the integration suite against today's Engine (test/engine28/run-suite.sh), and
# copies the test images into it (no registry). Builds the node image when it is missing.
#
# The checkout (read-write), the Node binary folder and the docker CLI are bind-mounted at
# the same paths, so the suite runs inside the node: ports the inner Engine publishes exist
# only in the node's network namespace. Writes what it made to $ENGINE28_STATE for
# run-suite.sh and down.sh. Usage: test/engine28/up.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
checkout=$(cd "$here/../.." && pwd)
node_bin=$(readlink -f "$(command -v node)")
node_dir=${ENGINE28_NODE_DIR:-$(dirname "$node_bin")}
docker_cli=$(readlink -f "$(command -v docker)")

if [ -f "$ENGINE28_STATE" ]; then
  echo "a node is already recorded in $ENGINE28_STATE: run test/engine28/down.sh first" >&2
  exit 1
fi
for img in "${ENGINE28_TEST_IMAGES[@]}"; do
  docker image inspect "$img" >/dev/null 2>&1 || { echo "missing test image $img: run test/images/build.sh all" >&2; exit 1; }
done
[ -x "$node_dir/node" ] || { echo "no node binary in $node_dir (set ENGINE28_NODE_DIR)" >&2; exit 1; }

started=$(date +%s)
bash "$here/build-image.sh"

name="dom-engine28-$(date +%s)-$$"
outer="$ENGINE28_WORK/$name"
mkdir -p "$outer"
# From here on everything made is recorded, so down.sh can remove exactly that even if up.sh fails later.
cat >"$ENGINE28_STATE" <<STATE
ENGINE28_NAME=$name
ENGINE28_VOLUME=$name-data
ENGINE28_OUTER=$outer
ENGINE28_CHECKOUT=$checkout
ENGINE28_NODE_DIR=$node_dir
STATE
docker volume create --label "dom-test.run=$name" "$name-data" >/dev/null

# A node folder that is a system bin folder is not mounted whole: only its node binary is.
case "$node_dir" in
  /usr/bin | /usr/local/bin | /bin | /usr/sbin | /sbin) node_mount=(-v "$node_dir/node:$node_dir/node:ro") ;;
  *) node_mount=(-v "$node_dir:$node_dir:ro") ;;
esac

# --init: processes the suite leaves behind are reaped (dockerd as PID 1 would not).
# The node shares the host's cgroup tree (--cgroupns host): its containers go under a
# cgroup parent of its own name, so down.sh can find what a killed node left there.
# The exact capability set that works here (--privileged fails: no CAP_SYS_RESOURCE on this
# machine); systempaths=unconfined or Engine 28 fails every start on "failed to disable IPv6".
docker run -d --init --name "$name" --label "dom-test.run=$name" --label dom-test.engine28=1 \
  --cap-add ALL --cap-drop SYS_RESOURCE \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
  --device-cgroup-rule 'a *:* rwm' --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
  -v "$name-data:/var/lib/docker" -v "$outer:/run/outer" \
  -v "$checkout:$checkout" "${node_mount[@]}" -v "$docker_cli:/usr/local/bin/docker:ro" \
  "$ENGINE28_IMAGE" dockerd -H unix:///var/run/docker.sock -H unix:///run/outer/docker.sock \
  --cgroup-parent "/$name" >/dev/null

inner=(docker -H "unix://$outer/docker.sock")
for _ in $(seq 1 60); do
  timeout 5 "${inner[@]}" version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
  sleep 1
done
if ! timeout 5 "${inner[@]}" version >/dev/null 2>&1; then
  echo "the Engine in $name did not answer within 60 s:" >&2
  docker logs --tail 30 "$name" >&2 || true
  exit 1
fi
"${inner[@]}" version --format "node $name: Engine {{.Server.Version}} (API {{.Server.APIVersion}})"

# One save for all images: the service images share their Debian base layer.
docker save "${ENGINE28_TEST_IMAGES[@]}" | "${inner[@]}" load -q >/dev/null
echo "loaded ${ENGINE28_TEST_IMAGES[*]} in $(($(date +%s) - started)) s"
