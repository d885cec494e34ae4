# lib.sh - shared helpers for the trustedge CLI integration tests; sourced
# by each test script, which gets the trustedge binary as its first
# argument.  Every test works in its own temporary directory, removed on
# exit whatever happens.
set -eu

TE=${1:?usage: $0 /path/to/trustedge}
case $TE in
/*) ;;
*) TE=$PWD/$TE ;;
esac
[ -x "$TE" ] || { echo "FAIL: $TE is not executable" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/te-it.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 130' HUP INT TERM
S=$T/store
mkdir -m 700 "$S"
# The tests say where the store is; nothing from the caller's environment.
unset TRUSTEDGE_STORE TRUSTEDGE_CONFIG JOURNAL_STREAM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

note() {
	echo "# $*"
}

# te ARGS...: the CLI on the test's store.
te() {
	"$TE" --store "$S" "$@"
}

# expect CODE CMD...: runs CMD with stdout in $T/out and stderr in $T/err
# and fails the test unless it exits with CODE.
expect() {
	_want=$1
	shift
	_got=0
	"$@" >"$T/out" 2>"$T/err" || _got=$?
	if grep -q 'Sanitizer' "$T/err"; then
		cat "$T/err" >&2
		fail "'$*': sanitizer report"
	fi
	if [ "$_got" -ne "$_want" ]; then
		echo "--- stdout:" >&2
		head -c 2000 "$T/out" >&2 || true
		echo "--- stderr:" >&2
		cat "$T/err" >&2
		fail "'$*' exited with $_got, expected $_want"
	fi
}

# err_has TEXT: the last expect's stderr contains TEXT (fixed string).
err_has() {
	grep -qF -- "$1" "$T/err" || { cat "$T/err" >&2; fail "stderr lacks '$1'"; }
}

out_has() {
	grep -qF -- "$1" "$T/out" || { cat "$T/out" >&2; fail "stdout lacks '$1'"; }
}

# err_one_line: stderr of the last expect is exactly one error line.
err_one_line() {
	[ "$(wc -l <"$T/err")" -eq 1 ] || { cat "$T/err" >&2; fail "stderr is not one line"; }
	grep -q '^trustedge: error: ' "$T/err" || { cat "$T/err" >&2; fail "stderr is not an error line"; }
}

# flip FILE OFFSET: xor one byte (negative offsets count from the end).
flip() {
	python3 -c '
import sys
p, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read())
b[off] ^= 0x01
open(p, "wb").write(b)' "$1" "$2"
}

# hex2bin HEX > FILE
hex2bin() {
	python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1"
}

# bin2hex FILE
bin2hex() {
	python3 -c 'import sys; print(open(sys.argv[1], "rb").read().hex())' "$1"
}

# same FILE1 FILE2: byte-identical or fail.
same() {
	cmp -s "$1" "$2" || fail "$1 and $2 differ"
}

# jcheck PYEXPR: the last expect's stdout is one JSON object d for which
# PYEXPR holds.
jcheck() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, dict), "not an object"
ok = eval(sys.argv[2])
sys.exit(0 if ok else 1)' "$T/out" "$1" || { cat "$T/out" >&2; fail "JSON check failed: $1"; }
}

# jget KEY: prints a top-level string field of the last JSON output.
jget() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/out" "$1"
}
