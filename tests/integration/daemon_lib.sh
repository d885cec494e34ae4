# daemon_lib.sh - shared helpers of the tests that start the real
# trustedged (daemon_*.sh).  A test is run as
#
#   sh daemon_NAME.sh TRUSTEDGE_CLI TRUSTEDGED [MORE...]
#
# and sources this file, which sources lib.sh (T, fail, note, expect,
# jcheck, jget, ...) and adds:
#
#   - a socket directory R (short: Unix socket paths are limited to 107
#     bytes) beside T, both removed on exit, after every daemon the test
#     started has been stopped (SIGTERM, then SIGKILL); the daemon gets
#     PR_SET_PDEATHSIG, so even a test killed by ctest takes it along;
#   - d_config: the configuration file (soft HSM in T, sockets in R);
#   - d_start / d_stop / d_children / d_api_pid / d_keys_pid / d_rss;
#   - req: HTTP over the workload socket with curl, as root or as another
#     uid (as_user: setpriv after d_user made a system user);
#   - fail, which dumps the daemon's log.
#
# Tests skip (exit 77) only when a tool is missing; everything else fails
# loudly with the log.  Several tests may run at once (ctest -j): every
# path is private and no fixed port is used.

. "$(dirname "$0")/lib.sh"

TRUSTEDGED=${2:?usage: $0 TRUSTEDGE_CLI TRUSTEDGED ...}
case $TRUSTEDGED in
/*) ;;
*) TRUSTEDGED=$PWD/$TRUSTEDGED ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)

D_LOG=$T/daemon.log
: >"$D_LOG"
DPID=""
D_SEEN="" # every daemon process (parents and children) seen, for cleanup
D_BG=""   # other background processes of the test
d_mark=0

# The sockets live in a short directory other uids can traverse (T is
# 0700); the sockets' own modes and groups decide who may connect.
R=$(mktemp -d /tmp/te-run.XXXXXX)
chmod 0711 "$R"
SOCK=$R/workload.sock
CFG=$T/config.yaml
HSM=$T/hsm
STATE=$T/state
mkdir -m 700 "$HSM" "$STATE"
# The versions of the workload API: every route exists from the first.
V=api-version=2018-06-28

# ---- reporting --------------------------------------------------------------

d_dump_log() {
	[ -s "$D_LOG" ] || return 0
	echo "--- trustedged log ($D_LOG) ---" >&2
	sed 's/^/  /' "$D_LOG" >&2
	echo "--- end of log ---" >&2
}

# fail MSG: the test fails; the daemon's log goes with it.
fail() {
	echo "FAIL: $*" >&2
	d_dump_log
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# need_tools TOOL...: skip unless every tool is on PATH.
need_tools() {
	for _t in "$@"; do
		command -v "$_t" >/dev/null 2>&1 || skip "$_t not found (needed by this test)"
	done
}

# need_users: creating users and switching uid needs root, useradd and
# setpriv; skip without them.
need_users() {
	need_tools setpriv useradd getent
	[ "$(id -u)" -eq 0 ] || skip "needs root to run callers as other uids"
}

d_now_ms() {
	date +%s%3N
}

# ---- processes ------------------------------------------------------------------

# d_alive PID: running (a zombie is not).
d_alive() {
	kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# d_is_daemon PID: PID is alive and is one of our trustedged processes
# (a pid may have been reused by the time we look again).
d_is_daemon() {
	d_alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$TRUSTEDGED"
}

# d_wait_gone SECONDS PID...: waits until none of the PIDs runs; 1 if
# some still do after SECONDS.
d_wait_gone() {
	_end=$(($(d_now_ms) + $1 * 1000))
	shift
	while :; do
		_left=""
		for _p in "$@"; do
			if d_is_daemon "$_p"; then _left="$_left $_p"; fi
		done
		[ -n "$_left" ] || return 0
		[ "$(d_now_ms)" -lt "$_end" ] || return 1
		sleep 0.05
	done
}

d_cleanup() {
	for _p in $D_BG; do
		kill -TERM "$_p" 2>/dev/null || true
	done
	if [ -n "$DPID" ] && d_alive "$DPID"; then
		D_SEEN="$D_SEEN $(d_children)"
		kill -TERM "$DPID" 2>/dev/null || true
		d_wait_gone 20 "$DPID" || kill -KILL "$DPID" 2>/dev/null || true
	fi
	# Children of a parent killed with SIGKILL get SIGTERM from the
	# kernel (PR_SET_PDEATHSIG); give them a moment, then make sure.
	# shellcheck disable=SC2086
	d_wait_gone 15 $D_SEEN || for _p in $D_SEEN; do
		if d_is_daemon "$_p"; then kill -KILL "$_p" 2>/dev/null || true; fi
	done
	for _p in $D_BG; do
		kill -KILL "$_p" 2>/dev/null || true
	done
	rm -rf "$T" "$R"
}
trap 'd_rc=$?; trap - EXIT; d_cleanup; exit $d_rc' EXIT

# d_children [PARENT]: the pids of the parent's children, one a line.
d_children() {
	_pp=${1:-$DPID}
	[ -n "$_pp" ] || return 0
	grep -l "^PPid:[[:space:]]*$_pp\$" /proc/[0-9]*/status 2>/dev/null |
		sed 's|^/proc/\([0-9]*\)/status$|\1|' || true
}

