#!/bin/bash
# cli.cert: `trustedge cert issue/csr/show/verify/import/list/delete` with
# keys in the key store, and every refusal: issuer not a CA, key mismatch,
# bad names, too long a common name, validity beyond the issuer's; a
# refused command writes nothing.
. "$(dirname "$0")/lib.sh"

C=$T/c
mkdir "$C"
for k in root edge srv cli other; do expect 0 te key create $k --type ec-p256; done
expect 0 te key create rsa --type rsa-2048

note "a chain made from keys in the store"
expect 0 te cert issue --profile root-ca --cn "Test Root" --key root --days 60 --out "$C/root.pem"
expect 0 te cert issue --profile edge-ca --cn "Test Edge CA" --key edge --days 30 \
	--issuer "$C/root.pem" --issuer-key root --chain --out "$C/edge.pem"
[ "$(grep -c 'BEGIN CERTIFICATE' "$C/edge.pem")" -eq 2 ] || fail "--chain did not append the issuer"
expect 0 te cert issue --profile server --cn gw.example.net --dns gw.example.net --dns gw \
	--ip 192.0.2.10 --ip ::1 --key srv --days 7 --issuer "$C/edge.pem" --issuer-key edge \
	--chain --out "$C/srv.pem"
openssl verify -x509_strict -CAfile "$C/root.pem" -untrusted "$C/edge.pem" "$C/srv.pem" >/dev/null ||
	fail "openssl rejects the issued chain"
expect 0 te cert verify "$C/srv.pem" --ca-file "$C/root.pem"
out_has "OK: chain of 3"
expect 0 te --json cert show "$C/srv.pem"
jcheck 'd["certificates"][0]["san"] == ["DNS:gw.example.net", "DNS:gw", "IP:192.0.2.10", "IP:::1"]'
jcheck 'd["certificates"][0]["extended_key_usage"] == ["serverAuth"] and not d["certificates"][0]["ca"]'
jcheck 'd["certificates"][1]["ca"] and d["certificates"][1]["path_len"] == 0'
jcheck 'd["certificates"][0]["key"] == "ec-p256"'
# The certificate's key is the store's key.
expect 0 te key public srv
openssl x509 -in "$C/srv.pem" -noout -pubkey | cmp -s - "$T/out" || fail "certificate key differs"

note "identity certificate with a URI SAN, from a CSR"
expect 0 te cert csr --key cli --cn mod1 --out "$C/cli.csr"
openssl req -in "$C/cli.csr" -noout -verify 2>/dev/null || fail "openssl rejects the CSR"
expect 0 te cert issue --profile client --csr "$C/cli.csr" --days 1 \
	--uri azureiot://hub.example.net/devices/dev1/modules/mod1 \
	--issuer "$C/edge.pem" --issuer-key edge --out "$C/cli.pem"
openssl x509 -in "$C/cli.pem" -noout -ext subjectAltName,extendedKeyUsage >"$T/ext"
grep -q "URI:azureiot://hub.example.net/devices/dev1/modules/mod1" "$T/ext" || fail "URI SAN missing"
grep -q "TLS Web Client Authentication" "$T/ext" || fail "clientAuth missing"
openssl x509 -in "$C/cli.pem" -noout -subject | grep -q "CN = mod1" || fail "CN not from the CSR"
openssl req -in "$C/cli.csr" -outform DER -out "$C/cli.csr.der"
expect 0 te cert issue --profile client --csr "$C/cli.csr.der" --days 1 --issuer "$C/edge.pem" --issuer-key edge

note "refusals write nothing"
refuse() { # CODE TEXT ARGS...
	local code=$1 text=$2
	shift 2
	rm -f "$C/no.pem"
	expect "$code" te cert issue "$@" --out "$C/no.pem"
	err_has "$text"
	head -1 "$T/err" | grep -q '^trustedge: error: ' || fail "no error line first"
	[ ! -e "$C/no.pem" ] || fail "a refused issue wrote $C/no.pem"
}
refuse 2 "is not a CA" --profile client --cn x --key other --issuer "$C/srv.pem" --issuer-key srv
refuse 2 "does not match" --profile client --cn x --key other --issuer "$C/edge.pem" --issuer-key root
refuse 2 "path length 0" --profile intermediate-ca --cn x --key other --issuer "$C/edge.pem" --issuer-key edge
refuse 2 "after the issuer's" --profile server --cn x --key other --days 365 --issuer "$C/edge.pem" --issuer-key edge
refuse 2 "not a host name" --profile server --cn x --dns "bad_name.example" --key other --issuer "$C/edge.pem" --issuer-key edge
refuse 2 "empty label" --profile server --cn x --dns "a..b" --key other --issuer "$C/edge.pem" --issuer-key edge
refuse 2 "not an IPv4 or IPv6" --profile server --cn x --ip 300.1.1.1 --key other --issuer "$C/edge.pem" --issuer-key edge
refuse 2 "scheme" --profile client --cn x --uri "no scheme here" --key other --issuer "$C/edge.pem" --issuer-key edge
refuse 2 "longer than 64" --profile client --cn "$(printf 'c%.0s' $(seq 65))" --key other --issuer "$C/edge.pem" --issuer-key edge
refuse 2 "wildcards" --profile client --cn x --dns "*.example.net" --key other --issuer "$C/edge.pem" --issuer-key edge
refuse 2 "unknown certificate profile" --profile bogus --cn x --key other
refuse 2 "--days" --profile client --cn x --key other --days 0
refuse 3 "not found" --profile client --cn x --key missing-key
refuse 2 "exactly one of --key" --profile client --cn x
refuse 2 "go together" --profile client --cn x --key other --issuer "$C/edge.pem"
# Capped when asked.
expect 0 te cert issue --profile server --cn x --key other --days 365 --cap-validity \
	--issuer "$C/edge.pem" --issuer-key edge --out "$C/capped.pem"
