#!/bin/bash
# cli.json: with --json every command prints exactly one JSON object with
# the documented fields, on success and on failure.
. "$(dirname "$0")/lib.sh"

D=$T/data
printf 'json test data\n' >"$D"
J() { te --json "$@"; }

note "create, import, derive, info"
expect 0 J key create j1 --type ec-p256
jcheck 'd["name"] == "j1" and d["type"] == "ec-p256" and "sign" in d["usage"] and d["exportable"] is False and set(d) == {"name", "type", "usage", "exportable"}'
expect 0 te key create j2 --type hmac-sha256 --usage sign,derive --exportable --json
jcheck 'd["name"] == "j2" and d["type"] == "hmac-sha256" and sorted(d["usage"]) == ["derive", "sign"] and d["exportable"] is True'
head -c 32 /dev/urandom >"$T/aes.key"
expect 0 J key import j3 --in "$T/aes.key" --type aes-256-gcm
jcheck 'd["name"] == "j3" and d["type"] == "aes-256-gcm" and d["usage"] == ["encrypt"] and d["exportable"] is False'
expect 0 J key derive j2 j4 --data ctx
jcheck 'd["name"] == "j4" and d["type"] == "hmac-sha256" and d["usage"] == ["sign"] and d["exportable"] is False'
expect 0 J key info j1
jcheck 'd == {"name": "j1", "type": "ec-p256", "usage": d["usage"], "exportable": False} and "sign" in d["usage"]'
expect 0 "$TE" --json --store "$S" key info j2
jcheck 'd["name"] == "j2"'

note "list"
expect 0 J key list
jcheck 'list(d) == ["keys"] and [k["name"] for k in d["keys"]] == ["j1", "j2", "j3", "j4"] and all(set(k) == {"name", "type", "usage", "exportable"} for k in d["keys"])'

note "exists"
expect 0 J key exists j1
jcheck 'd == {"name": "j1", "exists": True}'
expect 3 J key exists nope
jcheck 'd == {"name": "nope", "exists": False}'

note "public"
expect 0 J key public j1
jcheck 'd["name"] == "j1" and d["pem"].startswith("-----BEGIN PUBLIC KEY-----")'
jget pem >"$T/j1.pem"
openssl pkey -pubin -in "$T/j1.pem" -noout
expect 0 J key public j1 --der
te key public j1 --der >"$T/j1.der"
jcheck '__import__("base64").b64decode(d["der"]) == open("'"$T"'/j1.der", "rb").read()'

note "sign, verify"
expect 0 J key sign j1 --in "$D"
jcheck 'd["name"] == "j1" and d["alg"] == "ecdsa-sha256" and len(d["signature"]) > 0'
python3 -c 'import base64, json, sys; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["signature"]))' "$T/out" >"$T/j1.sig"
openssl dgst -sha256 -verify "$T/j1.pem" -signature "$T/j1.sig" "$D" >/dev/null
expect 0 J key verify j1 --in "$D" --sig "$T/j1.sig"
jcheck 'd == {"valid": True}'
flip "$T/j1.sig" -1
expect 6 J key verify j1 --in "$D" --sig "$T/j1.sig"
jcheck 'd == {"valid": False}'
expect 0 J key sign j2 --in "$D" --out "$T/j2.mac"
jcheck 'd["alg"] == "hmac-sha256" and __import__("base64").b64decode(d["signature"]) == open("'"$T"'/j2.mac", "rb").read()'

note "encrypt, decrypt"
expect 0 J key encrypt j3 --in "$D"
jcheck 'list(d) == ["output"]'
python3 -c 'import base64, json, sys; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["output"]))' "$T/out" >"$T/ct"
expect 0 J key decrypt j3 --in "$T/ct"
jcheck '__import__("base64").b64decode(d["output"]) == open("'"$D"'", "rb").read()'
expect 0 J key encrypt j3 --in "$D" --out "$T/ct2"
jcheck 'd["out"] == "'"$T"'/ct2" and d["length"] == '"$(($(wc -c <"$D") + 29))"
expect 0 te key decrypt j3 --in "$T/ct2" --out "$T/pt2"
same "$D" "$T/pt2"

note "export, delete"
expect 0 J key export j2
jcheck 'd["name"] == "j2" and len(__import__("base64").b64decode(d["key"])) == 32'
expect 0 J key create j5 --type ed25519 --exportable
expect 0 J key export j5
jcheck 'd["name"] == "j5" and "PRIVATE KEY" in d["pem"]'
expect 0 J key delete j5
jcheck 'd == {"deleted": "j5"}'

note "errors"
expect 3 J key info nope
jcheck 'list(d) == ["error"] and d["error"]["code"] == "TE_ERR_NOT_FOUND" and "nope" in d["error"]["message"]'
err_one_line
err_has "nope"
expect 4 J key create j1 --type ec-p256
jcheck 'd["error"]["code"] == "TE_ERR_EXISTS"'
expect 5 J key export j1
jcheck 'd["error"]["code"] == "TE_ERR_PERMISSION"'
expect 2 J key create ../x --type ec-p256
jcheck 'd["error"]["code"] == "TE_ERR_BAD_NAME"'
expect 2 J key list --bogus
jcheck 'd["error"]["code"] == "TE_ERR_INVALID_ARG" and "--bogus" in d["error"]["message"]'
expect 2 J key create x --type frob
jcheck 'd["error"]["code"] == "TE_ERR_INVALID_ARG"'
cp "$S/keys/j1.tek" "$T/j1.tek"
flip "$S/keys/j1.tek" 30
expect 7 J key sign j1 --in "$D"
jcheck 'd["error"]["code"] in ("TE_ERR_TAMPERED", "TE_ERR_MALFORMED", "TE_ERR_TRUNCATED") and "j1" in d["error"]["message"]'
cp "$T/j1.tek" "$S/keys/j1.tek"
printf 'hsm:\n  backend: nope\n' >"$T/bad.yaml"
expect 8 "$TE" --json --config "$T/bad.yaml" key list
jcheck 'd["error"]["code"] == "TE_ERR_CONFIG" and "bad.yaml:2" in d["error"]["message"]'
note "ok"
