#!/usr/bin/env bash
# The ABI freeze check: fails when the live connector_abi.h changes a declaration of a released
# (frozen) copy of it. Usage:
#
#   abi_frozen.sh CC FROZEN_HEADER LIVE_HEADER
#
# CC is a C compiler (gcc or clang). A later minor may only add, so the check is:
#  1. Declarations. Both headers without their comments and with all layout
#     whitespace dropped, cut into declarations (one per `;` or `{`, one per directive). Every
#     declaration of the frozen header must appear in the live one, in the same order; the live one
#     may have more anywhere. Two defines may change value, by name: TRIBUTARY_ABI_VERSION_MINOR
#     (which only grows) and the TRIBUTARY_*_KNOWN_FLAGS masks (which only gain bits).
#  2. Layout and values. A C probe made from the frozen header's structs and defines is compiled
#     against each header and run: every released field keeps its offset and size, every struct
#     keeps at least its size (it may grow at the end), every numeric or string define keeps its
#     value (the minor only grows, a KNOWN_FLAGS mask keeps its bits). This catches a field
#     inserted in the middle of a struct, which step 1 allows as an addition.
# Prints what changed and exits 1; prints one OK line and exits 0.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 CC FROZEN_HEADER LIVE_HEADER" >&2
  exit 2
fi
cc=$1
frozen=$2
live=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/tributary-abi-frozen.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/frozen/tributary" "$work/live/tributary"
cp "$frozen" "$work/frozen/tributary/connector_abi.h"
cp "$live" "$work/live/tributary/connector_abi.h"

fail() {
  printf 'ABI freeze check FAILED: %s\n' "$1"
  printf '  frozen: %s\n  live:   %s\n' "$frozen" "$live"
  printf '  The frozen copy is a released ABI, which plugins in the field were built against: restore the\n'
  printf '  declaration, or add what is new as the next minor (new fields only at the end of a struct, new\n'
  printf '  flag bits and functions appended, an incompatible change under new _v2 names).\n'
  exit 1
}

# The header without its comments: each becomes one space, as the preprocessor sees it (strings
# and character literals are kept whole).
uncommented() {
  awk '
    BEGIN { RS = "\001" }  # the whole file as one record
    {
      n = length($0); out = ""; state = "code"
      for (i = 1; i <= n; i++) {
        c = substr($0, i, 1); d = substr($0, i + 1, 1)
        if (state == "code") {
          if (c == "/" && d == "*") { state = "block"; i++; out = out " "; continue }
          if (c == "/" && d == "/") { state = "line"; i++; out = out " "; continue }
          if (c == "\"") state = "string"
          else if (c == "\047") state = "char"
          out = out c
        } else if (state == "block") {
          if (c == "*" && d == "/") { state = "code"; i++ }
        } else if (state == "line") {
          if (c == "\n") { state = "code"; out = out c }
        } else {
          out = out c
          if (c == "\\") { out = out d; i++ }
          else if ((state == "string" && c == "\"") || (state == "char" && c == "\047")) state = "code"
        }
      }
      printf "%s", out
    }
  ' "$1"
}