# The keys process is single-threaded; the API process runs
# libmicrohttpd's threads.  d_api_pid / d_keys_pid print the one child of
# that kind, or fail (none, or several: a reload still draining).
d_child_of_kind() {
	_found=""
	for _c in $(d_children); do
		_th=$(sed -n 's/^Threads:[[:space:]]*//p' "/proc/$_c/status" 2>/dev/null || true)
		[ -n "$_th" ] || continue
		if { [ "$1" = keys ] && [ "$_th" -eq 1 ]; } || { [ "$1" = api ] && [ "$_th" -gt 1 ]; }; then
			_found="$_found $_c"
		fi
	done
	set -- $_found
	[ $# -eq 1 ] || return 1
	D_SEEN="$D_SEEN $1"
	echo "$1"
}
d_api_pid() {
	d_child_of_kind api || fail "cannot tell the API process among the children of $DPID: $(d_children | tr '\n' ' ')"
}
d_keys_pid() {
	d_child_of_kind keys || fail "cannot tell the keys process among the children of $DPID: $(d_children | tr '\n' ' ')"
}

# d_rss PID: VmRSS in KiB.
d_rss() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$1/status"
}

# ---- configuration ----------------------------------------------------------------

# d_config [FILE] < YAML: writes the daemon's configuration: the soft HSM
# in T/hsm, state in T/state, every socket in R, then the YAML on stdin
# (modules, limits, provisioning, ...).  D_SOCK_GROUP, when set, is the
# workload socket's group (mode 0660).
d_config() {
	_f=${1:-$CFG}
	_grp=""
	[ -z "${D_SOCK_GROUP:-}" ] || _grp=", group: $D_SOCK_GROUP"
	cat >"$_f" <<EOF
hsm:
  backend: soft
  soft:
    store: $HSM
state_dir: $STATE
sockets:
  workload: {path: $R/workload.sock, mode: "0660"$_grp}
  keys: {path: $R/keys.sock}
  certs: {path: $R/certs.sock}
  identity: {path: $R/identity.sock}
  management: {path: $R/mgmt.sock}
EOF
	cat >>"$_f"
}

# ---- the daemon -------------------------------------------------------------------

d_log_lines() {
	wc -l <"$D_LOG" | tr -d ' '
}

# d_log_since LINE: the log after line LINE.
d_log_since() {
	tail -n "+$(($1 + 1))" "$D_LOG"
}

# d_wait_log TEXT SECONDS [FROM]: waits until the log after line FROM
# (default: the last d_start/d_mark_log) has TEXT.  1 on timeout, 2 when
# the daemon died first.
d_wait_log() {
	_end=$(($(d_now_ms) + $2 * 1000))
	_from=${3:-$d_mark}
	while :; do
		if d_log_since "$_from" | grep -qF -- "$1"; then return 0; fi
		d_alive "$DPID" || return 2
		[ "$(d_now_ms)" -lt "$_end" ] || return 1
		sleep 0.05
	done
}

# d_mark_log: later d_wait_log calls look only at what follows.
d_mark_log() {
	d_mark=$(d_log_lines)
}

