# Shared settings for the three-node Swarm test fixture (sourced, not run).
# SWARM_PREFIX  name prefix of everything up.sh makes (containers, volumes, network, folder);
#               two clusters can run side by side with different prefixes
# SWARM_WORK    folder for the node sockets and the state file
# SWARM_STATE   file where up.sh records what it made (read by down.sh and the tests)
# The node image and test image list are the Engine 28.5 node's (test/engine28/lib.sh).
. "$(dirname "${BASH_SOURCE[0]}")/../engine28/lib.sh"
SWARM_PREFIX=${SWARM_PREFIX:-dom-swarm}
SWARM_WORK=${SWARM_WORK:-/var/tmp/dom-swarm}
SWARM_STATE=${SWARM_STATE:-$SWARM_WORK/$SWARM_PREFIX.env}
SWARM_NODE_COUNT=3
