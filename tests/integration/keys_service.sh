#!/bin/sh
# daemon.keys_service: the keys service (aziot-keyd API, api-version
# 2020-09-01) over the real daemon's keys socket, driven with curl
# --unix-socket like a client of that API.
#
# Positive: create a key and get its handle again by id; HMAC-SHA256 with
# an imported key equals openssl's HMAC; a derived key's HMAC equals
# HMAC(HMAC(base, data), msg) computed here; a key pair's parameters
# (algorithm, curve OID, uncompressed point); an ECDSA signature over a
# SHA-256 digest verified by openssl with the public key built from the
# point; AEAD encrypt -> decrypt round trip; delete (204), after which the
# handle finds nothing (404).
# Negative, with their exact status and {"message"}: a key outside the
# principal's glob and the daemon's own handle key (403, audit lines), a
# forged or altered handle (400), a tampered ciphertext (400), a symmetric
# handle where a key pair's is needed (400), moving a key pair (501), a
# bad api-version (400), an unknown route (404).
#
# Usage: keys_service.sh TRUSTEDGE_CLI TRUSTEDGED
. "$(dirname "$0")/daemon_lib.sh"

need_tools curl python3 base64 openssl

ME=$(id -u)
d_config <<EOF
principals:
  - uid: $ME
    keys: ["test-*"]
log:
  level: info
EOF
d_start
# From here every request goes to the keys socket.
WL_SOCK=$SOCK
SOCK=$R/keys.sock
KV=api-version=2020-09-01
note "trustedged $DPID serves the keys service on $SOCK"

# handle: the keyHandle of the last 200 answer.
handle() {
	expect_http 200
	jcheck 'set(d) == {"keyHandle"} and len(d["keyHandle"]) > 0'
	jget keyHandle
}

# b64d FIELD FILE: a base64 field of the last answer, decoded into FILE.
b64d() {
	python3 -c 'import base64, json, sys
d = json.load(open(sys.argv[1]))
open(sys.argv[3], "wb").write(base64.b64decode(d[sys.argv[2]], validate=True))' "$T/out" "$1" "$2"
}

# ---- symmetric keys --------------------------------------------------------

req -d '{"keyId":"test-sym","usage":"derive,sign"}' POST "/key?$KV"
H_SYM=$(handle)
req GET "/key/test-sym?$KV"
H_SYM2=$(handle)
[ "$H_SYM" != "$H_SYM2" ] || fail "two handles of one key are the same text (no nonce?)"
MSG=$(b64 "a message")
req -d "{\"keyHandle\":\"$H_SYM\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$MSG\"}}" POST "/sign?$KV"
expect_http 200
S1=$(jget signature)
req -d "{\"keyHandle\":\"$H_SYM2\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$MSG\"}}" POST "/sign?$KV"
expect_http 200
[ "$(jget signature)" = "$S1" ] || fail "both handles of test-sym must sign alike"

# An imported key: the HMAC is openssl's.
KEYHEX=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
KEYB64=$(hex2bin "$KEYHEX" | base64 | tr -d '\n')
req -d "{\"keyId\":\"test-imp\",\"keyBytes\":\"$KEYB64\",\"usage\":\"derive,sign\"}" POST "/key?$KV"
H_IMP=$(handle)
req -d "{\"keyHandle\":\"$H_IMP\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$MSG\"}}" POST "/sign?$KV"
expect_http 200
b64d signature "$T/sig.bin"
printf '%s' "a message" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$KEYHEX" -binary >"$T/want.bin"
same "$T/sig.bin" "$T/want.bin"
note "HMAC-SHA256 with an imported key matches openssl"