# d_start [CONFIG]: starts trustedged -c CONFIG (default CFG) and waits
# until it logs "ready" and answers GET /modules.
d_start() {
	_cfg=${1:-$CFG}
	echo "=== trustedged -c $_cfg ($(date -u +%H:%M:%S)) ===" >>"$D_LOG"
	d_mark_log
	if command -v setpriv >/dev/null 2>&1; then
		setpriv --pdeathsig TERM -- "$TRUSTEDGED" -c "$_cfg" >>"$D_LOG" 2>&1 &
	else
		"$TRUSTEDGED" -c "$_cfg" >>"$D_LOG" 2>&1 &
	fi
	DPID=$!
	D_SEEN="$D_SEEN $DPID"
	_st=0
	d_wait_log "trustedged: info: ready: " 60 || _st=$?
	case $_st in
	0) ;;
	2)
		_rc=0
		wait "$DPID" || _rc=$?
		DPID=""
		fail "trustedged exited during start-up (status $_rc)"
		;;
	*) fail "trustedged did not log 'ready' within 60 s" ;;
	esac
	d_wait_serving 10 || fail "trustedged logged 'ready' but GET /modules does not answer 200"
	D_SEEN="$D_SEEN $(d_children)"
}

# d_wait_serving SECONDS: until GET /modules answers 200; 1 on timeout,
# 2 when the daemon exited.
d_wait_serving() {
	_end=$(($(d_now_ms) + $1 * 1000))
	while :; do
		d_alive "$DPID" || return 2
		req GET "/modules?$V"
		[ "$CODE" != 200 ] || return 0
		[ "$(d_now_ms)" -lt "$_end" ] || return 1
		sleep 0.05
	done
}

# d_start_fails [CONFIG]: starts trustedged -c CONFIG, which must exit
# without getting ready (within 60 s); its status is in D_STATUS.
d_start_fails() {
	_cfg=${1:-$CFG}
	echo "=== trustedged -c $_cfg, expected to fail ($(date -u +%H:%M:%S)) ===" >>"$D_LOG"
	d_mark_log
	"$TRUSTEDGED" -c "$_cfg" >>"$D_LOG" 2>&1 &
	DPID=$!
	D_SEEN="$D_SEEN $DPID"
	d_wait_gone 60 "$DPID" || fail "trustedged -c $_cfg was expected to fail but still runs after 60 s"
	D_STATUS=0
	wait "$DPID" || D_STATUS=$?
	DPID=""
	if d_log_since "$d_mark" | grep -qF "trustedged: info: ready: "; then
		fail "trustedged -c $_cfg was expected to fail but got ready"
	fi
}

# d_stop: SIGTERM, then the exit status in D_STATUS (fails after 30 s).
d_stop() {
	[ -n "$DPID" ] || fail "d_stop: no daemon running"
	D_SEEN="$D_SEEN $(d_children)"
	kill -TERM "$DPID"
	d_wait_gone 30 "$DPID" || fail "trustedged did not exit within 30 s of SIGTERM"
	D_STATUS=0
	wait "$DPID" || D_STATUS=$?
	DPID=""
}

# d_no_sanitizer: the log has no sanitizer report.
d_no_sanitizer() {
	if grep -q 'Sanitizer\|runtime error:' "$D_LOG"; then
		fail "sanitizer report in the daemon's log"
	fi
}

# ---- callers ------------------------------------------------------------------------

# d_user NAME: a system user NAME with a group of the same name, made
# unless it exists.  Tests running at once may race to make it.
d_user() {
	_i=0
	while ! id -u "$1" >/dev/null 2>&1; do
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$1" >/dev/null 2>&1 || true
		_i=$((_i + 1))
		[ $_i -lt 50 ] || fail "cannot create the system user $1"
		id -u "$1" >/dev/null 2>&1 || sleep 0.1
	done
}

d_gid() {
	getent group "$1" | cut -d: -f3
}

