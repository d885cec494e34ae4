#!/bin/sh
# interop.sh TOOL - tpm2-tools read what trustedge stored: a key file's
# TPM2B_PUBLIC/TPM2B_PRIVATE load with tpm2_load under the same storage
# key (made by tpm2_createprimary from the TCG SRK template, or persisted
# with tpm2_evictcontrol and named by the 'parent' setting), and
# tpm2_readpublic reports the public key trustedge exports.
set -eu
tool=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.sh"
w=$TE_TPM_WORK
cd "$w"
s="tcti=$TE_TPM_TCTI state_dir=$w/keys"

echo "== keys under the SRK template"
"$tool" tpm $s -- create i-ec ec-p256
"$tool" tpm $s -- create i-rsa rsa-3072
"$tool" tpm $s -- pub i-ec >ec.pem
"$tool" tpm $s -- pub i-rsa >rsa.pem
# trustedge has closed its context: every object it loaded is flushed.
t2 tools_srk srk.ctx
for k in ec rsa; do
	blob_split "keys/i-$k.tpmkey" "$k.pub" "$k.priv"
	t2 tpm2_load -Q -C srk.ctx -u "$k.pub" -r "$k.priv" -c "$k.ctx"
	t2 tpm2_readpublic -Q -c "$k.ctx" -f pem -o "$k-tools.pem"
	same_pub "$k.pem" "$k-tools.pem"
done

# A signature the TPM makes through tpm2-tools with trustedge's key
# verifies against trustedge's public key.
printf 'signed by tpm2-tools' >msg
t2 tpm2_load -Q -C srk.ctx -u ec.pub -r ec.priv -c ec.ctx
t2 tpm2_sign -Q -c ec.ctx -g sha256 -s ecdsa -f plain -o sig.tools msg
openssl dgst -sha256 -verify ec.pem -signature sig.tools msg

echo "== a key under a persistent parent (0x81000001)"
t2 tools_srk srk.ctx
t2 tpm2_evictcontrol -Q -C o -c srk.ctx 0x81000001
"$tool" tpm $s parent=0x81000001 -- create p-ec ec-p384
"$tool" tpm $s parent=0x81000001 -- pub p-ec >p.pem
"$tool" tpm $s parent=0x81000001 -- sign p-ec ecdsa-sha384 msg sig.p
openssl dgst -sha384 -verify p.pem -signature sig.p msg
blob_split keys/p-ec.tpmkey p.pub p.priv
t2 tpm2_load -Q -C 0x81000001 -u p.pub -r p.priv -c p.ctx
t2 tpm2_readpublic -Q -c p.ctx -f pem -o p-tools.pem
same_pub p.pem p-tools.pem
# The persistent SRK is the template SRK: keys made under one load under
# the other, in trustedge and in tpm2-tools.
"$tool" tpm $s -- sign p-ec ecdsa-sha384 msg sig.q
openssl dgst -sha384 -verify p.pem -signature sig.q msg
"$tool" tpm $s parent=0x81000001 -- sign i-ec ecdsa-sha256 msg sig.r
openssl dgst -sha256 -verify ec.pem -signature sig.r msg
t2 tpm2_load -Q -C 0x81000001 -u ec.pub -r ec.priv -c ec2.ctx
t2 tpm2_evictcontrol -Q -C o -c 0x81000001
echo "interop: tpm2-tools load and read trustedge's keys"
