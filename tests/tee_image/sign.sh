#!/bin/bash
# sign.sh TE_SIGN - te-sign end to end, as a developer uses it: sign a copy
# of /bin/true with an `openssl genrsa -3 3072` key and a reference-format
# config, dump it, check the signer id against openssl's own SPKI hash,
# re-sign, sign with EC P-256, and check the refusals and exit codes.  The
# signed file must still run.
set -u
bin=$1
oesign=$(dirname "$bin")/oesign
work=$(mktemp -d "${TMPDIR:-/tmp}/te-sign-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# expect CODE DESCRIPTION CMD...: runs CMD, output in out/err
expect() {
	local want=$1 what=$2
	shift 2
	"$@" >out 2>err
	local rc=$?
	if [ "$rc" != "$want" ]; then
		fail "$what: exit $rc, want $want"
		sed 's/^/  | /' err >&2
	fi
}
has() { grep -qF -- "$2" "$1" || fail "$1 lacks '$2': $(head -c 300 "$1")"; }
field() { sed -n "s/^$1=//p" "$2"; }
spki_hash() { openssl pkey -in "$1" -pubout -outform DER | sha256sum | cut -d' ' -f1; }
flip() { # flip FILE OFFSET: xor one byte with 1
	local b
	b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %03o $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

cp /bin/true t
openssl genrsa -3 -out rsa.pem 3072 2>/dev/null || { echo "openssl genrsa failed"; exit 1; }
cat > t.conf <<'EOF'
# the reference's sample values, plus comments and blank lines
Debug=1

NumHeapPages=2048
NumStackPages = 64
NumTCS=4
ProductID=7
SecurityVersion=3
EOF

# --- sign and dump ---
expect 0 "sign" "$bin" sign -e t -c t.conf -k rsa.pem
has out "t.signed"
[ -f t.signed ] || fail "t.signed not written"
[ "$(stat -c %a t.signed)" = 755 ] || fail "t.signed mode $(stat -c %a t.signed)"
ls -a | grep -q '^\.t\.signed\.' && fail "temporary file left behind"
cmp -s -n "$(stat -c %s t)" t t.signed || fail "ELF part changed"
./t.signed || fail "signed /bin/true does not run"

expect 0 "dump" "$bin" dump -e t.signed
cp out dump1
for kv in product_id=7 security_version=3 debug=1 num_heap_pages=2048 num_stack_pages=64 \
	num_tcs=4 key_type=RSA-3072 elf_size="$(stat -c %s t)"; do
	has dump1 "$kv"
done
sid=$(spki_hash rsa.pem)
[ "$(field signer_id dump1)" = "$sid" ] || fail "signer_id $(field signer_id dump1) != $sid"
[ "$(field mrsigner dump1)" = "$sid" ] || fail "mrsigner differs"
uid=$(field unique_id dump1)
[ ${#uid} = 64 ] || fail "unique_id '$uid'"
[ "$(field mrenclave dump1)" = "$uid" ] || fail "mrenclave differs"

expect 0 "dump --json" "$bin" dump -e t.signed --json
has out "\"signer_id\":\"$sid\""
has out "\"unique_id\":\"$uid\""
has out '"num_tcs":4'
has out '"key_type":"RSA-3072"'
if command -v python3 >/dev/null; then
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' out || fail "dump --json is not JSON"
fi

# --- re-sign replaces the block (same key, same block size) ---
size1=$(stat -c %s t.signed)
printf 'Debug=0\nNumHeapPages=100\nNumTCS=2\nProductID=8\nSecurityVersion=4\n' > t2.conf
expect 0 "re-sign in place" "$bin" sign -e t.signed -c t2.conf -k rsa.pem -o t.signed
[ "$(stat -c %s t.signed)" = "$size1" ] || fail "re-signed size $(stat -c %s t.signed) != $size1"
expect 0 "dump re-signed" "$bin" dump -e t.signed
for kv in product_id=8 security_version=4 debug=0 num_heap_pages=100 num_stack_pages=256 num_tcs=2; do
	has out "$kv"
done
[ "$(field unique_id out)" != "$uid" ] || fail "unique_id did not change with the properties"
[ "$(field signer_id out)" = "$sid" ] || fail "signer_id changed on re-sign"
./t.signed || fail "re-signed /bin/true does not run"
# Same ELF, same config, same key: same measurement as the first signing.
expect 0 "re-sign back" "$bin" sign -e t.signed -c t.conf -k rsa.pem -o back.signed
expect 0 "dump back" "$bin" dump -e back.signed
[ "$(field unique_id out)" = "$uid" ] || fail "measurement not reproducible"

# --- EC P-256 (and the oesign name) ---
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem 2>/dev/null
expect 0 "sign EC" "$oesign" sign -e t -c t.conf -k ec.pem -o t.ec
expect 0 "dump EC" "$oesign" dump -e t.ec
has out key_type=EC-P256
[ "$(field signer_id out)" = "$(spki_hash ec.pem)" ] || fail "EC signer_id"
[ "$(field unique_id out)" = "$uid" ] || fail "EC measurement differs from RSA's for the same ELF+config"
./t.ec || fail "EC-signed /bin/true does not run"

# --- refused keys ---
openssl genrsa -3 -out rsa2048.pem 2048 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.pem 2>/dev/null
expect 1 "RSA-2048 refused" "$bin" sign -e t -k rsa2048.pem -o x
has err "3072"
expect 1 "P-384 refused" "$bin" sign -e t -k p384.pem -o x
has err "P-256"
expect 1 "not a key" "$bin" sign -e t -k t.conf -o x
[ -e x ] && fail "output written despite a refused key"

# --- config errors: file:line, exit 2 ---
printf 'Debug=1\n# comment\nFoo=3\n' > bad.conf
expect 2 "unknown key" "$bin" sign -e t -c bad.conf -k rsa.pem -o x
has err "bad.conf:3: unknown key 'Foo'"
printf 'Debug=1\nNumTCS=0\n' > bad.conf
expect 2 "NumTCS out of range" "$bin" sign -e t -c bad.conf -k rsa.pem -o x
has err "bad.conf:2: NumTCS:"
printf 'NumHeapPages=12x\n' > bad.conf
expect 2 "not a number" "$bin" sign -e t -c bad.conf -k rsa.pem -o x
has err "bad.conf:1: NumHeapPages:"
printf 'Debug=1\nDebug=0\n' > bad.conf
expect 2 "duplicate" "$bin" sign -e t -c bad.conf -k rsa.pem -o x
has err "bad.conf:2: duplicate key 'Debug'"
printf 'Debug\n' > bad.conf
expect 2 "no =" "$bin" sign -e t -c bad.conf -k rsa.pem -o x
has err "bad.conf:1:"
expect 2 "missing config" "$bin" sign -e t -c nope.conf -k rsa.pem -o x

# --- tampered, unsigned, not ELF: dump exits 1 with the reason ---
cp t.signed tampered
flip tampered 1000
expect 1 "dump tampered ELF" "$bin" dump -e tampered
has err "measurement"
cp t.signed tampered
flip tampered $(($(stat -c %s tampered) - 20))
expect 1 "dump tampered signature" "$bin" dump -e tampered
has err "signature"
head -c $(($(stat -c %s t.signed) - 7)) t.signed > truncated
expect 1 "dump truncated" "$bin" dump -e truncated
expect 1 "dump unsigned" "$bin" dump -e t
has err "not signed"
expect 1 "dump not ELF" "$bin" dump -e t.conf
expect 1 "dump missing" "$bin" dump -e nope
expect 1 "sign not ELF" "$bin" sign -e t.conf -k rsa.pem -o x

# --- usage ---
expect 0 "--help" "$bin" --help
has out "sign -e ENCLAVE"
expect 0 "--version" "$bin" --version
has out "te-sign"
expect 0 "oesign --version" "$oesign" --version
has out "oesign"
expect 2 "no command" "$bin"
expect 2 "bad command" "$bin" frobnicate
expect 2 "sign without key" "$bin" sign -e t
expect 2 "dump without image" "$bin" dump
expect 2 "bad option" "$bin" sign -e t -k rsa.pem --bogus

if [ "$fails" != 0 ]; then
	echo "$fails check(s) failed" >&2
	exit 1
fi
echo "te-sign end to end: ok"
