#!/usr/bin/env bash
# `npm run test:e2e`: AutoDist in a real VS Code (code-server + headless Chromium), see test/e2e/run.ts.
# Everything the run writes stays in the project: test-results/e2e/ (fresh each run; HOME, XDG
# dirs and TMPDIR point into it) and .cache/e2e/ (the installed tools, kept between runs).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=$PWD/test-results/e2e
rm -rf "$OUT"
mkdir -p "$OUT"
# A Unix socket's path must fit in 107 bytes, and code-server and Chromium make theirs under
# test-results/e2e/ (home/run/vscode-ipc-<uuid>.sock: 61 characters past it). Under a checkout
# path longer than ~28 characters, they reach it through a short symlink in /tmp instead (the
# files are still written in the project); the symlink goes when the suite ends.
SOCKET_OUT=$OUT
LINK_DIR=
if [ $((${#OUT} + 62)) -gt 107 ]; then
  LINK_DIR=$(mktemp -d /tmp/ad-e2e-XXXXXX)
  ln -s "$OUT" "$LINK_DIR/o"
  SOCKET_OUT=$LINK_DIR/o
fi
export E2E_SOCKET_OUT=$SOCKET_OUT
export HOME=$SOCKET_OUT/home
export XDG_CONFIG_HOME=$HOME/.config XDG_DATA_HOME=$HOME/.local/share XDG_CACHE_HOME=$HOME/.cache XDG_STATE_HOME=$HOME/.local/state
export TMPDIR=$HOME/tmp
mkdir -p "$TMPDIR" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME"
export npm_config_cache=$PWD/.cache/e2e/npm-cache npm_config_update_notifier=false
if [ -z "$LINK_DIR" ]; then
  exec node_modules/.bin/tsx test/e2e/run.ts "$@"
fi
# the suite stops code-server and Chromium itself on SIGINT/SIGTERM/SIGHUP: pass them on, then
# remove the symlink (rm -r removes a link, not what it points to)
node_modules/.bin/tsx test/e2e/run.ts "$@" &
SUITE=$!
trap 'kill -TERM "$SUITE" 2>/dev/null' INT TERM HUP
while :; do
  wait "$SUITE"
  rc=$?
  kill -0 "$SUITE" 2>/dev/null || break
done
rm -rf "$LINK_DIR"
exit "$rc"
