#!/bin/sh
# daemon.lifecycle: reloads, crashes and restarts of the real trustedged,
# and what must survive them.
#
# Part 1, a device key the daemon generated:
#   - SIGHUP: a keep-alive connection opened before it gets its next
#     reply from the draining API process with "Connection: close", then
#     is closed; a changed file (a module added, limits changed) takes
#     effect without a restart (same parent, new children, the new module
#     is listed and served);
#   - SIGHUP with a bad file (a value out of range, an unknown key, broken
#     YAML): logged with file:line, "reload refused", the same children
#     keep serving the previous configuration;
#   - kill -9 of the API process, then of the keys process: the parent
#     starts a new pair and requests work again within a few seconds;
#   - kill -9 of the parent: the children go, and a new start serves;
#   - after each: module sign digests identical, an earlier ciphertext
#     still decrypts, `trustedge key list` identical, and the trust
#     bundle identical (when the certificate routes serve it);
#   - SIGTERM: exit status 0, every socket file removed, no child left.
# Part 2, a device manually provisioned with a SAS key file: the same
# digests (checked against the derivation with the known key) after a
# kill -9 of the keys process and after a stop and start.
#
# Usage: daemon_lifecycle.sh TRUSTEDGE_CLI TRUSTEDGED
. "$(dirname "$0")/daemon_lib.sh"

need_tools curl python3 base64
need_users

B=te-it-bravo
d_user "$B"
B_UID=$(id -u "$B")
# How long a restarted pair may take to serve again.
RESTART_MAX_MS=5000

write_config() { # MODULES_EXTRA MAX_CONNECTIONS
	D_SOCK_GROUP=$B d_config <<EOF
modules:
  - name: alpha
    uid: 0$1
limits:
  max_connections_per_uid: $2
  max_body_bytes: 65536
EOF
}
write_config "" 10
d_start
PARENT=$DPID
note "trustedged $PARENT serves $SOCK"

# ---- what must survive -----------------------------------------------------------
DATA="lifecycle data"
IV=$(b64 "iv")
PT=$(b64 "kept across restarts")
sign alpha g1 "$DATA"
D_P=$DIGEST
sign alpha g1 "$DATA" secondary
D_S=$DIGEST
req -d "{\"plaintext\":\"$PT\",\"initializationVector\":\"$IV\"}" POST "/modules/alpha/genid/g1/encrypt?$V"
expect_http 200
CT0=$(jget ciphertext)

key_list() { # FILE: the HSM's keys, one "name type usage" a line
	expect 0 "$TE" --store "$HSM" --json key list
	python3 - "$T/out" >"$1" <<'EOF'
import json, sys
for k in sorted(json.load(open(sys.argv[1]))["keys"], key=lambda k: k["name"]):
    print(k["name"], k["type"], ",".join(k["usage"]))
EOF
}
TB=""
req GET "/trust-bundle?$V"
case $CODE in
200)
	jget certificate >"$T/tb0"
	grep -q "BEGIN CERTIFICATE" "$T/tb0" || fail "the trust bundle is not PEM"
	TB=yes
	;;
501) note "GET /trust-bundle is not served by this build (501): certificate survival is not checked" ;;
*) expect_http 200 "GET /trust-bundle" ;;
esac

# survives WHAT: everything recorded is still as it was.
survives() {
	sign alpha g1 "$DATA"
	[ "$DIGEST" = "$D_P" ] || fail "$1: alpha's primary digest changed ($D_P -> $DIGEST)"
	sign alpha g1 "$DATA" secondary
	[ "$DIGEST" = "$D_S" ] || fail "$1: alpha's secondary digest changed"
	sign bravo g1 "$DATA" primary "$B"
	[ "$DIGEST" = "$D_B" ] || fail "$1: bravo's digest changed"
	req -d "{\"ciphertext\":\"$CT0\",\"initializationVector\":\"$IV\"}" POST "/modules/alpha/genid/g1/decrypt?$V"
	expect_http 200 "$1: decrypting a ciphertext made before"
	[ "$(jget plaintext)" = "$PT" ] || fail "$1: an earlier ciphertext decrypts to something else"
	key_list "$T/keys.now"
	cmp -s "$T/keys0" "$T/keys.now" || {
		diff "$T/keys0" "$T/keys.now" >&2 || true
		fail "$1: trustedge key list changed"
	}
	if [ -n "$TB" ]; then
		req GET "/trust-bundle?$V"
		expect_http 200 "$1: GET /trust-bundle"
		jget certificate >"$T/tb.now"
		cmp -s "$T/tb0" "$T/tb.now" || fail "$1: the trust bundle changed"
	fi
}

children() {
	d_children | sort | tr '\n' ' '
}

