#!/bin/sh
# run-dev.sh BUILD_DIR - brings trustedged up on its development defaults
# (software HSM, generated edge CA, sockets under BUILD_DIR/dev/run), calls
# the workload API once with curl to show it works, prints how to call it,
# and keeps the daemon in the foreground until Ctrl-C.
#
# TE_RUN_DEV_EXIT=1 stops the daemon after the demonstration (for tests).
set -eu
build=${1:-build/release}
daemon="$build/trustedged"
dev="$build/dev"
sock="$dev/run/workload.sock"
log="$dev/trustedged.log"

if [ ! -x "$daemon" ]; then
	echo "run-dev: $daemon is missing; build first (make build)" >&2
	exit 1
fi
mkdir -p "$dev"
dev=$(cd "$dev" && pwd)
sock="$dev/run/workload.sock"
log="$dev/trustedged.log"

"$daemon" --dev "$dev" 2>"$log" &
pid=$!
stop() {
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
trap 'stop; exit 130' INT TERM
trap stop EXIT

# Ready when the trust bundle answers (the daemon also tells systemd).
tries=0
until curl -sf --unix-socket "$sock" -o /dev/null \
	'http://localhost/trust-bundle?api-version=2019-01-30' 2>/dev/null; do
	tries=$((tries + 1))
	if [ "$tries" -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "run-dev: trustedged did not come up; its log ($log):" >&2
		cat "$log" >&2
		exit 1
	fi
	sleep 0.1
done

echo "trustedged is up (pid $pid) on development defaults under $dev"
echo "log: $log"
echo
echo "Sign as module 'dev-module' (your uid is that module in development):"
echo
cat <<EOF
  curl --unix-socket $sock \\
    -H 'Content-Type: application/json' \\
    -d '{"keyId":"primary","algo":"HMACSHA256","data":"aGVsbG8="}' \\
    'http://localhost/modules/dev-module/genid/1/sign?api-version=2019-01-30'
EOF
echo
curl -sS --unix-socket "$sock" -H 'Content-Type: application/json' \
	-d '{"keyId":"primary","algo":"HMACSHA256","data":"aGVsbG8="}' \
	'http://localhost/modules/dev-module/genid/1/sign?api-version=2019-01-30'
echo
echo
cat <<EOF
More:
  curl --unix-socket $sock 'http://localhost/trust-bundle?api-version=2019-01-30'
  curl --unix-socket $sock -H 'Content-Type: application/json' -d '{"commonName":"localhost"}' \\
    'http://localhost/modules/dev-module/genid/1/certificate/server?api-version=2019-01-30'
  man -l docs/man/trustedged.8        the daemon; docs/man/trustedge.yaml.5 its configuration
EOF
if [ "${TE_RUN_DEV_EXIT:-0}" = 1 ]; then
	exit 0
fi
echo
echo "Ctrl-C stops the daemon."
wait "$pid"
