#!/bin/sh
# with_swtpm.sh [--state DIR] CMD [ARGS...]
#
# Starts a private swtpm (TPM 2.0) on a free loopback port pair, runs CMD
# with TE_TPM_TCTI and TPM2TOOLS_TCTI pointing at it, and always stops the
# simulator and removes its temp dir afterwards.  Exits with CMD's status.
#
#   --state DIR   keep the TPM state in DIR (created if missing) instead of
#                 a temp dir, so a later run sees the same TPM (restart tests)
#
# Also exported for CMD: TE_SWTPM_PORT (server port; control is port+1),
# TE_SWTPM_STATE (state dir), TE_SWTPM_PID, and TE_TPM_WORK: an empty
# scratch directory (0700) that is removed with the rest.
set -u

state=""
if [ "${1:-}" = "--state" ]; then
	[ $# -ge 2 ] || { echo "with_swtpm.sh: --state needs a directory" >&2; exit 2; }
	state=$2
	shift 2
fi
if [ $# -eq 0 ]; then
	echo "usage: with_swtpm.sh [--state DIR] CMD [ARGS...]" >&2
	exit 2
fi
command -v swtpm >/dev/null 2>&1 || { echo "with_swtpm.sh: swtpm not found (apt install swtpm)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/te-swtpm.XXXXXX") || exit 2
pid=""

cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		# Give it a moment to write its state, then make sure it is gone.
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "$state" ]; then
	state=$tmp/state
fi
mkdir -p "$state" || exit 2

# 0 when nothing listens on (and nobody holds) 127.0.0.1:$1 and :$1+1.
ports_free() {
	python3 - "$1" <<'EOF'
import socket, sys
p = int(sys.argv[1])
try:
    for port in (p, p + 1):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", port))
        s.close()
except OSError:
    sys.exit(1)
EOF
}

# 0 once the server port accepts connections.
accepts() {
	python3 - "$1" <<'EOF'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()
except OSError:
    sys.exit(1)
EOF
}

started=0
for attempt in 1 2 3 4 5 6 7 8 9 10; do
	# A random even port in 20000..59998; the control channel is port+1.
	port=$(python3 -c 'import random; print(random.randrange(20000, 59998, 2))')
	ports_free "$port" || continue
	swtpm socket --tpm2 \
		--tpmstate dir="$state" \
		--server type=tcp,port="$port",bindaddr=127.0.0.1 \
		--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
		--flags not-need-init,startup-clear \
		--log file="$tmp/swtpm.log" \
		>"$tmp/swtpm.out" 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 100 ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			break # exited: most likely lost the race for the port
		fi
		if accepts "$port"; then
			started=1
			break
		fi
		sleep 0.05
		i=$((i + 1))
	done
	[ $started -eq 1 ] && break
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=""
done
if [ $started -ne 1 ]; then
	echo "with_swtpm.sh: could not start swtpm after 10 attempts:" >&2
	cat "$tmp/swtpm.out" "$tmp/swtpm.log" >&2 2>/dev/null
	exit 2
fi

mkdir -m 700 "$tmp/work" || exit 2
TE_TPM_WORK=$tmp/work
TE_TPM_TCTI="swtpm:host=127.0.0.1,port=$port"
TPM2TOOLS_TCTI=$TE_TPM_TCTI
TE_SWTPM_PORT=$port
TE_SWTPM_STATE=$state
TE_SWTPM_PID=$pid
export TE_TPM_TCTI TPM2TOOLS_TCTI TE_SWTPM_PORT TE_SWTPM_STATE TE_SWTPM_PID TE_TPM_WORK

"$@"
status=$?
exit $status
