#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# DOC: record BIRD control-socket replies as test data
#
# bird_record.py SOCKET DIR NAME=COMMAND...: connects to BIRD's control
# socket, writes the greeting to DIR/greeting.txt, then sends each COMMAND
# and writes the raw bytes of its reply (up to and including the line whose
# four-digit code is followed by a space: the last line of a reply) to
# DIR/NAME.txt. Bounded: 5 s per reply. Used to record tests/data/bird/ from
# each BIRD version (see tests/data/bird/README).
import os
import socket
import sys


def read_reply(sock):
    data = b""
    sock.settimeout(5)
    while True:
        lines = data.split(b"\n")
        for line in lines[:-1]:
            if len(line) >= 5 and line[:4].isdigit() and line[4:5] == b" ":
                end = data.index(line + b"\n") + len(line) + 1
                return data[:end], data[end:]
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("BIRD closed the connection")
        data += chunk


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    path, directory = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    reply, rest = read_reply(sock)
    with open(os.path.join(directory, "greeting.txt"), "wb") as out:
        out.write(reply)
    for spec in sys.argv[3:]:
        name, command = spec.split("=", 1)
        sock.sendall(command.encode() + b"\n")
        reply, rest = read_reply(sock)
        with open(os.path.join(directory, name + ".txt"), "wb") as out:
            out.write(reply)


main()
