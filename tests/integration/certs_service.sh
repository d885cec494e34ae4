#!/bin/sh
# daemon.certs_service: the certificates service (aziot-certd API,
# api-version 2020-09-01) over the real daemon's certs socket, driven with
# curl --unix-socket and openssl like a client of that API.
#
# Positive: a CSR made with `openssl req -new` (base64 DER, and the PEM
# text the reference also takes) issued by the edge CA (the configured
# issuance method): 201 {"pem"}, the leaf for the CSR's key, CA:FALSE,
# serverAuth, the CSR's names, at most 90 days, and `openssl verify
# -x509_strict` against the trust bundle from the workload socket's
# /trust-bundle; GET answers the same PEM; a CA certificate for a key pair
# made through the keys socket (signed by the trustedge CLI on the HSM
# store) imported with PUT, then a leaf issued by it with issuer
# {certId, privateKeyHandle}, verified against that CA; DELETE (204) and
# GET after it (404).
# Negative, with their exact status and {"message"}: a CSR whose signature
# does not verify, a CSR asking for a CA, a forged key handle, a handle of
# another key, an id outside the principal's globs (403, audit line), the
# edge CA's entries read-only (GET 200, PUT/DELETE/POST 403), a bad
# api-version, an unknown route, a wrong method.
#
# Usage: certs_service.sh TRUSTEDGE_CLI TRUSTEDGED
. "$(dirname "$0")/daemon_lib.sh"

need_tools curl python3 base64 openssl

ME=$(id -u)
d_config <<EOF
principals:
  - uid: $ME
    keys: ["test-*", "edge-ca*"]
log:
  level: info
EOF
d_start
WL_SOCK=$SOCK
KEYS_SOCK=$R/keys.sock
CERTS_SOCK=$R/certs.sock
CV=api-version=2020-09-01

# The trust bundle modules get.
req GET "/trust-bundle?$V"
expect_http 200 "GET /trust-bundle"
python3 -c 'import json, sys; open(sys.argv[2], "w").write(json.load(open(sys.argv[1]))["certificate"])' \
	"$T/out" "$T/bundle.pem"
openssl x509 -in "$T/bundle.pem" -noout >/dev/null 2>&1 || fail "the trust bundle is not PEM"
SOCK=$CERTS_SOCK
note "trustedged $DPID serves the certificates service on $SOCK"

# save_pem DIR: the {"pem"} of the last answer into DIR/all.pem,
# DIR/leaf.pem and DIR/rest.pem (what follows the leaf).
save_pem() {
	mkdir -p "$1"
	python3 - "$T/out" "$1" <<'EOF' || fail "the answer is not {\"pem\": certificates}: $(head -c 300 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"pem"}, set(d)
pem = d["pem"]
end = "-----END CERTIFICATE-----"
certs = [c.strip() + "\n" + end + "\n" for c in pem.split(end) if "BEGIN CERTIFICATE" in c]
assert certs, "no certificate"
open(sys.argv[2] + "/all.pem", "w").write(pem)
open(sys.argv[2] + "/leaf.pem", "w").write(certs[0])
open(sys.argv[2] + "/rest.pem", "w").write("".join(certs[1:]))
EOF
	openssl x509 -in "$1/leaf.pem" -noout -text >"$1/text" 2>"$T/err" || { cat "$T/err" >&2; fail "$1/leaf.pem does not load"; }
}
has() { # FILE TEXT
	grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$1 lacks '$2'"; }
}
lacks() {
	! grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$1 has '$2'"; }
}
# Our own openssl configuration, so the system's defaults add nothing.
cat >"$T/req.cnf" <<'EOF'
[req]
distinguished_name = dn
[dn]
EOF
# csr NAME SUBJ [ADDEXT...]: a new EC P-256 key NAME.key and its CSR as
# NAME.der (DER) and NAME.csr (PEM).
csr() {
	_n=$1
	_s=$2
	shift 2
	set -- openssl req -new -config "$T/req.cnf" -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -keyout "$T/$_n.key" -subj "$_s" "$@" -out "$T/$_n.csr"
	"$@" >"$T/err" 2>&1 || { cat "$T/err" >&2; fail "openssl req for $_n failed"; }
	openssl req -in "$T/$_n.csr" -outform DER -out "$T/$_n.der" 2>"$T/err" || { cat "$T/err" >&2; fail "CSR $_n to DER"; }
}
b64file() {
	base64 <"$1" | tr -d '\n'
}
# json_str FILE: the file's text as a JSON string.
json_str() {
	python3 -c 'import json, sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"
}

# ---- issued by the edge CA ------------------------------------------------------

csr leaf "/CN=leaf.example/O=Contoso" -addext "subjectAltName=DNS:leaf.example,IP:127.0.0.1" \
	-addext "extendedKeyUsage=serverAuth"
req -d "{\"certId\":\"test-leaf\",\"csr\":\"$(b64file "$T/leaf.der")\"}" POST "/certificates?$CV"
expect_http 201
save_pem "$T/leaf"
openssl verify -x509_strict -CAfile "$T/bundle.pem" -untrusted "$T/leaf/rest.pem" \
	-purpose sslserver "$T/leaf/leaf.pem" >"$T/v.out" 2>&1 ||
	{ cat "$T/v.out" >&2; fail "the issued certificate does not verify against the trust bundle"; }
