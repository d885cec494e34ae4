#!/bin/sh
# authz.matrix: who may do what on the workload socket, with real uids.
#
# Module alpha is uid 0 (A), module bravo a system user (B); a third
# system user (C) is no module.  The socket is mode 0660, group B, and C
# connects with that group.
#   - every module route (sign, encrypt, decrypt, identity and server
#     certificate) as the caller's own module succeeds and as the other
#     module is 403 with {"message"}, both ways, each refusal audited;
#   - A's ciphertext does not decrypt for B (400 through bravo's routes,
#     403 through alpha's);
#   - C gets 403 on every module route (alpha, bravo, and a name no module
#     has) and 200 on the anonymous routes (/modules, /trust-bundle,
#     /manifest-trust-bundle);
#   - a module's generation_id, when configured, is the only one accepted
#     (trustedge.yaml(5));
#   - limits.max_connections_per_uid: with 2, a uid's third concurrent
#     connection is closed unanswered while other uids are served and the
#     held connections keep working; closing one frees the slot; after a
#     reload with 3, three are served and the fourth is refused.
#
# Usage: daemon_authz.sh TRUSTEDGE_CLI TRUSTEDGED
. "$(dirname "$0")/daemon_lib.sh"

need_tools curl python3 base64
need_users

B=te-it-bravo
C=te-it-charlie
d_user "$B"
d_user "$C"
B_UID=$(id -u "$B")
C_UID=$(id -u "$C")
[ "$B_UID" -ne 0 ] && [ "$C_UID" -ne 0 ] && [ "$B_UID" -ne "$C_UID" ] || fail "test users are not distinct"
# C reaches the socket through its group, like any local process could
# that is given the group; being in the group makes it no module.
CG="$C:$B"

write_config() { # MAX_CONNECTIONS
	D_SOCK_GROUP=$B d_config <<EOF
modules:
  - name: alpha
    uid: 0
  - name: bravo
    uid: $B_UID
    generation_id: "gen-b"
limits:
  max_connections_per_uid: $1
EOF
}
write_config 2
d_start

# as CALLER: runs req as that caller (A is root: no switch).
call() {
	_who=$1
	shift
	case $_who in
	A) req "$@" ;;
	B) req -u "$B" "$@" ;;
	C) req -u "$CG" "$@" ;;
	*) fail "call: unknown caller $_who" ;;
	esac
}
genid_of() {
	case $1 in
	alpha) echo gen-a ;;
	*) echo gen-b ;;
	esac
}
IV=$(b64 "iv")
PT=$(b64 "a module secret")
EXP=$(python3 -c 'import datetime as d; print((d.datetime.now(d.timezone.utc) + d.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
FORBIDDEN="the caller is not the module named in the request"

# op CALLER OP MODULE: one module route.  CT_alpha / CT_bravo hold a
# ciphertext of each module for decrypt.
op() {
	_g=$(genid_of "$3")
	case $2 in
	sign) call "$1" -d "$(sign_body "data")" POST "/modules/$3/genid/$_g/sign?$V" ;;
	encrypt) call "$1" -d "{\"plaintext\":\"$PT\",\"initializationVector\":\"$IV\"}" POST "/modules/$3/genid/$_g/encrypt?$V" ;;
	decrypt)
		eval "_ct=\${CT_$3:-AQ==}"
		call "$1" -d "{\"ciphertext\":\"$_ct\",\"initializationVector\":\"$IV\"}" POST "/modules/$3/genid/$_g/decrypt?$V"
		;;
	identity) call "$1" -d "{\"expiration\":\"$EXP\"}" POST "/modules/$3/certificate/identity?$V" ;;
	server) call "$1" -d "{\"commonName\":\"localhost\",\"expiration\":\"$EXP\"}" POST "/modules/$3/genid/$_g/certificate/server?$V" ;;
	*) fail "op: unknown operation $2" ;;
	esac
}

