#!/bin/sh
# restart.sh TOOL WITH_SWTPM - keys survive a restart of both trustedge
# and the TPM: made under one swtpm process, used under a new swtpm on
# the same TPM state (another port, too), and the signatures check out
# with openssl(1).
set -eu
tool=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
with=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/te-tpm-restart.XXXXXX")
trap 'rm -rf "$work"' EXIT
TE_TPM_WORK=$work
export TE_TPM_WORK
mkdir -m 700 "$work/keys"
printf 'a message that outlives the TPM process' >"$work/msg"

echo "== first run: create keys"
"$with" --state "$work/tpmstate" sh -c '
	set -eu
	t=$1 w=$2
	s="tcti=$TE_TPM_TCTI state_dir=$w/keys"
	"$t" tpm $s -- create r-ec ec-p256
	"$t" tpm $s -- create r-rsa rsa-2048 sign,encrypt
	"$t" tpm $s -- create r-hmac hmac-sha256
	"$t" tpm $s -- create r-aes aes-256-gcm
	"$t" tpm $s -- pub r-ec >"$w/ec.pem"
	"$t" tpm $s -- pub r-rsa >"$w/rsa.pem"
	"$t" tpm $s -- sign r-hmac hmac-sha256 "$w/msg" "$w/mac1"
	echo "$TE_TPM_TCTI" >"$w/tcti1"
' sh "$tool" "$work"
ls "$work/keys" | grep -q 'r-ec.tpmkey' || fail "no key file written"

echo "== second run: a new swtpm on the same state"
"$with" --state "$work/tpmstate" sh -c '
	set -eu
	t=$1 w=$2
	s="tcti=$TE_TPM_TCTI state_dir=$w/keys"
	"$t" tpm $s -- list
	"$t" tpm $s -- pub r-ec >"$w/ec2.pem"
	"$t" tpm $s -- pub r-rsa >"$w/rsa2.pem"
	"$t" tpm $s -- sign r-ec ecdsa-sha256 "$w/msg" "$w/sig.ec"
	"$t" tpm $s -- sign r-rsa rsa-pss-sha256 "$w/msg" "$w/sig.pss"
	"$t" tpm $s -- sign r-rsa rsa-pkcs1-sha256 "$w/msg" "$w/sig.pkcs1"
	"$t" tpm $s -- sign r-hmac hmac-sha256 "$w/msg" "$w/mac2"
	"$t" tpm $s -- info r-aes >"$w/aes.info"
	echo "$TE_TPM_TCTI" >"$w/tcti2"
' sh "$tool" "$work"

same_pub "$work/ec.pem" "$work/ec2.pem"
same_pub "$work/rsa.pem" "$work/rsa2.pem"
openssl dgst -sha256 -verify "$work/ec.pem" -signature "$work/sig.ec" "$work/msg" ||
	fail "ECDSA signature made after the restart does not verify"
openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest \
	-verify "$work/rsa.pem" -signature "$work/sig.pss" "$work/msg" ||
	fail "RSA-PSS signature made after the restart does not verify"
openssl dgst -sha256 -verify "$work/rsa.pem" -signature "$work/sig.pkcs1" "$work/msg" ||
	fail "RSA PKCS#1 signature made after the restart does not verify"
cmp -s "$work/mac1" "$work/mac2" || fail "the HMAC key changed across the restart"
grep -q '^aes-256-gcm encrypt 0$' "$work/aes.info" || fail "aes key info: $(cat "$work/aes.info")"
echo "restart: keys survived ($(cat "$work/tcti1") -> $(cat "$work/tcti2"))"
