#!/bin/sh
# Runs a command on the workspace's pinned Node.js 24, installing it and the workspace's
# dependencies first when they are missing or stale. The runtime comes from the npm registry
# (tools/node/package-lock.json pins and verifies it), so a machine with any Node.js and npm works.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
runtime_bin=""
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 24 ]; then
  for arch in x64 arm64; do
    candidate="$root/tools/node/node_modules/node-linux-$arch/bin"
    [ -x "$candidate/node" ] && runtime_bin=$candidate
  done
  if [ -z "$runtime_bin" ]; then
    echo "ecs-ami-deploy: installing the pinned Node.js 24 runtime from the npm registry (tools/node)..." >&2
    npm ci --prefix "$root/tools/node" --no-audit --no-fund --loglevel=error >&2
    for arch in x64 arm64; do
      candidate="$root/tools/node/node_modules/node-linux-$arch/bin"
      [ -x "$candidate/node" ] && runtime_bin=$candidate
    done
  fi
  if [ -z "$runtime_bin" ]; then
    echo "ecs-ami-deploy: no Node.js 24 runtime for $(uname -s)/$(uname -m) in the npm registry pin; install Node.js 24 yourself and retry." >&2
    exit 1
  fi
  PATH="$runtime_bin:$PATH"
  export PATH
fi
if [ ! -f "$root/node_modules/.package-lock.json" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
  echo "ecs-ami-deploy: installing workspace dependencies (npm ci)..." >&2
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
exec "$@"
