#!/bin/sh
# ek_srk.sh TOOL - te_tpm_ek_public and te_tpm_srk_public: readable, the
# same on every read, in PEM and DER, and equal to what tpm2-tools report
# for the TCG templates (tpm2_createek; tpm2_createprimary with the SRK
# template, then tpm2_readpublic).
set -eu
tool=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.sh"
cd "$TE_TPM_WORK"

"$tool" ek "$TE_TPM_TCTI" >ek1.pem
"$tool" ek "$TE_TPM_TCTI" >ek2.pem
cmp -s ek1.pem ek2.pem || fail "two reads of the EK differ"
"$tool" ek "$TE_TPM_TCTI" der >ek.der
openssl pkey -pubin -inform DER -in ek.der -outform DER | cmp -s - ek.der || fail "EK DER"
pub_der ek1.pem | cmp -s - ek.der || fail "EK PEM and DER differ"
openssl pkey -pubin -in ek1.pem -text -noout | grep -q 'Public-Key: (2048 bit)' ||
	fail "the EK is not RSA 2048"
t2 tpm2_createek -c ek.ctx -G rsa -u ek-tools.pem -f pem
same_pub ek1.pem ek-tools.pem

"$tool" srk "$TE_TPM_TCTI" >srk1.pem
"$tool" srk "$TE_TPM_TCTI" >srk2.pem
cmp -s srk1.pem srk2.pem || fail "two reads of the SRK differ"
openssl pkey -pubin -in srk1.pem -text -noout | grep -q 'NIST CURVE: P-256' ||
	fail "the SRK is not ECC P-256"
t2 tools_srk srk.ctx
t2 tpm2_readpublic -Q -c srk.ctx -f pem -o srk-tools.pem
same_pub srk1.pem srk-tools.pem

# With an owner authorization set, the SRK needs it; the EK does not.
t2 tpm2_changeauth -c owner ek-srk-secret
expect_error TE_ERR_PERMISSION "owner_auth" -- "$tool" srk "$TE_TPM_TCTI"
"$tool" srk "$TE_TPM_TCTI" ek-srk-secret >srk3.pem
cmp -s srk1.pem srk3.pem || fail "the SRK changed with the owner authorization"
"$tool" ek "$TE_TPM_TCTI" >ek3.pem
cmp -s ek1.pem ek3.pem || fail "the EK changed"
t2 tpm2_changeauth -c owner -p ek-srk-secret
echo "ek_srk: EK and SRK match tpm2-tools"
