# Shared settings for the Engine 28.5 test node scripts (sourced, not run).
# ENGINE28_IMAGE   image with dockerd 28.5 from Debian sid (built by up.sh when missing)
# ENGINE28_WORK    folder for the image's root file system and the state of the running node
# ENGINE28_NODE_DIR folder with the `node` binary the suite runs on inside the node container
#                  (default: the folder of the `node` on PATH)
ENGINE28_IMAGE=${ENGINE28_IMAGE:-dom-test/engine28:1}
ENGINE28_WORK=${ENGINE28_WORK:-/var/tmp/dom-engine28}
ENGINE28_STATE=${ENGINE28_STATE:-$ENGINE28_WORK/node.env}
# The images the integration tests use; the node has no registry, so they are copied in.
ENGINE28_TEST_IMAGES=(dom-test/busybox:1 dom-test/nginx:1 dom-test/postgres:1 dom-test/redis:1)

# The apt mirror this machine already uses, read at run time (never written into a file).
apt_mirror() {
  awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null \
    || awk '/^deb / {print $2; exit}' /etc/apt/sources.list
}