# One declaration per line, formatting-independent (see 1. above).
declarations() {
  uncommented "$1" | awk '
    # Drops whitespace except one space between two identifier characters.
    function canon(s,   out, i, c, pending) {
      out = ""; pending = 0
      for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == " " || c == "\t") { pending = 1; continue }
        if (pending && out ~ /[A-Za-z0-9_]$/ && c ~ /[A-Za-z0-9_]/) out = out " "
        out = out c; pending = 0
      }
      return out
    }
    function directive(d,   name, rest) {
      sub(/^[ \t]*#[ \t]*/, "#", d)
      if (d !~ /^#define[ \t]/) { gsub(/[ \t]+/, " ", d); sub(/ $/, "", d); return d }
      sub(/^#define[ \t]+/, "", d)
      # The name, with its parameter list when it is a function-like macro.
      match(d, /^[A-Za-z0-9_]+(\([^)]*\))?/)
      name = substr(d, 1, RLENGTH); rest = substr(d, RLENGTH + 1)
      gsub(/[ \t]/, "", name)
      rest = canon(rest)
      return rest == "" ? "#define " name : "#define " name " " rest
    }
    function flush() { if (code != "") print code; code = "" }
    {
      line = $0
      if (indirective) { dir = dir " " line }
      else if (line ~ /^[ \t]*#/) { flush(); dir = line; indirective = 1 }
      if (indirective) {
        if (dir ~ /\\$/) { sub(/\\$/, "", dir); next }
        print directive(dir); indirective = 0; next
      }
      n = length(line)
      for (i = 1; i <= n; i++) {
        c = substr(line, i, 1)
        code = code c
        if (c == ";" || c == "{") { code = canon(code); flush() }
      }
      code = code " "
    }
    END { code = canon(code); flush() }
  ' | awk 'NF > 0'
}

declarations "$work/frozen/tributary/connector_abi.h" >"$work/frozen.decl"
declarations "$work/live/tributary/connector_abi.h" >"$work/live.decl"
[ -s "$work/frozen.decl" ] || fail "no declarations read from the frozen header"

# 1. The frozen declarations, in order, within the live ones.
missing=$(awk '
  # A define whose value may change between minors: compared by name (its value in 2.).
  function key(d) {
    if (d ~ /^#define TRIBUTARY_ABI_VERSION_MINOR( |$)/ || d ~ /^#define TRIBUTARY_[A-Z0-9_]*_KNOWN_FLAGS( |$)/) {
      sub(/ .*/, "", d)
    }
    return d
  }
  NR == FNR { live[++n] = key($0); next }
  {
    want = key($0)
    while (j < n && live[j + 1] != want) j++
    if (j >= n) {
      printf "the released declaration\n    %s\n  is gone or changed (expected after\n    %s\n  )\n", $0, (prev == "" ? "the start of the header" : prev)
      exit
    }
    j++; prev = $0
  }
' "$work/live.decl" "$work/frozen.decl")
[ -z "$missing" ] || fail "$missing"

# 2. A probe of the frozen header's fields, struct sizes and defines.
awk '
  BEGIN {
    print "#include <stddef.h>"
    print "#include <stdio.h>"
    print "#include \"tributary/connector_abi.h\""
    print "int main(void) {"
  }
  /^typedef struct [A-Za-z0-9_]+\{$/ { s = $0; sub(/^typedef struct /, "", s); sub(/\{$/, "", s); next }
  s != "" && /^\}[A-Za-z0-9_]+;$/ {
    printf "  printf(\"sizeof %s %%zu\\n\", sizeof(%s));\n", s, s
    s = ""; next
  }
  s != "" {
    f = ""
    if (match($0, /\(\*[A-Za-z0-9_]+\)/)) f = substr($0, RSTART + 2, RLENGTH - 3)
    else if (match($0, /[A-Za-z0-9_]+;$/)) f = substr($0, RSTART, RLENGTH - 1)
    if (f != "") {
      printf "  printf(\"offset %s.%s %%zu\\n\", offsetof(%s, %s));\n", s, f, s, f
      printf "  printf(\"size %s.%s %%zu\\n\", sizeof(((%s*)0)->%s));\n", s, f, s, f
    }
    next
  }
  /^#define [A-Za-z0-9_]+ / {
    name = $2
    if (name ~ /_H$/) next
    value = $0; sub(/^#define [A-Za-z0-9_]+ /, "", value)
    if (value ~ /^"/) printf "  printf(\"define %s %%s\\n\", %s);\n", name, name
    else printf "  printf(\"define %s %%lld\\n\", (long long)(%s));\n", name, name
  }
  END { print "  return 0;"; print "}" }
' "$work/frozen.decl" >"$work/probe.c"

for side in frozen live; do
  if ! "$cc" -std=c11 -w -I "$work/$side" "$work/probe.c" -o "$work/probe-$side" 2>"$work/probe-$side.err"; then
    fail "the probe of the frozen header's fields does not compile against the $side header (a released field or define is gone):
$(head -n 20 "$work/probe-$side.err")"
  fi
  "$work/probe-$side" >"$work/$side.layout"
done

problems=""
declare -A now
while read -r kind name value; do now["$kind $name"]=$value; done <"$work/live.layout"
while read -r kind name value; do
  have=${now["$kind $name"]-}
  case "$kind" in
    sizeof)
      if [ "$have" -lt "$value" ]; then problems+="  sizeof($name) shrank from $value to $have"$'\n'; fi
      ;;
    define)
      if [ "$name" = TRIBUTARY_ABI_VERSION_MINOR ] || [ "$name" = TRIBUTARY_ABI_VERSION ]; then
        if [ "$have" -lt "$value" ]; then problems+="  $name went down from $value to $have"$'\n'; fi
      elif [[ "$name" == *_KNOWN_FLAGS ]]; then
        if [ $((have & value)) -ne "$value" ]; then
          problems+="  $name lost bits: released $value, now $have"$'\n'
        fi
      elif [ "$have" != "$value" ]; then
        problems+="  $name changed from $value to $have"$'\n'
      fi
      ;;
    *)
      if [ "$have" != "$value" ]; then problems+="  the $kind of $name changed from $value to $have"$'\n'; fi
      ;;
  esac
done <"$work/frozen.layout"
[ -z "$problems" ] || fail "the layout or a value of the released ABI changed:
${problems%$'\n'}"

fields=$(grep -c "^offset " "$work/frozen.layout" || true)
structs=$(grep -c "^sizeof " "$work/frozen.layout" || true)
defines=$(grep -c "^define " "$work/frozen.layout" || true)
decls=$(wc -l <"$work/frozen.decl")
echo "ABI freeze check OK: $(basename "$(dirname "$(dirname "$frozen")")") ($decls declarations, $structs structs," \
  "$fields fields, $defines defines) unchanged in $live"
