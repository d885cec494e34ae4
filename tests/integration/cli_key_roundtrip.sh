#!/bin/bash
# cli.key_roundtrip: every key type through the CLI, with each signature,
# MAC and ciphertext checked by openssl, not only by trustedge itself.
. "$(dirname "$0")/lib.sh"

D=$T/data
head -c 3000 /dev/urandom >"$D"

# verify_ok KEY SIG [ARGS]: trustedge accepts SIG and rejects it flipped.
verify_ok() {
	_k=$1 _sig=$2
	shift 2
	expect 0 te key verify "$_k" --in "$D" --sig "$_sig" "$@"
	cp "$_sig" "$T/bad.sig"
	flip "$T/bad.sig" -1
	expect 6 te key verify "$_k" --in "$D" --sig "$T/bad.sig" "$@"
	err_one_line
	flip "$T/bad.sig" -1
	flip "$T/bad.sig" 10
	expect 6 te key verify "$_k" --in "$D" --sig "$T/bad.sig" "$@"
	# Same signature, different data.
	printf 'other' >"$T/other"
	expect 6 te key verify "$_k" --in "$T/other" --sig "$_sig" "$@"
}

# --- signatures -------------------------------------------------------------
for spec in "ec-p256 sha256" "ec-p384 sha384" "rsa-2048 sha256" "ed25519 -"; do
	read -r type md <<<"$spec"
	k=k-$type
	note "$type"
	expect 0 te key create "$k" --type "$type"
	[ ! -s "$T/out" ] || fail "create printed something on stdout"
	te key public "$k" >"$T/$k.pem"
	grep -q -- '-----BEGIN PUBLIC KEY-----' "$T/$k.pem" || fail "$k: public key is not PEM"
	openssl pkey -pubin -in "$T/$k.pem" -noout
	te key public "$k" --der --out "$T/$k.der"
	openssl pkey -pubin -inform DER -in "$T/$k.der" -outform PEM -out "$T/$k.der.pem"
	same "$T/$k.pem" "$T/$k.der.pem"

	case $type in
	ec-*)
		te key sign "$k" --in "$D" >"$T/$k.sig"
		openssl dgst -"$md" -verify "$T/$k.pem" -signature "$T/$k.sig" "$D" >/dev/null
		verify_ok "$k" "$T/$k.sig"
		# From stdin, to --out, and over a digest computed elsewhere.
		te key sign "$k" --in - --out "$T/$k.sig2" <"$D"
		openssl dgst -"$md" -verify "$T/$k.pem" -signature "$T/$k.sig2" "$D" >/dev/null
		openssl dgst -"$md" -binary "$D" >"$T/$k.dgst"
		te key sign "$k" --in "$T/$k.dgst" --prehashed >"$T/$k.sig3"
		openssl dgst -"$md" -verify "$T/$k.pem" -signature "$T/$k.sig3" "$D" >/dev/null
		expect 0 te key verify "$k" --in "$T/$k.dgst" --prehashed --sig "$T/$k.sig3"
		expect 0 te key verify "$k" --in "$D" --sig "$T/$k.sig3"
		;;
	rsa-*)
		# The default is PSS with salt length = digest length.
		te key sign "$k" --in "$D" >"$T/$k.sig"
		openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest \
			-verify "$T/$k.pem" -signature "$T/$k.sig" "$D" >/dev/null
		verify_ok "$k" "$T/$k.sig"
		te key sign "$k" --in "$D" --alg rsa-pss-sha256 >"$T/$k.pss"
		openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest \
			-verify "$T/$k.pem" -signature "$T/$k.pss" "$D" >/dev/null
		verify_ok "$k" "$T/$k.pss" --alg rsa-pss-sha256
		te key sign "$k" --in "$D" --alg rsa-pkcs1-sha256 >"$T/$k.p1"
		openssl dgst -sha256 -verify "$T/$k.pem" -signature "$T/$k.p1" "$D" >/dev/null
		verify_ok "$k" "$T/$k.p1" --alg rsa-pkcs1-sha256
		# A PKCS#1 v1.5 signature is not a PSS one.
		expect 6 te key verify "$k" --in "$D" --sig "$T/$k.p1" --alg rsa-pss-sha256
		openssl dgst -sha256 -binary "$D" >"$T/$k.dgst"
		te key sign "$k" --in "$T/$k.dgst" --prehashed --alg rsa-pkcs1-sha256 >"$T/$k.p1h"
		same "$T/$k.p1" "$T/$k.p1h"
		;;
	ed25519)
		te key sign "$k" --in "$D" >"$T/$k.sig"
		[ "$(wc -c <"$T/$k.sig")" -eq 64 ] || fail "ed25519 signature is not 64 bytes"
		openssl pkeyutl -verify -pubin -inkey "$T/$k.pem" -rawin -in "$D" \
			-sigfile "$T/$k.sig" >/dev/null
		verify_ok "$k" "$T/$k.sig"
		;;
	esac
done

