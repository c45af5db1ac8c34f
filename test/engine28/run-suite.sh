#!/usr/bin/env bash
# Runs the integration suite inside the Engine 28.5 node that test/engine28/up.sh started,
# against the inner Engine (DOCKER_HOST, default its /var/run/docker.sock). Needs a built
# dist/ (npm run build). Extra arguments go to vitest (e.g. a test file). The package test
# (npm pack and install; nothing Engine-specific) runs on the host only: the node has no npm.
# So does the several-Engines test: it starts an Engine 28.5 node of its own on the host Engine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ -f "$ENGINE28_STATE" ] || { echo "no Engine 28.5 node: run test/engine28/up.sh first" >&2; exit 1; }
. "$ENGINE28_STATE"
[ -f "$ENGINE28_CHECKOUT/dist/cli.js" ] || { echo "dist/cli.js missing: run npm run build first" >&2; exit 1; }
inner_host=${ENGINE28_DOCKER_HOST:-unix:///var/run/docker.sock}
# Compose v2 inside the node is the image's own (Debian sid's docker-compose package).
compose_v2=${ENGINE28_COMPOSE_V2:-/usr/libexec/docker/cli-plugins/docker-compose}
docker exec -w "$ENGINE28_CHECKOUT" \
  -e CI="${CI:-}" -e DOCKER_HOST="$inner_host" -e DOM_COMPOSE_V2="$compose_v2" -e HOME=/root \
  -e PATH="$ENGINE28_NODE_DIR:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  "$ENGINE28_NAME" node node_modules/vitest/vitest.mjs run --project integration \
  --exclude test/integration/package.test.ts --exclude test/integration/engines.test.ts \
  --exclude test/integration/remoteBinds.test.ts "$@"
