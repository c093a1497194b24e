#!/usr/bin/env bash
# Runs a command with Node 24 LTS on PATH and the project's dependencies installed.
# When the system Node is older, a Node 24 binary is taken from the npm registry
# (the node-<platform>-<arch> packages carry the official binary), so a machine that
# reaches only the npm registry can run m3m. Nothing native is compiled.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want_major=24
tools="$root/.m3m-tools"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

pick_node() {
  local sys
  sys="$(command -v node || true)"
  if [ -n "$sys" ] && [ "$(node_major "$sys")" -ge "$want_major" ] && [ "$(node_major "$sys")" -lt 25 ]; then
    echo "$sys"; return
  fi
  local os arch pkg
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "m3m: unsupported OS $(uname -s)" >&2; exit 1 ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) echo "m3m: unsupported CPU $(uname -m)" >&2; exit 1 ;; esac
  pkg="node-$os-$arch"
  local bin="$tools/node/node_modules/$pkg/bin/node"
  if [ ! -x "$bin" ]; then
    echo "m3m: system Node is $(node --version 2>/dev/null || echo 'missing'); fetching Node $want_major from the npm registry ($pkg@$want_major)…" >&2
    mkdir -p "$tools/node"
    # A folder of its own with its own package.json: otherwise npm walks up to the project and installs there.
    echo '{"private":true}' >"$tools/node/package.json"
    npm install --prefix "$tools/node" --no-package-lock --no-audit --no-fund --loglevel=error "$pkg@$want_major" >&2
  fi
  echo "$bin"
}

node_bin="$(pick_node)"
node_dir="$(dirname "$node_bin")"
export PATH="$node_dir:$PATH"
# npm here may point nodedir at an older Node's headers; point it at the one we run.
export npm_config_nodedir="$(dirname "$node_dir")"

stamp="$root/node_modules/.m3m-installed"
if [ ! -f "$stamp" ] || [ "$root/package-lock.json" -nt "$stamp" ] || [ "$root/package.json" -nt "$stamp" ]; then
  echo "m3m: installing dependencies with Node $(node --version)…" >&2
  # `npm install`, not `npm ci`: a registry mirror that serves only some platforms' optional packages
  # (biome, esbuild, …) leaves them out of the lockfile, which `npm ci` then rejects as out of sync.
  # With the lockfile in sync, `npm install` installs exactly what it pins and leaves it unchanged.
  (cd "$root" && npm install --no-audit --no-fund --loglevel=error >&2)
  touch "$stamp"
fi

exec "$@"
