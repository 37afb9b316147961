"""A loopback stand-in for the AWS federation endpoint (https://signin.aws.amazon.com/federation).

    with FederationStandin() as standin:
        env["CREDENTIAL_PROCESS_FEDERATION_ENDPOINT"] = standin.url
        ...
        standin.requests         # [{"Action": ..., "SessionDuration": ..., "Session": {...}}, ...]
        standin.token            # the SigninToken it answers
        standin.refuse = 400     # answer the next requests with this HTTP status

It checks what the real endpoint checks in the request's form: Action=getSigninToken,
a Session JSON with exactly sessionId, sessionKey and sessionToken (all non-empty
strings), and SessionDuration, when present, a whole number 900-43200.  A bad
request gets HTTP 400 (as AWS answers) and is recorded in `problems`.  The rule
that SessionDuration is refused for chained role sessions is the caller's to
know: `refuse_session_duration = True` makes the stand-in refuse it outright.
"""
from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import parse_qs, urlsplit

__all__ = ["FederationStandin", "parse_login_url"]

SESSION_FIELDS = {"sessionId", "sessionKey", "sessionToken"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FederationStandin:
    def __init__(self, host: str = "127.0.0.1"):
        self.token = "standin-" + secrets.token_urlsafe(24)
        self.requests: list[dict] = []
        self.problems: list[str] = []
        self.refuse: Optional[int] = None
        self.refuse_session_duration = False
        self._lock = threading.Lock()
        self._server = _Server((host, 0), self._handler())
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/federation"

    def start(self) -> "FederationStandin":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread:
            self._server.shutdown()
            self._thread.join(10)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> "FederationStandin":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def check(self, query: dict) -> Optional[str]:
        """What is wrong with a getSigninToken request, or None."""
        if query.get("Action") != "getSigninToken":
            return f"Action is {query.get('Action')!r}"
        try:
            session = json.loads(query.get("Session", ""))
        except ValueError:
            return "Session is not JSON"
        if not isinstance(session, dict) or set(session) != SESSION_FIELDS:
            return f"Session has keys {sorted(session) if isinstance(session, dict) else session!r}"
        if not all(isinstance(value, str) and value for value in session.values()):
            return "a Session value is empty"
        if "SessionDuration" in query:
            if self.refuse_session_duration:
                return "SessionDuration sent for a chained role session"
            if not query["SessionDuration"].isdigit() or not 900 <= int(query["SessionDuration"]) <= 43200:
                return f"SessionDuration {query['SessionDuration']!r} out of 900-43200"
        return None

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
                recorded = dict(query)
                if "Session" in recorded:
                    try:
                        recorded["Session"] = json.loads(recorded["Session"])
                    except ValueError:
                        pass
                with standin._lock:
                    standin.requests.append(recorded)
                problem = standin.check(query) if parts.path == "/federation" else f"path {parts.path}"
                if problem:
                    with standin._lock:
                        standin.problems.append(problem)
                    return self._answer(400, b"<html>Bad request</html>", "text/html")
                if standin.refuse:
                    return self._answer(standin.refuse, b"<html>refused</html>", "text/html")
                self._answer(200, json.dumps({"SigninToken": standin.token}).encode(), "application/json")

            def _answer(self, status, body, kind):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def parse_login_url(url: str) -> tuple[str, dict]:
    """(the URL without its query, {parameter: value}) of a printed sign-in URL."""
    parts = urlsplit(url.strip())
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return base, {name: values[-1] for name, values in parse_qs(parts.query).items()}
