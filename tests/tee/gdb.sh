#!/bin/sh
# tee.gdb - a debug-mode TA can be debugged with plain gdb: the host is
# started with TE_ENCLAVE_WAIT_DEBUGGER=1, prints how to attach, gdb
# attaches with the signed image as symbol file, stops in an ECALL, shows
# its arguments and detaches; the call then completes.  Then gdb runs the
# host itself and follows it into the TA.  (docs/tee-debug.md)
# usage: gdb.sh TEST_TEE_RUNTIME SIGNED_DEBUG_IMAGE
set -eu
host=$1
image=$2
command -v gdb >/dev/null || { echo "gdb is not installed"; exit 1; }
tmp=$(mktemp -d)
trap 'kill $hpid 2>/dev/null || true; rm -rf "$tmp"' EXIT

TE_ENCLAVE_WAIT_DEBUGGER=1 "$host" gdb-host >"$tmp/out" 2>"$tmp/err" &
hpid=$!
pid=
for _ in $(seq 100); do
	pid=$(sed -n 's/^  gdb .* -p \([0-9][0-9]*\)$/\1/p' "$tmp/err")
	[ -n "$pid" ] && break
	sleep 0.1
done
[ -n "$pid" ] || { echo "host did not print the attach line:"; cat "$tmp/err"; exit 1; }
timeout 60 gdb -q -nx "$image" -p "$pid" -batch \
	-ex 'break e_echo' -ex 'continue' -ex 'bt 2' -ex 'print n' -ex 'detach' >"$tmp/gdb" 2>&1 || true
cat "$tmp/gdb"
wait $hpid
grep -q 'hit Breakpoint 1, e_echo' "$tmp/gdb" || { echo "FAIL: breakpoint in the TA not hit"; exit 1; }
grep -q '^\$1 = 3$' "$tmp/gdb" || { echo "FAIL: ECALL argument not readable"; exit 1; }
grep -q 'gdb-host: OE_OK' "$tmp/out" || { echo "FAIL: the call did not complete"; cat "$tmp/out"; exit 1; }

# The other way: gdb runs the host and follows it into the TA process.
timeout 60 gdb -q -nx -batch -ex 'set follow-fork-mode child' -ex 'catch exec' -ex run \
	-ex "file $image" -ex 'break e_echo' -ex continue -ex 'print n' -ex continue \
	--args "$host" gdb-host >"$tmp/gdb2" 2>&1 || true
cat "$tmp/gdb2"
grep -q 'hit Breakpoint 2, e_echo' "$tmp/gdb2" || { echo "FAIL: follow-fork: breakpoint not hit"; exit 1; }
# gdb detached from the host at the fork; the host may still be finishing.
for _ in $(seq 100); do
	grep -q 'gdb-host: ' "$tmp/gdb2" && break
	sleep 0.1
done
grep -q 'gdb-host: OE_OK' "$tmp/gdb2" || { echo "FAIL: follow-fork: the call did not complete"; exit 1; }
echo "tee.gdb: OK"
