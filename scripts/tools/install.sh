#!/usr/bin/env bash
# Installs the tools the real-VS-Code tests need, idempotently:
#   - Debian packages: chromium, fonts-liberation, libkrb5-dev (only the missing ones)
#   - Node 24 from the npm package node-<os>-<arch>   -> $TOOLS_DIR/node
#   - code-server, built with that Node                -> $TOOLS_DIR/code-server
#   - wrappers                                         -> $TOOLS_DIR/bin/{node,code-server}
#
# Usage: scripts/tools/install.sh [--check]
#   --check   only verify that everything is installed (exit 1 if not), install nothing.
# Environment:
#   LCA_TOOLS_DIR          where to install (default: <repo>/.tools, git-ignored)
#   LCA_NODE_VERSION       Node version for code-server (default below)
#   LCA_CODE_SERVER_VERSION code-server version (default below)
#   LCA_SKIP_APT=1         do not try apt-get (the Debian packages must then already be there)
#
# A second run with everything in place only reads a few stamp files (well under a second).
set -euo pipefail

NODE_VERSION="${LCA_NODE_VERSION:-24.21.0}"
CODE_SERVER_VERSION="${LCA_CODE_SERVER_VERSION:-4.139.1}"
APT_PACKAGES=(chromium fonts-liberation libkrb5-dev)

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS_DIR="${LCA_TOOLS_DIR:-$REPO_ROOT/.tools}"
CHECK_ONLY=0
[[ "${1:-}" == "--check" ]] && CHECK_ONLY=1

log()  { printf '[tools] %s\n' "$*" >&2; }
fail() { printf '\n[tools] ERROR: %s\n\n' "$*" >&2; exit 1; }

case "$(uname -s)" in
  Linux) NODE_OS=linux ;;
  Darwin) NODE_OS=darwin ;;
  *) fail "unsupported OS $(uname -s): the real-VS-Code harness runs on Linux (or macOS)" ;;
esac
case "$(uname -m)" in
  x86_64|amd64) NODE_ARCH=x64 ;;
  aarch64|arm64) NODE_ARCH=arm64 ;;
  *) fail "unsupported CPU $(uname -m)" ;;
esac
NODE_PKG="node-$NODE_OS-$NODE_ARCH"

NODE_DIR="$TOOLS_DIR/node"
NODE_HOME="$NODE_DIR/node_modules/$NODE_PKG"
NODE_BIN="$NODE_HOME/bin/node"
CS_DIR="$TOOLS_DIR/code-server"
CS_HOME="$CS_DIR/node_modules/code-server"
BIN_DIR="$TOOLS_DIR/bin"
NODE_STAMP="$NODE_DIR/.installed"
CS_STAMP="$CS_DIR/.installed"
NODE_WANT="$NODE_PKG@$NODE_VERSION"
CS_WANT="code-server@$CODE_SERVER_VERSION node=$NODE_VERSION"

# ---------------------------------------------------------------- Debian packages
missing_apt=()
if [[ "$NODE_OS" == linux ]]; then
  for p in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing_apt+=("$p")
    fi
  done
fi

