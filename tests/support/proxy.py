"""An in-process HTTP reverse proxy for STS/IAM traffic, with counters and faults.

    proxy = StsProxy("http://127.0.0.1:5000").start()
    env["AWS_ENDPOINT_URL_STS"] = proxy.url
    ...
    proxy.count("AssumeRole")            # requests seen for that action
    proxy.counts                         # {"AssumeRole": 2, "GetCallerIdentity": 1}
    proxy.calls("AssumeRole")            # [{"RoleArn": ..., "DurationSeconds": ...}, ...]
    proxy.signers("GetSessionToken")     # access key ID that signed each call (None: unsigned)
    proxy.inject("AssumeRole", 503, times=2)          # next 2 AssumeRole -> 503
    proxy.inject("AssumeRole", 403, code="AccessDenied", message="MFA required")
    proxy.hang("GetSessionToken", 30)    # accept, never answer (for 30 s), close
    proxy.delay("AssumeRole", 0.5)       # forward after 0.5 s
    proxy.clear_faults(); proxy.reset_counts()
    proxy.date_offset_seconds = -3600    # STS clock one hour behind ours
    proxy.stop()

Every request (any method, path, headers, body) is forwarded unchanged to the
target, Host header included, so SigV4 signatures made for the proxy's address
still verify at moto. The action is read from `Action=` in the query string or
a form-encoded body, or from `X-Amz-Target` (JSON protocols); requests without
one are counted under "-".
"""
from __future__ import annotations

import email.utils
import http.client
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import parse_qs, urlsplit

__all__ = ["StsProxy", "Fault", "sts_error_body"]

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailers", "transfer-encoding", "upgrade", "proxy-connection",
}

DEFAULT_CODES = {
    400: ("Throttling", "Rate exceeded"),
    403: ("AccessDenied", "Access denied (injected by test proxy)"),
    404: ("NoSuchEntity", "Not found (injected by test proxy)"),
    429: ("Throttling", "Rate exceeded"),
    500: ("InternalFailure", "Internal failure (injected by test proxy)"),
    502: ("BadGateway", "Bad gateway (injected by test proxy)"),
    503: ("ServiceUnavailable", "Service unavailable (injected by test proxy)"),
}


def sts_error_body(code: str, message: str, status: int = 400) -> bytes:
    """An STS/IAM (query protocol) XML error document."""
    kind = "Sender" if status < 500 else "Receiver"
    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>{kind}</Type><Code>{_xml_escape(code)}</Code>"
        f"<Message>{_xml_escape(message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class Fault:
    """What to do with the next `times` requests of `action` ("*" = any).
    kind: "inject" (answer status/body), "hang" (never answer for `seconds`,
    then drop the connection) or "delay" (forward after `seconds`).
    times=None means until cleared."""
    action: str
    kind: str
    times: Optional[int] = 1
    status: int = 503
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class Call:
    action: str
    method: str
    path: str
    params: dict
    headers: dict
    time: float


_CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/")


def signer(headers: dict) -> Optional[str]:
    """The access key ID that signed a request (SigV4 header), or None."""
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    found = _CREDENTIAL_RE.search(value or "")
    return found.group(1) if found else None


_EXPIRATION_RE = re.compile(rb"<Expiration>([^<]+)</Expiration>")


def _shift_iso(ts: str, seconds: float) -> str:
    s = ts.strip()
    dt = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    out = (dt + timedelta(seconds=seconds)).astimezone(timezone.utc)
    frac = "." in s.split("T", 1)[-1]
    text = out.strftime("%Y-%m-%dT%H:%M:%S") + (f".{out.microsecond:06d}" if frac else "")
    return text + "Z"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 512


