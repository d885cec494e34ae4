#!/bin/bash
# cli.errors: exit codes and messages for every kind of failure, and that a
# failed operation leaves the store as it was.
. "$(dirname "$0")/lib.sh"

D=$T/data
printf 'some data to sign\n' >"$D"
K=$S/keys

# --- usage errors (2) ---------------------------------------------------------
note "usage"
expect 2 "$TE"
err_has "missing command"
err_has "Usage:"
expect 2 "$TE" frobnicate
err_has "unknown command 'frobnicate'"
err_has "Usage:"
expect 2 te key
expect 2 te key frobnicate
err_has "unknown key command 'frobnicate'"
expect 2 te key list --bogus
err_has "unknown option '--bogus'"
err_has "Usage:"
expect 2 "$TE" --bogus --store "$S" key list
err_has "unknown option '--bogus'"
expect 2 "$TE" -x key list
expect 2 te key list --type ec-p256
err_has "unknown option '--type'"
expect 2 te key create
err_has "missing argument NAME"
expect 2 te key create a b --type ec-p256
err_has "unexpected argument 'b'"
expect 2 te key create a
err_has "missing --type"
expect 2 te key create a --type ec-p256 --type ec-p384
expect 2 te key create a --type
err_has "needs a value"
expect 2 te key create a --type frob
err_has "unknown key type 'frob'"
err_has "ec-p256"
expect 2 te key create a --type ec-p256 --usage frob
expect 2 te key create a --type ec-p256 --exportable=yes
expect 2 te key sign a
err_has "missing --in"
expect 2 te key derive a b
expect 2 te key derive a b --data x --data-file "$D"
expect 2 "$TE" --store "$S" --config "$T/c.yaml" key list
expect 2 te key verify a --in - --sig -
err_has "standard input"
expect 2 te key encrypt a --in - --aad -
expect 2 te key sign a --in "$D" --alg frob
err_has "unknown algorithm 'frob'"
# Bad names are refused before the store is touched.
for bad in ../x a/b .hidden "" "a b" "$(printf 'x%.0s' $(seq 1 129))"; do
	expect 2 te key create "$bad" --type ec-p256
	err_one_line
done
expect 2 te key info ../x
[ -z "$(ls -A "$K" 2>/dev/null)" ] || fail "usage errors created key files"
# `--` ends options; a name may then start with '-'.
expect 0 te key create --type ec-p256 -- -dash
expect 0 te key info -- -dash
expect 0 te key delete -- -dash

# --- not found (3), exists (4) --------------------------------------------------
note "not found, exists"
expect 3 te key info nope
err_one_line
err_has "nope"
expect 3 te key sign nope --in "$D"
err_has "nope"
expect 3 te key delete nope
expect 3 te key public nope
expect 3 te key exists nope
[ ! -s "$T/err" ] || fail "key exists printed an error"
expect 0 te key create a --type ec-p256
cp "$K/a.tek" "$T/a.tek.orig"
expect 0 te key exists a
expect 4 te key create a --type ec-p256
err_has "'a'"
same "$K/a.tek" "$T/a.tek.orig"
expect 4 te key create a --type hmac-sha256
same "$K/a.tek" "$T/a.tek.orig"
printf '0123456789abcdef0123456789abcdef' >"$T/raw"
expect 4 te key import a --in "$T/raw" --type aes-256-gcm
same "$K/a.tek" "$T/a.tek.orig"
expect 1 te key sign a --in "$T/does-not-exist"
err_has "does-not-exist"

# --- not permitted (5) -------------------------------------------------------------
note "not permitted"
expect 0 te key create enc --type rsa-2048 --usage encrypt
expect 5 te key sign enc --in "$D"
err_one_line
err_has "enc"
expect 0 te key create sig --type rsa-2048 --usage sign
expect 5 te key encrypt sig --in "$D"
expect 5 te key export a
err_has "'a'"
[ ! -s "$T/out" ] || fail "refused export printed something"
expect 5 te key export a --out "$T/a.pem"
[ ! -e "$T/a.pem" ] || fail "refused export created its output file"
expect 0 te key create h --type hmac-sha256
expect 5 te key derive h h2 --data x
expect 3 te key exists h2

# --- export of exportable keys ----------------------------------------------------------
note "export"
expect 0 te key create ex --type ec-p256 --exportable
expect 0 te key export ex --out "$T/ex.pem"
[ "$(stat -c %a "$T/ex.pem")" = 600 ] || fail "exported key file is not mode 0600"
# Exported over a world-readable file, the secret does not stay readable.
: >"$T/ex2.pem"
chmod 644 "$T/ex2.pem"
expect 0 te key export ex --out "$T/ex2.pem"
[ "$(stat -c %a "$T/ex2.pem")" = 600 ] || fail "export kept a world-readable mode"
same "$T/ex.pem" "$T/ex2.pem"
openssl pkey -in "$T/ex.pem" -noout
openssl pkey -in "$T/ex.pem" -pubout >"$T/ex.pub1"
te key public ex >"$T/ex.pub2"
same "$T/ex.pub1" "$T/ex.pub2"
te key export ex | openssl pkey -noout
expect 0 te key create exh --type hmac-sha256 --exportable
te key export exh >"$T/exh.key"
[ "$(wc -c <"$T/exh.key")" -eq 32 ] || fail "exported HMAC key is not 32 bytes"
hk=$(bin2hex "$T/exh.key")
te key sign exh --in "$D" >"$T/exh.sig"
openssl dgst -sha256 -mac HMAC -macopt hexkey:"$hk" -binary "$D" >"$T/exh.ref"
same "$T/exh.sig" "$T/exh.ref"

