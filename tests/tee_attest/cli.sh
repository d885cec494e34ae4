#!/bin/sh
# cli.sh - attest.cli: `trustedge tee verify` on evidence exported from
# real TAs (test_attest export), with the exported root and nothing else.
#   cli.sh TEST_ATTEST TRUSTEDGE WORKDIR
set -eu

t=$1 te=$2 w=$3

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect CODE CMD...: runs CMD, which must exit with CODE; its output is in
# $w/out and $w/err.
expect() {
	code=$1
	shift
	status=0
	"$@" >"$w/out" 2>"$w/err" || status=$?
	if [ "$status" -ne "$code" ]; then
		cat "$w/out" "$w/err" >&2
		fail "exit $status, not $code: $*"
	fi
}

has() {
	grep -qF -- "$1" "$w/out" || { cat "$w/out" >&2; fail "missing from the output: '$1'"; }
}

rm -rf "$w"
mkdir -p "$w"
"$t" export "$w" || fail "export"
nonce=$(cat "$w/nonce.hex")

echo "== valid evidence, the exported root, the right nonce"
expect 0 "$te" tee verify --root "$w/root.pem" --nonce "$nonce" "$w/evidence.bin"
has "evidence:          valid"
has "format:            sgx-ecdsa"
has "emulated:          yes"
has "developer root:    no"
has "debug:             no"
has "product_id:        1"
has "security_version:  1"
has "report data:       $nonce"
has "custom claims:     2"
has "  event = \"attestation test\""
cat "$w/out"

echo "== --json"
expect 0 "$te" tee verify --json --root "$w/root.pem" --nonce "$nonce" "$w/evidence.bin"
has '"valid": true'
has '"emulated": true'
has '"format": "sgx-ecdsa"'
has "\"report_data\": \"$nonce\""
has '"name": "public key hash"'

echo "== no nonce asked for: valid; local format evidence: valid"
expect 0 "$te" tee verify --root "$w/root.pem" "$w/evidence.bin"
expect 0 "$te" tee verify --root "$w/root.pem" "$w/evidence_local.bin"
has "format:            sgx-local"
echo "== from standard input"
expect 0 sh -c "\"\$0\" tee verify --root \"\$1\" - <\"\$2\"" "$te" "$w/root.pem" "$w/evidence.bin"

echo "== refusals: exit 6"
expect 6 "$te" tee verify --root "$w/root.pem" --nonce "00$nonce" "$w/evidence.bin"
grep -q "report data is not the expected nonce" "$w/err" || fail "no nonce reason: $(cat "$w/err")"
wrong=$(printf '%s' "$nonce" | sed 's/^a0/a1/')
expect 6 "$te" tee verify --root "$w/root.pem" --nonce "$wrong" "$w/evidence.bin"
expect 6 "$te" tee verify --root "$w/other_root.pem" "$w/evidence.bin"
grep -q "trusted root" "$w/err" || fail "no chain reason: $(cat "$w/err")"
expect 6 "$te" tee verify --root "$w/root.pem" "$w/evidence_debug.bin"
grep -q "debug" "$w/err" || fail "no debug reason"
expect 0 "$te" tee verify --root "$w/root.pem" --allow-debug "$w/evidence_debug.bin"
has "debug:             yes"
expect 6 "$te" tee verify --json --root "$w/other_root.pem" "$w/evidence.bin"
has '"valid": false'
# An altered byte, and a truncated copy.
size=$(wc -c <"$w/evidence.bin")
cp "$w/evidence.bin" "$w/altered.bin"
printf 'X' | dd of="$w/altered.bin" bs=1 seek=300 conv=notrunc 2>/dev/null
cmp -s "$w/evidence.bin" "$w/altered.bin" && fail "the copy was not altered"
expect 6 "$te" tee verify --root "$w/root.pem" "$w/altered.bin"
head -c $((size - 1)) "$w/evidence.bin" >"$w/short.bin"
expect 6 "$te" tee verify --root "$w/root.pem" "$w/short.bin"
: >"$w/empty.bin"
expect 6 "$te" tee verify --root "$w/root.pem" "$w/empty.bin"
# Both roots given: the right one among them is enough.
expect 0 "$te" tee verify --root "$w/other_root.pem" --root "$w/root.pem" "$w/evidence.bin"

echo "== usage: exit 2"
expect 2 "$te" tee verify "$w/evidence.bin"
expect 2 "$te" tee verify --root "$w/root.pem"
expect 2 "$te" tee verify --root "$w/root.pem" --nonce xyz "$w/evidence.bin"
expect 2 "$te" tee verify --root "$w/root.pem" --nonce "$nonce$nonce$nonce" "$w/evidence.bin"
expect 2 "$te" tee verify --root "$w/evidence.bin" "$w/evidence.bin"
expect 2 "$te" tee frobnicate
expect 1 "$te" tee verify --root "$w/root.pem" "$w/nonexistent.bin"
expect 0 "$te" tee verify --help
has "--allow-debug"

echo "PASS: attest.cli"
