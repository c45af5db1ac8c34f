#!/usr/bin/env bash
# Builds the Engine 28.5 node image (Debian sid: docker.io, Compose v2, docker-registry,
# htpasswd) without any registry: debootstrap, then `docker import`. Kept while it exists.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if docker image inspect "$ENGINE28_IMAGE" >/dev/null 2>&1; then exit 0; fi
mirror=$(apt_mirror)
[ -n "$mirror" ] || { echo "no apt mirror found in /etc/apt/sources.list.d/debian.sources" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "debootstrap is needed (apt-get install debootstrap)" >&2; exit 1; }
rootfs="$ENGINE28_WORK/rootfs"
mkdir -p "$ENGINE28_WORK"
if [ ! -x "$rootfs/usr/sbin/dockerd" ] || [ ! -x "$rootfs/usr/bin/docker-registry" ]; then
  rm -rf "$rootfs"
  echo "debootstrap sid into $rootfs (about 2 minutes)"
  debootstrap --variant=minbase \
    --include=docker.io,docker-compose,iptables,ca-certificates,procps,docker-registry,apache2-utils \
    sid "$rootfs" "$mirror" >"$ENGINE28_WORK/debootstrap.log" 2>&1 \
    || { tail -30 "$ENGINE28_WORK/debootstrap.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
fi
tar -C "$rootfs" -c . | docker import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'LABEL org.opencontainers.image.title="docker-orchestration-mcp Engine 28.5 test node"' \
  - "$ENGINE28_IMAGE" >/dev/null
echo "imported $ENGINE28_IMAGE"
