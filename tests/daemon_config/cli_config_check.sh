#!/bin/bash
# cli.config_check: `trustedge config check` accepts a good file (exit 0,
# a summary, --json {"valid":true,...}), refuses a bad one with exit 8 and
# FILE:LINE: key on stderr, and never prints the SharedAccessKey.
. "$(dirname "$0")/../integration/lib.sh"

KEY=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTIzNDU2Nzg=
C=$T/config.yaml
cat >"$C" <<YAML
hsm:
  backend: soft
  soft:
    store: $T/keys
state_dir: $T/state
sockets:
  workload:
    path: $T/run/workload.sock
    mode: "0660"
provisioning:
  source: manual
  connection_string: "HostName=hub.example.net;DeviceId=dev-1;SharedAccessKey=$KEY"
edge_ca:
  auto_generated_ca_lifetime_days: 30
  auto_renew: {threshold: "80%", retry: "4%", rotate_key: true}
modules:
  - name: sensor
    uid: 1000
limits:
  max_connections_per_uid: 20
YAML

note "valid file"
expect 0 "$TE" config check --config "$C"
grep -qF "valid" "$T/out" || fail "no 'valid' on stdout"
if grep -qF "$KEY" "$T/out" "$T/err"; then fail "key printed"; fi
[ ! -e "$T/keys" ] || fail "check created the key store"
[ ! -e "$T/state" ] || fail "check created the state directory"
expect 0 "$TE" config check --config="$C" --json
python3 - "$T/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is True, d
assert d["provisioning"]["device_id"] == "dev-1", d
assert d["provisioning"]["authentication"] == "sas", d
assert d["limits"]["max_connections_per_uid"] == 20, d
assert d["edge_ca"]["lifetime_days"] == 30, d
assert d["modules"] == 1, d
PY
if grep -qF "$KEY" "$T/out"; then fail "key in JSON"; fi

note "invalid file: exit 8, FILE:LINE: key"
B=$T/bad.yaml
sed 's/mode: "0660"/mode: "0666"/' "$C" >"$B"
expect 8 "$TE" config check --config "$B"
err_has "$B:9: sockets.workload.mode: world-writable"
sed 's/DeviceId=dev-1;/DeviceId=;/' "$C" >"$B"
expect 8 "$TE" config check --config "$B"
err_has "$B:12: provisioning.connection_string: connection string: DeviceId: empty value"
if grep -qF "$KEY" "$T/out" "$T/err"; then fail "key printed in an error"; fi
expect 8 "$TE" config check --config "$B" --json
python3 - "$T/out" "$B" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is False, d
assert d["error"].startswith(sys.argv[2] + ":12: provisioning.connection_string:"), d
PY
if grep -qF "$KEY" "$T/out"; then fail "key in JSON error"; fi
printf 'provisioning:\n  source: dps\n' >"$B"
expect 8 "$TE" config check --config "$B"
err_has "$B:2: provisioning.source: 'dps' is not supported yet"
printf 'lgo: {level: info}\n' >"$B"
expect 8 "$TE" config check --config "$B"
err_has "$B:1: lgo: unknown key (did you mean 'log'?)"

note "referenced files must exist"
printf 'provisioning:\n  source: manual\n  iothub_hostname: h\n  device_id: d\n  authentication: {method: sas, key_file: %s/missing.key}\n' "$T" >"$B"
expect 8 "$TE" config check --config "$B"
err_has "provisioning.authentication.key_file: cannot open '$T/missing.key'"
printf 'k' >"$T/missing.key"
expect 0 "$TE" config check --config "$B"

note "missing file and usage"
expect 8 "$TE" config check --config "$T/nope.yaml"
expect 2 "$TE" config check extra
expect 2 "$TE" config frob
expect 0 "$TE" config check --help
grep -qF "trustedge.yaml(5)" "$T/out" || fail "help lacks the man page"
echo "ok"
