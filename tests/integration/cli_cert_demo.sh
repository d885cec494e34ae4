#!/bin/bash
# cli.cert_demo: `trustedge cert demo` makes a quick-start set that OpenSSL
# accepts: every chain verifies, every profile carries exactly its
# extensions, the PKCS#12 bundles open with their password, and a TLS
# handshake with the server certificate succeeds against the trust bundle.
. "$(dirname "$0")/lib.sh"

D=$T/demo
DEV=dev-01
expect 0 "$TE" cert demo --dir "$D" --device $DEV
out_has "Wrote test-only certificates"
[ "$(stat -c %a "$D")" = 700 ] || fail "demo dir is not 0700"
for k in root-ca intermediate-ca edge-ca.$DEV identity.$DEV server.localhost; do
	[ "$(stat -c %a "$D/$k.key.pem")" = 600 ] || fail "$k.key.pem is not 0600"
	openssl pkey -in "$D/$k.key.pem" -noout || fail "$k.key.pem does not parse"
done

note "chains verify with openssl"
for leaf in edge-ca.$DEV identity.$DEV server.localhost intermediate-ca; do
	openssl verify -x509_strict -CAfile "$D/trust-bundle.pem" \
		-untrusted "$D/$leaf.chain.pem" "$D/$leaf.cert.pem" >/dev/null ||
		fail "openssl verify rejects $leaf"
	expect 0 "$TE" cert verify "$D/$leaf.chain.pem" --ca-file "$D/trust-bundle.pem"
done
openssl verify -purpose sslserver -CAfile "$D/trust-bundle.pem" \
	-untrusted "$D/server.localhost.chain.pem" "$D/server.localhost.cert.pem" >/dev/null ||
	fail "server certificate is not fit for a TLS server"
openssl verify -purpose sslclient -CAfile "$D/trust-bundle.pem" \
	-untrusted "$D/identity.$DEV.chain.pem" "$D/identity.$DEV.cert.pem" >/dev/null ||
	fail "identity certificate is not fit for a TLS client"

# text FILE: openssl's description of the certificate, one line per field
# with the value on the next line joined in.
text() {
	openssl x509 -in "$1" -noout -text -certopt no_pubkey,no_sigdump | sed -e 's/^ *//' |
		awk '{ if (hold != "") { print hold " " $0; hold = ""; next }
			if ($0 ~ /^X509v3 [A-Za-z ]+: *(critical)?$/ && $0 !~ /^X509v3 extensions/) {
				hold = $0; sub(/ +$/, "", hold); next }
			print }'
}
has() { grep -qF -- "$2" <<<"$1" || { echo "$1" >&2; fail "$3 lacks: $2"; }; }
lacks() { ! grep -qF -- "$2" <<<"$1" || { echo "$1" >&2; fail "$3 should not have: $2"; }; }

