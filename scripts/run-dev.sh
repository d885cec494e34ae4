#!/bin/sh
# run-dev.sh BUILD_DIR - brings trustedge up on development defaults: a
# software HSM whose store lives under the build tree, then shows how to
# call it.  The security daemon (trustedged) is not built yet; until it is,
# this exercises the HSM layer through the CLI, end to end, and checks the
# result with the openssl CLI.
set -eu
build=${1:-build/release}
cli="$build/tools/cli/trustedge"
store="$build/dev/keys"
work="$build/dev/demo"
mkdir -p "$work"

echo "trustedge: development store at $store (software backend)"
if ! "$cli" --store "$store" key exists demo-device; then
	"$cli" --store "$store" key create demo-device --type ec-p256
	echo "trustedge: created key demo-device (ec-p256, not exportable)"
fi
printf 'hello from trustedge\n' > "$work/message.txt"
"$cli" --store "$store" key sign demo-device --in "$work/message.txt" > "$work/message.sig"
"$cli" --store "$store" key public demo-device > "$work/demo-device.pub.pem"
openssl dgst -sha256 -verify "$work/demo-device.pub.pem" \
	-signature "$work/message.sig" "$work/message.txt"
echo
"$cli" --store "$store" key list
cat <<MSG

Try it yourself:
  $cli --store $store key --help
  $cli --store $store key create mykey --type ed25519
  $cli --store $store key sign mykey --in FILE > FILE.sig
  $cli --store $store --json key list
MSG
