#!/bin/sh
# daemon_key_uri.sh TRUSTEDGE TRUSTEDGED - trustedged with its device SAS
# key on a PKCS#11 token (run under with_softhsm.sh):
#  1. a key imported onto the token (known bytes, not exportable) and
#     named by `provisioning.authentication.key_uri: pkcs11:...` is the
#     device key: a workload sign equals HMAC(HMAC(key, derivation data),
#     data), computed here with python from the bytes the test imported;
#  2. the module key is derived on the token (a mod-* key appears there)
#     and the digest is the same after a restart;
#  3. a key_uri naming no key stops the daemon at start with a message
#     naming the URI.
set -eu

TE=${1:?usage: daemon_key_uri.sh TRUSTEDGE TRUSTEDGED}
TD=${2:?usage: daemon_key_uri.sh TRUSTEDGE TRUSTEDGED}
: "${TE_PKCS11_MODULE:?run under with_softhsm.sh}"
for tool in curl python3; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "SKIP: $tool not installed"
		exit 77
	}
done

W=$(mktemp -d "${TMPDIR:-/tmp}/te-p11-daemon.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' HUP INT TERM

fail() {
	echo "FAIL: $*" >&2
	[ ! -s "$W/log" ] || sed 's/^/  log: /' "$W/log" >&2
	exit 1
}

# The token, as every configuration here names it.
printf 'hsm:\n  backend: pkcs11\n  pkcs11:\n    module: %s\n    token: %s\n    pin_env: TE_PKCS11_PIN\n' \
	"$TE_PKCS11_MODULE" "$TE_PKCS11_TOKEN" >"$W/hsm.yaml"

# config KEY_URI: the daemon's configuration with that device key.
config() {
	cp "$W/hsm.yaml" "$W/config.yaml"
	printf '%s\n' \
		"state_dir: $W/state" \
		"sockets:" \
		"  workload: {path: $W/w.sock}" \
		"  keys: {path: $W/k.sock}" \
		"  certs: {path: $W/c.sock}" \
		"  identity: {path: $W/i.sock}" \
		"  management: {path: $W/m.sock}" \
		"provisioning:" \
		"  source: manual" \
		"  iothub_hostname: hub.example.net" \
		"  device_id: dev-p11" \
		"  authentication:" \
		"    method: sas" \
		"    key_uri: \"$1\"" \
		"modules:" \
		"  - name: alpha" \
		"    uid: $(id -u)" >>"$W/config.yaml"
}

start() {
	# Empty now, not when the background shell gets to its redirection:
	# the last run's "ready" must not be read as this one's.
	: >"$W/log"
	"$TD" -c "$W/config.yaml" 2>>"$W/log" &
	pid=$!
	i=0
	until grep -q "info: ready:" "$W/log" 2>/dev/null; do
		i=$((i + 1))
		kill -0 "$pid" 2>/dev/null || fail "trustedged exited during start"
		[ "$i" -lt 300 ] || fail "trustedged not ready after 30 s"
		sleep 0.1
	done
}

stop() {
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	pid=
	[ "$st" -eq 0 ] || fail "trustedged exited $st after SIGTERM"
}

sign() {
	curl -sS --unix-socket "$W/w.sock" -H 'Content-Type: application/json' \
		-d '{"keyId":"primary","algo":"HMACSHA256","data":"aGVsbG8="}' \
		'http://localhost/modules/alpha/genid/7/sign?api-version=2019-01-30' |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])'
}

# 1. The device key: 32 known bytes, imported onto the token.
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(100, 132)))' >"$W/key.bin"
"$TE" --config "$W/hsm.yaml" key import dev-sas --in "$W/key.bin" --type hmac-sha256 \
	--usage derive,sign || fail "cannot import the device key onto the token"
config "pkcs11:object=dev-sas"
start
got=$(sign) || fail "sign failed"
want=$(python3 -c '
import base64, hashlib, hmac
key = bytes(range(100, 132))
dd = b"trustedge-module-sas-v1\0alpha\x007\0primary"
mk = hmac.new(key, dd, hashlib.sha256).digest()
print(base64.b64encode(hmac.new(mk, b"hello", hashlib.sha256).digest()).decode())')
[ -n "$got" ] && [ "$got" = "$want" ] ||
	fail "digest '$got', expected $want (HMAC under the derived module key)"
echo "# sign with the token's device key: $got"

# 2. The module key lives on the token, and survives a restart.
stop
"$TE" --config "$W/hsm.yaml" key list | grep -q 'mod-' ||
	fail "no mod-* key on the token after a sign"
start
[ "$(sign)" = "$want" ] || fail "the digest changed after a restart"
stop
echo "# module key derived on the token, same digest after restart"

# 3. A URI that names no key: the daemon refuses to start, and says why.
config "pkcs11:object=no-such-key"
st=0
timeout 60 "$TD" -c "$W/config.yaml" 2>"$W/log" || st=$?
[ "$st" -ne 0 ] && [ "$st" -ne 124 ] || fail "trustedged did not refuse a key_uri naming no key ($st)"
grep -q "key_uri: no such key" "$W/log" || fail "no message naming the missing key"
grep -q "pkcs11:object=no-such-key" "$W/log" || fail "the message does not name the URI"
echo "# missing key_uri: start refused ($st), URI named"
echo "PASS"