if [[ ${#missing_apt[@]} -gt 0 ]]; then
  if [[ $CHECK_ONLY == 1 ]]; then fail "missing Debian packages: ${missing_apt[*]} (run scripts/tools/install.sh)"; fi
  if [[ "${LCA_SKIP_APT:-}" == 1 ]]; then fail "missing Debian packages: ${missing_apt[*]} and LCA_SKIP_APT=1"; fi
  command -v apt-get >/dev/null || fail "missing ${missing_apt[*]} and no apt-get here: install Chromium (and Kerberos headers) by hand"
  SUDO=""
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || fail "missing ${missing_apt[*]}: run as root or install them: apt-get install ${missing_apt[*]}"
    SUDO="sudo"
  fi
  log "apt-get install ${missing_apt[*]}"
  t0=$SECONDS
  $SUDO apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing_apt[@]}" >/dev/null \
    || fail "apt-get install ${missing_apt[*]} failed"
  log "apt packages installed in $((SECONDS - t0)) s"
fi

if [[ "$NODE_OS" == linux ]]; then
  # A missing browser must fail loudly: the e2e suite never silently skips.
  [[ -x /usr/bin/chromium ]] || fail "/usr/bin/chromium is missing after install (package chromium)"
fi

# ---------------------------------------------------------------- Node 24
if [[ -x "$NODE_BIN" && -f "$NODE_STAMP" && "$(cat "$NODE_STAMP")" == "$NODE_WANT" ]]; then
  :
else
  [[ $CHECK_ONLY == 1 ]] && fail "$NODE_WANT is not installed in $NODE_DIR (run scripts/tools/install.sh)"
  command -v npm >/dev/null || fail "npm is not on PATH"
  log "installing $NODE_WANT into $NODE_DIR"
  t0=$SECONDS
  rm -rf "$NODE_DIR"
  mkdir -p "$NODE_DIR"
  printf '{"name":"lca-tools-node","private":true}\n' >"$NODE_DIR/package.json"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error --no-save "$NODE_WANT") \
    || fail "npm install $NODE_WANT failed (is the npm registry reachable?)"
  [[ -x "$NODE_BIN" ]] || fail "$NODE_BIN not found after installing $NODE_WANT"
  [[ -f "$NODE_HOME/include/node/node_api.h" ]] || fail "$NODE_WANT has no headers in $NODE_HOME/include (needed by node-gyp)"
  "$NODE_BIN" --version >/dev/null || fail "$NODE_BIN does not run"
  echo "$NODE_WANT" >"$NODE_STAMP"
  rm -f "$CS_STAMP"   # code-server's native modules were built against the previous Node
  log "Node $("$NODE_BIN" --version) installed in $((SECONDS - t0)) s"
fi

# ---------------------------------------------------------------- code-server
if [[ -f "$CS_HOME/out/node/entry.js" && -f "$CS_STAMP" && "$(cat "$CS_STAMP")" == "$CS_WANT" ]]; then
  :
else
  [[ $CHECK_ONLY == 1 ]] && fail "code-server@$CODE_SERVER_VERSION is not installed in $CS_DIR (run scripts/tools/install.sh)"
  log "installing code-server@$CODE_SERVER_VERSION into $CS_DIR (builds native modules: ~3 minutes on 2 cores)"
  t0=$SECONDS
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  printf '{"name":"lca-tools-code-server","private":true}\n' >"$CS_DIR/package.json"
  # Node 24 first on PATH (npm and node-gyp run with it), its own headers for node-gyp (no internet).
  (
    cd "$CS_DIR"
    # Under `npm test` the outer npm (on Node 20) exports its npm_* variables; its user agent
    # would make code-server's postinstall believe it runs on Node 20. Start from a clean slate.
    for var in $(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$var"; done
    export PATH="$NODE_HOME/bin:$PATH"
    export npm_config_nodedir="$NODE_HOME"
    export npm_config_update_notifier=false
    npm install --no-audit --no-fund --loglevel=error --no-save "code-server@$CODE_SERVER_VERSION"
  ) >"$TOOLS_DIR/code-server-install.log" 2>&1 || {
    tail -n 40 "$TOOLS_DIR/code-server-install.log" >&2
    fail "npm install code-server@$CODE_SERVER_VERSION failed; full log: $TOOLS_DIR/code-server-install.log"
  }
  [[ -f "$CS_HOME/out/node/entry.js" ]] || fail "code-server entry point missing after install"
  echo "$CS_WANT" >"$CS_STAMP"
  log "code-server installed in $((SECONDS - t0)) s"
fi

# ---------------------------------------------------------------- wrappers
mkdir -p "$BIN_DIR"
ln -sfn "$NODE_BIN" "$BIN_DIR/node"
CS_WRAPPER="$BIN_DIR/code-server"
CS_WRAPPER_TEXT="#!/bin/sh
exec \"$NODE_BIN\" \"$CS_HOME/out/node/entry.js\" \"\$@\"
"
if [[ ! -f "$CS_WRAPPER" || "$(cat "$CS_WRAPPER")"$'\n' != "$CS_WRAPPER_TEXT" ]]; then
  printf '%s' "$CS_WRAPPER_TEXT" >"$CS_WRAPPER"
  chmod +x "$CS_WRAPPER"
fi

log "ready: $CS_WRAPPER (code-server $CODE_SERVER_VERSION, Node $NODE_VERSION), chromium: $(command -v chromium || echo none)"
