# Shared by scripts/run, scripts/test and scripts/check-format. Sourced, not run.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${TRIBUTARY_JOBS:-$(nproc)}"

# Debian 12 packages the build, the tests and the demo need; each earns its place in README.md.
TRIBUTARY_PACKAGES=(
  build-essential cmake pkg-config git ca-certificates ccache
  libpoco-dev libboost-dev libboost-filesystem-dev libyaml-cpp-dev libfmt-dev
  libhowardhinnant-date-dev tzdata nlohmann-json3-dev libpq-dev libssl-dev libxxhash-dev
  googletest libgtest-dev
  postgresql
  clang-14 libc++-14-dev libc++abi-14-dev clang-format-14
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

# Checks every tracked C and C++ file against .clang-format and names each one that differs.
# Returns 0 when all are formatted (or when $REPO is not a git checkout, which it says), else 1.
# Run it alone with scripts/check-format; fix a file with clang-format-14 -i FILE.
check_format() {
  local tool=clang-format-14
  if ! command -v "$tool" >/dev/null 2>&1; then
    printf 'format check: %s is not installed (apt-get install %s, or run scripts/test, which installs it)\n' \
      "$tool" "$tool" >&2
    return 1
  fi
  if ! git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    say "format check: skipped: $REPO is not a git checkout, and the files to check are the tracked ones"
    return 0
  fi
  local tracked=() files=() unformatted=() f
  mapfile -d '' tracked < <(git -C "$REPO" ls-files -z -- '*.c' '*.h' '*.cpp' '*.hpp')
  for f in "${tracked[@]}"; do
    if [ -f "$REPO/$f" ]; then files+=("$f"); fi  # not one deleted in the work tree, still in the index
  done
  [ "${#files[@]}" -gt 0 ] || { say "format check: no tracked C/C++ files"; return 0; }
  # One pass over all of them; only when it fails, one file at a time to name the culprits.
  if ! (cd "$REPO" && printf '%s\0' "${files[@]}" | xargs -0 "$tool" --dry-run -Werror >/dev/null 2>&1); then
    mapfile -d '' unformatted < <(cd "$REPO" && for f in "${files[@]}"; do
      "$tool" --dry-run -Werror "$f" >/dev/null 2>&1 || printf '%s\0' "$f"
    done)
    if [ "${#unformatted[@]}" -eq 0 ]; then
      printf 'format check: %s failed over all files but on none alone; run it by hand to see why\n' "$tool" >&2
      return 1
    fi
  fi
  if [ "${#unformatted[@]}" -gt 0 ]; then
    printf 'format check: %d of %d tracked C/C++ files are not formatted as .clang-format says:\n' \
      "${#unformatted[@]}" "${#files[@]}" >&2
    printf '  %s\n' "${unformatted[@]}" >&2
    printf 'see the changes with: clang-format-14 --dry-run FILE; fix with: clang-format-14 -i FILE\n' >&2
    return 1
  fi
  printf 'format check: all %d tracked C/C++ files are formatted\n' "${#files[@]}" >&2
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
