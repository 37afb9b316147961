"""A loopback HTTP server that answers every request with a 200 whose body
trickles out one byte per `interval` seconds: no read ever waits long enough
for a per-read timeout, yet the answer takes `body_bytes * interval` seconds.

    with DripServer(interval=1.0, lasts=30) as drip:   # drip.url, drip.requests
        ...
Each connection is ended after `lasts` seconds whatever happens, and stop()
(the `with` exit) ends them all at once, so the server never outlives its test.
"""
from __future__ import annotations

import socket
import threading
import time

BODY = b"<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">" + b" " * 4096


class DripServer:
    def __init__(self, interval: float = 1.0, lasts: float = 30.0):
        self.interval = interval
        self.lasts = lasts
        self.requests = 0
        self._stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def __enter__(self) -> "DripServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "DripServer":
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopped.set()
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def wait_for_requests(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.requests >= count:
                return True
            time.sleep(0.05)
        return self.requests >= count

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            thread = threading.Thread(target=self._drip, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _drip(self, connection: socket.socket) -> None:
        ends = time.monotonic() + self.lasts
        with connection:
            connection.settimeout(5)
            try:
                self._read_request(connection)
                with self._lock:
                    self.requests += 1
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                                   b"Content-Length: %d\r\n\r\n" % len(BODY))
                for byte in BODY:
                    if self._stopped.wait(self.interval) or time.monotonic() > ends:
                        return
                    connection.sendall(bytes([byte]))
            except OSError:
                return

    @staticmethod
    def _read_request(connection: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                raise OSError("client went away")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            body += chunk
