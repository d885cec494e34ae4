#!/bin/sh
# samples.sh - builds the SDK the way a user installs it and the samples
# the way a user builds them (tests/samples/CMakeLists.txt).
#
#   samples.sh install SRC WORK CC        SDK-only build of SRC, installed
#                                         to WORK/prefix; pkg-config checks
#   samples.sh sample SRC WORK DIR NAME CRYPTO
#                                         build samples/DIR against
#                                         WORK/prefix in WORK/NAME, run it,
#                                         check its output
set -eu

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# The line must be in the run's output.
expect() {
	grep -qF -- "$1" "$2" || fail "missing from the output: '$1'"
}

# True when a live (not zombie) process is in process group $1.
alive_in_group() {
	ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

# run_isolated LOG PGIDFILE CMD...: runs CMD with its output in LOG, in a
# session of its own, so that whatever it leaves behind (a TA process that
# outlived its host) is found, reported and stopped.  Fails unless CMD
# exits 0 and leaves nothing running.
run_isolated() {
	log=$1 pgidfile=$2
	shift 2
	status=0
	# shellcheck disable=SC2016 # $$, $0 and $@ are the inner shell's
	setsid -w sh -c 'echo $$ >"$0"; exec "$@"' "$pgidfile" "$@" >"$log" 2>&1 </dev/null ||
		status=$?
	cat "$log"
	pgid=$(cat "$pgidfile")
	left=0
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		alive_in_group "$pgid" || { left=0; break; }
		left=1
		sleep 0.2
	done
	if [ "$left" -eq 1 ]; then
		ps -e -o pid=,pgid=,stat=,args= | awk -v g="$pgid" '$2 == g' >&2
		env kill -s KILL -- "-$pgid" 2>/dev/null || true
		fail "processes were still alive after the run ended (a TA outlived its host?)"
	fi
	[ "$status" -eq 0 ] || fail "run exited $status"
}

# The helloworld sample once more without CMake: oeedger8r, cc with the
# flags of the pkg-config files, oesign, run.
pkgconfig_build() {
	pc_work=$1 pc_prefix=$2 pc_src=$3/samples/helloworld
	pc_b=$pc_work/helloworld-pkgconfig
	rm -rf "$pc_b"
	mkdir -p "$pc_b"
	echo "== helloworld with pkg-config (oeenclave-gcc, oehost-gcc)"
	(
		p=$pc_prefix s=$pc_src
		export PKG_CONFIG_PATH="$p/share/pkgconfig"
		cd "$pc_b"
		for side in trusted untrusted; do
			"$p/bin/oeedger8r" --$side "$s/helloworld.edl" --search-path "$p/include" \
				--search-path "$p/include/openenclave/edl/sgx"
		done
		# shellcheck disable=SC2046 # pkg-config output is a list of flags
		gcc -I. "$s/enclave/enc.c" helloworld_t.c $(pkg-config --cflags --libs oeenclave-gcc) \
			$(pkg-config --variable=mbedtlslibs oeenclave-gcc) -o enclave
		# shellcheck disable=SC2046
		gcc -I. "$s/host/host.c" helloworld_u.c $(pkg-config --cflags --libs oehost-gcc) -o host
		openssl genrsa -out private.pem -3 3072
		"$p/bin/oesign" sign -e enclave -c "$s/enclave/helloworld.conf" -k private.pem
	) >"$pc_work/helloworld-pkgconfig.build.log" 2>&1 ||
		{ cat "$pc_work/helloworld-pkgconfig.build.log"; fail "pkg-config build"; }
	pc_out=$pc_work/helloworld-pkgconfig.run.log
	run_isolated "$pc_out" "$pc_work/helloworld-pkgconfig.pgid" \
		timeout 60 "$pc_b/host" "$pc_b/enclave.signed"
	expect "Hello world from the enclave" "$pc_out"
	expect "Enclave called into host to print: Hello World!" "$pc_out"
}

cmd_install() {
	src=$1 work=$2 cc=$3
	rm -rf "$work"
	mkdir -p "$work"
	echo "== SDK-only configure, build, install (prefix $work/prefix)"
	cmake -S "$src" -B "$work/sdk" -DTE_SDK_ONLY=ON -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_C_COMPILER="$cc" -DCMAKE_INSTALL_PREFIX="$work/prefix" >"$work/sdk.log" 2>&1 ||
		{ cat "$work/sdk.log"; fail "SDK configure"; }
	cmake --build "$work/sdk" -j2 >>"$work/sdk.log" 2>&1 ||
		{ tail -50 "$work/sdk.log"; fail "SDK build"; }
	cmake --install "$work/sdk" >>"$work/sdk.log" 2>&1 ||
		{ tail -50 "$work/sdk.log"; fail "SDK install"; }

	p=$work/prefix
	for f in bin/oeedger8r bin/oesign bin/te-edger8r bin/te-sign \
		include/openenclave/host.h include/openenclave/enclave.h \
		include/openenclave/edl/syscall.edl include/openenclave/edl/sgx/platform.edl \
		lib/openenclave/host/liboehost.a lib/openenclave/enclave/liboeenclave.a \
		lib/openenclave/enclave/liboelibc.a lib/openenclave/cmake/OpenEnclaveConfig.cmake; do
		[ -e "$p/$f" ] || fail "not installed: $f"
	done
	for f in oeedger8r oesign; do
		[ -x "$p/bin/$f" ] || fail "bin/$f is not executable"
	done

	echo "== pkg-config"
	for side in host enclave; do
		for c in gcc g++ clang clang++; do
			out=$(PKG_CONFIG_PATH="$p/share/pkgconfig" pkg-config --cflags --libs "oe$side-$c") ||
				fail "pkg-config oe$side-$c"
			case $out in
			*"-I$p/include"*"-L$p/lib/openenclave/$side"*) ;;
			*) fail "oe$side-$c: unexpected flags: $out" ;;
			esac
		done
	done
	PKG_CONFIG_PATH="$p/share/pkgconfig" pkg-config --cflags --libs oehost-gcc
	PKG_CONFIG_PATH="$p/share/pkgconfig" pkg-config --libs oehost-gcc | grep -q -- '-loehost' ||
		fail "oehost-gcc does not link -loehost"
	PKG_CONFIG_PATH="$p/share/pkgconfig" pkg-config --libs oeenclave-gcc | grep -q -- '-loeenclave' ||
		fail "oeenclave-gcc does not link -loeenclave"
	PKG_CONFIG_PATH="$p/share/pkgconfig" pkg-config --variable=mbedtlslibs oeenclave-clang |
		grep -q -- '-lmbedcrypto' || fail "oeenclave-clang has no mbedtlslibs"
	echo "PASS: SDK installed"
}

