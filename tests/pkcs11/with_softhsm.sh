#!/bin/sh
# with_softhsm.sh CMD [ARGS...] - runs CMD against a fresh SoftHSM2 token.
#
# Makes a temporary directory with its own softhsm2.conf and token store,
# initialises one token, exports
#   SOFTHSM2_CONF      the config SoftHSM2 reads
#   TE_PKCS11_MODULE   path of libsofthsm2.so
#   TE_PKCS11_TOKEN    the token's label
#   TE_PKCS11_PIN      its user PIN (TE_PKCS11_SO_PIN: the SO PIN)
# runs CMD, always removes the directory, and exits with CMD's status.
# Exits 77 (ctest's "skipped") when SoftHSM2 is not installed.
set -eu

if [ $# -lt 1 ]; then
	echo "usage: with_softhsm.sh CMD [ARGS...]" >&2
	exit 2
fi

if ! command -v softhsm2-util >/dev/null 2>&1; then
	echo "with_softhsm.sh: softhsm2-util not found (apt-get install softhsm2)" >&2
	exit 77
fi

# The module: an explicit TE_SOFTHSM_MODULE, then the places distributions
# install it (Debian/Ubuntu, multiarch, Fedora, /usr/local builds).
find_module() {
	if [ -n "${TE_SOFTHSM_MODULE:-}" ] && [ -f "$TE_SOFTHSM_MODULE" ]; then
		echo "$TE_SOFTHSM_MODULE"
		return 0
	fi
	arch=$( (dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine 2>/dev/null) | head -n 1)
	for m in \
		/usr/lib/softhsm/libsofthsm2.so \
		"/usr/lib/$arch/softhsm/libsofthsm2.so" \
		"/usr/lib/$arch/libsofthsm2.so" \
		/usr/lib64/pkcs11/libsofthsm2.so \
		/usr/lib/pkcs11/libsofthsm2.so \
		/usr/lib64/softhsm/libsofthsm2.so \
		/usr/local/lib/softhsm/libsofthsm2.so; do
		if [ -f "$m" ]; then
			echo "$m"
			return 0
		fi
	done
	return 1
}

module=$(find_module) || {
	echo "with_softhsm.sh: libsofthsm2.so not found (set TE_SOFTHSM_MODULE)" >&2
	exit 77
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/te-softhsm.XXXXXX")
cleanup() {
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$dir/tokens"
chmod 700 "$dir" "$dir/tokens"
cat >"$dir/softhsm2.conf" <<EOF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF

export SOFTHSM2_CONF="$dir/softhsm2.conf"
export TE_PKCS11_MODULE="$module"
export TE_PKCS11_TOKEN="trustedge-test"
export TE_PKCS11_PIN="te-user-1234"
export TE_PKCS11_SO_PIN="te-so-5678"

if ! softhsm2-util --init-token --free --label "$TE_PKCS11_TOKEN" \
	--pin "$TE_PKCS11_PIN" --so-pin "$TE_PKCS11_SO_PIN" >"$dir/init.log" 2>&1; then
	echo "with_softhsm.sh: softhsm2-util --init-token failed:" >&2
	cat "$dir/init.log" >&2
	exit 1
fi

status=0
"$@" || status=$?
exit "$status"
