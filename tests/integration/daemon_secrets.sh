#!/bin/sh
# daemon_secrets.sh - the API process, which parses everything modules
# send, holds no secret: after start-up (and after a reload) neither the
# connection string's SAS key (raw bytes or its base64 text) nor the
# PKCS#11-style PIN of the HSM settings is anywhere in its memory.  The
# same scan of the parent finds the key, so the scan can fail.
. "$(dirname "$0")/daemon_lib.sh"
need_tools python3 openssl

# The daemon wipes the secrets it holds and makes glibc fill freed heap
# blocks (mallopt(M_PERTURB) and te_heap_scrub): libyaml frees its copies
# of the configuration text unwiped.  A sanitizer build replaces glibc's
# allocator, so give it the same fill-on-free (no effect otherwise).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}max_free_fill_size=1048576:free_fill_byte=165"
export ASAN_OPTIONS

KEY_B64=$(openssl rand -base64 32)
d_config <<EOF2
provisioning:
  source: manual
  connection_string: "HostName=hub.example.net;DeviceId=dev-s;SharedAccessKey=$KEY_B64"
modules:
  - name: alpha
    uid: 0
EOF2

# scan PID: prints "raw", "b64" for each form of the key found in the
# process's readable memory (root reads /proc/PID/mem of any process).
scan() {
	python3 - "$1" "$KEY_B64" <<'PY'
import base64, re, sys
pid, b64 = sys.argv[1], sys.argv[2]
needles = {"raw": base64.b64decode(b64), "b64": b64.encode()}
found = set()
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
        lo, hi, perms = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
        # Skip what cannot hold heap data: unreadable, kernel pages, and
        # the sanitizer's terabyte-sized shadow reservations.
        if perms[0] != "r" or "[vvar]" in line or "[vsyscall]" in line:
            continue
        if hi - lo > 256 << 20:
            continue
        prev = b""
        for at in range(lo, hi, 4 << 20):
            try:
                mem.seek(at)
                data = prev + mem.read(min(4 << 20, hi - at))
            except OSError:
                break
            for name, n in needles.items():
                if n in data:
                    found.add(name)
            prev = data[-64:]
print(" ".join(sorted(found)))
PY
}

d_start
api=$(d_api_pid)
keys=$(d_keys_pid)
sign alpha 1 "$(printf 'hello' | base64)" >/dev/null
got=$(scan "$api")
[ -z "$got" ] || fail "the API process $api holds the SAS key ($got)"
note "API process: no SAS key in memory"
# The parent keeps the configuration (it restarts the keys process): the
# scan must find the key there, or it proves nothing.
got=$(scan "$DPID")
case $got in *raw*) ;; *) fail "the scan did not find the key in the parent ($got): the test is blind" ;; esac
note "the scan sees the key where it is (parent: $got)"

# After a reload the new API process is as clean.
kill -HUP "$DPID"
d_wait_log "configuration reloaded" 30 || fail "no reload"
sleep 0.5
api=$(d_api_pid)
got=$(scan "$api")
[ -z "$got" ] || fail "the API process $api holds the SAS key after a reload ($got)"
note "API process after SIGHUP: no SAS key in memory"
d_stop
