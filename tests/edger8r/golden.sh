#!/bin/sh
# golden.sh TE_EDGER8R GOLDEN_DIR WORK_DIR INCLUDE_DIR
#
# Regenerates both sides of every GOLDEN_DIR/*.edl and compares them with
# the expected files next to it (X_t.h X_t.c X_args.h X_u.h X_u.c).  A
# line "// golden-args: ..." in an EDL adds command-line arguments.  Both
# sides' X_args.h must be the same file.  TE_GOLDEN_UPDATE=1 rewrites the
# expected files instead of comparing.
set -eu
tool=$1 golden=$2 work=$3 inc=$4
rm -rf "$work"
mkdir -p "$work"
fail=0
n=0
for edl in "$golden"/*.edl; do
	name=$(basename "$edl" .edl)
	args=$(sed -n 's|^// golden-args: ||p' "$edl")
	t="$work/$name/trusted"
	u="$work/$name/untrusted"
	mkdir -p "$t" "$u"
	# shellcheck disable=SC2086 # args are words on purpose
	if ! (cd "$golden" && "$tool" --trusted-dir "$t" --untrusted-dir "$u" \
		--search-path "$inc" --search-path "$inc/openenclave/edl/sgx" $args "$name.edl"); then
		echo "FAIL: $name.edl: te-edger8r failed" >&2
		fail=1
		continue
	fi
	if ! cmp -s "$t/${name}_args.h" "$u/${name}_args.h"; then
		echo "FAIL: $name.edl: the two sides' ${name}_args.h differ" >&2
		fail=1
	fi
	for f in "$t/${name}_t.h" "$t/${name}_t.c" "$t/${name}_args.h" "$u/${name}_u.h" \
		"$u/${name}_u.c"; do
		b=$(basename "$f")
		if [ "${TE_GOLDEN_UPDATE:-0}" = 1 ]; then
			cp "$f" "$golden/$b"
			continue
		fi
		if [ ! -f "$golden/$b" ]; then
			echo "FAIL: $name.edl: no expected $b (run with TE_GOLDEN_UPDATE=1)" >&2
			fail=1
		elif ! diff -u "$golden/$b" "$f"; then
			echo "FAIL: $name.edl: $b differs from the expected file" >&2
			fail=1
		fi
	done
	n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
	echo "FAIL: no golden EDL in $golden" >&2
	exit 1
fi
if [ "${TE_GOLDEN_UPDATE:-0}" = 1 ]; then echo "$n golden EDLs rewritten"; elif [ "$fail" -eq 0 ]; then echo "$n golden EDLs match"; fi
exit "$fail"
