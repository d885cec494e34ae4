#!/bin/sh
# loadgen_smoke.sh LOADGEN TEST_SERVER SOURCE_ROOT - te-loadgen against
# te-test-server: a good server gives 0 errors and exactly the requested
# count; each kind of broken response is counted as an error and makes the
# exit status non-zero.  Then bench/nginx_baseline.sh, if nginx is there.
set -eu
loadgen=$1
server=$2
root=$3

T=$(mktemp -d "${TMPDIR:-/tmp}/te-loadgen-XXXXXX")
spid=
stop_server() {
	if [ -n "$spid" ]; then
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
		spid=
	fi
}
trap 'stop_server; rm -rf "$T"' EXIT
printf '{"key":"k1","digest":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}' >"$T/body.json"
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# start_server MODE [EVERY]: a fresh server on a fresh socket.
start_server() {
	stop_server
	rm -f "$T/s.sock"
	"$server" "$T/s.sock" "$@" &
	spid=$!
	i=0
	while [ ! -S "$T/s.sock" ]; do
		i=$((i + 1))
		if [ $i -ge 200 ] || ! kill -0 "$spid" 2>/dev/null; then
			echo "test server did not start" >&2
			exit 1
		fi
		sleep 0.02
	done
}

# run NAME ARGS...: runs te-loadgen, keeps its rc, stdout, stderr and JSON.
run() {
	name=$1
	shift
	rc=0
	"$loadgen" --unix "$T/s.sock" --method POST --path '/sign?api-version=2024-06-01' \
		--body-file "$T/body.json" --header 'X-Test: 1' --json "$T/$name.json" "$@" \
		>"$T/$name.out" 2>"$T/$name.err" || rc=$?
	echo "$name (rc $rc): $(cat "$T/$name.out")"
	if [ -s "$T/$name.err" ]; then
		sed 's/^/    /' "$T/$name.err"
	fi
}

# expect_clean NAME COUNT: exit 0, COUNT requests, no errors.
expect_clean() {
	[ "$rc" -eq 0 ] || fail "$1: exit $rc, want 0"
	grep -q "^requests: $2, errors: 0, " "$T/$1.out" || fail "$1: want $2 requests, 0 errors"
	grep -q "\"ok\": $2," "$T/$1.json" || fail "$1: JSON ok count is not $2"
}

# expect_errors NAME COUNT KIND: exit 1, COUNT requests, some of kind KIND.
expect_errors() {
	[ "$rc" -eq 1 ] || fail "$1: exit $rc, want 1"
	grep -q "^requests: $2, errors: [1-9]" "$T/$1.out" || fail "$1: want $2 requests, errors > 0"
	grep -q "\"$3\": [1-9]" "$T/$1.json" || fail "$1: no '$3' errors counted"
}

start_server ok
run ok --connections 8 --requests 5000
expect_clean ok 5000
run ok_threads --connections 9 --threads 2 --requests 3001
expect_clean ok_threads 3001
run duration --connections 4 --duration 1
[ "$rc" -eq 0 ] || fail "duration: exit $rc"
grep -q '"mode": "duration"' "$T/duration.json" || fail "duration: mode not in JSON"
run get --connections 2 --requests 100 --method GET
expect_clean get 100

start_server chunked
run chunked --connections 4 --requests 2000
expect_clean chunked 2000

start_server close-mid 7
run close_mid --connections 4 --requests 700
expect_errors close_mid 700 eof

start_server bad-status 5
run bad_status --connections 4 --requests 500
expect_errors bad_status 500 malformed

start_server big-header 5
run big_header --connections 4 --requests 200
expect_errors big_header 200 header_too_large

start_server no-length 5
run no_length --connections 4 --requests 200
expect_errors no_length 200 malformed

start_server extra 5
run extra --connections 4 --requests 200
expect_errors extra 200 malformed

start_server status-500 10
run status_500 --connections 4 --requests 1000
expect_errors status_500 1000 status
grep -q '"errors": 100,' "$T/status_500.json" || fail "status_500: want exactly 100 errors"
run allow_errors --connections 4 --requests 1000 --allow-errors
[ "$rc" -eq 0 ] || fail "allow_errors: exit $rc, want 0"
grep -q '"errors": 100,' "$T/allow_errors.json" || fail "allow_errors: want 100 errors"

start_server stall 50
run stall --connections 2 --requests 100 --timeout 1
expect_errors stall 100 timeout

# Refusals: a remote address, bad numbers, no server.
rc=0
"$loadgen" --tcp 192.0.2.1:80 --requests 1 2>"$T/remote.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q 'only loopback' "$T/remote.err" || fail "remote --tcp not refused"
rc=0
"$loadgen" --tcp example.com:80 --requests 1 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "--tcp by name not refused"
rc=0
"$loadgen" --unix "$T/s.sock" --connections 1025 --requests 1 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "--connections 1025 accepted"
rc=0
"$loadgen" --unix "$T/s.sock" --requests -1 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "--requests -1 accepted"
stop_server
rc=0
"$loadgen" --unix "$T/s.sock" --requests 1 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "no server: exit $rc, want 1"

# The baseline script end to end, when nginx is installed.
rc=0
sh "$root/bench/nginx_baseline.sh" "$loadgen" 16 20000 "$T/nginx.json" >"$T/nginx.out" 2>&1 || rc=$?
cat "$T/nginx.out"
if [ "$rc" -eq 77 ]; then
	echo "SKIP: nginx baseline: nginx not installed"
elif [ "$rc" -ne 0 ]; then
	fail "nginx baseline: exit $rc"
else
	grep -q '^requests: 20000, errors: 0, ' "$T/nginx.out" || fail "nginx baseline: bad summary"
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo "loadgen smoke: all checks passed"
