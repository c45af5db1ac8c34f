#!/usr/bin/env bash
# Prints the path of a Compose v2 binary (Debian sid's docker-compose package, unpacked, not
# installed), fetching it from the apt mirror this machine uses when the cache lacks it.
# Progress goes to stderr, only the path to stdout:  DOM_COMPOSE_V2=$(test/engine28/compose-v2.sh)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cache=${DOM_COMPOSE_V2_CACHE:-/var/tmp/dom-compose-v2}
bin="$cache/root/usr/libexec/docker/cli-plugins/docker-compose"
if [ -x "$bin" ] && "$bin" version --short >/dev/null 2>&1; then echo "$bin"; exit 0; fi

mirror=$(apt_mirror)
[ -n "$mirror" ] || { echo "no apt mirror found in /etc/apt/sources.list.d/debian.sources" >&2; exit 1; }
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
curl -fsSL "$mirror/dists/sid/main/binary-amd64/Packages.xz" -o "$tmp/Packages.xz"
file=$(xz -dc "$tmp/Packages.xz" | awk '/^Package: /{p=($2=="docker-compose")} p && /^Filename: / && !f {print $2; f=1}')
[ -n "$file" ] || { echo "package docker-compose not found in sid's Packages" >&2; exit 1; }
echo "fetching $file" >&2
curl -fsSL "$mirror/$file" -o "$tmp/docker-compose.deb"
rm -rf "$cache/root"
dpkg-deb -x "$tmp/docker-compose.deb" "$cache/root"
"$bin" version >&2
echo "$bin"
