#!/usr/bin/env bash
# Generate the frontend's API types from the backend's OpenAPI schema, so the
# TypeScript the app is checked against is the contract the serializers publish.
#
#   scripts/gen_api_types.sh                 # writes frontend/src/types/schema.gen.ts
#   scripts/gen_api_types.sh OUT.ts          # writes elsewhere (tests/test_api_contract.py)
#
# Needs only the venv (Django + drf-spectacular) and frontend/node_modules
# (openapi-typescript, pinned in package.json). No server, no database, no network.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(realpath -m "${1:-$ROOT/frontend/src/types/schema.gen.ts}")
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
NODE=${NODE:-$ROOT/.venv/bin/node}
[ -x "$NODE" ] || NODE=node
GENERATOR=$ROOT/frontend/node_modules/openapi-typescript/bin/cli.js

[ -f "$GENERATOR" ] || { echo "openapi-typescript is missing: run make setup (npm ci in frontend/)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --fail-on-warn: a warning means some field's type was guessed, and a guess is not a contract.
(cd "$ROOT" && "$PYTHON" manage.py spectacular --validate --fail-on-warn --file "$tmp/schema.yaml")
# --array-length: [number, number] for a node pair rather than number[];
# --default-non-nullable false: a request field with a default stays optional.
"$NODE" "$GENERATOR" "$tmp/schema.yaml" --array-length --default-non-nullable false --output "$tmp/schema.gen.ts" >/dev/null
mv "$tmp/schema.gen.ts" "$OUT"
echo "API types written to $OUT"
