#!/bin/sh
# compile.sh TE_EDGER8R INCLUDE_DIR WORK_DIR GOLDEN_DIR EXTRA.edl...
#
# Generates both sides of every golden EDL and of each EXTRA EDL and
# compiles every generated .c with gcc and clang as C11 and with g++ (and
# clang++ when present) as C++, all with -Werror.  A compiler that is not
# installed is skipped with a note; gcc must be there.
set -eu
tool=$1 inc=$2 work=$3 golden=$4
shift 4
rm -rf "$work"
mkdir -p "$work"
cwarn="-Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wvla"
xwarn="-Wall -Wextra -Werror -Wshadow -Wmissing-declarations -Wvla"
fail=0
gen() {
	edl=$1 out=$2
	mkdir -p "$out"
	(cd "$(dirname "$edl")" && "$tool" --trusted-dir "$out" --untrusted-dir "$out" \
		--search-path "$inc" --search-path "$inc/openenclave/edl/sgx" -D WITH_EXTRA \
		"$(basename "$edl")" 2>/dev/null)
}
build() {
	cc=$1 lang=$2 src=$3 edldir=$4
	if [ "$lang" = c ]; then
		flags="-std=c11 $cwarn"
	else
		flags="-x c++ -std=c++11 $xwarn"
	fi
	for opt in -O0 -O2; do
		# shellcheck disable=SC2086
		if ! $cc $flags $opt -I"$inc" -I"$edldir" -c "$src" -o "${src%.c}.o"; then
			echo "FAIL: $cc $opt $src" >&2
			fail=1
		fi
	done
}
compilers=""
for cc in gcc clang; do
	if command -v "$cc" >/dev/null 2>&1; then compilers="$compilers $cc:c"; else echo "note: no $cc" >&2; fi
done
for cc in g++ clang++; do
	if command -v "$cc" >/dev/null 2>&1; then compilers="$compilers $cc:cxx"; else echo "note: no $cc" >&2; fi
done
command -v gcc >/dev/null 2>&1 || { echo "FAIL: gcc is required" >&2; exit 1; }
count=0
for edl in "$golden"/*.edl "$@"; do
	name=$(basename "$edl" .edl)
	out="$work/$name"
	if ! gen "$edl" "$out"; then
		echo "FAIL: te-edger8r $edl" >&2
		fail=1
		continue
	fi
	for src in "$out/${name}_t.c" "$out/${name}_u.c"; do
		for c in $compilers; do
			# the generated headers are found next to the source
			build "${c%%:*}" "${c##*:}" "$src" "$(dirname "$edl")"
			count=$((count + 1))
		done
	done
done
[ "$fail" -eq 0 ] && echo "$count compilations clean"
exit "$fail"