# ---- SIGHUP: keep-alive connections are told to reconnect ------------------------
printf '%s' "$(sign_body "$DATA")" >"$T/sign.json"
old_kids=$(children)
d_mark_log
py_http drain "$SOCK" "/modules/alpha/genid/g1/sign?$V" "$T/sign.json" "$DPID" "$D_LOG" "$d_mark" \
	>"$T/out" || fail "daemon_http.py drain failed"
jcheck 'd["first"]["status"] == 200 and "close" not in d["first"]["headers"].get("connection", "")'
jcheck 'd["second"]["status"] == 200 and d["second"]["headers"].get("connection", "").lower() == "close"'
jcheck 'd["closed_after"]'
jcheck 'd["first"]["body"] == d["second"]["body"]'
note "SIGHUP: a keep-alive connection got 'Connection: close' from the draining API process, then was closed"
d_wait_gone 15 $old_kids || fail "the previous children ($old_kids) did not exit after the reload"

# ---- SIGHUP: a changed file takes effect without a restart ----------------------
old_kids=$(children)
req -u "$B" -d "$(sign_body "$DATA")" POST "/modules/bravo/genid/g1/sign?$V"
expect_http 403 "bravo before it is configured"
write_config "
  - name: bravo
    uid: $B_UID" 20
d_mark_log
kill -HUP "$DPID"
d_wait_log "configuration reloaded from $CFG" 30 || fail "no 'configuration reloaded' within 30 s of SIGHUP"
d_wait_gone 15 $old_kids || fail "the previous children ($old_kids) did not exit after the reload"
[ "$DPID" = "$PARENT" ] && d_alive "$PARENT" || fail "the parent did not survive the reload"
new_kids=$(children)
[ "$new_kids" != "$old_kids" ] || fail "the reload did not start new children"
req GET "/modules?$V"
expect_http 200
jcheck 'sorted(m["name"] for m in d["modules"]) == ["alpha", "bravo"]'
sign bravo g1 "$DATA" primary "$B"
D_B=$DIGEST
[ "$D_B" != "$D_P" ] || fail "bravo and alpha share a digest"
key_list "$T/keys0"
grep -q '^device-sas hmac-sha256 ' "$T/keys0" || fail "no device-sas key in the HSM: $(cat "$T/keys0")"
grep -q '^workload-encrypt aes-256-gcm ' "$T/keys0" || fail "no workload-encrypt key in the HSM"
survives "reload with a module added"
note "SIGHUP: module bravo added without a restart (parent $PARENT, children $old_kids-> $new_kids)"

# ---- SIGHUP with a bad file: logged with file:line, the old one keeps serving -----
cp "$CFG" "$T/good.yaml"
# bad_reload WHAT PATTERN: SIGHUP with CFG as it is now; the log must
# have "CFG:" + PATTERN (a grep -E pattern) and "reload refused".
bad_reload() {
	kids=$(children)
	d_mark_log
	kill -HUP "$DPID"
	d_wait_log "reload refused" 30 || fail "$1: no 'reload refused' within 30 s of SIGHUP"
	d_log_since "$d_mark" | grep -F "$CFG:" | grep -Eq -- "$CFG:$2" ||
		fail "$1: the refusal does not name $CFG:$2"
	sleep 0.5
	[ "$(children)" = "$kids" ] || fail "$1: the children changed ($kids -> $(children))"
	d_alive "$DPID" || fail "$1: the daemon died"
	survives "$1"
	req GET "/modules?$V"
	jcheck 'sorted(m["name"] for m in d["modules"]) == ["alpha", "bravo"]'
}
sed 's/^  max_connections_per_uid: 20$/  max_connections_per_uid: 0/' "$T/good.yaml" >"$CFG"
line=$(grep -n '^  max_connections_per_uid: 0$' "$CFG" | cut -d: -f1)
[ -n "$line" ] || fail "test bug: no max_connections_per_uid line to break"
bad_reload "an out-of-range limit" "$line: limits\\.max_connections_per_uid: "
cp "$T/good.yaml" "$CFG"
printf 'log:\n  levle: debug\n' >>"$CFG"
bad_reload "an unknown key" "$(($(wc -l <"$CFG"))): log\\.levle: unknown key"
cp "$T/good.yaml" "$CFG"
printf 'modules: [ {name: x\n' >>"$CFG"
bad_reload "broken YAML" "[0-9]+:"
cp "$T/good.yaml" "$CFG"
note "SIGHUP with a bad file: refused with file:line, the same children serve on"

