#!/bin/sh
# workload.endpoints: every workload API endpoint over the real daemon's
# socket, like a module calls it (curl --unix-socket).
#
# Positive: GET /modules lists the configured modules; sign answers a
# 32-byte digest that is deterministic, equals HMAC-SHA256 of the module
# key derived from the device key the test provisioned (the derivation of
# docs/design-daemon.md, computed here with Python's hmac), and differs
# per module, generation id, keyId and data; every api-version is served;
# encrypt -> decrypt round trips (empty and 4 KiB plaintexts) with a fresh
# nonce per encryption and the format of the design.
# Negative, each with its exact status and {"message"} body: missing and
# unknown api-version (400), unknown route (404), a route newer than the
# asked version (404), wrong method (405), wrong Content-Type (415), a
# body that is not JSON (422) or not an object (400), missing fields and
# bad keyId (400), malformed base64 (400), oversize body declared or
# chunked (413), a caller of another uid (403 and an audit line), a
# tampered, truncated, re-ivd or other-generation ciphertext (400), a
# dot-segment path (400), and a client trickling its body past
# limits.read_timeout_ms (connection closed, logged).
#
# Usage: daemon_endpoints.sh TRUSTEDGE_CLI TRUSTEDGED
. "$(dirname "$0")/daemon_lib.sh"

need_tools curl python3 base64
need_users

OTHER=te-it-other
d_user "$OTHER"
OTHER_UID=$(id -u "$OTHER")

HUB=hub.example.net
DEVICE=dev-1
DEVKEY=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
MAXBODY=8192
D_SOCK_GROUP=$OTHER d_config <<EOF
provisioning:
  source: manual
  connection_string: "HostName=$HUB;DeviceId=$DEVICE;SharedAccessKey=$DEVKEY"
modules:
  - name: alpha
    uid: 0
  - name: beta
    uid: $OTHER_UID
limits:
  max_body_bytes: $MAXBODY
  read_timeout_ms: 1001
log:
  level: debug
  audit_all: true
EOF
d_start
note "trustedged $DPID serves $SOCK"

# expected_digest MODULE GENID KEYID DATA: what the HSM must answer.
expected_digest() {
	python3 - "$DEVKEY" "$@" <<'EOF'
import base64, hashlib, hmac, sys
key, module, genid, keyid, data = sys.argv[1:]
deriv = b"trustedge-module-sas-v1\0" + module.encode() + b"\0" + genid.encode() + b"\0" + keyid.encode()
mk = hmac.new(base64.b64decode(key), deriv, hashlib.sha256).digest()
print(base64.b64encode(hmac.new(mk, data.encode(), hashlib.sha256).digest()).decode())
EOF
}

# ---- GET /modules -------------------------------------------------------------
req GET "/modules?$V"
expect_http 200
jcheck 'sorted(m["name"] for m in d["modules"]) == ["alpha", "beta"] and all(m["id"] == m["name"] for m in d["modules"])'

# ---- sign ---------------------------------------------------------------------------
SR="$HUB%2Fdevices%2F$DEVICE%2Fmodules%2Falpha
1900000000"
sign alpha g1 "$SR"
d1=$DIGEST
[ "$d1" = "$(expected_digest alpha g1 primary "$SR")" ] ||
	fail "sign alpha/g1/primary: digest $d1 is not HMAC-SHA256(module key derived from the device key, data)"
