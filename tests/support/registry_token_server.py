#!/usr/bin/python3
"""The token service of a distribution registry that uses token authentication, for the tests:
GET /token?service=S&scope=repository:NAME:ACTIONS with Basic USER:PASSWORD answers a JWT
(ES256, the signing certificate in its x5c header) granting the asked actions; anything else
is 401. The registry trusts the certificate through auth.token.rootcertbundle.
Usage: registry_token_server.py PORT TLS_CERT TLS_KEY SIGNING_CERT SIGNING_KEY ISSUER USER PASSWORD"""
import base64, http.server, json, os, ssl, sys, time, urllib.parse
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

port, tls_cert, tls_key, signing_cert, signing_key, issuer, user, password = sys.argv[1:9]
cert = x509.load_pem_x509_certificate(open(signing_cert, "rb").read())
key = serialization.load_pem_private_key(open(signing_key, "rb").read(), password=None)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(service, scopes):
    header = {"typ": "JWT", "alg": "ES256",
              "x5c": [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]}
    now = int(time.time())
    access = []
    for scope in scopes:
        kind, name, actions = scope.split(":")[0], ":".join(scope.split(":")[1:-1]), scope.split(":")[-1]
        access.append({"type": kind, "name": name, "actions": actions.split(",")})
    claims = {"iss": issuer, "sub": user, "aud": service, "exp": now + 300, "nbf": now - 10, "iat": now,
              "jti": b64url(os.urandom(12)), "access": access}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if url.path != "/token" or self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.end_headers()
            return
        body = json.dumps({"token": token(query.get("service", [""])[0], query.get("scope", [])), "expires_in": 300})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format, *args):
        sys.stderr.write("token " + (format % args) + "\n")


server = http.server.HTTPServer(("127.0.0.1", int(port)), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(tls_cert, tls_key)
server.socket = context.wrap_socket(server.socket, server_side=True)
sys.stderr.write("listening\n")
sys.stderr.flush()
server.serve_forever()
