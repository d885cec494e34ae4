#!/bin/bash
# cli.help: --help and -h at every level print usage on stdout and exit 0,
# without touching any key store.
. "$(dirname "$0")/lib.sh"

# Help must not need a store: point everything somewhere that fails.
export TRUSTEDGE_STORE=$T/no/such/store

help_ok() {
	expect 0 "$@"
	[ ! -s "$T/err" ] || { cat "$T/err"; fail "'$*' wrote to stderr"; }
	out_has "Usage: trustedge"
}

help_ok "$TE" --help
out_has "Exit status"
out_has "key"
out_has "--store"
out_has "TRUSTEDGE_STORE"
for code in 0 1 2 3 4 5 6 7 8; do
	grep -qE "^  $code  " "$T/out" || fail "top help does not document exit status $code"
done
help_ok "$TE" -h
help_ok "$TE" --json --help
help_ok "$TE" key --help
for c in create import list info exists public export sign verify encrypt decrypt derive delete; do
	grep -qE "^  $c " "$T/out" || fail "key help does not list '$c'"
done
help_ok "$TE" key -h
help_ok "$TE" --store /x key --help
for c in create import list info exists public export sign verify encrypt decrypt derive delete; do
	help_ok "$TE" key "$c" --help
	out_has "trustedge [OPTIONS] key $c"
	out_has "Exit status"
	help_ok "$TE" key "$c" -h
	# Help wins over missing arguments.
	help_ok "$TE" key "$c" --json -q --help
done
help_ok "$TE" cert --help
for c in demo issue csr show verify import renew list delete; do
	grep -qE "^  $c " "$T/out" || fail "cert help does not list '$c'"
done
for c in demo issue csr show verify import renew list delete; do
	help_ok "$TE" cert "$c" --help
	out_has "trustedge [OPTIONS] cert $c"
done
help_ok "$TE" key sign --help
out_has "--prehashed"
help_ok "$TE" key create --help
out_has "aes-256-gcm"

expect 0 "$TE" --version
grep -qE '^trustedge [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" || fail "bad --version output"
expect 0 "$TE" key list --version

# Errors print the short usage on stderr and nothing on stdout.
expect 2 "$TE"
[ ! -s "$T/out" ] || fail "usage error wrote to stdout"
err_has "Try 'trustedge --help'"
expect 2 "$TE" key
err_has "Try 'trustedge key --help'"
expect 2 "$TE" key sign
err_has "Try 'trustedge key sign --help'"
[ ! -e "$T/no" ] || fail "help or usage errors created the store"

# The man pages are well formed, if a formatter is around.
src=$(cd "$(dirname "$0")/../.." && pwd)
for page in trustedge.1 trustedge-key.1 trustedge-cert.1; do
	[ -f "$src/docs/man/$page" ] || fail "docs/man/$page missing"
	if command -v groff >/dev/null 2>&1; then
		warn=$(groff -man -Tutf8 -ww -z "$src/docs/man/$page" 2>&1) || fail "groff failed on $page"
		[ -z "$warn" ] || fail "groff warnings for $page: $warn"
	fi
done
note "ok"
