#!/usr/bin/env bash
# Builds the images the tests use, without any registry. Idempotent: an image that
# already exists is kept. Usage: test/images/build.sh [busybox|services|all]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
what=${1:-all}
work=${DOM_IMAGE_WORK:-/var/tmp/docker-orchestration-mcp-images}
mkdir -p "$work"

have() { docker image inspect "$1" >/dev/null 2>&1; }

# The Debian mirror apt already uses here: the first URIs: line of its sources (read at run
# time, never written into a file). DEBIAN_MIRROR overrides it.
debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local src=/etc/apt/sources.list.d/debian.sources uri
  uri=$(awk '/^URIs:/ {print $2; exit}' "$src" 2>/dev/null || true)
  [ -n "$uri" ] || { echo "no URIs: line in $src: set DEBIAN_MIRROR to a Debian mirror" >&2; return 1; }
  echo "$uri"
}

build_busybox() {
  have dom-test/busybox:1 && return 0
  local ctx="$work/busybox"
  rm -rf "$ctx" && mkdir -p "$ctx/bin"
  cp /bin/busybox "$ctx/bin/busybox"
  for app in sh sleep httpd wget nc cat echo ls ps env kill mkdir touch rm date grep head tail true false id hostname nslookup; do
    ln -sf busybox "$ctx/bin/$app"
  done
  mkdir -p "$ctx/www" "$ctx/tmp" && echo "hello from busybox" > "$ctx/www/index.html"
  cat > "$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY bin /bin
COPY www /www
COPY tmp /tmp
ENV PATH=/bin
LABEL org.opencontainers.image.title="docker-orchestration-mcp busybox test image"
CMD ["sh"]
DOCKERFILE
  docker build -q -t dom-test/busybox:1 "$ctx" >/dev/null
  echo "built dom-test/busybox:1"
}

build_services() {
  if have dom-test/nginx:1 && have dom-test/postgres:1 && have dom-test/redis:1; then return 0; fi
  if ! have dom-test/debian-services:1; then
    local rootfs="$work/rootfs"
    if [ ! -x "$rootfs/usr/sbin/nginx" ] || [ ! -x "$rootfs/usr/bin/redis-server" ] || [ ! -d "$rootfs/usr/lib/postgresql/15" ]; then
      local mirror
      mirror=$(debian_mirror)
      rm -rf "$rootfs"
      debootstrap --variant=minbase --include=nginx-light,redis-server,postgresql-15,procps \
        bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || { tail -20 "$work/debootstrap.log"; exit 1; }
      rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    fi
    tar -C "$rootfs" -c . | docker import - dom-test/debian-services:1 >/dev/null
    echo "imported dom-test/debian-services:1"
  fi
  for svc in nginx postgres redis; do
    have "dom-test/$svc:1" || { docker build -q -t "dom-test/$svc:1" "$here/$svc" >/dev/null; echo "built dom-test/$svc:1"; }
  done
}

case "$what" in
  busybox) build_busybox ;;
  services) build_services ;;
  all) build_busybox; build_services ;;
  *) echo "usage: $0 [busybox|services|all]" >&2; exit 2 ;;
esac
