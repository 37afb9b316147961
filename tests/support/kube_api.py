"""A small HTTPS server standing in for an EKS cluster's Kubernetes API server.

    api = KubeApi(check_token).start()     # check_token(presigned_url) raises to refuse
    api.url                                # https://127.0.0.1:PORT
    api.ca_data                            # base64 PEM of its self-signed certificate
    api.tokens                             # every bearer token received, in order
    api.refusals                           # why a request was refused (401)
    api.stop()

Like EKS's authenticator it takes `Authorization: Bearer k8s-aws-v1.<base64url
of a presigned STS GetCallerIdentity URL>`, decodes the URL and hands it to
`check_token`; it answers GET /version (what `kubectl get --raw /version` asks)
when the check passes, 401 otherwise.
"""
from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

TOKEN_PREFIX = "k8s-aws-v1."
VERSION = {"major": "1", "minor": "30", "gitVersion": "v1.30.0-test", "platform": "linux/amd64"}


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A key and a self-signed CA certificate for 127.0.0.1, written to `folder`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-kube-apiserver")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def decode_token(token: str) -> str:
    """The presigned URL inside an EKS bearer token."""
    if not token.startswith(TOKEN_PREFIX):
        raise ValueError("token does not start with k8s-aws-v1.")
    body = token[len(TOKEN_PREFIX):]
    if "=" in body:
        raise ValueError("token is padded")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


class KubeApi:
    def __init__(self, check_token: Callable[[str], None]):
        self.check_token = check_token
        self.tokens: list[str] = []
        self.refusals: list[str] = []
        self._folder = tempfile.TemporaryDirectory(prefix="kube-api-")
        key_path, cert_path = self_signed_certificate(Path(self._folder.name))
        self.ca_data = base64.b64encode(cert_path.read_bytes()).decode()
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(str(cert_path), str(key_path))
        self._server = None
        self._thread = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "KubeApi":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.socket = self._context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._folder.cleanup()

    def __enter__(self) -> "KubeApi":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _authorize(self, header: str) -> bool:
        if not header.startswith("Bearer "):
            self.refusals.append(f"no bearer token (Authorization: {header[:20]!r})")
            return False
        token = header[len("Bearer "):]
        self.tokens.append(token)
        try:
            self.check_token(decode_token(token))
        except Exception as error:  # any failure is a refusal, recorded for the test
            self.refusals.append(f"{type(error).__name__}: {error}")
            return False
        return True

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):
                pass

            def do_GET(self):
                if not api._authorize(self.headers.get("Authorization", "")):
                    self._send(401, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                     "reason": "Unauthorized", "code": 401})
                elif self.path.split("?")[0] == "/version":
                    self._send(200, VERSION)
                else:
                    self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404})

            def _send(self, status, document):
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
