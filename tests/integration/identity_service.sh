#!/bin/sh
# daemon.identity_service: the identity service (aziot-identityd API,
# api-versions 2020-09-01, 2021-12-01, 2022-08-01) over the real daemon's
# identity socket, driven with curl --unix-socket like a client of that
# API, with real uids.
#
# The configuration has a connection string (the device key is known
# here) and two modules, each a system user; a third user is no module.
# The identity and keys sockets are mode 0660 with a group the callers
# connect with (being in it makes nobody a module).
#
#   - root (an administrator) gets the device identity from GET
#     /identities/identity and POST /identities/device; its keyHandle signs
#     on the keys socket (POST /sign, HMAC-SHA256 over "sr\nse") exactly
#     HMAC-SHA256(device key, msg), computed here with python;
#   - each module's uid gets its own module identity (moduleId, genId);
#     its keyHandle signs exactly what the workload API's sign gives that
#     module and generation id, and HMAC(HMAC(device key, derivation data),
#     msg) computed here;
#   - handles are bound to their uid: another uid presenting one is refused;
#     they sign only (derive, delete, export refused);
#   - GET /identities/modules and /identities/modules/{id} (root: all;
#     a module: its own only), provisioning ({"source":"manual","auth":
#     "sas"}, no key), reprovision (204), module create/update/delete (403),
#     the stranger (403), the trust bundle (the workload API's, byte for
#     byte), bad api-version (400), unknown route (404), method (405).
#
# Usage: identity_service.sh TRUSTEDGE_CLI TRUSTEDGED
. "$(dirname "$0")/daemon_lib.sh"

need_tools curl python3 base64
need_users

M1=te-it-idsensor
M2=te-it-idcamera
X=te-it-idnone
G=te-it-idsvc
for _u in "$M1" "$M2" "$X" "$G"; do d_user "$_u"; done
M1_UID=$(id -u "$M1")
M2_UID=$(id -u "$M2")
[ "$M1_UID" -ne "$M2_UID" ] || fail "test users are not distinct"

HUB=hub.example.net
DEVICE=edge-1
KEYHEX=0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0
KEYB64=$(hex2bin "$KEYHEX" | base64 | tr -d '\n')
MSG_TEXT='sr
se'
MSG=$(b64 "$MSG_TEXT")
IV0=api-version=2020-09-01
IV1=api-version=2021-12-01
IV2=api-version=2022-08-01
KV=api-version=2020-09-01

# Not d_config: the keys and identity sockets need the callers' group.
cat >"$CFG" <<EOF
hsm:
  backend: soft
  soft:
    store: $HSM
state_dir: $STATE
sockets:
  workload: {path: $R/workload.sock, mode: "0660", group: $G}
  keys: {path: $R/keys.sock, mode: "0660", group: $G}
  certs: {path: $R/certs.sock}
  identity: {path: $R/identity.sock, mode: "0660", group: $G}
  management: {path: $R/mgmt.sock}
provisioning:
  source: manual
  connection_string: "HostName=$HUB;DeviceId=$DEVICE;SharedAccessKey=$KEYB64"
modules:
  - name: sensor
    uid: $M1_UID
    generation_id: "637"
  - name: camera
    uid: $M2_UID
    generation_id: "1"
log:
  level: info
EOF
d_start
note "trustedged $DPID serves the identity service on $R/identity.sock"

on_identity() { SOCK=$R/identity.sock; }
on_keys() { SOCK=$R/keys.sock; }
on_workload() { SOCK=$R/workload.sock; }

# who NAME: the req -u argument of a caller ("" for root).
who() {
	case $1 in
	root) echo "" ;;
	sensor) echo "$M1:$G" ;;
	camera) echo "$M2:$G" ;;
	none) echo "$X:$G" ;;
	*) fail "who: $1" ;;
	esac
}

# as CALLER req-args...: req as that caller.
as() {
	_u=$(who "$1")
	shift
	if [ -n "$_u" ]; then req -u "$_u" "$@"; else req "$@"; fi
}

# identity_is MODULE|- GENID|-: the last answer is an aziot identity of
# the device (-) or of MODULE, with a SAS key handle; prints the handle.
identity_is() {
	expect_http 200
	python3 - "$T/out" "$HUB" "$DEVICE" "$1" "$2" <<'EOF' || fail "not the expected identity: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
hub, dev, mod, gen = sys.argv[2:6]
assert set(d) == {"type", "spec"} and d["type"] == "aziot", d
s = d["spec"]
want = {"hubName", "gatewayHost", "deviceId", "auth"}
if mod != "-":
    want |= {"moduleId", "genId"}
assert set(s) == want, s
assert s["hubName"] == hub and s["gatewayHost"] == hub and s["deviceId"] == dev, s
if mod != "-":
    assert s["moduleId"] == mod and s["genId"] == gen, s
a = s["auth"]
assert set(a) == {"type", "keyHandle"} and a["type"] == "sas", a
assert len(a["keyHandle"]) > 40 and all(c.isalnum() or c in "-_" for c in a["keyHandle"]), a
EOF
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["spec"]["auth"]["keyHandle"])' "$T/out"
}

