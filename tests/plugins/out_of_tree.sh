#!/usr/bin/env bash
# sdk.out_of_tree.<flavour>: build plugins/example the way a third-party author does, and
# load it into the host's loader.
#
#   out_of_tree.sh BUILD_DIR EXAMPLE_SRC PROBE FLAVOUR CXX
#
#  1. installs the SDK from BUILD_DIR (component dev) into a temp prefix;
#  2. copies EXAMPLE_SRC to a temp dir outside the repository;
#  3. configures it with only CMAKE_PREFIX_PATH (and the compiler), builds it;
#     FLAVOUR clang_libcxx adds -stdlib=libc++ and checks the plugin really uses libc++;
#  4. loads the result with PROBE (the host's loader) and runs a sync through the ABI,
#     including a failure that crosses the boundary as an exception inside the plugin.
set -euo pipefail

build_dir=$1 example_src=$2 probe=$3 flavour=$4 cxx=$5
work=$(mktemp -d /tmp/tributary-oot-"$flavour".XXXXXX)
trap 'rm -rf "$work"' EXIT
step() { echo "--- $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "install the SDK (component dev) to $work/prefix"
cmake --install "$build_dir" --prefix "$work/prefix" --component dev > "$work/install.log" || {
  cat "$work/install.log"; fail "cmake --install of the dev component failed"; }
test -f "$work/prefix/include/tributary/connector_abi.h" || fail "connector_abi.h not installed"
test -f "$work/prefix/include/tributary/sdk.hpp" || fail "sdk.hpp not installed"
ls "$work"/prefix/lib*/cmake/TributarySDK/TributarySDKConfigVersion.cmake > /dev/null ||
  fail "TributarySDKConfigVersion.cmake not installed"

step "copy the example out of the repository"
cp -r "$example_src" "$work/src"

flags=()
if [[ $flavour == clang_libcxx ]]; then
  flags=(-DCMAKE_CXX_FLAGS=-stdlib=libc++ -DCMAKE_MODULE_LINKER_FLAGS=-stdlib=libc++
         -DCMAKE_SHARED_LINKER_FLAGS=-stdlib=libc++)
fi

step "configure with only CMAKE_PREFIX_PATH ($cxx ${flags[*]:-})"
cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_CXX_COMPILER="$cxx" "${flags[@]}" > "$work/configure.log" 2>&1 || {
  cat "$work/configure.log"; fail "configure failed"; }
step "build"
cmake --build "$work/build" -j2 > "$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build failed"; }

plugin="$work/build/plugins/tributary_example.so"
test -f "$plugin" || fail "the build did not produce $plugin"
needed=$(readelf -d "$plugin" | grep NEEDED || true)
echo "$needed"
if [[ $flavour == clang_libcxx ]]; then
  grep -q 'libc++' <<< "$needed" || fail "the plugin does not use libc++"
  grep -q 'libstdc++' <<< "$needed" && fail "the plugin links libstdc++ as well as libc++"
fi
exported=$(nm -D --defined-only "$plugin" | awk '{print $3}')
[[ $exported == tributary_connector_entry_v1 ]] || fail "the plugin exports more than its entry: $exported"

step "load it with the host's loader"
"$probe" list --dir "$work/build/plugins" --expect-loaded tributary.example --expect-refused 0 > "$work/list.json"
grep -q '"status": "loaded"' "$work/list.json" || { cat "$work/list.json"; fail "not loaded"; }

step "run a sync through the ABI"
out=$("$probe" run --dir "$work/build/plugins" --connector tributary.example --stream deals \
        --set records=250 --set page_size=100 --set poison_ids=deal-000000007)
echo "$out"
grep -q '"result":"OK"' <<< "$out" || fail "sync did not return OK"
grep -q '"records":249' <<< "$out" || fail "expected 249 records"
grep -q '"checkpoints":3' <<< "$out" || fail "expected 3 checkpoints"
grep -q '"record_errors":\["deal-000000007"\]' <<< "$out" || fail "expected one poison record"

step "a failure thrown inside the plugin comes back as a result"
out=$("$probe" run --dir "$work/build/plugins" --connector tributary.example --stream deals \
        --set records=250 --set page_size=100 --set fail_at_page=2 --set fail_mode=fatal || true)
echo "$out"
grep -q '"result":"FATAL"' <<< "$out" || fail "expected FATAL"
grep -q "simulated failure at page 2 of stream 'deals'" <<< "$out" || fail "expected the plugin's message"

echo "PASS: out-of-tree $flavour build of the example loads and syncs"