sign alpha g1 "$SR"
[ "$DIGEST" = "$d1" ] || fail "sign is not deterministic: $d1 then $DIGEST"
sign alpha g1 "$SR" secondary
d_sec=$DIGEST
[ "$d_sec" = "$(expected_digest alpha g1 secondary "$SR")" ] || fail "sign alpha/g1/secondary: wrong digest"
sign alpha g2 "$SR"
d_g2=$DIGEST
sign alpha g1 "other data"
d_data=$DIGEST
sign beta g1 "$SR" primary "$OTHER"
d_beta=$DIGEST
[ "$d_beta" = "$(expected_digest beta g1 primary "$SR")" ] || fail "sign beta/g1/primary: wrong digest"
n=$(printf '%s\n' "$d1" "$d_sec" "$d_g2" "$d_data" "$d_beta" | sort -u | wc -l)
[ "$n" -eq 5 ] || fail "digests for other keyId, genid, data or module are not all different"
# Empty data is data too.
sign alpha g1 ""
[ "$DIGEST" = "$(expected_digest alpha g1 primary "")" ] || fail "sign of empty data: wrong digest"
for ver in 2018-06-28 2019-01-30 2019-10-22 2019-11-05 2020-07-07 2021-12-07 2022-08-03; do
	req -d "$(sign_body "$SR")" POST "/modules/alpha/genid/g1/sign?api-version=$ver"
	expect_http 200
	[ "$(jget digest)" = "$d1" ] || fail "api-version $ver: another digest"
done
note "sign: digests match the derivation, differ per module/genid/keyId/data"

# ---- encrypt / decrypt ------------------------------------------------------------------
IV=$(b64 "an iv of module alpha")
# encrypt MODULE GENID PLAINTEXT_B64 -> CT (base64)
encrypt() {
	req -d "{\"plaintext\":\"$3\",\"initializationVector\":\"$IV\"}" POST "/modules/$1/genid/$2/encrypt?$V"
	expect_http 200
	jcheck 'set(d) == {"ciphertext"}'
	CT=$(jget ciphertext)
}
decrypt_req() { # MODULE GENID CT_B64 [IV_B64]
	req -d "{\"ciphertext\":\"$3\",\"initializationVector\":\"${4:-$IV}\"}" POST "/modules/$1/genid/$2/decrypt?$V"
}
PT=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(4096)).decode())')
encrypt alpha g1 "$PT"
ct1=$CT
python3 - "$ct1" <<'EOF' || fail "ciphertext is not 0x01 || nonce(12) || data || tag(16)"
import base64, sys
c = base64.b64decode(sys.argv[1])
sys.exit(0 if c[0] == 1 and len(c) == 1 + 12 + 4096 + 16 else 1)
EOF
decrypt_req alpha g1 "$ct1"
expect_http 200
jcheck 'set(d) == {"plaintext"}'
[ "$(jget plaintext)" = "$PT" ] || fail "decrypt(encrypt(p)) != p"
encrypt alpha g1 "$PT"
[ "$CT" != "$ct1" ] || fail "two encryptions of the same plaintext are identical (nonce reused)"
encrypt alpha g1 ""
decrypt_req alpha g1 "$CT"
expect_http 200
[ "$(jget plaintext)" = "" ] || fail "empty plaintext does not round-trip"
note "encrypt/decrypt: round trip, fresh nonce per encryption"

# Ciphertexts that must not open, all 400 with the same message.
BADCT="ciphertext could not be decrypted"
tamper() { # CT_B64 OFFSET -> CT with one bit flipped
	python3 -c 'import base64, sys
c = bytearray(base64.b64decode(sys.argv[1])); c[int(sys.argv[2])] ^= 1
print(base64.b64encode(bytes(c)).decode())' "$1" "$2"
}
decrypt_req alpha g1 "$(tamper "$ct1" -1)"
expect_error 400 "$BADCT" "decrypt with a flipped tag bit"
decrypt_req alpha g1 "$(tamper "$ct1" 20)"
expect_error 400 "$BADCT" "decrypt with a flipped ciphertext bit"
decrypt_req alpha g1 "$(tamper "$ct1" 0)"
expect_error 400 "$BADCT" "decrypt with another format byte"
decrypt_req alpha g1 "$(b64 "short")"
expect_error 400 "$BADCT" "decrypt of a truncated ciphertext"
decrypt_req alpha g1 "$ct1" "$(b64 "another iv")"
expect_error 400 "$BADCT" "decrypt with another initializationVector"
decrypt_req alpha g2 "$ct1"
expect_error 400 "$BADCT" "decrypt under another generation id"
note "decrypt: tampered, truncated, other IV or generation -> 400"

