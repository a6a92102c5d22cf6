#!/usr/bin/env python3
"""Receives a pseudo-terminal master from a runtime's --console-socket.

    recvtty.py [--input TEXT] [--timeout SECONDS] SOCKET [OUTPUT]

Listens on the unix socket SOCKET (the path appears only once it accepts
connections), takes one connection, receives the pty master sent with
SCM_RIGHTS, optionally writes TEXT to it, and copies what the terminal
prints to OUTPUT (default: stdout) until the last holder of the terminal's
other side closes it.  Exits 0 then, 1 on a timeout or an error.
"""

import argparse
import array
import errno
import os
import select
import socket
import sys
import time


def receive_fd(conn):
    fds = array.array("i")
    size = socket.CMSG_SPACE(4 * fds.itemsize)
    _, ancdata, _, _ = conn.recvmsg(4096, size)
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    if not fds:
        raise RuntimeError("no file descriptor received")
    for extra in fds[1:]:
        os.close(extra)
    return fds[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", default=None)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("socket")
    parser.add_argument("output", nargs="?")
    args = parser.parse_args()

    deadline = time.monotonic() + args.timeout
    out = open(args.output, "wb", buffering=0) if args.output else sys.stdout.buffer

    # Bind under a temporary name and rename once listening, so that a
    # client that sees the path never gets ECONNREFUSED.
    tmp = "%s.%d.tmp" % (args.socket, os.getpid())
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(tmp)
    srv.listen(1)
    os.rename(tmp, args.socket)

    ready, _, _ = select.select([srv], [], [], args.timeout)
    if not ready:
        print("recvtty: no connection", file=sys.stderr)
        return 1
    conn, _ = srv.accept()
    srv.close()
    master = receive_fd(conn)
    conn.close()

    if args.input is not None:
        os.write(master, args.input.encode())

    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            print("recvtty: timed out", file=sys.stderr)
            return 1
        ready, _, _ = select.select([master], [], [], left)
        if not ready:
            continue
        try:
            data = os.read(master, 4096)
        except OSError as e:
            # EIO: nobody holds the terminal's other side any more.
            if e.errno == errno.EIO:
                break
            raise
        if not data:
            break
        out.write(data)
    out.flush()
    os.close(master)
    return 0


if __name__ == "__main__":
    sys.exit(main())
