#!/usr/bin/env bash
# Print a PATH on which node, npm and npx cannot be found: each PATH folder that holds one
# of them is replaced by a folder of links to everything else in it. CI uses it to prove
# that setup works on a lab laptop with no Node installed.
set -euo pipefail
shadow=${1:-$(mktemp -d)}
new_path=()
IFS=: read -ra dirs <<< "$PATH"
for dir in "${dirs[@]}"; do
  [ -d "$dir" ] || continue
  if [ -e "$dir/node" ] || [ -e "$dir/npm" ] || [ -e "$dir/npx" ] || [ -e "$dir/nodejs" ]; then
    copy="$shadow/$(echo "$dir" | tr / _)"
    mkdir -p "$copy"
    for f in "$dir"/*; do
      case "$(basename "$f")" in node|nodejs|npm|npx|corepack) continue ;; esac
      ln -sf "$f" "$copy/"
    done
    new_path+=("$copy")
  else
    new_path+=("$dir")
  fi
done
(IFS=:; echo "${new_path[*]}")
