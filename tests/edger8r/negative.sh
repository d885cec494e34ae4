#!/bin/sh
# negative.sh TE_EDGER8R NEGATIVE_DIR WORK_DIR
#
# Every NEGATIVE_DIR/*.edl with a line "// expect: MESSAGE" must make
# te-edger8r exit 1, print exactly MESSAGE as a line on stderr, and write
# no file.  EDLs without that line are only imported by the others.
# Then the usage errors, which exit 2.
set -eu
tool=$1 dir=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
fail=0
n=0
bad() {
	echo "FAIL: $*" >&2
	fail=1
}
for edl in "$dir"/*.edl; do
	expect=$(sed -n 's|^// expect: ||p' "$edl")
	[ -n "$expect" ] || continue
	name=$(basename "$edl")
	out="$work/${name%.edl}"
	mkdir -p "$out"
	rc=0
	(cd "$dir" && "$tool" --trusted-dir "$out" --untrusted-dir "$out" "$name") \
		>"$out.stdout" 2>"$out.stderr" || rc=$?
	[ "$rc" -eq 1 ] || bad "$name: exit status $rc, not 1"
	grep -qxF -- "$expect" "$out.stderr" ||
		bad "$name: expected '$expect', got '$(cat "$out.stderr")'"
	[ -z "$(ls -A "$out")" ] || bad "$name: wrote $(ls -A "$out")"
	n=$((n + 1))
done

# A missing file is an EDL error too.
rc=0
"$tool" --trusted-dir "$work" --untrusted-dir "$work" "$work/absent.edl" 2>"$work/absent.err" || rc=$?
[ "$rc" -eq 1 ] || bad "absent file: exit status $rc, not 1"
grep -qF "absent.edl: error: no such file" "$work/absent.err" || bad "absent file: $(cat "$work/absent.err")"

# Usage errors exit 2 and write nothing.
usage() {
	rc=0
	(cd "$dir" && "$tool" "$@") >"$work/usage.out" 2>"$work/usage.err" || rc=$?
	[ "$rc" -eq 2 ] || bad "usage '$*': exit status $rc, not 2"
	grep -q "te-edger8r" "$work/usage.err" || bad "usage '$*': no message"
}
usage
usage --no-such-option duplicate.edl
usage duplicate.edl syntax.edl
usage --trusted-dir
usage --search-path= duplicate.edl
usage -D
rc=0
"$tool" --help >"$work/help.out" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || bad "--help: exit status $rc"
grep -q "^usage: te-edger8r" "$work/help.out" || bad "--help: no usage text"
[ -z "$(find "$dir" -name '*_t.[ch]' -o -name '*_u.[ch]' -o -name '*_args.h')" ] ||
	bad "files were written next to the EDLs"

[ "$fail" -eq 0 ] && echo "$n bad EDLs refused as expected, usage errors exit 2"
exit "$fail"