# A derived key: HMAC(HMAC(base, data), msg).
DATA=$(b64 "derivation data")
req -d "{\"baseKeyHandle\":\"$H_IMP\",\"derivationData\":\"$DATA\"}" POST "/derivedkey?$KV"
H_DER=$(handle)
req -d "{\"keyHandle\":\"$H_DER\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$MSG\"}}" POST "/sign?$KV"
expect_http 200
b64d signature "$T/dsig.bin"
python3 - "$KEYHEX" "$T/want.bin" <<'EOF'
import hashlib, hmac, sys
dk = hmac.new(bytes.fromhex(sys.argv[1]), b"derivation data", hashlib.sha256).digest()
open(sys.argv[2], "wb").write(hmac.new(dk, b"a message", hashlib.sha256).digest())
EOF
same "$T/dsig.bin" "$T/want.bin"
# Its base is not exportable: neither is it.
req -d "{\"keyHandle\":\"$H_DER\"}" POST "/derivedkey/export?$KV"
expect_error 403 "the base key is not exportable, so its derived keys are not either"
note "derived key HMAC matches HMAC(HMAC(base, data), msg)"

# ---- a key pair and ECDSA --------------------------------------------------

req -d '{"keyId":"test-ec","preferredAlgorithms":"ec-p256:rsa-2048:*"}' POST "/keypair?$KV"
H_EC=$(handle)
req GET "/keypair/test-ec?$KV"
handle >/dev/null
req -d "{\"keyHandle\":\"$H_EC\"}" POST "/parameters/algorithm?$KV"
expect_http 200
[ "$(jget value)" = ECDSA ] || fail "algorithm of test-ec is $(jget value)"
req -d "{\"keyHandle\":\"$H_EC\"}" POST "/parameters/ec-curve-oid?$KV"
expect_http 200
b64d value "$T/oid.bin"
[ "$(bin2hex "$T/oid.bin")" = 06082a8648ce3d030107 ] || fail "curve OID is $(bin2hex "$T/oid.bin")"
req -d "{\"keyHandle\":\"$H_EC\"}" POST "/parameters/ec-point?$KV"
expect_http 200
b64d value "$T/point.bin"
POINT=$(bin2hex "$T/point.bin")
case $POINT in
04*) [ ${#POINT} -eq 130 ] || fail "ec-point is not 65 bytes" ;;
*) fail "ec-point is not uncompressed: $POINT" ;;
esac
# SubjectPublicKeyInfo of a P-256 key = this prefix || the point.
hex2bin "3059301306072a8648ce3d020106082a8648ce3d030107034200$POINT" >"$T/pub.der"
printf 'data to sign' | openssl dgst -sha256 -binary >"$T/digest.bin"
DIGEST=$(base64 <"$T/digest.bin" | tr -d '\n')
req -d "{\"keyHandle\":\"$H_EC\",\"algorithm\":\"ECDSA\",\"parameters\":{\"digest\":\"$DIGEST\"}}" POST "/sign?$KV"
expect_http 200
b64d signature "$T/ecsig.der"
openssl pkeyutl -verify -pubin -keyform DER -inkey "$T/pub.der" -in "$T/digest.bin" \
	-sigfile "$T/ecsig.der" >"$T/verify.out" 2>&1 ||
	{ cat "$T/verify.out" >&2; fail "openssl does not verify the ECDSA signature"; }
printf 'other data' | openssl dgst -sha256 -binary >"$T/digest2.bin"
if openssl pkeyutl -verify -pubin -keyform DER -inkey "$T/pub.der" -in "$T/digest2.bin" \
	-sigfile "$T/ecsig.der" >/dev/null 2>&1; then
	fail "the ECDSA signature verifies over another digest"
fi
note "ECDSA signature verified by openssl with the key from /parameters/ec-point"

# A symmetric handle is no key pair's; moving is not served.
req -d "{\"keyHandle\":\"$H_SYM\"}" POST "/parameters/ec-point?$KV"
expect_error 400 "key handle must be for a key pair"
req -d '{"from":"test-ec"}' POST "/keypair/test-ec2?$KV"
expect_error 501 "moving a key pair is not supported: the HSM cannot rename keys"

# ---- AEAD -------------------------------------------------------------------

req -d '{"keyId":"test-aes","usage":"encrypt"}' POST "/key?$KV"
H_AES=$(handle)
IV=$(hex2bin 000102030405060708090a0b | base64 | tr -d '\n')
AAD=$(b64 "additional data")
PT=$(b64 "the plaintext")
req -d "{\"keyHandle\":\"$H_AES\",\"algorithm\":\"AEAD\",\"parameters\":{\"iv\":\"$IV\",\"aad\":\"$AAD\"},\"plaintext\":\"$PT\"}" POST "/encrypt?$KV"
expect_http 200
CT=$(jget ciphertext)
b64d ciphertext "$T/ct.bin"
[ "$(wc -c <"$T/ct.bin")" -eq $((13 + 16)) ] || fail "ciphertext is not plaintext + tag"
req -d "{\"keyHandle\":\"$H_AES\",\"algorithm\":\"AEAD\",\"parameters\":{\"iv\":\"$IV\",\"aad\":\"$AAD\"},\"ciphertext\":\"$CT\"}" POST "/decrypt?$KV"
expect_http 200
[ "$(jget plaintext)" = "$PT" ] || fail "decrypt does not give the plaintext back"
flip "$T/ct.bin" -1
BAD=$(base64 <"$T/ct.bin" | tr -d '\n')
req -d "{\"keyHandle\":\"$H_AES\",\"algorithm\":\"AEAD\",\"parameters\":{\"iv\":\"$IV\",\"aad\":\"$AAD\"},\"ciphertext\":\"$BAD\"}" POST "/decrypt?$KV"
expect_error 400 "ciphertext could not be decrypted"
note "AEAD round trip; a tampered tag is refused"

# ---- refusals ---------------------------------------------------------------

d_mark_log
req -d '{"keyId":"prod-key","usage":"sign"}' POST "/key?$KV"
expect_error 403 "the caller may not use this key"
d_wait_log "audit: caller uid=$ME op=key-create key=prod-key result=denied" 5 ||
	fail "no audit line for the refused key-create"
req GET "/key/keysvc-handle-key?$KV"
expect_error 403 "the caller may not use this key"
d_wait_log "audit: caller uid=$ME op=key-load key=keysvc-handle-key result=denied" 5 ||
	fail "no audit line for the refused key-load"
d_wait_log "audit: caller uid=$ME op=sign key=test-ec result=allowed status=200" 5 0 ||
	fail "no audit line for an allowed sign"

# A forged handle: one character of a genuine one changed.
FORGED=$(python3 -c 'import sys; h = sys.argv[1]; print(h[:10] + ("B" if h[10] == "A" else "A") + h[11:])' "$H_SYM")
req -d "{\"keyHandle\":\"$FORGED\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$MSG\"}}" POST "/sign?$KV"
expect_error 400 "invalid key handle"
req -d '{"keyHandle":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}' DELETE "/key?$KV"
expect_error 400 "invalid key handle"
req -d '{"keyHandle":"not a handle"}' DELETE "/key?$KV"
expect_error 400 "field 'keyHandle' is not a key handle"

req GET "/key/test-sym?api-version=2019-01-01"
expect_error 400 "invalid api-version"
req GET "/key/test-sym"
expect_error 400 "invalid api-version"
req GET "/nothing?$KV"
expect_error 404 "not found"
req PUT "/key?$KV"
expect_error 405 "method not allowed"

# ---- delete -----------------------------------------------------------------

req -d "{\"keyHandle\":\"$H_SYM\"}" DELETE "/key?$KV"
expect_http 204
# (req leaves the newline that ended the body before its status line.)
[ "$(tr -d '\n' <"$T/out")" = "" ] || fail "204 with a body: $(cat "$T/out")"
req -d "{\"keyHandle\":\"$H_SYM2\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$MSG\"}}" POST "/sign?$KV"
expect_error 404 "key not found"
req -d "{\"keyHandle\":\"$H_EC\"}" DELETE "/keypair?$KV"
expect_http 204
req GET "/keypair/test-ec?$KV"
expect_error 404 "key not found"

# The workload socket still answers, the daemon is clean.
SOCK=$WL_SOCK
req GET "/modules?$V"
expect_http 200
d_no_sanitizer
d_stop
[ "$D_STATUS" -eq 0 ] || fail "trustedged exited with $D_STATUS"
d_no_sanitizer
note "keys service: all checks passed"