# The chain is the leaf and the edge CA; the leaf is for the CSR's key.
cmp -s "$T/leaf/rest.pem" "$T/bundle.pem" || fail "the chain after the leaf is not the edge CA"
openssl pkey -in "$T/leaf.key" -pubout >"$T/leaf/pub.key"
openssl x509 -in "$T/leaf/leaf.pem" -noout -pubkey >"$T/leaf/pub.cert"
same "$T/leaf/pub.key" "$T/leaf/pub.cert"
has "$T/leaf/text" "CA:FALSE"
has "$T/leaf/text" "TLS Web Server Authentication"
lacks "$T/leaf/text" "TLS Web Client Authentication"
has "$T/leaf/text" "DNS:leaf.example"
has "$T/leaf/text" "IP Address:127.0.0.1"
grep -q "Subject:.*CN *= *leaf.example" "$T/leaf/text" || fail "the subject is not the CSR's"
openssl x509 -in "$T/leaf/leaf.pem" -noout -checkend $((90 * 86400 + 60)) >/dev/null &&
	fail "the certificate outlives the 90-day cap"
openssl x509 -in "$T/leaf/leaf.pem" -noout -checkend $((89 * 86400)) >/dev/null ||
	fail "the certificate lasts less than 89 days"
note "edge CA issuance: CSR key, CA:FALSE, serverAuth, names, 90 days, strict chain to the trust bundle"

# GET answers the stored PEM.
req GET "/certificates/test-leaf?$CV"
expect_http 200
save_pem "$T/got"
same "$T/got/all.pem" "$T/leaf/all.pem"

# The reference's form of the csr field: the PEM text itself.  No EKU
# asked for: clientAuth.
csr cli "/CN=client-1"
req -d "{\"certId\":\"test-cli\",\"csr\":$(json_str "$T/cli.csr")}" POST "/certificates?$CV"
expect_http 201
save_pem "$T/cli"
has "$T/cli/text" "TLS Web Client Authentication"
openssl verify -x509_strict -CAfile "$T/bundle.pem" -untrusted "$T/cli/rest.pem" \
	-purpose sslclient "$T/cli/leaf.pem" >"$T/v.out" 2>&1 ||
	{ cat "$T/v.out" >&2; fail "the client certificate does not verify"; }

# ---- refusals of the CSR ----------------------------------------------------------

cp "$T/leaf.der" "$T/bad.der"
flip "$T/bad.der" -1
req -d "{\"certId\":\"test-bad\",\"csr\":\"$(b64file "$T/bad.der")\"}" POST "/certificates?$CV"
expect_error 400 "the CSR's signature does not verify with its key"
csr ca "/CN=wannabe CA" -addext "basicConstraints=critical,CA:TRUE"
req -d "{\"certId\":\"test-bad\",\"csr\":\"$(b64file "$T/ca.der")\"}" POST "/certificates?$CV"
expect_error 400 "the CSR asks for a CA certificate; this service issues leaf certificates only"
req -d '{"certId":"test-bad","csr":"bm90IGEgQ1NS"}' POST "/certificates?$CV"
expect_error 400 "field 'csr' is not a certificate signing request"
req -d '{"certId":"test-bad","csr":"%%%"}' POST "/certificates?$CV"
expect_error 400 "field 'csr' must be base64 or PEM text"
req GET "/certificates/test-bad?$CV"
expect_error 404 "certificate not found"
note "bad CSR signature, CA request, garbage refused; nothing stored"

# ---- issuer named by a key handle ------------------------------------------------

SOCK=$KEYS_SOCK
req -d '{"keyId":"test-ca-key","preferredAlgorithms":"ec-p256"}' POST "/keypair?$CV"
expect_http 200
H_CA=$(jget keyHandle)
req -d '{"keyId":"test-other-key","preferredAlgorithms":"ec-p256"}' POST "/keypair?$CV"
expect_http 200
H_OTHER=$(jget keyHandle)
SOCK=$CERTS_SOCK
# The caller's CA for that key, made with the CLI on the HSM store.
"$TE" --store "$HSM" cert issue --profile root-ca --cn "caller root" --key test-ca-key --days 30 \
	--out "$T/myca.pem" >"$T/cli.out" 2>&1 || { cat "$T/cli.out" >&2; fail "trustedge cert issue failed"; }
req -d "{\"pem\":$(json_str "$T/myca.pem")}" PUT "/certificates/test-ca?$CV"
expect_http 201
save_pem "$T/imported"
same "$T/imported/leaf.pem" "$T/myca.pem"
csr dev "/CN=device.example" -addext "subjectAltName=DNS:device.example"
req -d "{\"certId\":\"test-dev\",\"csr\":\"$(b64file "$T/dev.der")\",\"issuer\":{\"certId\":\"test-ca\",\"privateKeyHandle\":\"$H_CA\"}}" \
	POST "/certificates?$CV"
