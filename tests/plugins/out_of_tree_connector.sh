#!/usr/bin/env bash
# sdk.out_of_tree.hubspot.<flavour>: build a real connector's folder (plugins/hubspot) the way a
# third-party author does, with nothing but the installed SDK, and load it into the host's loader.
#
#   out_of_tree_connector.sh BUILD_DIR CONNECTOR_SRC TARGET NAME PROBE FLAVOUR CXX
#
# The connector's sync is proven against its simulator elsewhere (tests/e2e/connectors); here a
# sync through the ABI reaches a closed port and must come back as RETRY naming the request.
set -euo pipefail

build_dir=$1 src=$2 target=$3 name=$4 probe=$5 flavour=$6 cxx=$7
work=$(mktemp -d /tmp/tributary-oot-"$target"-"$flavour".XXXXXX)
trap 'rm -rf "$work"' EXIT
step() { echo "--- $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "install the SDK (component dev) to $work/prefix"
cmake --install "$build_dir" --prefix "$work/prefix" --component dev > "$work/install.log" || {
  cat "$work/install.log"; fail "cmake --install of the dev component failed"; }
cp -r "$src" "$work/src"
flags=()
if [[ $flavour == clang_libcxx ]]; then
  flags=(-DCMAKE_CXX_FLAGS=-stdlib=libc++ -DCMAKE_MODULE_LINKER_FLAGS=-stdlib=libc++
         -DCMAKE_SHARED_LINKER_FLAGS=-stdlib=libc++)
fi
step "configure with only CMAKE_PREFIX_PATH ($cxx ${flags[*]:-}), and build"
cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_CXX_COMPILER="$cxx" "${flags[@]}" > "$work/configure.log" 2>&1 || {
  cat "$work/configure.log"; fail "configure failed"; }
cmake --build "$work/build" -j2 > "$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build failed"; }
plugin="$work/build/plugins/$target.so"
test -f "$plugin" || fail "the build did not produce $plugin"
exported=$(nm -D --defined-only "$plugin" | awk '{print $3}')
[[ $exported == tributary_connector_entry_v1 ]] || fail "the plugin exports more than its entry: $exported"
if [[ $flavour == clang_libcxx ]]; then
  readelf -d "$plugin" | grep NEEDED | grep -q 'libc++' || fail "the plugin does not use libc++"
fi

step "load it with the host's loader"
"$probe" list --dir "$work/build/plugins" --expect-loaded "$name" --expect-refused 0 > "$work/list.json" || {
  cat "$work/list.json"; fail "not loaded"; }

step "a sync through the ABI to a closed port comes back as RETRY"
out=$("$probe" run --dir "$work/build/plugins" --connector "$name" --stream contacts --set base_url=http://127.0.0.1:9 || true)
echo "$out"
grep -q '"result":"RETRY"' <<< "$out" || fail "expected RETRY"
grep -q '127.0.0.1:9' <<< "$out" || fail "expected the message to name the request"
echo "PASS: out-of-tree $flavour build of $name loads and answers through the ABI"