# ---- kill -9 of a child: the parent restarts the pair ------------------------------
# crash KIND PID: kill -9 PID, then wait until requests work again.
crash() {
	kids=$(children)
	d_mark_log
	t0=$(d_now_ms)
	kill -KILL "$2"
	d_wait_log "restarting the keys and API processes" 10 ||
		fail "kill -9 of the $1 process: the parent did not restart the pair"
	_st=0
	d_wait_serving 30 || _st=$?
	[ $_st -ne 2 ] || fail "kill -9 of the $1 process: trustedged exited"
	[ $_st -eq 0 ] || fail "kill -9 of the $1 process: not serving after 30 s"
	sign alpha g1 "$DATA"
	ms=$(($(d_now_ms) - t0))
	[ "$ms" -le "$RESTART_MAX_MS" ] ||
		fail "kill -9 of the $1 process: requests worked again only after $ms ms (limit $RESTART_MAX_MS)"
	d_wait_gone 10 $kids || fail "kill -9 of the $1 process: the old pair ($kids) is still running"
	[ "$(children)" != "$kids" ] || fail "kill -9 of the $1 process: same children"
	survives "kill -9 of the $1 process"
	note "kill -9 of the $1 process $2: serving again after $ms ms, keys, digests and ciphertexts intact"
}
crash API "$(d_api_pid)"
crash keys "$(d_keys_pid)"

# ---- kill -9 of the parent, then a new start ----------------------------------------
kids=$(children)
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null || true
DPID=""
# The children get SIGTERM when their parent dies (PR_SET_PDEATHSIG).
d_wait_gone 15 $kids || fail "the children ($kids) outlived their parent by 15 s"
[ -S "$SOCK" ] || note "(the socket file went with the parent)"
d_start
[ "$DPID" != "$PARENT" ] || fail "test bug: same parent pid"
survives "kill -9 of the parent and a new start"
note "kill -9 of the parent: the children exited; a new start serves the same keys"

# ---- SIGTERM: exit 0, sockets removed -----------------------------------------------------
kids=$(children)
d_stop
[ "$D_STATUS" -eq 0 ] || fail "trustedged exited with $D_STATUS after SIGTERM"
d_wait_gone 5 $kids || fail "children ($kids) still running after the parent exited"
for s in workload keys certs identity mgmt; do
	[ ! -e "$R/$s.sock" ] || fail "SIGTERM left $R/$s.sock behind"
done
d_log_since "$d_mark" | grep -q "stopping: draining connections" || fail "no 'stopping' line after SIGTERM"
note "SIGTERM: exit 0, every socket file removed"

# ---- part 2: a manually provisioned device -------------------------------------------------------
HSM=$T/hsm2
STATE=$T/state2
mkdir -m 700 "$HSM" "$STATE"
DEVKEY=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
printf '%s\n' "$DEVKEY" >"$T/device.key"
chmod 600 "$T/device.key"
d_config <<EOF
provisioning:
  source: manual
  iothub_hostname: hub.example.net
  device_id: dev-1
  authentication:
    method: sas
    key_file: $T/device.key
modules:
  - name: alpha
    uid: 0
EOF
WANT=$(python3 - "$DEVKEY" "$DATA" <<'EOF'
import base64, hashlib, hmac, sys
key, data = sys.argv[1:]
mk = hmac.new(base64.b64decode(key), b"trustedge-module-sas-v1\0alpha\0g1\0primary", hashlib.sha256).digest()
print(base64.b64encode(hmac.new(mk, data.encode(), hashlib.sha256).digest()).decode())
EOF
)
d_start
sign alpha g1 "$DATA"
[ "$DIGEST" = "$WANT" ] || fail "provisioned device: the digest is not derived from the configured key"
kids=$(children)
d_mark_log
kill -KILL "$(d_keys_pid)"
d_wait_log "restarting the keys and API processes" 10 ||
	fail "provisioned device: no restart after kill -9 of the keys process"
d_wait_gone 10 $kids || fail "provisioned device: the old pair ($kids) is still running"
_st=0
d_wait_serving 30 || _st=$?
[ $_st -ne 2 ] || fail "provisioned device: trustedged exited after kill -9 of the keys process (the restarted keys process refused the device key it had imported itself)"
[ $_st -eq 0 ] || fail "provisioned device: not serving 30 s after kill -9 of the keys process"
sign alpha g1 "$DATA"
[ "$DIGEST" = "$WANT" ] || fail "provisioned device: the digest changed after kill -9 of the keys process"
d_stop
[ "$D_STATUS" -eq 0 ] || fail "provisioned device: exit status $D_STATUS after SIGTERM"
d_start
sign alpha g1 "$DATA"
[ "$DIGEST" = "$WANT" ] || fail "provisioned device: the digest changed after a restart"
d_stop
[ "$D_STATUS" -eq 0 ] || fail "provisioned device: exit status $D_STATUS after SIGTERM"
note "provisioned device: the same digests after a keys crash and a restart"
# Another key in the file: the daemon must refuse to start rather than
# derive other module keys silently.
python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())' >"$T/device.key"
d_start_fails
[ "$D_STATUS" -ne 0 ] || fail "provisioned device: a changed key file: exit status 0"
d_log_since "$d_mark" | grep -q "is not the key of $T/device.key" ||
	fail "provisioned device: a changed key file is not refused with 'is not the key of'"
note "provisioned device: another key in the key file is refused (exit $D_STATUS)"
d_no_sanitizer
note "ok"