# sign_with CALLER HANDLE: POST /sign on the keys socket; the signature
# (base64) into SIG.
sign_with() {
	on_keys
	as "$1" -d "{\"keyHandle\":\"$2\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$MSG\"}}" POST "/sign?$KV"
	expect_http 200 "$1: POST /sign with an identity key handle"
	jcheck 'set(d) == {"signature"}'
	SIG=$(jget signature)
	on_identity
}

# expect_hmac SIG MODULE|- GENID: SIG is HMAC(device key, msg), or for a
# module HMAC(HMAC(device key, derivation data), msg), keys.c's derivation.
expect_hmac() {
	python3 - "$1" "$KEYHEX" "$2" "$3" <<'EOF' || fail "signature is not the expected HMAC for $2"
import base64, hashlib, hmac, sys
sig, keyhex, mod, gen = sys.argv[1:5]
key = bytes.fromhex(keyhex)
msg = b"sr\nse"
if mod != "-":
    dd = b"\0".join([b"trustedge-module-sas-v1", mod.encode(), gen.encode(), b"primary"])
    key = hmac.new(key, dd, hashlib.sha256).digest()
want = hmac.new(key, msg, hashlib.sha256).digest()
sys.exit(0 if base64.b64decode(sig, validate=True) == want else 1)
EOF
}

on_identity

# ---- the device identity, as root ---------------------------------------------

for _v in $IV0 $IV1 $IV2; do
	req GET "/identities/identity?$_v"
	identity_is - - >/dev/null
done
req GET "/identities/identity?$IV2"
H_DEV=$(identity_is - -) || exit 1
sign_with root "$H_DEV"
expect_hmac "$SIG" - -
note "root: the device identity; its handle signs HMAC(device key, \"sr\\nse\")"
req -d '{"type":"aziot"}' POST "/identities/device?$IV1"
H_DEV2=$(identity_is - -) || exit 1
[ "$H_DEV2" != "$H_DEV" ] || fail "two handles of the device identity are the same text"
sign_with root "$H_DEV2"
expect_hmac "$SIG" - -

# ---- the module identities, as the modules ----------------------------------