# as_user USER[:GROUP] CMD...: CMD with USER's uid, GROUP's gid (default
# USER's own group) and no supplementary groups.
as_user() {
	_u=${1%%:*}
	_g=${1#*:}
	[ "$_g" != "$1" ] || _g=$(id -gn "$_u")
	shift
	setpriv --reuid="$(id -u "$_u")" --regid="$(d_gid "$_g")" --clear-groups -- "$@"
}

# req [-u USER[:GROUP]] [-t TYPE] [-d DATA | -f FILE] [-H 'K: V'] METHOD PATH
# One request on the workload socket (curl), as USER when given.  With a
# body, Content-Type is TYPE (application/json by default).  Sets CODE
# (HTTP status, 000 when no response) and CURL_RC; the body is in $T/out.
req() {
	_user="" _ct=application/json _body=0 _hdr=""
	while [ $# -gt 2 ]; do
		case $1 in
		-u) _user=$2 ;;
		-t) _ct=$2 ;;
		-d)
			printf '%s' "$2" >"$T/req.body"
			_body=1
			;;
		-f)
			cat "$2" >"$T/req.body"
			_body=1
			;;
		-H) _hdr=$2 ;;
		*) fail "req: unknown option $1" ;;
		esac
		shift 2
	done
	_method=$1
	_path=$2
	set -- curl -q -sS --path-as-is --max-time 30 --unix-socket "$SOCK" -X "$_method" \
		-w '\n@@status %{http_code}\n'
	[ -z "$_hdr" ] || set -- "$@" -H "$_hdr"
	if [ $_body = 1 ]; then
		set -- "$@" -H "Content-Type: $_ct" --data-binary @-
	else
		: >"$T/req.body"
	fi
	set -- "$@" "http://localhost$_path"
	[ -z "$_user" ] || set -- as_user "$_user" "$@"
	CURL_RC=0
	"$@" <"$T/req.body" >"$T/raw" 2>"$T/req.err" || CURL_RC=$?
	CODE=$(sed -n 's/^@@status //p' "$T/raw" | tail -n 1)
	[ -n "$CODE" ] || CODE=000
	sed '$d' "$T/raw" >"$T/out"
	REQ_WHAT="${_user:+as $_user: }$_method $_path"
}

# expect_http CODE [WHAT]: the last req answered CODE.
expect_http() {
	[ "$CODE" = "$1" ] && return 0
	echo "--- response body:" >&2
	head -c 2000 "$T/out" >&2
	echo >&2
	[ ! -s "$T/req.err" ] || { echo "--- curl:" >&2; cat "$T/req.err" >&2; }
	fail "${2:-$REQ_WHAT}: HTTP $CODE, expected $1"
}

# expect_error CODE MESSAGE [WHAT]: the last req answered CODE with the
# body {"message": MESSAGE} and nothing else.
expect_error() {
	expect_http "$1" "${3:-}"
	python3 - "$T/out" "$2" <<'EOF' || fail "${3:-$REQ_WHAT}: HTTP $1 body is not {\"message\": \"$2\"}"
import json, sys
d = json.load(open(sys.argv[1]))
if d != {"message": sys.argv[2]}:
    print("body: %r" % (d,), file=sys.stderr)
    sys.exit(1)
EOF
}

# b64 TEXT / b64file FILE: base64 without line breaks.
b64() {
	printf '%s' "$1" | base64 | tr -d '\n'
}

# sign_body DATA [KEYID]: the JSON body of a sign request over the bytes DATA.
sign_body() {
	printf '{"keyId":"%s","algo":"HMACSHA256","data":"%s"}' "${2:-primary}" "$(b64 "$1")"
}

# sign MODULE GENID DATA [KEYID] [USER]: the digest (base64) into DIGEST;
# fails unless 200 with a 32-byte digest.
sign() {
	if [ -n "${5:-}" ]; then
		req -u "$5" -d "$(sign_body "$3" "${4:-primary}")" POST "/modules/$1/genid/$2/sign?$V"
	else
		req -d "$(sign_body "$3" "${4:-primary}")" POST "/modules/$1/genid/$2/sign?$V"
	fi
	expect_http 200
	jcheck 'set(d) == {"digest"} and len(__import__("base64").b64decode(d["digest"], validate=True)) == 32'
	DIGEST=$(jget digest)
}

# py_http ARGS...: the raw-socket client (daemon_http.py) for what curl
# cannot do: trickle a body, hold connections, reuse one across a reload.
py_http() {
	python3 "$HERE/daemon_http.py" "$@"
}
