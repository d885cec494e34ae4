#!/bin/sh
# run.sh TRUSTEDGED - the real-client test (ctest npm.module_client).
#
# Starts trustedged with a manually provisioned device whose SAS key the
# test generated, runs tests/npm/module_client.js (the npm package
# azure-iot-device: ModuleClient.fromEnvironment and its IoT Edge
# authentication provider) with the IOTEDGE_* environment a module gets,
# and checks what the client produced without asking the daemon again:
#
#   - the SAS token's sig is base64(HMAC-SHA256(module_key, sr "\n" se))
#     with module_key = HMAC-SHA256(device key, "trustedge-module-sas-v1"
#     0x00 module 0x00 genid 0x00 "primary") (src/daemon/keys.c), sr the
#     URL-encoded "<hub>/devices/<device>/modules/<module>" and se in the
#     future;
#   - the CA the client configured is the daemon's trust bundle;
#   - the same client naming a module the caller is not gets 403;
#   - SIGTERM stops the daemon with exit status 0.
#
# Exit 77 (skipped) when node or the npm packages are missing: run
# scripts/setup-npm.sh (scripts/setup.sh calls it).  Nothing downloads.
set -u

daemon=${1:?usage: run.sh TRUSTEDGED}
here=$(cd "$(dirname "$0")" && pwd)

skip() {
	echo "SKIP: $*"
	exit 77
}

command -v node >/dev/null 2>&1 || skip "node not found (run scripts/setup.sh, then scripts/setup-npm.sh)"
for p in azure-iot-device azure-iot-device-mqtt; do
	[ -f "$here/node_modules/$p/package.json" ] ||
		skip "npm package $p is not installed in tests/npm/node_modules; run scripts/setup-npm.sh"
done
command -v curl >/dev/null 2>&1 || skip "curl not found (run scripts/setup.sh)"

# The client must take the IoT Edge path of fromEnvironment.
unset EdgeHubConnectionString IotHubConnectionString EdgeModuleCACertificateFile

tmp=""
pid=""
# Is the daemon still running?  (An exited child the shell has not reaped
# yet is a zombie, which kill -0 still finds.)
alive() {
	kill -0 "$pid" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}
