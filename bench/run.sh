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