# --- stored data tampered, truncated, swapped (7) -----------------------------------------
note "tampered store"
expect 0 te key create t1 --type ec-p256
expect 0 te key create t2 --type ec-p256
# check7 KEY: every read of KEY fails with 7, names the key, changes nothing.
check7() {
	cp "$K/$1.tek" "$T/before"
	expect 7 te key info "$1"
	err_one_line
	err_has "$1"
	expect 7 te key sign "$1" --in "$D"
	err_has "$1"
	[ ! -s "$T/out" ] || fail "signing with a bad key file printed output"
	expect 7 te key public "$1"
	expect 7 te key exists "$1"
	expect 4 te key create "$1" --type ec-p256
	# list shows every other key, marks this one, and fails.
	expect 7 te key list
	grep -q "^$1 .*DAMAGED" "$T/out" || fail "list does not mark $1 as damaged"
	grep -q "^t2 .*ec-p256" "$T/out" || fail "list hides t2 behind a damaged key"
	err_has "first: '$1'"
	expect 7 te --json key list
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); \
		e=[k for k in d["keys"] if k["name"]==sys.argv[2]][0]; \
		assert e["error"]["code"] in ("TE_ERR_TAMPERED","TE_ERR_TRUNCATED","TE_ERR_MALFORMED"); \
		assert "type" not in e; \
		assert any(k["name"]=="t2" and k["type"]=="ec-p256" for k in d["keys"])' "$T/out" "$1" \
		|| fail "json list of a damaged store is wrong"
	same "$K/$1.tek" "$T/before"
}
cp "$K/t1.tek" "$T/t1.good"
size=$(wc -c <"$K/t1.tek")
for off in 0 4 5 6 7 8 20 23 30 $((size / 2)) -17 -1; do
	cp "$T/t1.good" "$K/t1.tek"
	flip "$K/t1.tek" "$off"
	check7 t1
done
for len in 0 1 10 23 24 40 $((size - 1)); do
	head -c "$len" "$T/t1.good" >"$K/t1.tek"
	check7 t1
done
# Trailing garbage.
cp "$T/t1.good" "$K/t1.tek"
printf 'x' >>"$K/t1.tek"
check7 t1
# Another key's file under this key's name.
cp "$K/t2.tek" "$K/t1.tek"
check7 t1
# Restored, it works again; t2 was never affected.
cp "$T/t1.good" "$K/t1.tek"
expect 0 te key sign t1 --in "$D"
expect 0 te key sign t2 --in "$D"

# --- configuration (8) --------------------------------------------------------------------
note "config"
cat >"$T/good.yaml" <<YAML
# trustedge configuration
hsm:
  backend: soft
  soft:
    store: $S
YAML
expect 0 "$TE" --config "$T/good.yaml" key info t1
expect 0 "$TE" key info t1 --config "$T/good.yaml"
TRUSTEDGE_CONFIG=$T/good.yaml expect 0 "$TE" key info t1
TRUSTEDGE_STORE=$S expect 0 "$TE" key info t1
# --store wins over the environment, $TRUSTEDGE_STORE over $TRUSTEDGE_CONFIG.
TRUSTEDGE_STORE=$T/elsewhere expect 0 "$TE" --store "$S" key info t1
TRUSTEDGE_STORE=$S TRUSTEDGE_CONFIG=$T/missing.yaml expect 0 "$TE" key info t1

# bad_config NAME LINE: exit 8 and the message names the file and line.
bad_config() {
	expect 8 "$TE" --config "$T/$1" key list
	err_one_line
	err_has "$1:$2"
}
printf 'hsm:\n  backend: soft\n  soft:\n    store: [a, b]\n' >"$T/seq.yaml"
bad_config seq.yaml 4
err_has "hsm.soft.store"
printf 'hsm:\n  backend: pkcs99\n' >"$T/backend.yaml"
bad_config backend.yaml 2
err_has "pkcs99"
printf 'hsm:\n  backend: soft\n  soft:\n    store: %s\n    colour: blue\n' "$S" >"$T/setting.yaml"
expect 8 "$TE" --config "$T/setting.yaml" key list
err_one_line
grep -qE 'setting\.yaml:[34]:' "$T/err" || { cat "$T/err"; fail "no file:line for a refused setting"; }
err_has "colour"
printf '# x\nhsm:\n  stor: /tmp\n' >"$T/typo.yaml"
bad_config typo.yaml 3
err_has "hsm.stor"
printf 'hsm: soft\n' >"$T/scalar.yaml"
bad_config scalar.yaml 1
printf 'hsm:\n  backend: soft\n  soft:\n    store: ""\n' >"$T/empty.yaml"
bad_config empty.yaml 4
# YAML that does not parse at all.
printf 'hsm:\n  backend: soft\n\tsoft: x\n' >"$T/syntax.yaml"
expect 8 "$TE" --config "$T/syntax.yaml" key list
err_one_line
grep -qE 'syntax\.yaml:[0-9]+' "$T/err" || { cat "$T/err"; fail "no file:line in YAML error"; }
printf 'a: &x 1\nb: *x\n' >"$T/alias.yaml"
expect 8 "$TE" --config "$T/alias.yaml" key list
err_has "alias.yaml"
expect 8 "$TE" --config "$T/missing.yaml" key list
err_has "missing.yaml"
TRUSTEDGE_CONFIG=$T/seq.yaml expect 8 "$TE" key list
err_has "seq.yaml:4"

# --- other failures --------------------------------------------------------------------------
note "other"
expect 1 te key sign t1 --in "$T"
expect 6 te key verify t1 --in "$D" --sig "$D"
head -c 70000 /dev/zero >"$T/bigsig"
expect 6 te key verify t1 --in "$D" --sig "$T/bigsig"
note "ok"
