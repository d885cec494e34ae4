#!/bin/sh
# workload.tls: the certificates trustedged issues to modules, used for
# real with OpenSSL.
#
#   - server certificate (POST .../genid/{g}/certificate/server) for common
#     name localhost: 201, a PKCS#8 key that matches it, SANs DNS:localhost
#     and DNS:<module>, EKU serverAuth, expiration capped at 90 days and
#     equal to the reply's "expiration"; `openssl s_server` with it on a
#     free loopback port is verified by `openssl s_client -CAfile <GET
#     /trust-bundle> -verify_return_error -verify_hostname localhost`
#     (Verify return code: 0), and is not with a CA that is not the bundle
#     or with another host name;
#   - identity certificate (POST /modules/{m}/certificate/identity): 201,
#     CN = module, EKU clientAuth only, URI SAN
#     azureiot://<hub>/devices/<device>/modules/<module>, lifetime capped
#     at hours, chains to the trust bundle for purpose sslclient; the body
#     is optional.
#
# Usage: daemon_tls.sh TRUSTEDGE_CLI TRUSTEDGED
. "$(dirname "$0")/daemon_lib.sh"

need_tools curl python3 openssl base64

HUB=hub.example.net
DEVICE=dev-1
DEVKEY=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
d_config <<EOF
provisioning:
  source: manual
  connection_string: "HostName=$HUB;DeviceId=$DEVICE;SharedAccessKey=$DEVKEY"
modules:
  - name: alpha
    uid: 0
EOF
d_start

rfc3339_in() { # SECONDS from now, UTC
	python3 -c 'import datetime as d, sys; print((d.datetime.now(d.timezone.utc) + d.timedelta(seconds=int(sys.argv[1]))).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$1"
}
# not_after_in PEM: seconds from now to the certificate's notAfter.
not_after_in() {
	python3 - "$(openssl x509 -noout -enddate -in "$1" | sed 's/^notAfter=//')" <<'EOF'
import datetime as d, sys, time
t = d.datetime.strptime(sys.argv[1], "%b %d %H:%M:%S %Y GMT").replace(tzinfo=d.timezone.utc)
print(int(t.timestamp() - time.time()))
EOF
}
# save_cert_reply DIR: the 201 reply of the last req into DIR/key.pem,
# DIR/leaf.pem, DIR/rest.pem (the chain after the leaf), DIR/expiration.
save_cert_reply() {
	mkdir -p "$1"
	python3 - "$T/out" "$1" <<'EOF' || fail "the certificate reply is not {privateKey: {type: key, bytes}, certificate, expiration}: $(head -c 400 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
out = sys.argv[2]
assert set(d) == {"privateKey", "certificate", "expiration"}, set(d)
assert d["privateKey"]["type"] == "key", d["privateKey"].get("type")
key = d["privateKey"]["bytes"]
assert key.startswith("-----BEGIN PRIVATE KEY-----"), "not PKCS#8 PEM"
certs = [c + "-----END CERTIFICATE-----\n" for c in d["certificate"].split("-----END CERTIFICATE-----") if "BEGIN CERTIFICATE" in c]
assert len(certs) >= 2, "no chain after the leaf"
open(out + "/key.pem", "w").write(key)
open(out + "/leaf.pem", "w").write(certs[0].lstrip())
open(out + "/rest.pem", "w").write("".join(c.lstrip() for c in certs[1:]))
open(out + "/expiration", "w").write(d["expiration"])
EOF
	chmod 600 "$1/key.pem"
	# The key is the certificate's.
	openssl pkey -in "$1/key.pem" -pubout >"$1/pub.key" 2>"$T/err" || { cat "$T/err" >&2; fail "$1/key.pem does not load"; }
	openssl x509 -in "$1/leaf.pem" -noout -pubkey >"$1/pub.cert" || fail "$1/leaf.pem does not load"
	cmp -s "$1/pub.key" "$1/pub.cert" || fail "the private key is not the certificate's"
	openssl x509 -in "$1/leaf.pem" -noout -text >"$1/text"
	# The reply's expiration is the certificate's notAfter.
	python3 - "$(cat "$1/expiration")" "$(openssl x509 -noout -enddate -in "$1/leaf.pem" | sed 's/^notAfter=//')" <<'EOF' || fail "the reply's expiration $(cat "$1/expiration") is not the certificate's notAfter"
import datetime as d, sys
a = d.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ")
b = d.datetime.strptime(sys.argv[2], "%b %d %H:%M:%S %Y GMT")
sys.exit(0 if abs((a - b).total_seconds()) <= 1 else 1)
EOF
}
has() { # FILE TEXT
	grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$1 lacks '$2'"; }
}
lacks() {
	! grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$1 has '$2'"; }
}

# ---- the trust bundle ---------------------------------------------------------------
req GET "/trust-bundle?$V"
expect_http 200 "GET /trust-bundle"
jget certificate >"$T/bundle.pem"
openssl x509 -in "$T/bundle.pem" -noout -subject >/dev/null 2>&1 || fail "the trust bundle is not PEM: $(head -c 300 "$T/bundle.pem")"

# ---- server certificate -------------------------------------------------------------
SRV=$T/server
req -d "{\"commonName\":\"localhost\",\"expiration\":\"$(rfc3339_in $((365 * 86400)))\"}" \
	POST "/modules/alpha/genid/g1/certificate/server?api-version=2019-01-30"
