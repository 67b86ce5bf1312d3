# Sourced by install.sh (and its test): forget what an outer `npm run` passed down. `npm run
# test:e2e` runs under the project's Node (20) and exports npm_config_user_agent ("npm/10 node/v20
# …"), npm_node_execpath, NODE, npm_config_* settings and npm_package_* fields; the installer's own
# npm (Node 24's) would inherit them all, and code-server's postinstall reads the Node version
# from npm_config_user_agent — so it refused the Node 24 first on PATH, on a fresh machine.
# Every npm_* variable, NODE and INIT_CWD is unset here; install.sh then sets its own.
clean_npm_env() {
  local v
  for v in $(compgen -e); do
    case "$v" in
      npm_*|NPM_*|NODE|INIT_CWD) unset "$v" ;;
    esac
  done
}
