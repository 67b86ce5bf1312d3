#!/usr/bin/env bash
# `npm run test:e2e`: AutoDist in a real VS Code (code-server + headless Chromium), see test/e2e/run.ts.
# Everything the run writes stays in the project: test-results/e2e/ (fresh each run; HOME, XDG
# dirs and TMPDIR point into it) and .cache/e2e/ (the installed tools, kept between runs).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=$PWD/test-results/e2e
rm -rf "$OUT"
export HOME=$OUT/home
export XDG_CONFIG_HOME=$HOME/.config XDG_DATA_HOME=$HOME/.local/share XDG_CACHE_HOME=$HOME/.cache XDG_STATE_HOME=$HOME/.local/state
export TMPDIR=$HOME/tmp
mkdir -p "$TMPDIR" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME"
export npm_config_cache=$PWD/.cache/e2e/npm-cache npm_config_update_notifier=false
exec node_modules/.bin/tsx test/e2e/run.ts "$@"
