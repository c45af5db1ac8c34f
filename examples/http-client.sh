#!/usr/bin/env bash
# Calls one tool over the Streamable HTTP transport with curl (2025-era, stateless JSON-RPC).
# Usage: DOM_HTTP_TOKEN=... ./http-client.sh list_containers '{"all": true}'
set -euo pipefail
url=${DOM_URL:-http://127.0.0.1:8808/mcp}
tool=${1:?tool name}
args=${2:-'{}'}
curl -sS "$url" \
  -H "Authorization: Bearer ${DOM_HTTP_TOKEN:?set DOM_HTTP_TOKEN}" \
  -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
  -H 'MCP-Protocol-Version: 2025-06-18' \
  -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$tool\",\"arguments\":$args}}"
echo
