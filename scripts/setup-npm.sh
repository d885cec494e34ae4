#!/bin/sh
# setup-npm.sh - installs the npm packages of the real-client tests
# (tests/npm: azure-iot-device and its MQTT transport, versions pinned in
# package-lock.json).  Runs `npm ci` only when tests/npm/node_modules is
# missing or older than package-lock.json; quiet when it succeeds.  Called
# by scripts/setup.sh; the tests themselves never download anything.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dir="$here/../tests/npm"
dir=$(cd "$dir" && pwd)
lock="$dir/package-lock.json"
# npm writes this copy of the lock file last, when an install completes.
stamp="$dir/node_modules/.package-lock.json"

if [ ! -f "$lock" ]; then
	echo "setup-npm: $lock is missing" >&2
	exit 1
fi

# Up to date: the installed tree is newer than the lock file.
if [ -f "$stamp" ] && [ -z "$(find "$lock" -newer "$stamp")" ]; then
	exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
	echo "setup-npm: npm not found; install Node.js and npm (scripts/setup.sh does) and retry" >&2
	exit 1
fi

log=$(mktemp "${TMPDIR:-/tmp}/setup-npm.XXXXXX")
trap 'rm -f "$log"' EXIT
if ! (cd "$dir" && npm ci --no-audit --no-fund) >"$log" 2>&1; then
	cat "$log" >&2
	echo "setup-npm: 'npm ci' failed in $dir (output above); the npm client test (npm.module_client) will be skipped until it succeeds" >&2
	exit 1
fi
# npm ci keeps the lock file's mtime; make sure the stamp is newer even on
# file systems with coarse timestamps.
touch "$stamp"