expect_http 201
save_pem "$T/dev"
cmp -s "$T/dev/rest.pem" "$T/myca.pem" || fail "the chain after the leaf is not the issuer's PEM"
openssl verify -x509_strict -CAfile "$T/myca.pem" "$T/dev/leaf.pem" >"$T/v.out" 2>&1 ||
	{ cat "$T/v.out" >&2; fail "the leaf does not verify against the caller's CA"; }
if openssl verify -CAfile "$T/bundle.pem" "$T/dev/leaf.pem" >/dev/null 2>&1; then
	fail "a leaf of the caller's CA verifies against the edge CA"
fi
note "issuer by key handle: imported CA, strict chain to it"

req -d "{\"certId\":\"test-dev\",\"csr\":\"$(b64file "$T/dev.der")\",\"issuer\":{\"certId\":\"test-ca\",\"privateKeyHandle\":\"$H_OTHER\"}}" \
	POST "/certificates?$CV"
expect_error 400 "field 'issuer.privateKeyHandle' is not the issuer certificate's key"
FORGED=$(python3 -c 'import sys; h = sys.argv[1]; print(h[:10] + ("B" if h[10] == "A" else "A") + h[11:])' "$H_CA")
req -d "{\"certId\":\"test-dev\",\"csr\":\"$(b64file "$T/dev.der")\",\"issuer\":{\"certId\":\"test-ca\",\"privateKeyHandle\":\"$FORGED\"}}" \
	POST "/certificates?$CV"
expect_error 400 "invalid key handle"
req -d "{\"certId\":\"test-dev\",\"csr\":\"$(b64file "$T/dev.der")\",\"issuer\":{\"certId\":\"edge-ca\",\"privateKeyHandle\":\"$H_CA\"}}" \
	POST "/certificates?$CV"
expect_error 400 "field 'issuer.privateKeyHandle' is not the issuer certificate's key"

# ---- principals and the daemon's own entries --------------------------------------

d_mark_log
req -d "{\"certId\":\"prod-cert\",\"csr\":\"$(b64file "$T/leaf.der")\"}" POST "/certificates?$CV"
expect_error 403 "the caller may not use this certificate"
d_wait_log "audit: caller uid=$ME op=cert-create cert=prod-cert result=denied" 5 ||
	fail "no audit line for the refused create"
req GET "/certificates/edge-ca?$CV"
expect_http 200
save_pem "$T/edgeca"
same "$T/edgeca/leaf.pem" "$T/bundle.pem"
req DELETE "/certificates/edge-ca?$CV"
expect_error 403 "the certificate is managed by the daemon and is read-only"
d_wait_log "audit: caller uid=$ME op=cert-delete cert=edge-ca result=denied" 5 ||
	fail "no audit line for the refused delete"
req -d "{\"pem\":$(json_str "$T/myca.pem")}" PUT "/certificates/edge-ca?$CV"
expect_error 403 "the certificate is managed by the daemon and is read-only"
req -d "{\"certId\":\"edge-ca-previous\",\"csr\":\"$(b64file "$T/leaf.der")\"}" POST "/certificates?$CV"
expect_error 403 "the certificate is managed by the daemon and is read-only"
req GET "/certificates/edge-ca?$CV"
expect_http 200
save_pem "$T/edgeca2"
same "$T/edgeca2/all.pem" "$T/edgeca/all.pem"
d_wait_log "audit: caller uid=$ME op=cert-create cert=test-leaf result=allowed status=201" 5 0 ||
	fail "no audit line for an allowed create"
note "principals (403 + audit) and the edge CA's entries read-only"

# ---- the API's shape ---------------------------------------------------------------

req GET "/certificates/test-leaf?api-version=2021-05-01"
expect_error 400 "invalid api-version"
req GET "/certificates/test-leaf"
expect_error 400 "invalid api-version"
req GET "/certificates/..?$CV"
expect_error 400 "request path has an empty, '.' or '..' segment"
req GET "/nothing?$CV"
expect_error 404 "not found"
req -d '{}' PUT "/certificates?$CV"
expect_error 405 "method not allowed"
req -t text/plain -d '{}' POST "/certificates?$CV"
expect_error 415 "request body must be application/json"
req -d '{"certId":"test-x"}' POST "/certificates?$CV"
expect_error 400 "missing field 'csr'"

# ---- delete ------------------------------------------------------------------------

req DELETE "/certificates/test-leaf?$CV"
expect_http 204
[ "$(tr -d '\n' <"$T/out")" = "" ] || fail "204 with a body: $(cat "$T/out")"
req GET "/certificates/test-leaf?$CV"
expect_error 404 "certificate not found"
req DELETE "/certificates/test-leaf?$CV"
expect_http 204

# The workload socket still answers, the daemon is clean.
SOCK=$WL_SOCK
req GET "/modules?$V"
expect_http 200
d_no_sanitizer
d_stop
[ "$D_STATUS" -eq 0 ] || fail "trustedged exited with $D_STATUS"
d_no_sanitizer
note "certificates service: all checks passed"