[ "$(openssl x509 -in "$C/capped.pem" -noout -enddate)" = "$(openssl x509 -in "$C/edge.pem" -noout -enddate)" ] ||
	fail "validity not capped at the issuer's"
# A CSR whose signature does not match its key.
python3 - "$C/cli.csr.der" "$C/bad.csr" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[-5] ^= 1; open(sys.argv[2], "wb").write(b)
PY
expect 6 te cert issue --profile client --csr "$C/bad.csr" --issuer "$C/edge.pem" --issuer-key edge
err_has "CSR signature does not verify"
expect 2 te cert issue --profile client --csr /dev/null --issuer "$C/edge.pem" --issuer-key edge
printf 'not a certificate\n' >"$C/junk.pem"
expect 2 te cert show "$C/junk.pem"
err_has "junk.pem"

note "verify refuses what it must"
expect 0 te cert issue --profile root-ca --cn "Other Root" --key other --out "$C/other-root.pem"
expect 6 te cert verify "$C/srv.pem" --ca-file "$C/other-root.pem"
err_has "chain depth"
expect 6 te --json cert verify "$C/srv.pem" --ca-file "$C/other-root.pem"
jcheck 'd["valid"] is False and "chain depth" in d["reason"]'
head -c 300 "$C/srv.pem" >"$C/cut.pem"
expect 2 te cert verify "$C/cut.pem" --ca-file "$C/root.pem"
expect 2 te cert verify "$C/srv.pem"
err_has "--ca-file"

note "the certificate store"
expect 0 te cert issue --profile server --cn store.example --key srv --days 2 --issuer "$C/edge.pem" \
	--issuer-key edge --chain --id web
expect 0 te cert list
grep -q "^web .* srv .*CN=store.example" "$T/out" || { cat "$T/out" >&2; fail "list lacks web"; }
expect 0 te --json cert show --id web
jcheck 'd["certificates"][0]["subject"].startswith("CN=store.example")'
[ "$(stat -c %a "$S/certs")" = 700 ] || fail "certificate store is not 0700"
expect 0 te cert import peer --in "$C/cli.pem"
expect 2 te cert import mine --in "$C/cli.pem" --key srv
err_has "does not match key 'srv'"
expect 2 te cert import '../x' --in "$C/cli.pem"
expect 0 te --json cert list
jcheck 'sorted(c["id"] for c in d["certificates"]) == ["peer", "web"]'
expect 0 te cert verify --id web --ca-file "$C/root.pem"

note "renewal"
serial() { te cert show --id web --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["certificates"][0]["serial"])'; }
s0=$(serial)
expect 0 te cert renew web --issuer "$C/edge.pem" --issuer-key edge
out_has "not due until"
[ "$(serial)" = "$s0" ] || fail "renewed before it was due"
expect 2 te cert renew web
err_has "--issuer"
expect 2 te cert renew web --force --issuer "$C/edge.pem" --issuer-key root
[ "$(serial)" = "$s0" ] || fail "a failed renewal changed the certificate"
expect 0 te --json cert renew web --force --issuer "$C/edge.pem" --issuer-key edge --days 1
jcheck 'd["renewed"] and d["key"] == "srv"'
s1=$(serial)
[ "$s1" != "$s0" ] || fail "--force did not renew"
expect 0 te --json cert show --id web
jcheck 'd["certificates"][0]["subject"].startswith("CN=store.example") and d["certificates"][0]["extended_key_usage"] == ["serverAuth"]'
expect 0 te cert renew web --force --rotate --issuer "$C/edge.pem" --issuer-key edge --days 1
out_has "key srv.r1"
expect 0 te key exists srv.r1
expect 0 te key public srv.r1
te key public srv.r1 >"$T/new.pub"
python3 - "$S" "$T/new.pub" <<'PY' || fail "stored certificate does not match the rotated key"
import json, subprocess, sys
d = json.load(open(sys.argv[1] + "/certs/web.cert"))
pub = subprocess.run(["openssl", "x509", "-noout", "-pubkey"], input=d["pem"].encode(),
                     capture_output=True, check=True).stdout
assert d["key"] == "srv.r1", d["key"]
assert pub == open(sys.argv[2], "rb").read()
PY
expect 3 te key exists srv
expect 0 te cert verify --id web --ca-file "$C/root.pem"
expect 0 te cert delete peer
expect 3 te cert delete peer
expect 3 te cert show --id peer
note "ok"