# --- keys made by openssl, imported; signatures made by openssl ----------------
note "import"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/imp-ec.pem" 2>/dev/null
openssl pkey -in "$T/imp-ec.pem" -outform DER -out "$T/imp-ec.der"
openssl genpkey -algorithm ED25519 -out "$T/imp-ed.pem"
openssl genrsa -traditional -out "$T/imp-rsa.pem" 2048 2>/dev/null
expect 0 te key import imp-ec --in "$T/imp-ec.pem"
expect 0 te key import imp-ec-der --in "$T/imp-ec.der" --type ec-p256
expect 0 te key import imp-ed --in - <"$T/imp-ed.pem"
expect 0 te key import imp-rsa --in "$T/imp-rsa.pem" --type rsa-2048
expect 0 te key info imp-rsa
out_has rsa-2048
for k in imp-ec imp-ec-der; do
	openssl dgst -sha256 -sign "$T/imp-ec.pem" -out "$T/$k.osig" "$D"
	verify_ok "$k" "$T/$k.osig"
	te key public "$k" >"$T/$k.pub"
	openssl pkey -in "$T/imp-ec.pem" -pubout >"$T/$k.opub"
	same "$T/$k.pub" "$T/$k.opub"
done
openssl pkeyutl -sign -inkey "$T/imp-ed.pem" -rawin -in "$D" -out "$T/imp-ed.osig"
verify_ok imp-ed "$T/imp-ed.osig"
# Ed25519 is deterministic: our signature is openssl's.
te key sign imp-ed --in "$D" >"$T/imp-ed.sig"
same "$T/imp-ed.sig" "$T/imp-ed.osig"
openssl dgst -sha256 -sign "$T/imp-rsa.pem" -out "$T/imp-rsa.osig" "$D"
verify_ok imp-rsa "$T/imp-rsa.osig" --alg rsa-pkcs1-sha256
# A type that does not match the material is refused.
expect 2 te key import imp-wrong --in "$T/imp-ec.pem" --type ed25519
expect 3 te key info imp-wrong

# --- HMAC -------------------------------------------------------------------------
note "hmac-sha256"
hk=$(openssl rand -hex 32)
hex2bin "$hk" >"$T/hmac.key"
expect 0 te key import mac --in "$T/hmac.key" --type hmac-sha256
te key sign mac --in "$D" >"$T/mac.sig"
openssl dgst -sha256 -mac HMAC -macopt hexkey:"$hk" -binary "$D" >"$T/mac.ref"
same "$T/mac.sig" "$T/mac.ref"
verify_ok mac "$T/mac.sig"
# A short MAC is not a valid one.
head -c 16 "$T/mac.sig" >"$T/mac.short"
expect 6 te key verify mac --in "$D" --sig "$T/mac.short"
expect 0 te key create mac2 --type hmac-sha256
te key sign mac2 --in "$D" >"$T/mac2.sig"
[ "$(wc -c <"$T/mac2.sig")" -eq 32 ] || fail "HMAC is not 32 bytes"
verify_ok mac2 "$T/mac2.sig"
# Raw secret bytes need --type.
expect 2 te key import mac3 --in "$T/hmac.key"
expect 3 te key exists mac3

# --- derive ---------------------------------------------------------------------
note "derive"
bk=$(openssl rand -hex 32)
hex2bin "$bk" >"$T/base.key"
expect 0 te key import base --in "$T/base.key" --type hmac-sha256 --usage derive
expect 0 te key derive base d1 --data "device-42"
printf 'device-42' >"$T/ctx"
expect 0 te key derive base d2 --data-file "$T/ctx"
expect 0 te key derive base d3 --data "device-43"
expect 0 te key info d1
out_has hmac-sha256
te key sign d1 --in "$D" >"$T/d1.sig"
te key sign d2 --in "$D" >"$T/d2.sig"
te key sign d3 --in "$D" >"$T/d3.sig"
same "$T/d1.sig" "$T/d2.sig"
if cmp -s "$T/d1.sig" "$T/d3.sig"; then fail "different derivation data gave the same key"; fi
# d1 = HMAC-SHA256(base, "device-42"): check against openssl.
dk=$(openssl dgst -sha256 -mac HMAC -macopt hexkey:"$bk" -binary "$T/ctx" | od -An -v -tx1 | tr -d ' \n')
openssl dgst -sha256 -mac HMAC -macopt hexkey:"$dk" -binary "$D" >"$T/d1.ref"
same "$T/d1.sig" "$T/d1.ref"

