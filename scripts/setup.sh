#!/bin/sh
# setup.sh - installs the Debian packages trustedge needs to build, test and
# benchmark.  Idempotent: installs only what is missing; uses sudo when not
# root.  Called by `make run`, `make check`, `make bench` and `make fuzz`.
set -eu

PKGS="
build-essential cmake pkg-config clang libclang-rt-dev
openssl libssl-dev libmbedtls-dev
libcmocka-dev libjansson-dev libyaml-dev libmicrohttpd-dev libseccomp-dev curl
libtss2-dev
python3 procps gdb
softhsm2 opensc
swtpm swtpm-tools tpm2-tools
nginx
"

# The npm client test needs Node.js and npm.  Some machines carry a
# Node.js build with its own npm (not Debian's packages); take what is there.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"

here=$(cd "$(dirname "$0")" && pwd)
# Steps after the Debian packages (npm packages for the client tests).
after() {
	if [ -x "$here/setup-npm.sh" ]; then
		"$here/setup-npm.sh"
	fi
}

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	after
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "setup: missing packages:$missing" >&2
	echo "setup: not root and no sudo; install them and retry" >&2
	exit 1
fi

echo "setup: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Packages such as nginx start a system service when installed; the tests
# start their own instances, so keep the package scripts from starting any.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	made_policy=1
fi
status=0
$SUDO apt-get update -qq || status=$?
if [ "$status" -eq 0 ]; then
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null || status=$?
fi
[ "$made_policy" -eq 0 ] || $SUDO rm -f "$policy"
[ "$status" -ne 0 ] || after
exit "$status"