cmd_sample() {
	src=$1 work=$2 dir=$3 name=$4 crypto=$5
	p=$work/prefix b=$work/$name
	[ -f "$p/lib/openenclave/cmake/OpenEnclaveConfig.cmake" ] || fail "no SDK in $p (tee.sdk_install)"
	rm -rf "$b"
	echo "== $dir (OE_CRYPTO_LIB=$crypto): configure, build, sign"
	cmake -S "$src/samples/$dir" -B "$b" -DCMAKE_PREFIX_PATH="$p" -DOE_CRYPTO_LIB="$crypto" \
		>"$work/$name.build.log" 2>&1 || { cat "$work/$name.build.log"; fail "configure"; }
	cmake --build "$b" >>"$work/$name.build.log" 2>&1 ||
		{ tail -60 "$work/$name.build.log"; fail "build"; }
	case $dir in
	data-sealing) signed="enclave_a_v1/enclave_a_v1.signed" ;;
	attestation) signed="enclave_a/enclave_a.signed" ;;
	*) signed="enclave/enclave.signed" ;;
	esac
	[ -f "$b/$signed" ] || fail "no $signed"

	# Sealing and attestation use a developer root: a fresh one in the
	# work directory, never the user's ~/.local/share/trustedge.
	rm -rf "$work/$name.dev-root"
	export TE_TEE_DEV_ROOT="$work/$name.dev-root"
	echo "== $dir: run"
	out=$work/$name.run.log
	run_isolated "$out" "$work/$name.pgid" timeout 120 cmake --build "$b" --target run

	case $dir in
	helloworld)
		expect "Hello world from the enclave" "$out"
		expect "Enclave called into host to print: Hello World!" "$out"
		pkgconfig_build "$work" "$p" "$src"
		;;
	file-encryptor)
		expect "Host: the enclave refused the wrong password" "$out"
		expect "Host: round trip OK: out.decrypted equals" "$out"
		cmp -s "$src/samples/file-encryptor/host/host.c" "$b/out.decrypted" ||
			fail "out.decrypted differs from the input"
		cmp -s "$src/samples/file-encryptor/host/host.c" "$b/out.encrypted" &&
			fail "out.encrypted equals the input"
		;;
	switchless)
		expect "regular ECALLs:    10000 calls, counter 10000," "$out"
		expect "switchless ECALLs: 10000 calls, counter 10000," "$out"
		expect "regular OCALLs:    10000 calls, counter 10000, host ran 10000," "$out"
		expect "switchless OCALLs: 10000 calls, counter 10000, host ran 10000," "$out"
		;;
	data-sealing)
		expect "enclave_a_v1 unseals its UNIQUE blob: OK" "$out"
		expect "enclave_a_v1 unseals its PRODUCT blob: OK" "$out"
		expect "enclave_a_v2 unseals enclave_a_v1's PRODUCT blob: OK" "$out"
		expect "enclave_a_v1 unseals enclave_a_v2's PRODUCT blob: refused (OE_INVALID_ISVSVN)" "$out"
		expect "enclave_a_v2 unseals enclave_a_v1's UNIQUE blob: refused (OE_CRYPTO_ERROR)" "$out"
		expect "enclave_b unseals enclave_a_v1's UNIQUE blob: refused (OE_CRYPTO_ERROR)" "$out"
		expect "enclave_b unseals enclave_a_v1's PRODUCT blob: refused (OE_CRYPTO_ERROR)" "$out"
		expect "All outcomes as expected." "$out"
		[ -f "$TE_TEE_DEV_ROOT/root.secret" ] || fail "the sample's developer root is not in the work dir"
		;;
	attestation)
		for f in local remote; do
			expect "Host: enclave_a attested to enclave_b" "$out"
			expect "Host: replayed evidence refused by enclave_b, as it should be" "$out"
			expect "Host: enclave_b attested to enclave_a" "$out"
			expect "Host: $f attestation: both enclaves attested each other" "$out"
			expect "Host: $f succeeded" "$out"
		done
		expect "enclave_b: the evidence is emulated (trustedge), signed by a developer root" "$out"
		expect "enclave_b: oe_verify_evidence refused the evidence: OE_VERIFY_FAILED" "$out"
		expect "enclave_b: decrypted a message from enclave_a: Hello enclave_b, this is enclave_a" "$out"
		expect "enclave_a: decrypted a message from enclave_b: Hello enclave_a, this is enclave_b" "$out"
		[ -f "$TE_TEE_DEV_ROOT/ca.crt" ] || fail "the sample's developer root is not in the work dir"
		;;
	*) fail "unknown sample $dir" ;;
	esac
	echo "PASS: $dir"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
install) [ $# -eq 3 ] || fail "usage: install SRC WORK CC"; cmd_install "$@" ;;
sample) [ $# -eq 5 ] || fail "usage: sample SRC WORK DIR NAME CRYPTO"; cmd_sample "$@" ;;
*) fail "usage: $0 install|sample ..." ;;
esac