for _m in sensor:637 camera:1; do
	_name=${_m%%:*}
	_gen=${_m#*:}
	as "$_name" GET "/identities/identity?$IV1"
	_h=$(identity_is "$_name" "$_gen") || exit 1
	sign_with "$_name" "$_h"
	_isig=$SIG
	expect_hmac "$_isig" "$_name" "$_gen"
	# The workload API's sign for the same module and generation.
	on_workload
	sign "$_name" "$_gen" "$MSG_TEXT" primary "$(who "$_name")"
	on_identity
	[ "$DIGEST" = "$_isig" ] || fail "$_name: identity handle signs $_isig, the workload API $DIGEST"
	as "$_name" GET "/identities/modules/$_name?$IV2&type=aziot"
	identity_is "$_name" "$_gen" >/dev/null
	eval "H_$_name=\$_h"
done
note "modules: their identities; each handle signs what the workload API signs"

# ---- handles are bound to their uid and sign only ---------------------------

on_keys
# shellcheck disable=SC2154
as camera -d "{\"keyHandle\":\"$H_sensor\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$MSG\"}}" POST "/sign?$KV"
expect_error 403 "the caller may not use this key"
as sensor -d "{\"keyHandle\":\"$H_DEV\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$MSG\"}}" POST "/sign?$KV"
expect_error 403 "the caller may not use this key"
req -d "{\"keyHandle\":\"$H_sensor\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$MSG\"}}" POST "/sign?$KV"
expect_error 403 "the caller may not use this key"
as sensor -d "{\"baseKeyHandle\":\"$H_sensor\",\"derivationData\":\"$MSG\"}" POST "/derivedkey?$KV"
expect_error 403 "the caller may not use this key"
as sensor -d "{\"keyHandle\":\"$H_sensor\"}" POST "/derivedkey/export?$KV"
expect_error 403 "the caller may not use this key"
req -d "{\"keyHandle\":\"$H_DEV\"}" DELETE "/key?$KV"
expect_error 403 "the caller may not use this key"
# One character changed.
BAD=$(python3 -c 'import sys; h = sys.argv[1]; print(h[:30] + ("B" if h[30] == "A" else "A") + h[31:])' "$H_DEV")
req -d "{\"keyHandle\":\"$BAD\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$MSG\"}}" POST "/sign?$KV"
expect_error 403 "the caller may not use this key"
on_identity
d_wait_log "audit: caller uid=$M1_UID op=identity-sign key=device-sas result=allowed status=200" 5 0 ||
	fail "no audit line for the module's identity sign"
note "handles: bound to their uid, sign only"

# ---- who may see what ---------------------------------------------------------

req GET "/identities/modules?$IV1"
expect_http 200
python3 - "$T/out" <<'EOF' || fail "GET /identities/modules: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"identities"}
got = sorted((i["spec"]["moduleId"], i["spec"]["genId"]) for i in d["identities"])
assert got == [("camera", "1"), ("sensor", "637")], got
assert all(i["spec"]["auth"]["keyHandle"] for i in d["identities"])
EOF
req GET "/identities/modules/camera?$IV1"
H_CAM_ROOT=$(identity_is camera 1) || exit 1
# Root's handle to the camera's key signs for root, as the camera's does.
sign_with root "$H_CAM_ROOT"
expect_hmac "$SIG" camera 1
as sensor GET "/identities/modules/camera?$IV1"
expect_error 403 "a module may read its own identity only; an administrator any"
as sensor GET "/identities/modules/nobody?$IV1"
expect_error 403 "a module may read its own identity only; an administrator any"
req GET "/identities/modules/nobody?$IV1"
expect_error 404 "no module with this id is configured"
as sensor GET "/identities/modules?$IV1"
expect_error 403 "only an administrator (uid 0 or the daemon's uid) may list the module identities"
as sensor -d '{"type":"aziot"}' POST "/identities/device?$IV1"
expect_error 403 "only an administrator (uid 0 or the daemon's uid) may read the device identity"
d_mark_log
as none GET "/identities/identity?$IV1"
expect_error 403 "the caller is neither a configured module nor an administrator (uid 0 or the daemon's uid)"
d_wait_log "audit: identity caller uid=$(id -u "$X")" 5 || fail "no audit line for the refused stranger"
as none GET "/identities/modules/sensor?$IV1"
expect_error 403 "a module may read its own identity only; an administrator any"
req GET "/identities/modules?$IV1&type=local"
expect_error 501 "local identities are not supported"
note "access: root all, a module itself, a stranger nothing"

# ---- module identities come from the configuration ---------------------------

FROM_CONFIG="module identities come from the configuration file: add or remove modules there and reload the daemon (SIGHUP)"
req -d '{"type":"aziot","moduleId":"new"}' POST "/identities/modules?$IV1"
expect_error 403 "$FROM_CONFIG"
req -d '{"type":"aziot","moduleId":"sensor"}' PUT "/identities/modules/sensor?$IV1"
expect_error 403 "$FROM_CONFIG"
req DELETE "/identities/modules/sensor?$IV1&type=aziot"
expect_error 403 "$FROM_CONFIG"

# ---- provisioning, reprovision, trust bundle ----------------------------------

for _who in root sensor none; do
	as "$_who" GET "/identities/provisioning?$IV1"
	expect_http 200
	jcheck 'd == {"source": "manual", "auth": "sas"}'
done
if grep -qF "$KEYB64" "$T/out"; then fail "the provisioning answer holds the device key"; fi
req GET "/identities/provisioning?$IV0"
expect_error 404 "not found in this api-version"
req -d '{"type":"aziot"}' POST "/identities/device/reprovision?$IV1"
expect_http 204
[ "$(tr -d '\n' <"$T/out")" = "" ] || fail "204 with a body: $(cat "$T/out")"
req POST "/identities/device/reprovision?$IV2"
expect_http 204
as sensor -d '{"type":"aziot"}' POST "/identities/device/reprovision?$IV1"
expect_error 403 "only an administrator (uid 0 or the daemon's uid) may reprovision the device"

as camera GET "/trust-bundle?$IV1"
expect_http 200
jcheck 'set(d) == {"certificate"} and "BEGIN CERTIFICATE" in d["certificate"]'
cp "$T/out" "$T/id_bundle.json"
on_workload
req GET "/trust-bundle?$V"
expect_http 200
on_identity
python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
	"$T/id_bundle.json" "$T/out" || fail "the identity and workload trust bundles differ"
note "provisioning names no key; reprovision is a no-op (204); trust bundle = the workload one"

# ---- refusals of the request ----------------------------------------------------

req GET "/identities/identity?api-version=2021-05-01"
expect_error 400 "invalid api-version"
req GET "/identities/identity"
expect_error 400 "invalid api-version"
req GET "/identities/nothing?$IV1"
expect_error 404 "not found"
req PATCH "/identities/identity?$IV1"
expect_error 405 "method not allowed"
req -d '{"type":"local"}' POST "/identities/device?$IV1"
expect_error 400 "field 'type' must be \"aziot\""
req -t text/plain -d '{"type":"aziot"}' POST "/identities/device?$IV1"
expect_error 415 "request body must be application/json"
req -d '{"type":' POST "/identities/device?$IV1"
expect_error 422 "request body is not valid JSON"

# The workload socket still answers, the daemon is clean.
on_workload
req GET "/modules?$V"
expect_http 200
d_no_sanitizer
d_stop
[ "$D_STATUS" -eq 0 ] || fail "trustedged exited with $D_STATUS"
d_no_sanitizer
note "identity service: all checks passed"
