#!/bin/sh
# bench/run.sh BUILD_DIR - runs the benchmarks built in BUILD_DIR (a Release
# build) and writes their machine-readable results to bench/results/.
# Each prints one line per figure: `name: value unit (ratio x baseline)`.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: bench/run.sh BUILD_DIR" >&2
	exit 2
fi
build=$1
root=$(cd "$(dirname "$0")/.." && pwd)
results="$root/bench/results"
mkdir -p "$results"

if [ -f "$build/CMakeCache.txt" ] &&
	! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$build/CMakeCache.txt"; then
	echo "bench/run.sh: warning: $build is not a Release build; figures will be low" >&2
fi

bin="$build/bench/bench_hsm"
if [ ! -x "$bin" ]; then
	echo "bench/run.sh: $bin is missing (cmake --build $build --target bench_hsm)" >&2
	exit 1
fi
"$bin" --json "$results/hsm.json"
"$build/bench/bench_cert" --json "$results/pki.json"

# The hardware backends against their own direct APIs, each on a SoftHSM2
# token or swtpm that the wrapper starts in a temp dir and always stops.
"$root/tests/pkcs11/with_softhsm.sh" "$build/bench/bench_pkcs11" --json "$results/pkcs11.json"
"$root/tests/tpm/with_swtpm.sh" "$build/bench/bench_tpm" --json "$results/tpm.json"

# The daemon end to end: workload sign throughput beside nginx at 1..256
# connections, start-to-ready and idle RSS (writes results/daemon.json).
"$root/bench/bench_daemon.sh" "$build"

# The TEE emulator's ECALL/OCALL round trips beside a function call and a
# pipe round trip (writes results/tee.json).
"$build/bench/tee/bench_tee" --json "$results/tee.json"