# Own module: allowed.  Ciphertexts for the decrypt cases come from here.
op A encrypt alpha
expect_http 200 "A encrypting as alpha"
CT_alpha=$(jget ciphertext)
op B encrypt bravo
expect_http 200 "B encrypting as bravo"
CT_bravo=$(jget ciphertext)
for pair in A:alpha B:bravo; do
	who=${pair%%:*}
	m=${pair#*:}
	op "$who" sign "$m"
	expect_http 200 "$who signing as $m"
	op "$who" decrypt "$m"
	expect_http 200 "$who decrypting as $m"
	[ "$(jget plaintext)" = "$PT" ] || fail "$who decrypting as $m: wrong plaintext"
done
note "own module: sign, encrypt, decrypt allowed"

# The other module: refused, whatever the operation, before any key is used.
d_mark_log
for pair in A:bravo B:alpha C:alpha C:bravo; do
	who=${pair%%:*}
	m=${pair#*:}
	for o in sign encrypt decrypt identity server; do
		op "$who" "$o" "$m"
		expect_error 403 "$FORBIDDEN" "$who: $o as $m"
	done
done
# C naming a module nobody is.
call C -d "$(sign_body "data")" POST "/modules/charlie/genid/g/sign?$V"
expect_error 403 "$FORBIDDEN" "C signing as an unconfigured module"
for u in 0 "$B_UID" "$C_UID"; do
	d_log_since "$d_mark" | grep -q "audit: caller uid=$u pid=[0-9]* op=sign module=[a-z]* result=denied" ||
		fail "no audit line for the refusal of uid $u"
done
n=$(d_log_since "$d_mark" | grep -c "result=denied" || true)
[ "$n" -eq 21 ] || fail "$n audit lines for 21 refusals"
note "other module and non-module: 403 for every module route, audited"

# A's ciphertext through B's own routes: it does not open.
call B -d "{\"ciphertext\":\"$CT_alpha\",\"initializationVector\":\"$IV\"}" POST "/modules/bravo/genid/gen-b/decrypt?$V"
expect_error 400 "ciphertext could not be decrypted" "B decrypting A's ciphertext as bravo"
call A -d "{\"ciphertext\":\"$CT_bravo\",\"initializationVector\":\"$IV\"}" POST "/modules/alpha/genid/gen-a/decrypt?$V"
expect_error 400 "ciphertext could not be decrypted" "A decrypting B's ciphertext as alpha"
note "ciphertexts are bound to their module"

# Anonymous routes: anyone who can connect.
for who in A B C; do
	call "$who" GET "/modules?$V"
	expect_http 200 "$who: GET /modules"
	jcheck 'sorted(m["name"] for m in d["modules"]) == ["alpha", "bravo"]'
done
note "anonymous: /modules for A, B and C"

# ---- connections per uid ------------------------------------------------------------------
# hold_check MAX: uid 0 holds MAX connections; one more is closed
# unanswered while B is served; the held ones still work.
hold_check() {
	rm -f "$T/ready" "$T/release"
	py_http hold "$SOCK" "/modules?$V" "$1" "$T/ready" "$T/release" >"$T/hold.out" 2>"$T/hold.err" &
	hpid=$!
	D_BG="$D_BG $hpid"
	i=0
	while [ ! -e "$T/ready" ]; do
		kill -0 "$hpid" 2>/dev/null || { cat "$T/hold.err" >&2; fail "daemon_http.py hold $1 exited early"; }
		i=$((i + 1))
		[ $i -lt 600 ] || fail "daemon_http.py hold $1 did not get its connections answered"
		sleep 0.05
	done
	d_mark_log
	py_http once "$SOCK" "/modules?$V" >"$T/out" || fail "daemon_http.py once failed"
	jcheck 'd["status"] is None and d["closed"]'
	d_wait_log "refusing a connection: uid 0 already has $1 open connections" 5 ||
		fail "no log line for the refused connection"
	# Per uid: B is not affected by uid 0's connections.
	call B GET "/modules?$V"
	expect_http 200 "B while uid 0 holds $1 connections"
	touch "$T/release"
	wait "$hpid" || fail "daemon_http.py hold failed"
	cp "$T/hold.out" "$T/out"
	jcheck "d['first'] == [200] * $1 and d['second'] == [200] * $1"
}
hold_check 2
# The refused connection did not take a slot; closed ones give theirs back.
sleep 0.2
py_http once "$SOCK" "/modules?$V" >"$T/out" || fail "daemon_http.py once failed"
jcheck 'd["status"] == 200'
note "max_connections_per_uid 2: the third connection is closed unanswered, others served"

# Configurable: reload with 3.
write_config 3
d_mark_log
kill -HUP "$DPID"
d_wait_log "configuration reloaded" 30 || fail "no 'configuration reloaded' after SIGHUP"
hold_check 3
note "max_connections_per_uid 3 after a reload: the fourth is refused"

# ---- certificates -----------------------------------------------------------------------------
for who in A B C; do
	call "$who" GET "/trust-bundle?$V"
	expect_http 200 "$who: GET /trust-bundle"
	jcheck '"-----BEGIN CERTIFICATE-----" in d["certificate"]'
	call "$who" GET "/manifest-trust-bundle?api-version=2020-07-07"
	expect_http 200 "$who: GET /manifest-trust-bundle"
done
for pair in A:alpha B:bravo; do
	who=${pair%%:*}
	m=${pair#*:}
	op "$who" identity "$m"
	expect_http 201 "$who: identity certificate as $m"
	op "$who" server "$m"
	expect_http 201 "$who: server certificate as $m"
done
note "certificates: own module 201, anonymous trust bundles 200 for A, B and C"

# ---- generation ids ----------------------------------------------------------------------------
# bravo's configuration names generation_id gen-b: another one is refused.
call B -d "$(sign_body "data")" POST "/modules/bravo/genid/gen-other/sign?$V"
expect_http 403 "B signing as bravo with a generation id other than the configured gen-b"
note "generation_id: only the configured one is accepted"

d_stop
[ "$D_STATUS" -eq 0 ] || fail "trustedged exited with $D_STATUS after SIGTERM"
d_no_sanitizer
note "ok"