# ---- routing and versions ------------------------------------------------------------------
SIGNB=$(sign_body "x")
req -d "$SIGNB" POST "/modules/alpha/genid/g1/sign"
expect_error 400 "invalid api-version" "sign without api-version"
req -d "$SIGNB" POST "/modules/alpha/genid/g1/sign?api-version=2017-11-11"
expect_error 400 "invalid api-version" "sign with an unknown api-version"
req GET "/modules?api-version="
expect_error 400 "invalid api-version" "empty api-version"
req GET "/nothing/here?$V"
expect_error 404 "not found" "unknown route"
req -d "$SIGNB" POST "/modules/alpha/genid/g1/frobnicate?$V"
expect_error 404 "not found" "unknown operation"
req GET "/manifest-trust-bundle?api-version=2019-11-05"
expect_error 404 "not found" "manifest-trust-bundle before 2020-07-07"
req GET "/modules/alpha/genid/g1/sign?$V"
expect_error 405 "method not allowed" "GET on sign"
req DELETE "/modules?$V"
expect_error 405 "method not allowed" "DELETE /modules"
req -d '{}' POST "/trust-bundle?$V"
expect_error 405 "method not allowed" "POST /trust-bundle"
req GET "/modules/alpha/../beta?$V"
expect_error 400 "request path has an empty, '.' or '..' segment" "dot-dot path"
note "routing: 400/404/405 as documented"

# ---- bodies --------------------------------------------------------------------------------------
SIGNP="/modules/alpha/genid/g1/sign?$V"
req -t text/plain -d "$SIGNB" POST "$SIGNP"
expect_error 415 "request body must be application/json" "text/plain body"
req -t application/x-www-form-urlencoded -d "$SIGNB" POST "$SIGNP"
expect_error 415 "request body must be application/json" "form body"
req -d '{"keyId": "primary", "algo": ' POST "$SIGNP"
expect_error 422 "request body is not valid JSON" "truncated JSON"
req -d 'keyId=primary' POST "$SIGNP"
expect_error 422 "request body is not valid JSON" "non-JSON body"
req -d '["primary"]' POST "$SIGNP"
expect_error 400 "request body must be a JSON object" "JSON array body"
req -d '{"keyId":"primary","algo":"HMACSHA256"}' POST "$SIGNP"
expect_error 400 "missing field 'data'" "sign without data"
req -d '{"keyId":"tertiary","algo":"HMACSHA256","data":"eA=="}' POST "$SIGNP"
expect_error 400 "field 'keyId' must be primary or secondary" "bad keyId"
req -d '{"keyId":"primary","algo":"HMACSHA1","data":"eA=="}' POST "$SIGNP"
expect_error 400 "field 'algo' must be HMACSHA256" "bad algo"
req -d '{"keyId":"primary","algo":"HMACSHA256","data":"not base64!"}' POST "$SIGNP"
expect_error 400 "field 'data' is not valid base64" "malformed base64 in sign"
req -d "{\"plaintext\":\"@@@@\",\"initializationVector\":\"$IV\"}" POST "/modules/alpha/genid/g1/encrypt?$V"
expect_error 400 "field 'plaintext' is not valid base64" "malformed base64 in encrypt"
req -d "{\"ciphertext\":\"$ct1\",\"initializationVector\":\"%%\"}" POST "/modules/alpha/genid/g1/decrypt?$V"
expect_error 400 "field 'initializationVector' is not valid base64" "malformed base64 IV"
# Over limits.max_body_bytes: declared (refused before it is read) and
# chunked (counted as it arrives).
python3 -c 'import sys; print("{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\",\"data\":\"" + "QUFB" * int(sys.argv[1]) + "\"}")' \
	$((MAXBODY / 4 + 16)) >"$T/big.json"
