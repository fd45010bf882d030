#!/usr/bin/env python3
"""A slow HTTPS server for the health-probe tests, on [::1].

Answers GET with 200 after --delay seconds, like a service under emulation; after --answer N
requests it stops answering (reads the request, then holds the connection without a reply).
Writes its port to --port-file once listening, and prints "open CONCURRENT" for every
connection it accepts, so that a test can see how many were open at once.
"""
import argparse
import http.server
import os
import socket
import ssl
import sys
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("--cert", required=True)
parser.add_argument("--key", required=True)
parser.add_argument("--delay", type=float, default=0)
parser.add_argument("--answer", type=int, default=-1, help="requests answered before it goes silent; -1: all")
parser.add_argument("--port-file", required=True)
args = parser.parse_args()

lock = threading.Lock()
state = {"open": 0, "answered": 0}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def setup(self):
        with lock:
            state["open"] += 1
            print(f"open {state['open']}", flush=True)
        super().setup()

    def finish(self):
        try:
            super().finish()
        finally:
            with lock:
                state["open"] -= 1

    def do_GET(self):
        with lock:
            silent = 0 <= args.answer <= state["answered"]
            if not silent:
                state["answered"] += 1
        if silent:
            self.connection.settimeout(60)
            try:
                while self.connection.recv(4096):
                    pass
            except OSError:
                pass
            return
        time.sleep(args.delay)
        body = b'{"status":"ok"}\n'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_):
        pass


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True


server = Server(("::1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(args.cert, args.key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))

os.rename(args.port_file + ".tmp", args.port_file)
sys.stdout.flush()
server.serve_forever()