# --- AES-256-GCM --------------------------------------------------------------------
note "aes-256-gcm"
expect 0 te key create aes --type aes-256-gcm
printf 'header v1' >"$T/aad"
te key encrypt aes --in "$D" --aad "$T/aad" >"$T/ct"
n=$(wc -c <"$D")
[ "$(wc -c <"$T/ct")" -eq $((n + 29)) ] || fail "blob is not 1 + 12 + n + 16 bytes"
[ "$(head -c 1 "$T/ct" | od -An -tx1 | tr -d ' ')" = "01" ] || fail "blob version is not 1"
te key decrypt aes --in "$T/ct" --aad "$T/aad" >"$T/pt"
same "$D" "$T/pt"
te key decrypt aes --in "$T/ct" --aad "$T/aad" --out "$T/pt2"
same "$D" "$T/pt2"
[ "$(stat -c %a "$T/pt2")" = 600 ] || fail "decrypted file is not mode 0600"
# Random IVs: the same plaintext twice gives different blobs.
te key encrypt aes --in "$D" --aad "$T/aad" >"$T/ct2"
if cmp -s "$T/ct" "$T/ct2"; then fail "two encryptions gave the same blob"; fi
# Wrong or missing AAD.
printf 'header v2' >"$T/aad2"
expect 6 te key decrypt aes --in "$T/ct" --aad "$T/aad2" --out "$T/nope"
[ ! -e "$T/nope" ] || fail "failed decryption left an output file"
expect 6 te key decrypt aes --in "$T/ct"
[ ! -s "$T/out" ] || fail "failed decryption wrote to stdout"
# Any flipped byte: version, IV, ciphertext, tag.
for off in 0 1 12 13 100 -16 -1; do
	cp "$T/ct" "$T/ct.bad"
	flip "$T/ct.bad" "$off"
	expect 6 te key decrypt aes --in "$T/ct.bad" --aad "$T/aad"
	[ ! -s "$T/out" ] || fail "failed decryption wrote to stdout"
done
# Truncated blobs.
for len in 0 1 13 28; do
	head -c "$len" "$T/ct" >"$T/ct.short"
	expect 6 te key decrypt aes --in "$T/ct.short" --aad "$T/aad"
done
head -c $((n + 28)) "$T/ct" >"$T/ct.short"
expect 6 te key decrypt aes --in "$T/ct.short" --aad "$T/aad"
# A given IV lands in the blob.
iv=00112233445566778899aabb
te key encrypt aes --in "$D" --iv "$iv" >"$T/ct.iv"
[ "$(head -c 13 "$T/ct.iv" | od -An -v -tx1 | tr -d ' \n')" = "01$iv" ] || fail "--iv not in blob"
te key decrypt aes --in "$T/ct.iv" >"$T/pt.iv"
same "$D" "$T/pt.iv"
expect 2 te key encrypt aes --in "$D" --iv 0011
expect 2 te key encrypt aes --in "$D" --iv 00112233445566778899aabg
# Empty plaintext, and pipes.
: >"$T/empty"
te key encrypt aes --in "$T/empty" >"$T/ct.empty"
[ "$(wc -c <"$T/ct.empty")" -eq 29 ] || fail "empty plaintext blob is not 29 bytes"
te key decrypt aes --in "$T/ct.empty" >"$T/pt.empty"
[ ! -s "$T/pt.empty" ] || fail "empty plaintext came back non-empty"
te key encrypt aes --in - <"$D" | te key decrypt aes --in - >"$T/pt.pipe"
same "$D" "$T/pt.pipe"
# Another AES key cannot open it.
expect 0 te key create aes2 --type aes-256-gcm
expect 6 te key decrypt aes2 --in "$T/ct" --aad "$T/aad"

# --- RSA-OAEP ---------------------------------------------------------------------
note "rsa-oaep-sha256"
expect 0 te key create oaep --type rsa-2048 --usage encrypt --exportable
te key public oaep >"$T/oaep.pem"
head -c 190 "$D" >"$T/small"
openssl pkeyutl -encrypt -pubin -inkey "$T/oaep.pem" -pkeyopt rsa_padding_mode:oaep \
	-pkeyopt rsa_oaep_md:sha256 -in "$T/small" -out "$T/oaep.ct"
te key decrypt oaep --in "$T/oaep.ct" >"$T/oaep.pt"
same "$T/small" "$T/oaep.pt"
te key encrypt oaep --in "$T/small" >"$T/oaep.ct2"
[ "$(wc -c <"$T/oaep.ct2")" -eq 256 ] || fail "RSA-2048 ciphertext is not 256 bytes"
te key decrypt oaep --in "$T/oaep.ct2" --alg rsa-oaep-sha256 >"$T/oaep.pt2"
same "$T/small" "$T/oaep.pt2"
te key export oaep --out "$T/oaep.key"
openssl pkeyutl -decrypt -inkey "$T/oaep.key" -pkeyopt rsa_padding_mode:oaep \
	-pkeyopt rsa_oaep_md:sha256 -in "$T/oaep.ct2" -out "$T/oaep.pt3"
same "$T/small" "$T/oaep.pt3"
flip "$T/oaep.ct" 100
expect 6 te key decrypt oaep --in "$T/oaep.ct"
expect 2 te key encrypt oaep --in "$T/small" --aad "$T/aad"

# --- list and delete ------------------------------------------------------------------
note "list, delete"
expect 0 te key list
for k in k-ec-p256 k-ec-p384 k-rsa-2048 k-ed25519 mac aes oaep d1; do
	grep -q "^$k " "$T/out" || fail "list lacks $k"
done
awk '{print $1}' "$T/out" | LC_ALL=C sort -c || fail "list is not sorted by name"
expect 0 te key delete k-ed25519
expect 3 te key info k-ed25519
expect 3 te key delete k-ed25519
expect 0 te key create k-ed25519 --type ed25519
note "ok"
