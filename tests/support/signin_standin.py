"""A loopback stand-in for the AWS Sign-In service's CreateOAuth2Token (what
botocore's login provider calls to renew an `aws login` session), and the
login token cache that `aws login` writes.

    with SigninStandin() as signin:
        env["AWS_ENDPOINT_URL_SIGNIN"] = signin.url
        signin.answer = "expired"       # AccessDeniedException TOKEN_EXPIRED (the default)
        signin.answer = ("refresh", creds, seconds)   # a renewed session
        signin.requests                 # [{"headers": {...}, "body": {...}}, ...]
    write_login_token(folder, session_name, creds, expires_in, account_id)

It checks what the real service needs of botocore: POST /v1/token, a DPoP
header, and a JSON body with clientId, refreshToken and grantType
refresh_token.  A request without them gets HTTP 400 and lands in `problems`.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = ["SigninStandin", "write_login_token", "login_token_path"]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class SigninStandin:
    def __init__(self, host: str = "127.0.0.1"):
        self.answer = "expired"
        self.requests: list[dict] = []
        self.problems: list[str] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    document = json.loads(body or b"{}")
                except ValueError:
                    document = None
                standin.requests.append({"path": self.path, "headers": dict(self.headers), "body": document})
                problem = None
                if self.path != "/v1/token":
                    problem = f"path {self.path}"
                elif not self.headers.get("DPoP"):
                    problem = "no DPoP header"
                elif not isinstance(document, dict) or document.get("grantType") != "refresh_token" \
                        or not document.get("clientId") or not document.get("refreshToken"):
                    problem = f"body {document!r}"
                if problem:
                    standin.problems.append(problem)
                    return self._send(400, {"message": problem}, "ValidationException")
                if standin.answer == "expired":
                    return self._send(400, {"error": "TOKEN_EXPIRED", "message": "session expired"},
                                      "AccessDeniedException")
                _, creds, seconds = standin.answer
                # The body is the operation's payload (tokenOutput) itself: rest-json.
                return self._send(200, {
                    "accessToken": {"accessKeyId": creds.access_key_id,
                                    "secretAccessKey": creds.secret_access_key,
                                    "sessionToken": creds.session_token},
                    "tokenType": "aws_sigv4", "expiresIn": seconds, "refreshToken": "refresh-2"})

            def _send(self, status, document, error_type=None):
                data = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if error_type:
                    self.send_header("x-amzn-ErrorType", error_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = _Server((host, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "SigninStandin":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def login_token_path(folder, session_name: str) -> Path:
    """Where botocore looks for a login session's token (sha256 of its name)."""
    return Path(folder) / (hashlib.sha256(session_name.encode()).hexdigest() + ".json")


def write_login_token(folder, session_name: str, creds, expires_in: float, account_id: str) -> Path:
    """The token cache entry `aws login` writes, holding ``creds`` (support.aws.Creds)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()).decode()
    token = {
        "accessToken": {
            "accessKeyId": creds.access_key_id, "secretAccessKey": creds.secret_access_key,
            "sessionToken": creds.session_token or "", "accountId": account_id,
            "expiresAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + expires_in)),
        },
        "tokenType": "urn:aws:params:oauth:token-type:access_token_sigv4",
        "clientId": "arn:aws:signin:::devtools/same-device",
        "refreshToken": "refresh-1",
        "idToken": "unused",
        "dpopKey": key,
    }
    path = login_token_path(folder, session_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(token))
    path.chmod(0o600)
    return path