expect_http 201 "server certificate for localhost"
save_cert_reply "$SRV"
has "$SRV/text" "TLS Web Server Authentication"
lacks "$SRV/text" "TLS Web Client Authentication"
has "$SRV/text" "DNS:localhost"
has "$SRV/text" "DNS:alpha"
grep -q "Subject:.*CN *= *localhost" "$SRV/text" || fail "the server certificate's subject is not CN=localhost"
left=$(not_after_in "$SRV/leaf.pem")
[ "$left" -le $((90 * 86400 + 60)) ] || fail "a server certificate asked for a year lasts $left s (cap: 90 days)"
[ "$left" -gt 86400 ] || fail "a server certificate lasts only $left s"
openssl verify -CAfile "$T/bundle.pem" -untrusted "$SRV/rest.pem" -purpose sslserver "$SRV/leaf.pem" >"$T/v.out" 2>&1 ||
	{ cat "$T/v.out" >&2; fail "the server certificate does not chain to the trust bundle"; }
note "server certificate: SANs, EKU, 90-day cap, key match, chains to the trust bundle"

# A TLS server with it on a free loopback port.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
spid=""
for _ in 1 2 3 4 5; do
	PORT=$(free_port)
	openssl s_server -accept "127.0.0.1:$PORT" -cert "$SRV/leaf.pem" -key "$SRV/key.pem" \
		-cert_chain "$SRV/rest.pem" -www </dev/null >"$T/s_server.out" 2>&1 &
	spid=$!
	D_BG="$D_BG $spid"
	i=0
	while [ $i -lt 100 ] && kill -0 "$spid" 2>/dev/null && ! grep -q '^ACCEPT' "$T/s_server.out"; do
		sleep 0.05
		i=$((i + 1))
	done
	grep -q '^ACCEPT' "$T/s_server.out" && kill -0 "$spid" 2>/dev/null && break
	kill "$spid" 2>/dev/null || true
	spid=""
done
[ -n "$spid" ] || { cat "$T/s_server.out" >&2; fail "openssl s_server did not start"; }

# s_client CAFILE HOST: one handshake (and a GET); output in $T/s_client.out.
s_client() {
	_rc=0
	printf 'GET / HTTP/1.0\r\n\r\n' |
		openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$1" \
			-verify_return_error -verify_hostname "$2" -ign_eof >"$T/s_client.out" 2>&1 || _rc=$?
	return $_rc
}
s_client "$T/bundle.pem" localhost ||
	{ cat "$T/s_client.out" >&2; fail "s_client with the trust bundle does not verify the module's server"; }
has "$T/s_client.out" "Verify return code: 0 (ok)"
has "$T/s_client.out" "HTTP/1.0 200 ok"
note "TLS: s_client -CAfile <trust bundle> -verify_hostname localhost verifies (return code 0)"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other-ca.key" \
	-out "$T/other-ca.pem" -subj "/CN=not the edge CA" -days 2 >/dev/null 2>&1 || fail "cannot make another CA"
if s_client "$T/other-ca.pem" localhost; then
	cat "$T/s_client.out" >&2
	fail "s_client with a CA that is not the trust bundle verified the module's server"
fi
lacks "$T/s_client.out" "Verify return code: 0 (ok)"
if s_client "$T/bundle.pem" not-localhost.example; then
	cat "$T/s_client.out" >&2
	fail "s_client verified the module's server for another host name"
fi
note "TLS: another CA, or another host name, fails verification"
kill "$spid" 2>/dev/null || true
wait "$spid" 2>/dev/null || true

# ---- identity certificate ---------------------------------------------------------------------
ID=$T/identity
req -d "{\"expiration\":\"$(rfc3339_in 86400)\"}" POST "/modules/alpha/certificate/identity?$V"
expect_http 201 "identity certificate"
save_cert_reply "$ID"
has "$ID/text" "TLS Web Client Authentication"
lacks "$ID/text" "TLS Web Server Authentication"
has "$ID/text" "URI:azureiot://$HUB/devices/$DEVICE/modules/alpha"
grep -q "Subject:.*CN *= *alpha\$" "$ID/text" || fail "the identity certificate's subject is not CN=alpha"
left=$(not_after_in "$ID/leaf.pem")
[ "$left" -le $((2 * 3600 + 60)) ] || fail "an identity certificate asked for a day lasts $left s (cap: hours)"
[ "$left" -gt 60 ] || fail "an identity certificate lasts only $left s"
openssl verify -CAfile "$T/bundle.pem" -untrusted "$ID/rest.pem" -purpose sslclient "$ID/leaf.pem" >"$T/v.out" 2>&1 ||
	{ cat "$T/v.out" >&2; fail "the identity certificate does not chain to the trust bundle"; }
if openssl verify -CAfile "$T/bundle.pem" -untrusted "$ID/rest.pem" -purpose sslserver "$ID/leaf.pem" >/dev/null 2>&1; then
	fail "the identity certificate verifies for purpose sslserver"
fi
# The body is optional.
req POST "/modules/alpha/certificate/identity?$V"
expect_http 201 "identity certificate without a body"
save_cert_reply "$T/identity2"
cmp -s "$ID/pub.key" "$T/identity2/pub.key" && fail "two identity certificates share a key pair"
note "identity certificate: CN, URI SAN, clientAuth, lifetime cap, chains to the trust bundle"

d_stop
[ "$D_STATUS" -eq 0 ] || fail "trustedged exited with $D_STATUS after SIGTERM"
d_no_sanitizer
note "ok"
