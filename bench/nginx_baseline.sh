#!/bin/sh
# bench/nginx_baseline.sh LOADGEN_BIN CONNECTIONS REQUESTS [JSON_OUT]
#
# The baseline of the workload API throughput figure (docs/performance.md):
# nginx returning a fixed 200 JSON body over a Unix socket, loaded by the
# same te-loadgen with the same request (POST of a small JSON body,
# keep-alive).  nginx runs from a temp dir as the current user with one
# worker process: the daemon serves from one event loop too, so one worker
# is the like-for-like comparison (a 2-worker run is a one-line change of
# worker_processes, but on a 2-CPU runner it competes with the load
# generator for CPUs).
#
# Prints te-loadgen's summary line; writes its JSON to JSON_OUT if given.
# Exit 77 when nginx is not installed (Debian package `nginx`; scripts do
# not install packages).  nginx is always stopped and the temp dir removed.
set -eu

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
	echo "usage: bench/nginx_baseline.sh LOADGEN_BIN CONNECTIONS REQUESTS [JSON_OUT]" >&2
	exit 2
fi
loadgen=$1
conns=$2
requests=$3
json=${4:-}

nginx=$(PATH="$PATH:/usr/sbin:/sbin" command -v nginx || true)
if [ -z "$nginx" ]; then
	echo "nginx not installed"
	exit 77
fi
if [ ! -x "$loadgen" ]; then
	echo "nginx_baseline.sh: $loadgen is not executable" >&2
	exit 2
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/te-nginx-XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		# TERM is a fast shutdown; the master stops its worker and exits.
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# `user` is only honoured (and only allowed to change) when started as root;
# as root, workers would otherwise drop to nobody and lose the temp dir.
user_line=
if [ "$(id -u)" -eq 0 ]; then
	user_line="user root;"
fi

# All paths nginx writes are in $T, so it runs as any user and leaves no
# trace; the compiled-in temp paths under /var/lib/nginx are overridden.
cat >"$T/nginx.conf" <<EOF
$user_line
daemon off;
master_process on;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/error.log warn;
events {
	worker_connections 4096;
}
http {
	access_log off;
	client_body_temp_path $T/body;
	proxy_temp_path $T/proxy;
	fastcgi_temp_path $T/fastcgi;
	uwsgi_temp_path $T/uwsgi;
	scgi_temp_path $T/scgi;
	keepalive_requests 100000000;
	keepalive_timeout 300s;
	server {
		listen unix:$T/nginx.sock;
		location / {
			default_type application/json;
			return 200 '{"digest":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}';
		}
	}
}
EOF
printf '{"key":"workload-key","alg":"ES256","digest":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}' \
	>"$T/body.json"

# -e: the startup error log, before the config's error_log applies.
"$nginx" -p "$T" -e "$T/error.log" -c "$T/nginx.conf" &
pid=$!

i=0
while [ ! -S "$T/nginx.sock" ]; do
	if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 100 ]; then
		echo "nginx_baseline.sh: nginx did not start:" >&2
		cat "$T/error.log" >&2 2>/dev/null || true
		exit 1
	fi
	i=$((i + 1))
	sleep 0.05
done
# The socket file appears at bind(); listen() follows at once.  A short
# pause avoids a refused first connect.
sleep 0.1

set -- --unix "$T/nginx.sock" --connections "$conns" --requests "$requests" \
	--method POST --path '/workload/sign?api-version=2024-06-01' \
	--body-file "$T/body.json" --label nginx
if [ -n "$json" ]; then
	set -- "$@" --json "$json"
fi
"$loadgen" "$@"
