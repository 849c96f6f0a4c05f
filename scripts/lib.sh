# Shared by scripts/run and scripts/test. Sourced, not run.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${TRIBUTARY_JOBS:-$(nproc)}"

# Debian 12 packages the build, the tests and the demo need; each earns its place in README.md.
TRIBUTARY_PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  libpoco-dev libboost-dev libboost-filesystem-dev libyaml-cpp-dev libfmt-dev
  libhowardhinnant-date-dev tzdata nlohmann-json3-dev libpq-dev libssl-dev libxxhash-dev
  googletest libgtest-dev
  postgresql
  clang-14 libc++-14-dev libc++abi-14-dev
)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root for: $* (run as root, or install sudo)"
  fi
}

# Installs whatever is missing; a second run installs nothing.
install_packages() {
  local missing=() p
  for p in "${TRIBUTARY_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ "${#missing[@]}" -eq 0 ]; then
    say "packages: all present"
    return
  fi
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! as_root apt-get install -y --no-install-recommends "${missing[@]}"; then
    as_root apt-get update
    as_root apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}

# cmake --preset NAME, then build TARGETS (default: all). Reuses an existing build tree.
build_preset() {
  local preset="$1"; shift
  local dir="$REPO/build/$preset"
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    (cd "$REPO" && cmake --preset "$preset" >/dev/null)
  fi
  if [ "$#" -gt 0 ]; then
    cmake --build "$dir" -j "$JOBS" --target "$@"
  else
    cmake --build "$dir" -j "$JOBS"
  fi
}

# Prints and records how long a stage took.
STAGE_TIMES=()
stage() {
  local name="$1"; shift
  local start=$SECONDS rc=0
  say "$name"
  "$@" || rc=$?
  local took=$((SECONDS - start))
  STAGE_TIMES+=("$(printf '%-34s %4ds  %s' "$name" "$took" "$([ $rc -eq 0 ] && echo ok || echo FAILED)")")
  return $rc
}

print_stage_times() {
  say "stage times"
  local line
  for line in "${STAGE_TIMES[@]}"; do printf '  %s\n' "$line" >&2; done
}
