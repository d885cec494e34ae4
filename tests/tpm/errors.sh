#!/bin/sh
# errors.sh TOOL - the failures TPM users hit give errors that say what
# happened and what to check, and change nothing: wrong TCTI string, no
# device, nothing listening, wrong owner authorization, missing or other
# parent, tampered, truncated and renamed key files, unsupported types.
set -eu
tool=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.sh"
w=$TE_TPM_WORK
cd "$w"
keys=$w/keys
s="tcti=$TE_TPM_TCTI state_dir=$keys"
printf 'error paths' >msg

echo "== reaching the TPM"
expect_error TE_ERR_CONFIG "'nosuchtcti:x=1'" "no TCTI library named 'nosuchtcti'" \
	"TCTI libraries installed" "swtpm" -- \
	"$tool" tpm tcti=nosuchtcti:x=1 state_dir="$keys" -- list
expect_error "tabrmd" -- "$tool" tpm tcti=tabrmd state_dir="$keys" -- list
expect_error TE_ERR_IO "no TPM device at /dev/te-no-such-tpm" "kernel driver" -- \
	"$tool" tpm tcti=device:/dev/te-no-such-tpm state_dir="$keys" -- list
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_error TE_ERR_IO "swtpm:host=127.0.0.1,port=$port" "127.0.0.1 port $port" \
	"is swtpm running" -- \
	"$tool" tpm tcti="swtpm:host=127.0.0.1,port=$port" state_dir="$keys" -- list
expect_error TE_ERR_CONFIG "needs the 'tcti' setting" -- "$tool" tpm state_dir="$keys" -- list
expect_error TE_ERR_CONFIG "needs the 'state_dir' setting" -- \
	"$tool" tpm tcti="$TE_TPM_TCTI" -- list
expect_error TE_ERR_CONFIG "unknown setting 'pin'" -- "$tool" tpm $s pin=1234 -- list

