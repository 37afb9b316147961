"""The credentials endpoint of ``exec --server``.

Every AWS SDK polls ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` (sending
``AWS_CONTAINER_AUTHORIZATION_TOKEN`` as the Authorization header) when its
credentials near expiry.  This server answers each request from the same
cache and lock as the plugin, so the child's SDK refreshes by itself for as
long as the child runs.  It listens on 127.0.0.1 only, on a random port, and
answers only requests that carry its random token.

Whatever a client does (reset, idle, send half a request, open many
connections) and however a refresh fails, the answer is a JSON error with a
status, and the child's terminal gets at most one line, never a traceback.
"""

import hmac
import json
import secrets
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from credential_process.errors import CredentialProcessError, one_line, redact
from credential_process.stderr import notice

HOST = "127.0.0.1"
PATH = "/credentials"
# SDKs send their request as soon as they connect; a refresh may take long
# (an MFA prompt, STS), but it runs in our code, not under this timeout.
IDLE_SECONDS = 5
# Concurrent connections handled (one thread each); more are refused with 503,
# which SDKs retry.  Refreshes run one at a time anyway.
MAX_CONNECTIONS = 32


class CredentialsServer:
    """``answer()`` returns the JSON text to serve; it is called once per request."""

    def __init__(self, answer):
        self.token = secrets.token_urlsafe(32)
        self._answer = answer
        self._answer_lock = threading.Lock()  # one refresh at a time within this process
        self._server = _Server((HOST, 0), _handler(self))
        self._thread = None

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{PATH}"

    def start(self):
        # A short poll interval: shutdown() waits up to one, after the child has exited.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="credentials-server", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def authorized(self, header):
        """0 when the header carries the token, else the HTTP status to refuse with."""
        if header is None:
            return 401
        # Header values arrive decoded as latin-1; compare bytes in constant time.
        return 0 if hmac.compare_digest(header.encode("latin-1"), self.token.encode()) else 403

    def answer(self):
        with self._answer_lock:
            return self._answer()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 2 * MAX_CONNECTIONS  # the listen backlog: accepted, then answered or refused

    def __init__(self, address, handler):
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            _refuse_busy(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address):
        """socketserver prints a traceback here; a client gone is nothing to report."""
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            return
        notice(f"exec --server: {redact(one_line(error)) or type(error).__name__}")


def _refuse_busy(request):
    """503 in JSON, written from the accepting thread without ever blocking it long."""
    body = json.dumps({"Code": "TooManyConnections", "Message": "too many connections; retry"}).encode()
    head = (f"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\n\r\n").encode()
    try:
        request.settimeout(0.5)
        request.sendall(head + body)
    except OSError:
        pass


def _handler(server):
    class Handler(BaseHTTPRequestHandler):
        timeout = IDLE_SECONDS  # on every read and write of the connection

        def parse_request(self):
            try:
                return super().parse_request()
            except (TimeoutError, socket.timeout):  # the headers never ended
                self.send_error(HTTPStatus.REQUEST_TIMEOUT, "request not completed in time")
                return False

        def send_error(self, code, message=None, explain=None):
            """http.server's errors (bad request, unsupported method, too long...) in JSON too."""
            self.close_connection = True
            try:
                self._reply(int(code), {"Message": message or HTTPStatus(code).phrase})
            except OSError:
                pass  # the client is gone

        def do_GET(self):
            refused = server.authorized(self.headers.get("Authorization"))
            if refused:
                return self._reply(refused, {"Message": "missing or wrong authorization token"})
            if urlsplit(self.path).path != PATH:
                return self._reply(404, {"Message": "not found"})
            try:
                body = server.answer()
            except CredentialProcessError as error:
                message = redact(one_line(error))
                notice(f"exec --server: {message}")
                return self._reply(500, {"Code": type(error).__name__, "Message": message})
            except Exception as error:  # a bug, or a library failing its own way: still an answer
                message = redact(f"unexpected {type(error).__name__}: {one_line(error)}")
                notice(f"exec --server: {message}")
                return self._reply(500, {"Code": "InternalError", "Message": message})
            self._send(200, body)

        def _reply(self, status, document):
            self._send(status, json.dumps(document))

        def _send(self, status, text):
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):
            pass  # the terminal belongs to the child

    return Handler
