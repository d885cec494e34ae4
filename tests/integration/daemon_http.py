#!/usr/bin/env python3
"""daemon_http.py - a raw HTTP/1.1 client on a Unix socket for the daemon
integration tests (daemon_*.sh), for what curl cannot do.  Each command
prints one JSON object on stdout and exits 0 unless the client itself
broke; the calling test judges the result.

  trickle SOCK PATH BODY_FILE INTERVAL
      POST PATH with Content-Length, then the body one byte every
      INTERVAL seconds, stopping as soon as the server answers (or
      closes).  {"status", "headers", "body", "sent", "elapsed", "closed"}

  once SOCK PATH
      GET PATH on a new connection.  {"status", ..., "closed"}; status is
      null and closed true when the server closed without answering.

  hold SOCK PATH N READY_FILE RELEASE_FILE
      N keep-alive connections, each with one GET answered; then writes
      READY_FILE and waits (at most 120 s) for RELEASE_FILE to exist, and
      sends one more GET on each held connection.
      {"first": [status...], "second": [status...]}

  drain SOCK PATH BODY_FILE DAEMON_PID LOG FROM_LINE
      One POST on a new connection, then SIGHUP to DAEMON_PID, waits for
      "configuration reloaded" in LOG after line FROM_LINE, then a second
      POST on the same connection, then reads until the server closes.
      {"first": response, "second": response, "closed_after": bool}
"""
import json
import os
import select
import signal
import socket
import sys
import time

TIMEOUT = 30.0


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(path)
    return s


def request_bytes(method, path, body=None):
    head = "%s %s HTTP/1.1\r\nHost: localhost\r\n" % (method, path)
    if body is not None:
        head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    return (head + "\r\n").encode()


def read_response(s, buf=b""):
    """One response (Content-Length framing); closed=True when the
    server closed before a whole response arrived."""
    while b"\r\n\r\n" not in buf:
        try:
            d = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            d = b""
        if not d:
            return {"status": None, "headers": {}, "body": buf.decode("latin-1"),
                    "closed": True}, b""
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        d = s.recv(65536)
        if not d:
            return {"status": status, "headers": headers,
                    "body": rest.decode("latin-1"), "closed": True}, b""
        rest += d
    return {"status": status, "headers": headers, "body": rest[:n].decode("latin-1"),
            "closed": False}, rest[n:]


def closed_now(s, wait):
    """True when the peer closed the connection within wait seconds."""
    r, _, _ = select.select([s], [], [], wait)
    if not r:
        return False
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def cmd_trickle(sock, path, body_file, interval):
    body = open(body_file, "rb").read()
    interval = float(interval)
    s = connect(sock)
    t0 = time.monotonic()
    s.sendall(request_bytes("POST", path, body))
    sent = 0
    while sent < len(body):
        r, _, _ = select.select([s], [], [], interval)
        if r:
            break  # an answer (or a close) before the body is complete
        try:
            s.send(body[sent:sent + 1])
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += 1
    resp, _ = read_response(s)
    resp["sent"] = sent
    resp["elapsed"] = round(time.monotonic() - t0, 3)
    return resp


def cmd_once(sock, path):
    s = connect(sock)
    try:
        s.sendall(request_bytes("GET", path))
    except (BrokenPipeError, ConnectionResetError):
        return {"status": None, "closed": True}
    resp, _ = read_response(s)
    return resp


def cmd_hold(sock, path, n, ready, release):
    conns, first, second = [], [], []
    for _ in range(int(n)):
        s = connect(sock)
        s.sendall(request_bytes("GET", path))
        resp, _ = read_response(s)
        first.append(resp["status"])
        conns.append(s)
    open(ready, "w").close()
    end = time.monotonic() + 120
    while not os.path.exists(release) and time.monotonic() < end:
        time.sleep(0.02)
    for s in conns:
        try:
            s.sendall(request_bytes("GET", path))
            resp, _ = read_response(s)
            second.append(resp["status"])
        except OSError:
            second.append(None)
    return {"first": first, "second": second}


def log_has(log, from_line, text):
    with open(log, "r", errors="replace") as f:
        lines = f.read().split("\n")[int(from_line):]
    return any(text in line for line in lines)


def cmd_drain(sock, path, body_file, pid, log, from_line):
    body = open(body_file, "rb").read()
    s = connect(sock)
    s.sendall(request_bytes("POST", path, body) + body)
    first, rest = read_response(s)
    os.kill(int(pid), signal.SIGHUP)
    end = time.monotonic() + TIMEOUT
    while not log_has(log, from_line, "configuration reloaded"):
        if time.monotonic() > end:
            return {"first": first, "error": "no 'configuration reloaded' in the log"}
        time.sleep(0.02)
    s.sendall(request_bytes("POST", path, body) + body)
    second, rest = read_response(s, rest)
    return {"first": first, "second": second,
            "closed_after": rest == b"" and closed_now(s, 5.0)}


def main(argv):
    cmds = {"trickle": (cmd_trickle, 4), "once": (cmd_once, 2), "hold": (cmd_hold, 5),
            "drain": (cmd_drain, 6)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) != cmds[argv[1]][1] + 2:
        sys.stderr.write(__doc__)
        return 2
    fn, _ = cmds[argv[1]]
    print(json.dumps(fn(*argv[2:])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
