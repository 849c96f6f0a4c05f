#!/bin/sh
# Installs the test tools from the committed lockfile. Skips the install when node_modules
# already matches it (npm keeps a copy of the lockfile it installed in node_modules).
set -eu
cd "$(dirname "$0")"
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
   && [ -d node_modules/jsforce ] && [ -d node_modules/@hubspot/api-client ] && [ -d node_modules/ajv ] \
   && [ -d node_modules/@readme/openapi-parser ] && [ -d node_modules/autocannon ] && [ -d node_modules/standardwebhooks ]; then
  echo "tests/js: node_modules is up to date with package-lock.json"
  exit 0
fi
exec npm ci --no-audit --no-fund
