#!/bin/sh
# workload.load: the real trustedged under te-loadgen (bench/loadgen.c).
#
#   - 1,000,000 sign requests on 256 concurrent keep-alive connections, in
#     two halves, every one answered 200 (zero errors of any kind);
#   - memory is flat: the VmRSS of the keys and API processes together
#     grows by less than RSS_MAX_KIB over the second half.  Under
#     AddressSanitizer freed memory first sits in a quarantine (256 MB by
#     default, which the keys process fills only after ~700k requests, and
#     whose recycling moves the API process's RSS by +-10 MB from run to
#     run), so for this part the daemon runs with the quarantine off: RSS
#     then measures the daemon, not ASan (without ASan the setting is
#     ignored);
#   - two SIGHUPs while 256 connections are busy (the daemon restarted
#     with the full ASan quarantine): the draining API process answers
#     with "Connection: close", te-loadgen reconnects, and the run ends
#     with zero errors (and te-loadgen saw the closes).
#
# Usage: daemon_load.sh TRUSTEDGE_CLI TRUSTEDGED TE_LOADGEN
# TE_LOAD_REQUESTS overrides the total (for trying it out; the test as
# registered always runs the full count).
. "$(dirname "$0")/daemon_lib.sh"

LOADGEN=${3:?usage: $0 TRUSTEDGE_CLI TRUSTEDGED TE_LOADGEN}
[ -x "$LOADGEN" ] || fail "$LOADGEN is not executable"
need_tools python3 base64

TOTAL=${TE_LOAD_REQUESTS:-1000000}
HALF=$((TOTAL / 2))
CONNS=256
RSS_MAX_KIB=4096
HUP_SECONDS=12

d_config <<EOF
modules:
  - name: alpha
    uid: 0
limits:
  # 256 for the load, and the draining API process's connections are
  # counted apart from the new one's.
  max_connections_per_uid: 1024
EOF
# The daemon alone gets the quarantine off (its children inherit it).
asan_saved=${ASAN_OPTIONS-}
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
export ASAN_OPTIONS
d_start
ASAN_OPTIONS=$asan_saved
[ -n "$ASAN_OPTIONS" ] || unset ASAN_OPTIONS
note "trustedged $DPID serves $SOCK"

sign_body "trustedge load test" >"$T/sign.json"
SIGNP="/modules/alpha/genid/g1/sign?$V"

# load NAME REQUESTS: te-loadgen, which must end with REQUESTS answered
# 200 and no error of any kind.
load() {
	_rc=0
	"$LOADGEN" --unix "$SOCK" --connections "$CONNS" --requests "$2" --method POST \
		--path "$SIGNP" --body-file "$T/sign.json" --expect-status 200 --timeout 30 \
		--label "$1" --json "$T/$1.json" >"$T/$1.out" 2>"$T/$1.err" || _rc=$?
	note "$1: $(cat "$T/$1.out")"
	if [ $_rc -ne 0 ]; then
		cat "$T/$1.err" >&2
		fail "$1: te-loadgen exited with $_rc"
	fi
	cp "$T/$1.json" "$T/out"
	jcheck "d['ok'] == $2 and d['errors'] == 0 and d['requests'] == $2"
}

# rss_now: the keys and API processes' VmRSS (KiB) into RSS_K and RSS_A.
rss_now() {
	_kp=$(d_keys_pid)
	_ap=$(d_api_pid)
	RSS_K=$(d_rss "$_kp")
	RSS_A=$(d_rss "$_ap")
}

t0=$(d_now_ms)
load first-half "$HALF"
rss_now
k1=$RSS_K a1=$RSS_A
load second-half "$((TOTAL - HALF))"
rss_now
k2=$RSS_K a2=$RSS_A
ms=$(($(d_now_ms) - t0))
grow=$((k2 + a2 - k1 - a1))
note "$TOTAL sign requests in $((ms / 1000)) s, zero errors; RSS keys ${k1} -> ${k2} KiB, API ${a1} -> ${a2} KiB (${grow} KiB)"
[ "$grow" -lt "$RSS_MAX_KIB" ] ||
	fail "memory grew by $grow KiB over the second $((TOTAL - HALF)) requests (limit $RSS_MAX_KIB KiB): keys $k1 -> $k2, API $a1 -> $a2"

# ---- reloads under load ------------------------------------------------------------------------------
d_stop
[ "$D_STATUS" -eq 0 ] || fail "trustedged exited with $D_STATUS after SIGTERM"
d_start
"$LOADGEN" --unix "$SOCK" --connections "$CONNS" --duration "$HUP_SECONDS" --method POST \
	--path "$SIGNP" --body-file "$T/sign.json" --expect-status 200 --timeout 30 \
	--label reload --json "$T/reload.json" >"$T/reload.out" 2>"$T/reload.err" &
lpid=$!
D_BG="$D_BG $lpid"
for n in 1 2; do
	sleep 2
	kill -0 "$lpid" 2>/dev/null || fail "the load ended before SIGHUP $n: raise HUP_SECONDS"
	d_mark_log
	kill -HUP "$DPID"
	d_wait_log "configuration reloaded" 30 || fail "no 'configuration reloaded' within 30 s of SIGHUP $n"
	kill -0 "$lpid" 2>/dev/null || fail "the load ended before reload $n was done: raise HUP_SECONDS"
done
rc=0
wait "$lpid" || rc=$?
note "reload: $(cat "$T/reload.out")"
if [ $rc -ne 0 ]; then
	cat "$T/reload.err" >&2
	fail "te-loadgen across two reloads exited with $rc"
fi
cp "$T/reload.json" "$T/out"
jcheck "d['ok'] > 0 and d['errors'] == 0"
jcheck "d['server_closes'] > 0"
note "two SIGHUPs under $CONNS busy connections: zero errors, $(jget server_closes) reconnects on 'Connection: close'"

d_stop
[ "$D_STATUS" -eq 0 ] || fail "trustedged exited with $D_STATUS after SIGTERM"
d_no_sanitizer
note "ok ($((($(d_now_ms) - t0) / 1000)) s of load)"
