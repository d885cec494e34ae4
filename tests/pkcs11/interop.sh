#!/bin/sh
# interop.sh TRUSTEDGE P11TOOL - trustedge and other PKCS#11 tools on one
# token (run under with_softhsm.sh):
#  1. keys trustedge makes are listed by pkcs11-tool, non-exportable ones
#     as sensitive and never extractable, with the label and a CKA_ID;
#  2. a key pair pkcs11-tool makes is listed by trustedge and signs
#     through its pkcs11: URI (and its name, the label), and the signature
#     verifies with openssl against the public key trustedge exports, which
#     is the one pkcs11-tool reads off the token.
set -eu

TE=${1:?usage: interop.sh TRUSTEDGE P11TOOL}
TOOL=${2:?usage: interop.sh TRUSTEDGE P11TOOL}
: "${TE_PKCS11_MODULE:?run under with_softhsm.sh}"

W=$(mktemp -d "${TMPDIR:-/tmp}/te-p11-interop.XXXXXX")
trap 'rm -rf "$W"' EXIT
trap 'exit 130' HUP INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

cat >"$W/config.yaml" <<EOF
hsm:
  backend: pkcs11
  pkcs11:
    module: $TE_PKCS11_MODULE
    token: $TE_PKCS11_TOKEN
    pin_env: TE_PKCS11_PIN
EOF

te() {
	"$TE" --config "$W/config.yaml" "$@"
}

p11() {
	pkcs11-tool --module "$TE_PKCS11_MODULE" --token-label "$TE_PKCS11_TOKEN" \
		--login --pin "$TE_PKCS11_PIN" "$@"
}

# The lines of pkcs11-tool's --list-objects block for object CLASS
# ("Private Key", "Secret Key", "Public Key") labelled LABEL.
object_block() {
	awk -v cls="$1 Object" -v label="$2" '
		/^[A-Z][a-z]+ (Key|Data) Object|^Certificate Object/ {
			if (inblk && found) exit
			inblk = index($0, cls) == 1; found = 0; buf = ""
		}
		inblk { buf = buf $0 "\n" }
		inblk && $1 == "label:" { l = $0; sub(/^[ \t]*label:[ \t]*/, "", l); found = (l == label) }
		END { if (inblk && found) printf "%s", buf }
	' "$W/objects"
}

echo "# 1. keys made by trustedge, seen by pkcs11-tool"
te key create te-ec --type ec-p256 >/dev/null
te key create te-rsa --type rsa-2048 --usage sign,encrypt >/dev/null
te key create te-aes --type aes-256-gcm >/dev/null
te key create te-exp --type hmac-sha256 --exportable >/dev/null
p11 --list-objects >"$W/objects" 2>/dev/null

for k in "Private Key:te-ec" "Private Key:te-rsa" "Secret Key:te-aes"; do
	cls=${k%%:*}
	label=${k#*:}
	block=$(object_block "$cls" "$label")
	[ -n "$block" ] || fail "pkcs11-tool does not list $cls object '$label'"
	access=$(printf '%s\n' "$block" | sed -n 's/^[ \t]*Access:[ \t]*//p')
	case ", $access," in
	*", sensitive,"*) ;;
	*) fail "$label: Access '$access' is not sensitive" ;;
	esac
	case ", $access," in
	*", never extractable,"*) ;;
	*) fail "$label: Access '$access' is not 'never extractable'" ;;
	esac
	printf '%s\n' "$block" | grep -q '^[ \t]*ID:[ \t]*[0-9a-f]\{32\}$' ||
		fail "$label: no 16-byte CKA_ID"
	echo "ok: $cls '$label': $access"
done
# The EC key's usage is what it was made for, nothing more.
usage=$(object_block "Private Key" te-ec | sed -n 's/^[ \t]*Usage:[ \t]*//p')
[ "$usage" = "sign" ] || fail "te-ec: Usage '$usage', want only 'sign'"
# Both halves of the pairs are there.
[ -n "$(object_block "Public Key" te-ec)" ] || fail "no public half of te-ec"
[ -n "$(object_block "Public Key" te-rsa)" ] || fail "no public half of te-rsa"
# An exportable key is extractable and not sensitive, and nothing else is.
access=$(object_block "Secret Key" te-exp | sed -n 's/^[ \t]*Access:[ \t]*//p')
case ", $access," in
*", sensitive,"*) fail "te-exp: exportable key is sensitive ('$access')" ;;
*", extractable,"*) ;;
*) fail "te-exp: exportable key is not extractable ('$access')" ;;
esac
echo "ok: exportable 'te-exp': $access"

