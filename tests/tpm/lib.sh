# lib.sh - helpers for the tpm.* shell tests (sourced).  Scripts run with
# set -eu under tests/tpm/with_swtpm.sh, which exports TE_TPM_TCTI,
# TPM2TOOLS_TCTI and TE_TPM_WORK.

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_error PATTERN... -- CMD...: CMD must fail, and its stderr must
# contain every PATTERN (fixed strings).  The message is kept in $last_err.
expect_error() {
	pats=""
	while [ "$1" != "--" ]; do
		pats="$pats
$1"
		shift
	done
	shift
	if "$@" >"$TE_TPM_WORK/out" 2>"$TE_TPM_WORK/err"; then
		fail "succeeded, expected an error: $*"
	fi
	last_err=$(cat "$TE_TPM_WORK/err")
	echo "  refused as expected: $last_err"
	printf '%s\n' "$pats" | while IFS= read -r p; do
		[ -z "$p" ] && continue
		case "$last_err" in
		*"$p"*) ;;
		*) fail "error of '$*' lacks \"$p\": $last_err" ;;
		esac
	done
}

# DER form of a PEM public key, for byte-exact comparison.
pub_der() {
	openssl pkey -pubin -in "$1" -outform DER
}

same_pub() {
	pub_der "$1" >"$TE_TPM_WORK/a.der" && pub_der "$2" >"$TE_TPM_WORK/b.der" &&
		cmp -s "$TE_TPM_WORK/a.der" "$TE_TPM_WORK/b.der" || fail "public keys differ: $1 $2"
}

# Splits a trustedge TPM key file (docs/tpm.md) into the TPM2B_PUBLIC and
# TPM2B_PRIVATE files that tpm2_load takes.
blob_split() {
	python3 - "$1" "$2" "$3" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:4] in (b"TETK", b"TEMS"), "not a trustedge TPM blob"
n = struct.unpack(">H", d[12:14])[0]
o = 14 + n
p = struct.unpack(">H", d[o:o + 2])[0]
pub = d[o + 2:o + 2 + p]
o += 2 + p
q = struct.unpack(">H", d[o:o + 2])[0]
priv = d[o + 2:o + 2 + q]
assert o + 2 + q == len(d)
open(sys.argv[2], "wb").write(pub)
open(sys.argv[3], "wb").write(priv)
PY
}

# The SRK as trustedge makes it (TCG ECC P-256 template), with tpm2-tools.
tools_srk() {
	ctx=$1
	shift
	head -c 64 /dev/zero | tpm2_createprimary -Q -C o -g sha256 -G ecc256:null:aes128cfb \
		-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|decrypt' \
		-u - -c "$ctx" "$@"
}

# Runs a tpm2-tools command, then flushes every transient object: without
# a resource manager the tools leave objects loaded, and swtpm has three
# slots.  Only for tests, where nothing else uses the TPM meanwhile.
t2() {
	"$@"
	tpm2_flushcontext -t
}