echo "== keys to keep"
"$tool" tpm $s -- create e-good ec-p256
"$tool" tpm $s -- create e-mac hmac-sha256
"$tool" tpm $s -- pub e-good >good.pem
"$tool" tpm $s -- sign e-mac hmac-sha256 msg mac.before
snapshot() {
	(cd "$keys" && ls -A && sha256sum ./*.tpmkey)
}
snapshot >state.before

echo "== owner authorization"
t2 tpm2_changeauth -c owner owner-secret-1
expect_error TE_ERR_PERMISSION "check owner_auth" -- "$tool" tpm $s -- list
expect_error TE_ERR_PERMISSION "check owner_auth" -- "$tool" tpm $s owner_auth=wrong-guess -- list
case "$last_err" in *wrong-guess*) fail "the authorization value appears in a message" ;; esac
"$tool" tpm $s owner_auth=owner-secret-1 -- sign e-good ecdsa-sha256 msg sig.1
"$tool" tpm $s owner_auth=str:owner-secret-1 -- list >/dev/null
hex=$(printf 'owner-secret-1' | od -An -tx1 | tr -d ' \n')
"$tool" tpm $s owner_auth="hex:$hex" -- list >/dev/null
expect_error TE_ERR_CONFIG "hex digits" -- "$tool" tpm $s owner_auth=hex:zz -- list
printf 'owner-secret-1\n' >auth.txt
chmod 644 auth.txt
expect_error TE_ERR_PERMISSION "must not be readable by others" -- \
	"$tool" tpm $s owner_auth_file="$w/auth.txt" -- list
chmod 600 auth.txt
"$tool" tpm $s owner_auth_file="$w/auth.txt" -- list >/dev/null
expect_error TE_ERR_CONFIG "exclude each other" -- \
	"$tool" tpm $s owner_auth=x owner_auth_file="$w/auth.txt" -- list
t2 tpm2_changeauth -c owner -p owner-secret-1
openssl dgst -sha256 -verify good.pem -signature sig.1 msg

echo "== parents"
expect_error TE_ERR_CONFIG "0x81000000..0x81ffffff" -- "$tool" tpm $s parent=0x1234 -- list
expect_error TE_ERR_NOT_FOUND "no persistent object at parent 0x81000099" -- \
	"$tool" tpm $s parent=0x81000099 -- list
t2 tpm2_createprimary -Q -C o -G rsa2048 -c other.ctx
t2 tpm2_evictcontrol -Q -C o -c other.ctx 0x81000002
mkdir -m 700 other
"$tool" tpm tcti="$TE_TPM_TCTI" state_dir="$w/other" parent=0x81000002 -- create o-key ec-p256
expect_error TE_ERR_CONFIG "key 'o-key' was made under parent 0x81000002" -- \
	"$tool" tpm tcti="$TE_TPM_TCTI" state_dir="$w/other" -- sign o-key ecdsa-sha256 msg sig.o
t2 tpm2_evictcontrol -Q -C o -c 0x81000002

echo "== damaged key files"
for k in t-priv t-pub t-trunc t-src; do
	"$tool" tpm $s -- create "$k" ec-p256
done
"$tool" tpm $s -- create t-hdr hmac-sha256 sign
flip() { # flip FILE OFFSET MASK (negative offset: from the end)
	python3 - "$1" "$2" "$3" <<'PY'
import sys
p, off, mask = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 0)
d = bytearray(open(p, "rb").read())
d[off] ^= mask
open(p, "wb").write(bytes(d))
PY
}
flip "$keys/t-priv.tpmkey" -1 0x01 # last byte of the TPM-wrapped private part
flip "$keys/t-pub.tpmkey" 120 0x01 # inside the public area (the public key)
flip "$keys/t-hdr.tpmkey" 7 0x04   # usage: sign becomes sign,derive
head -c 100 "$keys/t-trunc.tpmkey" >t && cat t >"$keys/t-trunc.tpmkey"
cp "$keys/t-src.tpmkey" "$keys/t-copy.tpmkey"
for k in t-priv t-pub t-hdr t-trunc t-copy; do
	cp "$keys/$k.tpmkey" "$k.saved"
done
expect_error TE_ERR_TAMPERED "key 't-priv'" "the TPM refused its blob" -- \
	"$tool" tpm $s -- sign t-priv ecdsa-sha256 msg sig.x
expect_error TE_ERR_TAMPERED "key 't-pub'" -- "$tool" tpm $s -- sign t-pub ecdsa-sha256 msg sig.x
expect_error TE_ERR_TAMPERED "key 't-hdr'" "header" -- \
	"$tool" tpm $s -- sign t-hdr hmac-sha256 msg sig.x
expect_error "key 't-trunc'" "truncated" -- "$tool" tpm $s -- sign t-trunc ecdsa-sha256 msg sig.x
expect_error TE_ERR_TAMPERED "key 't-copy'" "renamed" -- \
	"$tool" tpm $s -- pub t-copy
for k in t-priv t-pub t-hdr t-trunc t-copy; do
	cmp -s "$keys/$k.tpmkey" "$k.saved" || fail "$k.tpmkey was changed"
done
"$tool" tpm $s -- list >list.txt
cat list.txt
grep -q '^t-priv none TE_ERR_TAMPERED$' list.txt || fail "t-priv not listed as tampered"
grep -q '^t-copy none TE_ERR_TAMPERED$' list.txt || fail "t-copy not listed as tampered"
grep -q '^t-hdr none TE_ERR_TAMPERED$' list.txt || fail "t-hdr not listed as tampered"
grep -q '^t-trunc none TE_ERR_TRUNCATED$' list.txt || fail "t-trunc not listed as truncated"
grep -q '^e-good ec-p256 ok$' list.txt || fail "a good key is not listed as good"
for k in t-priv t-pub t-hdr t-trunc t-copy; do
	"$tool" tpm $s -- delete "$k"
done

echo "== what the TPM cannot do"
expect_error TE_ERR_UNSUPPORTED "EdDSA" -- "$tool" tpm $s -- create u-ed ed25519
expect_error TE_ERR_UNSUPPORTED "does not support rsa-4096" -- \
	"$tool" tpm $s -- create u-rsa rsa-4096
expect_error TE_ERR_UNSUPPORTED "cannot leave the TPM" -- \
	"$tool" tpm $s -- create u-x ec-p256 sign exportable
expect_error TE_ERR_NOT_FOUND "key 'u-ed' not found" -- "$tool" tpm $s -- info u-ed

echo "== nothing changed"
"$tool" tpm $s -- delete t-src
snapshot >state.after
diff state.before state.after || fail "the key store changed"
"$tool" tpm $s -- sign e-mac hmac-sha256 msg mac.after
cmp -s mac.before mac.after || fail "the HMAC key changed"
"$tool" tpm $s -- sign e-good ecdsa-sha256 msg sig.2
openssl dgst -sha256 -verify good.pem -signature sig.2 msg
echo "errors: every failure was clear and harmless"