echo "# 2. a key made by pkcs11-tool, used by trustedge"
p11 --keypairgen --key-type EC:prime256v1 --label ext --id 42 >/dev/null 2>&1 ||
	fail "pkcs11-tool --keypairgen failed"
te key list >"$W/list"
grep -q '^ext[ \t][ \t]*ec-p256[ \t][ \t]*sign' "$W/list" || {
	cat "$W/list" >&2
	fail "trustedge key list does not show ext as an ec-p256 signing key"
}
printf 'interop message\n' >"$W/data"

# Through the URI.
"$TOOL" info 'pkcs11:object=ext;type=private' >"$W/info"
[ "$(cat "$W/info")" = "ext ec-p256 sign -" ] || fail "info by URI: $(cat "$W/info")"
"$TOOL" sign 'pkcs11:object=ext;type=private' "$W/data" "$W/sig.uri"
"$TOOL" public 'pkcs11:object=ext;type=private' "$W/pub.uri.pem"
openssl dgst -sha256 -verify "$W/pub.uri.pem" -signature "$W/sig.uri" "$W/data" >/dev/null ||
	fail "signature made through pkcs11:object=ext;type=private does not verify"
echo "ok: signed through pkcs11:object=ext;type=private, verified by openssl"
# By id only.
"$TOOL" sign 'pkcs11:id=%42;type=private' "$W/data" "$W/sig.id"
openssl dgst -sha256 -verify "$W/pub.uri.pem" -signature "$W/sig.id" "$W/data" >/dev/null ||
	fail "signature made through pkcs11:id=%42 does not verify"
echo "ok: signed through pkcs11:id=%42;type=private"

# The CLI, by name (the label is a valid key name) and by URI.
te key sign ext --in "$W/data" --out "$W/sig.cli"
te key public ext --out "$W/pub.pem"
openssl dgst -sha256 -verify "$W/pub.pem" -signature "$W/sig.cli" "$W/data" >/dev/null ||
	fail "trustedge key sign ext: signature does not verify"
echo "ok: trustedge key sign ext, verified by openssl against trustedge key public ext"
te key sign 'pkcs11:object=ext;type=private' --in "$W/data" --out "$W/sig.cliuri" ||
	fail "trustedge key sign by pkcs11: URI failed"
openssl dgst -sha256 -verify "$W/pub.pem" -signature "$W/sig.cliuri" "$W/data" >/dev/null ||
	fail "trustedge key sign by URI: signature does not verify"
echo "ok: trustedge key sign 'pkcs11:object=ext;type=private'"
! te key create 'pkcs11:object=new;type=private' --type ec-p256 2>/dev/null ||
	fail "a new key was created under a URI instead of a name"

# trustedge exports the public key pkcs11-tool reads off the token.
p11 --read-object --type pubkey --label ext -o "$W/pub.p11.der" >/dev/null 2>&1 ||
	fail "pkcs11-tool --read-object failed"
openssl pkey -pubin -in "$W/pub.pem" -outform DER -out "$W/pub.te.der"
openssl pkey -pubin -inform DER -in "$W/pub.p11.der" -outform DER -out "$W/pub.p11.norm.der"
cmp -s "$W/pub.te.der" "$W/pub.p11.norm.der" ||
	fail "trustedge's public key of ext differs from pkcs11-tool's"
echo "ok: public key of ext is the same through trustedge and pkcs11-tool"

te key delete ext >/dev/null
p11 --list-objects >"$W/objects" 2>/dev/null
[ -z "$(object_block "Private Key" ext)$(object_block "Public Key" ext)" ] ||
	fail "trustedge key delete ext left objects behind"
echo "ok: trustedge key delete ext removed both halves"
echo "PASS"
