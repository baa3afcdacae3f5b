#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` from the source node-llama-cpp ships
# (node_modules/node-llama-cpp/llama/gitRelease.bundle), CPU only, no network features, and caches
# the binary outside the clone so every checkout on this machine (CI's fresh clones included)
# builds it once. The remote-backend tests run against it.
#
# Usage: scripts/tools/build-llama-server.sh [--check]
#   --check   only verify that the cached binary is there (exit 1 if not); build nothing.
# Prints the absolute path of the binary on stdout (and nothing else); progress goes to stderr.
# Environment:
#   LCA_LLAMA_SERVER_DIR   cache folder (default: ${XDG_CACHE_HOME:-$HOME/.cache}/local-code-assistant/llama-server/<tag>)
#   LCA_BUILD_JOBS         parallel compile jobs (default 2)
#   LCA_SKIP_APT=1         do not try apt-get (cmake, g++, make, git must then already be there)
#
# A second run only compares a stamp file (well under a second). The build happens in a temporary
# folder next to the cache and is renamed into place at the end, so the cache never holds a
# half-built binary; a lock keeps two concurrent runs from building twice.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LLAMA_DIR="$REPO_ROOT/node_modules/node-llama-cpp/llama"
BUNDLE="$LLAMA_DIR/gitRelease.bundle"
INFO="$LLAMA_DIR/llama.cpp.info.json"
JOBS="${LCA_BUILD_JOBS:-2}"
APT_PACKAGES=(cmake g++ make git)
CHECK_ONLY=0
[[ "${1:-}" == "--check" ]] && CHECK_ONLY=1

log()  { printf '[llama-server] %s\n' "$*" >&2; }
fail() { printf '\n[llama-server] ERROR: %s\n\n' "$*" >&2; exit 1; }

[[ -f "$BUNDLE" && -f "$INFO" ]] || fail "$BUNDLE or $INFO is missing: run npm install first (node-llama-cpp ships the llama.cpp source)"
TAG="$(sed -n 's/.*"tag"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$INFO")"
[[ "$TAG" =~ ^[A-Za-z0-9._-]+$ ]] || fail "cannot read the release tag from $INFO (got '$TAG')"

# The CMake flags are part of the stamp: changing them rebuilds.
CMAKE_FLAGS=(
  -DCMAKE_BUILD_TYPE=Release
  -DBUILD_SHARED_LIBS=OFF
  -DGGML_NATIVE=OFF          # -march=native crashes with "Illegal instruction" on AMX CPUs; x86-64-v3 baseline instead
  -DGGML_CCACHE=OFF
  -DLLAMA_CURL=OFF           # deprecated and ignored by this tag; kept for older tags
  -DLLAMA_OPENSSL=OFF        # no HTTPS client: the server never downloads anything
  -DLLAMA_BUILD_UI=OFF       # no npm build of the web UI
  -DLLAMA_USE_PREBUILT_UI=OFF # and no download of a prebuilt one
  -DLLAMA_BUILD_TESTS=OFF
  -DLLAMA_BUILD_EXAMPLES=OFF
)

CACHE_DIR="${LCA_LLAMA_SERVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/local-code-assistant/llama-server/$TAG}"
BIN="$CACHE_DIR/llama-server"
STAMP="$CACHE_DIR/.built"

bundle_head() { git bundle list-heads "$BUNDLE" 2>/dev/null | awk '$2 == "HEAD" { print $1; exit }'; }
want_stamp() { printf '%s %s %s\n' "$TAG" "$(bundle_head)" "${CMAKE_FLAGS[*]}"; }

is_cached() { [[ -x "$BIN" && -f "$STAMP" && "$(cat "$STAMP")" == "$(want_stamp)" ]]; }

if command -v git >/dev/null && is_cached; then
  printf '%s\n' "$BIN"
  exit 0
fi
[[ $CHECK_ONLY == 1 ]] && fail "llama-server ($TAG) is not built in $CACHE_DIR: run scripts/tools/build-llama-server.sh (10-20 minutes on 2 cores)"

# ---------------------------------------------------------------- build tools
missing_apt=()
command -v cmake >/dev/null || missing_apt+=(cmake)
command -v g++   >/dev/null || missing_apt+=(g++)
command -v make  >/dev/null || missing_apt+=(make)
command -v git   >/dev/null || missing_apt+=(git)
if [[ ${#missing_apt[@]} -gt 0 ]]; then
  [[ "${LCA_SKIP_APT:-}" == 1 ]] && fail "missing ${missing_apt[*]} and LCA_SKIP_APT=1"
  command -v apt-get >/dev/null || fail "missing ${missing_apt[*]} and no apt-get here: install them by hand"
  SUDO=""
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || fail "missing ${missing_apt[*]}: run as root or install them: apt-get install ${missing_apt[*]}"
    SUDO="sudo"
  fi
  log "apt-get install ${missing_apt[*]}"
  $SUDO apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing_apt[@]}" >/dev/null \
    || fail "apt-get install ${missing_apt[*]} failed"
fi

# ---------------------------------------------------------------- build (one at a time)
PARENT="$(dirname "$CACHE_DIR")"
mkdir -p "$PARENT"
exec 9>"$PARENT/.$(basename "$CACHE_DIR").lock"
if ! flock -n 9; then
  log "another build of $CACHE_DIR is running; waiting for it"
  flock 9
fi
if is_cached; then   # the other run built it while we waited
  printf '%s\n' "$BIN"
  exit 0
fi

WORK="$(mktemp -d "$PARENT/.build-$TAG.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
t0=$SECONDS
log "building llama-server $TAG (CPU only, $JOBS jobs) in $WORK; log: $WORK/build.log"
git clone -q "$BUNDLE" "$WORK/src" 2>"$WORK/build.log" || { cat "$WORK/build.log" >&2; fail "git clone of $BUNDLE failed"; }
{
  cmake -S "$WORK/src" -B "$WORK/build" "${CMAKE_FLAGS[@]}" \
    && cmake --build "$WORK/build" --config Release --target llama-server -j "$JOBS"
} >>"$WORK/build.log" 2>&1 || {
  tail -n 40 "$WORK/build.log" >&2
  cp "$WORK/build.log" "$PARENT/build-$TAG.failed.log" 2>/dev/null || true
  fail "building llama-server failed; full log: $PARENT/build-$TAG.failed.log"
}
built="$WORK/build/bin/llama-server"
[[ -x "$built" ]] || fail "cmake finished but $built is missing"
"$built" --version >/dev/null 2>&1 || fail "$built does not run (wrong CPU flags?)"

STAGE="$WORK/stage"
mkdir -p "$STAGE"
cp "$built" "$STAGE/llama-server"
cp "$WORK/src/LICENSE" "$STAGE/LICENSE" 2>/dev/null || true
want_stamp >"$STAGE/.built"
printf '%s\n' "$(( SECONDS - t0 ))" >"$STAGE/.build-seconds"
# Swap the finished folder in with renames (same file system): never a half-built cache.
if [[ -e "$CACHE_DIR" ]]; then mv "$CACHE_DIR" "$WORK/old"; fi
mv "$STAGE" "$CACHE_DIR"
log "built in $(( SECONDS - t0 )) s: $BIN"
printf '%s\n' "$BIN"
