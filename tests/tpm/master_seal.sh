#!/bin/sh
# master_seal.sh TOOL WITH_SWTPM - the soft backend with master_key_tcti:
# the master key file holds a TPM-sealed blob; keys made under it work
# after reopening; no 32 bytes of the file work as a raw master key; the
# store does not open on another TPM (and says why), and opens again on
# the TPM that sealed it.
set -eu
tool=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
with=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
lib=$(cd "$(dirname "$0")" && pwd)/lib.sh
. "$lib"

work=$(mktemp -d "${TMPDIR:-/tmp}/te-tpm-seal.XXXXXX")
trap 'rm -rf "$work"' EXIT
TE_TPM_WORK=$work
export TE_TPM_WORK
cd "$work"
printf 'sealed master message' >msg
# A known HMAC key, so the MAC can be checked with openssl(1).
printf '0123456789abcdef0123456789abcdef' >hmac.key
openssl dgst -sha256 -mac HMAC -macopt key:0123456789abcdef0123456789abcdef -binary msg >mac.want

echo "== on TPM A: create, reopen, use"
"$with" --state "$work/tpmA" sh -c '
	set -eu
	. "$3"
	t=$1 w=$2
	s="store=$w/store master_key_file=$w/master.sealed master_key_tcti=$TE_TPM_TCTI"
	"$t" soft $s -- create m-ec ec-p256
	"$t" soft $s -- import m-mac "$w/hmac.key" hmac-sha256
	"$t" soft $s -- pub m-ec >"$w/ec.pem"
	# each command is a new process: every one reopens the store
	"$t" soft $s -- sign m-ec ecdsa-sha256 "$w/msg" "$w/sig"
	"$t" soft $s -- sign m-mac hmac-sha256 "$w/msg" "$w/mac.got"
	"$t" soft $s -- list
	# Without master_key_tcti the sealed file is not taken for a key.
	expect_error TE_ERR_CONFIG "is sealed to a TPM: set master_key_tcti" -- \
		"$t" soft store="$w/store" master_key_file="$w/master.sealed" -- list
	# A raw master key file is not taken for a sealed one either.
	head -c 32 /dev/urandom >"$w/raw.key"
	chmod 600 "$w/raw.key"
	mkdir -m 700 "$w/rawstore"
	expect_error TE_ERR_CONFIG "holds a raw 32-byte key" -- \
		"$t" soft store="$w/rawstore" master_key_file="$w/raw.key" \
		master_key_tcti="$TE_TPM_TCTI" -- list
' sh "$tool" "$work" "$lib"
openssl dgst -sha256 -verify ec.pem -signature sig msg
cmp -s mac.got mac.want || fail "HMAC with the imported key is wrong"

echo "== the master key file"
[ "$(head -c 4 master.sealed)" = "TEMS" ] || fail "master key file is not a sealed blob"
size=$(wc -c <master.sealed)
[ "$size" -ne 32 ] || fail "master key file is 32 bytes"
[ "$(stat -c %a master.sealed)" = 600 ] || fail "master key file mode is not 0600"
# No 32-byte window of the file opens the store as a raw master key.
cp -r store store.copy
tries=0
for off in $(seq 0 $((size - 32))); do
	tail -c +$((off + 1)) master.sealed | head -c 32 >window.key
	chmod 600 window.key
	if "$tool" soft store="$work/store.copy" master_key_file="$work/window.key" -- \
		sign m-mac hmac-sha256 msg out 2>/dev/null; then
		fail "bytes $off..$((off + 31)) of the sealed file work as the master key"
	fi
	tries=$((tries + 1))
done
echo "  none of $tries 32-byte windows of the $size-byte file is the master key"

echo "== on a fresh TPM B: refused, nothing changed"
(cd store && find . -type f | sort | xargs sha256sum) >store.before
sha256sum master.sealed >>store.before
"$with" sh -c '
	set -eu
	. "$3"
	t=$1 w=$2
	expect_error TE_ERR_TAMPERED "sealed by another TPM" "cleared" -- \
		"$t" soft store="$w/store" master_key_file="$w/master.sealed" \
		master_key_tcti="$TE_TPM_TCTI" -- list
' sh "$tool" "$work" "$lib"
(cd store && find . -type f | sort | xargs sha256sum) >store.after
sha256sum master.sealed >>store.after
diff store.before store.after || fail "the store changed on the wrong TPM"

echo "== back on TPM A: works again"
"$with" --state "$work/tpmA" sh -c '
	set -eu
	t=$1 w=$2
	"$t" soft store="$w/store" master_key_file="$w/master.sealed" \
		master_key_tcti="$TE_TPM_TCTI" -- sign m-mac hmac-sha256 "$w/msg" "$w/mac.again"
' sh "$tool" "$work"
cmp -s mac.again mac.want || fail "HMAC after returning to TPM A is wrong"
echo "master_seal: the master key lives in the TPM"