req -f "$T/big.json" POST "$SIGNP"
expect_error 413 "request body too large" "body over max_body_bytes"
req -H 'Transfer-Encoding: chunked' -f "$T/big.json" POST "$SIGNP"
expect_error 413 "request body too large" "chunked body over max_body_bytes"
# Just under the limit is fine.
python3 -c 'import sys; print("{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\",\"data\":\"" + "QUFB" * int(sys.argv[1]) + "\"}", end="")' \
	$(((MAXBODY - 64) / 4)) >"$T/fits.json"
req -f "$T/fits.json" POST "$SIGNP"
expect_http 200 "body just under max_body_bytes"
note "bodies: 400/413/415/422 as documented"

# ---- callers ------------------------------------------------------------------------------------
d_mark_log
req -u "$OTHER" -d "$SIGNB" POST "$SIGNP"
expect_error 403 "the caller is not the module named in the request" "uid $OTHER_UID signing as alpha"
d_wait_log "audit: caller uid=$OTHER_UID " 5 || fail "no audit line for the refused caller"
d_log_since "$d_mark" | grep -q "audit: caller uid=$OTHER_UID pid=[0-9]* op=sign module=alpha result=denied" ||
	fail "the audit line does not name uid, pid, operation, module and result"
req -u "$OTHER" -d "{\"ciphertext\":\"$ct1\",\"initializationVector\":\"$IV\"}" POST "/modules/alpha/genid/g1/decrypt?$V"
expect_error 403 "the caller is not the module named in the request" "uid $OTHER_UID decrypting as alpha"
req -d "$SIGNB" POST "/modules/beta/genid/g1/sign?$V"
expect_error 403 "the caller is not the module named in the request" "root signing as beta"
# The module list is anonymous.
req -u "$OTHER" GET "/modules?$V"
expect_http 200
note "callers: another uid gets 403 and an audit line"

# ---- a slow client -----------------------------------------------------------------------------
# Within limits.read_timeout_ms (1001 ms) a slowly sent body is fine...
printf '%s' "$SIGNB" >"$T/sign.json"
py_http trickle "$SOCK" "$SIGNP" "$T/sign.json" 0.005 >"$T/out" || fail "daemon_http.py trickle failed"
jcheck 'd["status"] == 200'
# ...past it, the daemon closes the connection instead of waiting for the
# rest, and logs why.  (The reference answers 408; libmicrohttpd 0.9.75
# cannot queue a reply while a body is arriving: see api.c.)
py_http trickle "$SOCK" "$SIGNP" "$T/sign.json" 0.25 >"$T/out" || fail "daemon_http.py trickle failed"
python3 - "$T/out" <<'EOF' || fail "a body trickled past read_timeout_ms (1001 ms) was not cut off: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
ok = d["status"] is None and d["closed"] and d["sent"] < 20
sys.exit(0 if ok else 1)
EOF
d_wait_log "request body not received within 1001 ms" 5 ||
	fail "no log line for the connection closed on read_timeout_ms"
note "slow client: closed after read_timeout_ms, logged"

# Audit: with log.audit_all a module's sign has an info line naming the
# caller, module, generation id and outcome; a refusal has its own.
d_mark_log
sign alpha audit-g "$(printf 'audited' | base64)"
d_wait_log "trustedged-api: info: audit: caller uid=0 pid=" 5 ||
	fail "no info audit line for a sign with log.audit_all"
d_log_since "$d_mark" | grep -q "op=sign module=alpha genid=audit-g result=allowed status=200" ||
	fail "the audit line does not name the operation, module, generation id and outcome"
note "audit: one info line per module operation with log.audit_all"

# The daemon still serves, and stops cleanly.
sign alpha g1 "$SR"
[ "$DIGEST" = "$d1" ] || fail "digest changed during the test"
d_stop
[ "$D_STATUS" -eq 0 ] || fail "trustedged exited with $D_STATUS after SIGTERM"
d_no_sanitizer
note "ok"