class StsProxy:
    def __init__(self, target: str, host: str = "127.0.0.1", port: int = 0, upstream_timeout: float = 60):
        self.target = target.rstrip("/")
        self.upstream_timeout = upstream_timeout
        self.date_offset_seconds: float = 0
        self._lock = threading.Lock()
        self._counts: Counter = Counter()
        self._calls: list[Call] = []
        self._faults: list[Fault] = []
        self._in_flight: Counter = Counter()
        self._max_in_flight: Counter = Counter()
        self._stopping = threading.Event()
        self._server = _Server((host, port), self._make_handler())
        self._thread: Optional[threading.Thread] = None

    # ---- lifecycle -----------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "StsProxy":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"StsProxy{self.url}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes hung / delayed handlers
        if self._thread:
            self._server.shutdown()
            self._thread.join(10)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> "StsProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- counters ----------------------------------------------------------
    @property
    def counts(self) -> dict:
        with self._lock:
            return dict(self._counts)

    def count(self, action: str) -> int:
        with self._lock:
            return self._counts.get(action, 0)

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def calls(self, action: Optional[str] = None) -> list[dict]:
        """Request parameters (flattened form/query fields) of each call, oldest first."""
        with self._lock:
            return [call.params for call in self._calls if action is None or call.action == action]

    def requests(self, action: Optional[str] = None) -> list[Call]:
        with self._lock:
            return [call for call in self._calls if action is None or call.action == action]

    def signers(self, action: Optional[str] = None) -> list[Optional[str]]:
        """The access key ID in the SigV4 `Authorization: ... Credential=KEY/...`
        header of each call, oldest first; None for an unsigned call.  moto hands
        out fixed keys for some actions: who signed is then the only identity."""
        return [signer(c.headers) for c in self.requests(action)]

    def max_in_flight(self, action: str) -> int:
        """Highest number of simultaneous requests seen for `action`."""
        with self._lock:
            return self._max_in_flight.get(action, 0)

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()
            self._calls.clear()
            self._max_in_flight.clear()

    def wait_for(self, action: str, n: int = 1, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count(action) >= n:
                return True
            time.sleep(0.02)
        return self.count(action) >= n

    # ---- faults ----------------------------------------------------------------
    def inject(self, action: str, status: int = 503, body: Optional[bytes | str] = None, times: Optional[int] = 1,
               code: Optional[str] = None, message: Optional[str] = None, headers: Optional[dict] = None) -> Fault:
        """Answer the next `times` requests of `action` with `status` and `body`
        (default: an STS XML error with `code`/`message`; defaults by status,
        e.g. 503 ServiceUnavailable, 400 Throttling, 403 AccessDenied)."""
        if body is None:
            dc, dm = DEFAULT_CODES.get(status, ("InternalFailure", "Injected failure"))
            body = sts_error_body(code or dc, message or dm, status)
        elif isinstance(body, str):
            body = body.encode()
        hdrs = {"Content-Type": "text/xml"}
        hdrs.update(headers or {})
        return self._add(Fault(action, "inject", times, status=status, body=body, headers=hdrs))

    def hang(self, action: str, seconds: float = 3600, times: Optional[int] = None) -> Fault:
        """Accept requests of `action` and never answer: sleep `seconds`
        (or until stop()/clear_faults()), then drop the connection."""
        return self._add(Fault(action, "hang", times, seconds=seconds))

    def delay(self, action: str, seconds: float, times: Optional[int] = None) -> Fault:
        """Forward requests of `action` only after `seconds`."""
        return self._add(Fault(action, "delay", times, seconds=seconds))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._stopping.set()  # release anything currently hanging
            self._stopping = threading.Event()

    def _add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def _take_fault(self, action: str) -> Optional[Fault]:
        with self._lock:
            for f in self._faults:
                if f.action in (action, "*") and (f.times is None or f.times > 0):
                    if f.times is not None:
                        f.times -= 1
                    return f
        return None

    # ---- request handling --------------------------------------------------------
    @staticmethod
    def _parse(method: str, path: str, headers, body: bytes) -> tuple[str, dict]:
        params: dict = {}
        query = urlsplit(path).query
        for k, v in parse_qs(query, keep_blank_values=True).items():
            params[k] = v[0] if len(v) == 1 else v
        ctype = (headers.get("Content-Type") or "").lower()
        if body and ("x-www-form-urlencoded" in ctype or (not ctype and b"Action=" in body)):
            try:
                for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
                    params[k] = v[0] if len(v) == 1 else v
            except UnicodeDecodeError:
                pass
        action = params.get("Action")
        if not action:
            target = headers.get("X-Amz-Target")
            if target:
                action = target.rsplit(".", 1)[-1]
        if isinstance(action, list):
            action = action[0]
        return action or "-", params

    def _rewrite_dates(self, headers: list[tuple[str, str]], body: bytes) -> tuple[list[tuple[str, str]], bytes]:
        off = self.date_offset_seconds
        if not off:
            return headers, body
        out = []
        for k, v in headers:
            if k.lower() == "date":
                try:
                    v = email.utils.format_datetime(
                        email.utils.parsedate_to_datetime(v) + timedelta(seconds=off), usegmt=True)
                except (TypeError, ValueError):
                    pass
            out.append((k, v))

        def repl(m: re.Match) -> bytes:
            try:
                return b"<Expiration>" + _shift_iso(m.group(1).decode(), off).encode() + b"</Expiration>"
            except ValueError:
                return m.group(0)

        return out, _EXPIRATION_RE.sub(repl, body)

    def _forward(self, method: str, path: str, headers, body: bytes) -> tuple[int, str, list, bytes]:
        parts = urlsplit(self.target)
        conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = conn_cls(parts.hostname, parts.port, timeout=self.upstream_timeout)
        try:
            upstream_path = (parts.path.rstrip("/") + path) if parts.path not in ("", "/") else path
            conn.putrequest(method, upstream_path, skip_host=True, skip_accept_encoding=True)
            for k, v in headers.items():
                if k.lower() in HOP_BY_HOP or k.lower() == "content-length":
                    continue
                conn.putheader(k, v)
            if body or method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.putheader("Connection", "close")
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, list(resp.getheaders()), data
        finally:
            conn.close()

    def _make_handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "StsProxy/1"

            def log_message(self, fmt, *args):  # quiet
                pass

            def _read_body(self) -> bytes:
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    chunks = []
                    while True:
                        line = self.rfile.readline().strip()
                        size = int(line.split(b";", 1)[0], 16)
                        if size == 0:
                            while self.rfile.readline().strip():
                                pass
                            break
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    return b"".join(chunks)
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _send(self, status: int, headers: list, body: bytes, reason: Optional[str] = None) -> None:
                self.send_response_only(status, reason)
                seen_date = False
                for k, v in headers:
                    lk = k.lower()
                    if lk in HOP_BY_HOP or lk == "content-length":
                        continue
                    if lk == "date":
                        seen_date = True
                    self.send_header(k, v)
                if not seen_date:
                    self.send_header("Date", self.date_time_string())
                self.send_header("Content-Length", str(len(body)))
                if self.close_connection:
                    self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                self.wfile.flush()

            def _handle(self):
                body = self._read_body()
                action, params = proxy._parse(self.command, self.path, self.headers, body)
                with proxy._lock:
                    proxy._counts[action] += 1
                    proxy._calls.append(Call(action, self.command, self.path, params,
                                             dict(self.headers.items()), time.time()))
                    proxy._in_flight[action] += 1
                    if proxy._in_flight[action] > proxy._max_in_flight[action]:
                        proxy._max_in_flight[action] = proxy._in_flight[action]
                try:
                    stopping = proxy._stopping
                    fault = proxy._take_fault(action)
                    if fault and fault.kind == "hang":
                        stopping.wait(fault.seconds)
                        self.close_connection = True
                        return  # never answer; the connection is dropped
                    if fault and fault.kind == "delay":
                        if stopping.wait(fault.seconds):
                            self.close_connection = True
                            return
                    if fault and fault.kind == "inject":
                        hdrs, data = proxy._rewrite_dates(list(fault.headers.items()), fault.body)
                        hdrs.append(("x-amzn-RequestId", str(uuid.uuid4())))
                        self._send(fault.status, hdrs, data)
                        return
                    try:
                        status, reason, hdrs, data = proxy._forward(self.command, self.path, self.headers, body)
                    except (OSError, http.client.HTTPException) as exc:
                        self._send(502, [("Content-Type", "text/xml")],
                                   sts_error_body("BadGateway", f"test proxy upstream error: {exc}", 502))
                        return
                    hdrs, data = proxy._rewrite_dates(hdrs, data)
                    self._send(status, hdrs, data, reason)
                finally:
                    with proxy._lock:
                        proxy._in_flight[action] -= 1

            def _safe_handle(self):
                try:
                    self._handle()
                except (BrokenPipeError, ConnectionResetError, TimeoutError):
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _safe_handle

        return Handler
