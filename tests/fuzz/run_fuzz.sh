#!/bin/sh
# run_fuzz.sh BINARY SEED_CORPUS WORK_CORPUS SECONDS
# Runs one libFuzzer target for SECONDS from a copy of its seed corpus, so
# the checked-in seeds are never modified.  Fails if the fuzzer finds a
# crash, a leak or a sanitizer report.
set -eu
bin=$1 seeds=$2 work=$3 secs=$4
mkdir -p "$work"
if [ -d "$seeds" ]; then cp -f "$seeds"/* "$work"/ 2>/dev/null || true; fi
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/../crash-$(basename "$bin")-" "$work"