cleanup() {
	if [ -n "$pid" ] && alive; then
		kill -TERM "$pid" 2>/dev/null
		i=0
		while [ $i -lt 50 ] && alive; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null
	fi
	[ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
	echo "FAIL: $*" >&2
	if [ -n "$tmp" ] && [ -s "$tmp/daemon.log" ]; then
		echo "--- trustedged log ---" >&2
		sed 's/^/  /' "$tmp/daemon.log" >&2
		echo "--- end of log ---" >&2
	fi
	exit 1
}

[ -x "$daemon" ] || fail "trustedged not found or not executable: $daemon"

# Unix socket paths are limited to 107 bytes; keep the directory short.
base=${TMPDIR:-/tmp}
[ ${#base} -le 60 ] || base=/tmp
tmp=$(mktemp -d "$base/te-npm.XXXXXX") || fail "mktemp failed"
mkdir -m 700 "$tmp/run" "$tmp/state" || fail "mkdir failed"

sock="$tmp/run/workload.sock"
hub=testhub.azure-devices.net
device=edge-01
module=sensor
other=other
genid=638412345678901234
me=$(id -u)
other_uid=4242
[ "$me" -ne "$other_uid" ] || other_uid=4243

# The device's SAS key: 32 random bytes, base64, made here so the test
# can derive the module key on its own.
key=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))') ||
	fail "cannot generate the device key"

cfg="$tmp/config.yaml"
cat >"$cfg" <<EOF
hsm:
  backend: soft
  soft:
    store: $tmp/keys
state_dir: $tmp/state
sockets:
  workload: {path: $tmp/run/workload.sock}
  keys: {path: $tmp/run/keys.sock}
  certs: {path: $tmp/run/certs.sock}
  identity: {path: $tmp/run/identity.sock}
  management: {path: $tmp/run/mgmt.sock}
provisioning:
  source: manual
  connection_string: "HostName=$hub;DeviceId=$device;SharedAccessKey=$key"
modules:
  - name: $module
    uid: $me
    generation_id: "$genid"
  - name: $other
    uid: $other_uid
log:
  level: debug
EOF

"$daemon" -c "$cfg" >"$tmp/daemon.log" 2>&1 &
pid=$!

# Wait (at most 10 s) for the workload socket to serve the trust bundle.
deadline=$(($(date +%s) + 10))
code=""
while :; do
	alive || {
		wait "$pid"
		st=$?
		pid=""
		fail "trustedged exited during start-up (status $st)"
	}
	if [ -S "$sock" ]; then
		code=$(curl -s -o "$tmp/trust-bundle.json" -w '%{http_code}' --max-time 2 \
			--unix-socket "$sock" 'http://localhost/trust-bundle?api-version=2018-06-28') || code=""
		[ "$code" != 200 ] || break
	fi
	[ "$(date +%s)" -lt "$deadline" ] || fail "workload socket did not answer 200 within 10 s (last status: ${code:-none})"
	sleep 0.1
done

# The real client, as the module "sensor".
run_client() {
	IOTEDGE_WORKLOADURI="unix://$sock" \
	IOTEDGE_MODULEID="$1" \
	IOTEDGE_MODULEGENERATIONID="$genid" \
	IOTEDGE_DEVICEID="$device" \
	IOTEDGE_IOTHUBHOSTNAME="$hub" \
	IOTEDGE_GATEWAYHOSTNAME="gateway.local" \
	IOTEDGE_APIVERSION=2018-06-28 \
	IOTEDGE_AUTHSCHEME=sasToken \
		node "$here/module_client.js" >"$tmp/client.$1.out" 2>"$tmp/client.$1.err"
}

run_client "$module"
st=$?
if [ $st -ne 0 ]; then
	cat "$tmp/client.$module.err" >&2
	fail "module_client.js as '$module' exited with status $st"
fi

# Independent check of the token and the CA (node's crypto only; neither
# the SDK nor the daemon is involved).
node - "$tmp/client.$module.out" "$tmp/trust-bundle.json" "$key" "$hub" "$device" "$module" \
	"$genid" <<'EOF' || fail "the client's token or CA does not match"
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const [outFile, tbFile, keyB64, hub, device, module, genid] = process.argv.slice(2);
let bad = 0;
const check = (ok, what) => {
	if (!ok) {
		console.error('check failed: ' + what);
		bad++;
	}
};
const out = JSON.parse(fs.readFileSync(outFile, 'utf8'));
const tb = JSON.parse(fs.readFileSync(tbFile, 'utf8'));

// Token: "SharedAccessSignature sr=<sr>&sig=<urlencoded b64>&se=<epoch s>".
const prefix = 'SharedAccessSignature ';
check(typeof out.token === 'string' && out.token.startsWith(prefix), 'token prefix');
const fields = {};
for (const kv of String(out.token).slice(prefix.length).split('&')) {
	const i = kv.indexOf('=');
	check(i > 0 && !(kv.slice(0, i) in fields), 'token field ' + kv);
	fields[kv.slice(0, i)] = kv.slice(i + 1);
}
check(Object.keys(fields).sort().join(',') === 'se,sig,sr', 'token fields are sr, sig, se');
const sr = `${hub}%2Fdevices%2F${device}%2Fmodules%2F${module}`;
check(fields.sr === sr, `sr is ${sr} (got ${fields.sr})`);
const now = Math.floor(Date.now() / 1000);
const se = Number(fields.se);
check(/^[0-9]+$/.test(fields.se || '') && se > now && se < now + 86400,
	`se ${fields.se} is within a day in the future (now ${now})`);

const deviceKey = Buffer.from(keyB64, 'base64');
check(deviceKey.length === 32, 'device key is 32 bytes');
const deriv = Buffer.concat([Buffer.from('trustedge-module-sas-v1'), Buffer.from([0]),
	Buffer.from(module), Buffer.from([0]), Buffer.from(genid), Buffer.from([0]),
	Buffer.from('primary')]);
const moduleKey = crypto.createHmac('sha256', deviceKey).update(deriv).digest();
const expected = crypto.createHmac('sha256', moduleKey).update(`${sr}\n${fields.se}`).digest('base64');
let sig = null;
try {
	sig = decodeURIComponent(fields.sig || '');
} catch (e) {
	check(false, 'sig is URL-encoded');
}
check(sig === expected, `sig is base64(HMAC-SHA256(module key, sr "\\n" se)) = ${expected} (got ${sig})`);
const withDeviceKey = crypto.createHmac('sha256', deviceKey).update(`${sr}\n${fields.se}`).digest('base64');
check(sig !== withDeviceKey, 'sig is not made with the device key itself');

// CA: what the client configured is the daemon's trust bundle.
check(typeof tb.certificate === 'string' && tb.certificate.includes('-----BEGIN CERTIFICATE-----'),
	'daemon trust bundle is PEM');
check(out.ca === tb.certificate, "the client's CA equals the daemon's trust bundle");
process.exit(bad ? 1 : 0);
EOF

# The device key must not show up in the daemon's log, even at debug.
if grep -F -e "$key" "$tmp/daemon.log" >/dev/null; then
	fail "the device key appears in the daemon's log"
fi

# Negative: the same client naming a module this uid is not.
run_client "$other"
st=$?
if [ $st -eq 0 ]; then
	fail "module_client.js as '$other' (uid $other_uid, caller uid $me) succeeded"
fi
[ ! -s "$tmp/client.$other.out" ] || fail "module_client.js as '$other' printed a token"
node -e '
const e = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
if (e.status !== 403) {
	console.error("expected status 403, got " + JSON.stringify(e));
	process.exit(1);
}' "$tmp/client.$other.err" || {
	cat "$tmp/client.$other.err" >&2
	fail "module_client.js as '$other' did not fail with 403 from the daemon"
}

# SIGTERM: the daemon drains and exits 0.
alive || fail "trustedged died during the test"
kill -TERM "$pid"
i=0
while [ $i -lt 100 ] && alive; do
	sleep 0.1
	i=$((i + 1))
done
if alive; then
	fail "trustedged did not exit within 10 s of SIGTERM"
fi
wait "$pid"
st=$?
pid=""
[ $st -eq 0 ] || fail "trustedged exited with status $st after SIGTERM"

echo "PASS: azure-iot-device ModuleClient.fromEnvironment token and trust bundle verified"
exit 0
