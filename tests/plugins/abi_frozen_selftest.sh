#!/usr/bin/env bash
# Proves that abi_frozen.sh fails for the changes it exists to catch and passes what a later minor
# may do: each case edits a copy of the live header and runs the check against the frozen one.
# Usage: abi_frozen_selftest.sh CC FROZEN_HEADER LIVE_HEADER
set -uo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 CC FROZEN_HEADER LIVE_HEADER" >&2
  exit 2
fi
cc=$1
frozen=$2
live=$3
check="$(dirname "$0")/abi_frozen.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/tributary-abi-selftest.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

# case NAME EXPECT(pass|fail) MESSAGE_REGEX SED_SCRIPT
case_() {
  local name=$1 expect=$2 message=$3 script=$4
  local edited="$work/$name.h" out rc
  sed -e "$script" "$live" >"$edited"
  if cmp -s "$edited" "$live"; then
    echo "FAIL $name: the edit changed nothing (the live header moved on: update this case)"
    failures=$((failures + 1))
    return
  fi
  out=$(bash "$check" "$cc" "$frozen" "$edited" 2>&1)
  rc=$?
  if { [ "$expect" = pass ] && [ $rc -ne 0 ]; } || { [ "$expect" = fail ] && [ $rc -ne 1 ]; } ||
    ! grep -Eq -- "$message" <<<"$out"; then
    echo "FAIL $name: expected to $expect with /$message/, got exit $rc:"
    sed 's/^/    /' <<<"$out"
    failures=$((failures + 1))
  else
    echo "ok   $name ($expect)"
  fi
}

# What the check exists to catch.
case_ changed_value fail 'TRIBUTARY_AUTH_PKCE 0x2u' 's/^#define TRIBUTARY_AUTH_PKCE 0x2u$/#define TRIBUTARY_AUTH_PKCE 0x8u/'
case_ renamed_function fail 'get_auth_value' 's/(\*get_auth_value)/(*get_credential_value)/'
case_ removed_field fail 'const char\*scopes;' '/^  const char\* scopes; /d'
case_ retyped_field fail 'int32_t status;' 's/^  int32_t status;       \/\* the HTTP status it matches/  int64_t status; \/\*/'
case_ inserted_in_the_middle fail 'offset of tributary_auth_v1.value_prefix changed from 24 to 32' \
  's/^  const char\* value_prefix;$/  uint64_t inserted;\n  const char* value_prefix;/'
case_ flag_bit_dropped_from_a_mask fail 'TRIBUTARY_AUTH_KNOWN_FLAGS lost bits: released 7, now 3' \
  's/^#define TRIBUTARY_AUTH_KNOWN_FLAGS .*/#define TRIBUTARY_AUTH_KNOWN_FLAGS (TRIBUTARY_AUTH_IN_QUERY | TRIBUTARY_AUTH_PKCE)/'
case_ minor_went_down fail 'TRIBUTARY_ABI_VERSION_MINOR went down from 1 to 0' \
  's/^#define TRIBUTARY_ABI_VERSION_MINOR 1$/#define TRIBUTARY_ABI_VERSION_MINOR 0/'

# What a later minor may do: append, grow a mask, raise the minor, reflow, reword a comment.
case_ a_1_2_that_only_appends pass 'ABI freeze check OK' '
s/^#define TRIBUTARY_ABI_VERSION_MINOR 1$/#define TRIBUTARY_ABI_VERSION_MINOR 2/
s/^#define TRIBUTARY_HTTP_KNOWN_FLAGS .*/#define TRIBUTARY_HTTP_NEXT 0x4u\n#define TRIBUTARY_HTTP_KNOWN_FLAGS (TRIBUTARY_HTTP_IDEMPOTENT | TRIBUTARY_HTTP_NO_AUTH | TRIBUTARY_HTTP_NEXT)/
s/^  const tributary_auth_v1\* auths;$/&\n\n  \/* --- 1.2 --- *\/\n  const char* homepage;/
s/^} tributary_host_api_v1;$/  tributary_result (*next_function)(tributary_host_ctx* ctx);\n&/'
case_ reflowed_and_reworded pass 'ABI freeze check OK' '
s/tributary_str name, tributary_str\* out_value);/tributary_str name,\n                                     tributary_str*   out_value);/
s/one line, may be ""/one line for operators (may be empty)/'

if [ $failures -ne 0 ]; then
  echo "$failures case(s) of the ABI freeze check's self-test failed"
  exit 1
fi
echo "the ABI freeze check catches every change above and passes what a later minor may do"