note "extensions, profile by profile"
t=$(text "$D/root-ca.cert.pem")
has "$t" "X509v3 Basic Constraints: critical CA:TRUE" root
lacks "$t" "pathlen" root
has "$t" "X509v3 Key Usage: critical Digital Signature, Certificate Sign, CRL Sign" root
has "$t" "X509v3 Subject Key Identifier:" root
has "$t" "O = trustedge TEST ONLY" root
lacks "$t" "Extended Key Usage" root
t=$(text "$D/intermediate-ca.cert.pem")
has "$t" "X509v3 Basic Constraints: critical CA:TRUE, pathlen:1" intermediate
has "$t" "X509v3 Authority Key Identifier:" intermediate
t=$(text "$D/edge-ca.$DEV.cert.pem")
has "$t" "X509v3 Basic Constraints: critical CA:TRUE, pathlen:0" edge-ca
has "$t" "X509v3 Key Usage: critical Digital Signature, Certificate Sign, CRL Sign" edge-ca
has "$t" "CN = $DEV edge CA" edge-ca
t=$(text "$D/identity.$DEV.cert.pem")
has "$t" "X509v3 Basic Constraints: critical CA:FALSE" identity
has "$t" "X509v3 Key Usage: critical Digital Signature" identity
has "$t" "X509v3 Extended Key Usage: TLS Web Client Authentication" identity
has "$t" "Subject: O = trustedge TEST ONLY, CN = $DEV" identity
t=$(text "$D/server.localhost.cert.pem")
has "$t" "X509v3 Extended Key Usage: TLS Web Server Authentication" server
has "$t" "X509v3 Subject Alternative Name: DNS:localhost" server
has "$t" "X509v3 Basic Constraints: critical CA:FALSE" server
lacks "$t" "Key Encipherment" "server (EC key)"
# Serial numbers are random and distinct.
serials=$(for f in "$D"/*.cert.pem; do openssl x509 -in "$f" -noout -serial; done | sort -u | wc -l)
[ "$serials" -eq "$(ls "$D"/*.cert.pem | wc -l)" ] || fail "serial numbers repeat"

note "PKCS#12 bundles"
for p in edge-ca.$DEV identity.$DEV; do
	[ "$(stat -c %a "$D/$p.p12")" = 600 ] || fail "$p.p12 is not 0600"
	openssl pkcs12 -in "$D/$p.p12" -passin file:"$D/pkcs12.password" -nodes -out "$T/p12.pem" ||
		fail "$p.p12 does not open with its password"
	grep -q "BEGIN PRIVATE KEY" "$T/p12.pem" || fail "$p.p12 has no key"
	[ "$(grep -c "BEGIN CERTIFICATE" "$T/p12.pem")" -eq 3 ] || fail "$p.p12 lacks the chain"
	! openssl pkcs12 -in "$D/$p.p12" -passin pass:wrong -nodes -out /dev/null 2>/dev/null ||
		fail "$p.p12 opens with a wrong password"
done
printf 'correct horse\n' >"$T/pw"
expect 0 "$TE" cert demo identity --dir "$D" --device dev-02 --password-file "$T/pw"
openssl pkcs12 -in "$D/identity.dev-02.p12" -passin pass:"correct horse" -nodes -out /dev/null ||
	fail "--password-file not used"

note "TLS handshake: openssl s_server with the demo server certificate"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl s_server -accept "127.0.0.1:$port" -cert "$D/server.localhost.cert.pem" \
	-key "$D/server.localhost.key.pem" -cert_chain "$D/server.localhost.chain.pem" \
	-naccept 2 -quiet >"$T/s_server.out" 2>&1 &
srv=$!
# The readiness probe takes one of the two accepts.
for _ in $(seq 50); do
	python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2)' \
		"$port" 2>/dev/null && break
	sleep 0.1
done
echo | openssl s_client -connect "127.0.0.1:$port" -servername localhost -verify_hostname localhost \
	-CAfile "$D/trust-bundle.pem" -verify_return_error -brief >"$T/s_client.out" 2>&1 ||
	{ cat "$T/s_client.out" "$T/s_server.out" >&2; kill $srv 2>/dev/null; fail "TLS handshake failed"; }
grep -q "Verification: OK" "$T/s_client.out" || { cat "$T/s_client.out" >&2; fail "no verification"; }
kill $srv 2>/dev/null || true
wait $srv 2>/dev/null || true

note "other members and key types"
expect 0 "$TE" cert demo verification --dir "$D" --cn 0A1B2C3D4E5F
openssl verify -CAfile "$D/trust-bundle.pem" "$D/verification.0A1B2C3D4E5F.cert.pem" >/dev/null ||
	fail "verification certificate does not verify against the root"
has "$(text "$D/verification.0A1B2C3D4E5F.cert.pem")" "CN = 0A1B2C3D4E5F" verification
expect 0 "$TE" cert demo leaf --dir "$D" --device downstream-7
expect 3 "$TE" cert demo server --dir "$D" --cn gw.example.net --device nobody
err_has "cert demo edge-ca --dir $D --device nobody"
expect 0 "$TE" cert demo server --dir "$D" --cn gw.example.net --device $DEV
expect 2 "$TE" cert demo verification --dir "$D"
err_has "--cn"
expect 2 "$TE" cert demo bogus --dir "$D"
for k in rsa-2048 ec-p384; do
	expect 0 "$TE" --json cert demo --dir "$T/$k" --key $k
	jcheck 'd["test_only"] and "trust-bundle.pem" in d["files"]'
	openssl verify -CAfile "$T/$k/trust-bundle.pem" -untrusted "$T/$k/server.localhost.chain.pem" \
		"$T/$k/server.localhost.cert.pem" >/dev/null || fail "$k chain does not verify"
done
has "$(text "$T/rsa-2048/server.localhost.cert.pem")" "Key Encipherment" "server (RSA key)"
# Keys kept in the key store instead of files.
expect 0 te cert demo root --dir "$T/hsm" --hsm-keys
[ ! -e "$T/hsm/root-ca.key.pem" ] || fail "--hsm-keys wrote a key file"
expect 0 te key exists demo-root-ca
expect 0 te cert demo edge-ca --dir "$T/hsm" --hsm-keys
openssl verify -CAfile "$T/hsm/trust-bundle.pem" -untrusted "$T/hsm/edge-ca.$(echo trustedge-test-device).chain.pem" \
	"$T/hsm/edge-ca.trustedge-test-device.cert.pem" >/dev/null || fail "HSM-key chain does not verify"
# A second `all` keeps the existing root.
before=$(openssl x509 -in "$D/root-ca.cert.pem" -noout -fingerprint)
expect 0 "$TE" cert demo --dir "$D" --device $DEV
[ "$before" = "$(openssl x509 -in "$D/root-ca.cert.pem" -noout -fingerprint)" ] || fail "root replaced"
note "ok"
