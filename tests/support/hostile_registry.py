#!/usr/bin/python3
"""A registry that answers the distribution API the way an attacker would, for the tests of
what a client must refuse. HTTPS on 127.0.0.1 with the test's certificate; beside it a plain
HTTP "trap" on another port that answers everything and logs what reached it, so that a test
can tell whether a client sent it anything (credentials above all).

Usage: hostile_registry.py MODE TLS_CERT TLS_KEY PORT_FILE
Modes:
  http-realm        401 with a Bearer challenge whose realm is the trap (http://127.0.0.1:TRAP)
  http-realm-host   the same, naming the trap by another host name (http://localhost:TRAP)
  token-404         401 with a Bearer challenge whose realm (on this server) answers 404
  token-newline     the realm answers a token holding a CR LF and a header of its own
  location-http     uploads (POST) answer 202 with a Location on the trap, over plain HTTP
  location-host     uploads answer 202 with a Location on https://localhost:PORT (another host)
  trickle           every GET answers 200 and sends 2.5 kB/s, forever
Basic logins are asked for (401, WWW-Authenticate: Basic) by every mode but the Bearer ones,
so that a client with credentials sends them. Every request is logged on stdout as
"SERVER METHOD PATH auth=yes|no"; the ports go to PORT_FILE as "HTTPS TRAP" once listening.
"""
import http.server
import os
import socket
import ssl
import sys
import threading
import time

mode, cert, key, port_file = sys.argv[1:5]
lock = threading.Lock()


def log(server, handler):
    auth = "yes" if handler.headers.get("Authorization") else "no"
    with lock:
        print(f"{server} {handler.command} {handler.path} auth={auth}", flush=True)


class Trap(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        log("trap", self)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = b'{"token":"from-the-trap"}'
        self.send_response(201 if self.command == "PUT" else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_HEAD = do_PATCH = answer

    def log_message(self, *_):
        pass


class Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, status, headers=(), body=b""):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def answer(self):
        log("registry", self)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        https_port, trap_port = self.server.ports
        if mode == "trickle" and self.command == "GET":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            try:
                for _ in range(4000):  # bounded: about 27 minutes at most
                    self.wfile.write(b"x" * 256)
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
            return
        if self.path.startswith("/token"):
            if mode == "token-newline":
                self.send(200, [("Content-Type", "application/json")],
                          b'{"token":"abc\\r\\nX-Injected: yes"}')
            else:
                self.send(404, [], b"no such thing")
            return
        bearer = {
            "http-realm": f"http://127.0.0.1:{trap_port}/token",
            "http-realm-host": f"http://localhost:{trap_port}/token",
            "token-404": f"https://127.0.0.1:{https_port}/token",
            "token-newline": f"https://127.0.0.1:{https_port}/token",
        }.get(mode)
        if bearer:
            self.send(401, [("WWW-Authenticate", f'Bearer realm="{bearer}",service="hostile"')])
            return
        if not self.headers.get("Authorization"):
            self.send(401, [("WWW-Authenticate", 'Basic realm="hostile"')])
            return
        if self.command == "HEAD":
            self.send(404)
        elif self.command == "POST" and "/blobs/uploads/" in self.path:
            location = {
                "location-http": f"http://127.0.0.1:{trap_port}/upload/1",
                "location-host": f"https://localhost:{https_port}/v2/upload/1",
            }.get(mode, "/v2/upload/1")
            self.send(202, [("Location", location)])
        else:
            self.send(404, [], b'{"errors":[{"code":"UNKNOWN","message":"hostile"}]}')

    do_GET = do_PUT = do_POST = do_HEAD = do_PATCH = answer

    def log_message(self, *_):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


trap = Server(("127.0.0.1", 0), Trap)
hostile = Server(("127.0.0.1", 0), Hostile)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
hostile.socket = context.wrap_socket(hostile.socket, server_side=True)
hostile.ports = (hostile.server_address[1], trap.server_address[1])
threading.Thread(target=trap.serve_forever, daemon=True).start()
with open(port_file + ".tmp", "w") as f:
    f.write(f"{hostile.server_address[1]} {trap.server_address[1]}")
os.rename(port_file + ".tmp", port_file)
hostile.serve_forever()
