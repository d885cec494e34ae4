#!/bin/sh
# banned.sh SOURCE_ROOT - fails when the project's C code calls a function
# this project does not use: unbounded string copies and formatting,
# unchecked number parsing, weak randomness, and shell-outs.  Bounded or
# checked alternatives exist for each (snprintf, strtoul with checks,
# RAND_bytes, posix_spawn/exec).  Tests may run programs via fork/exec.
set -eu
root=$1
pattern='(^|[^._>[:alnum:]])(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|rand|srand|random|system|popen|strtok|tmpnam|mktemp)[[:space:]]*\('
hits=$(grep -rnE "$pattern" "$root/src" "$root/tools" "$root/include" --include='*.c' --include='*.h' \
	| grep -vE '^\S+:[0-9]+:\s*(\*|/\*|//)' || true)
if [ -n "$hits" ]; then
	echo "banned function calls:" >&2
	echo "$hits" >&2
	exit 1
fi
echo "no banned function calls in src/, tools/, include/"
