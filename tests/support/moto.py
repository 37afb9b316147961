"""Run moto's standalone server as a subprocess for the test suite.

    server = MotoServer().start()
    server.url            # http://127.0.0.1:PORT
    reset(server.url)     # wipe all moto state
    enforce_auth(server.url)  # SigV4 + IAM policy checks on (server-global!)
    relax_auth(server.url)    # ...and off again
    server.stop()
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["MotoServer", "free_port", "reset", "enforce_auth", "relax_auth", "moto_server_command"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def moto_server_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """The command line that starts moto's server: the venv's moto_server
    script when it sits next to sys.executable, else `python -m moto.server`."""
    candidates = [Path(sys.executable).parent / "moto_server"]
    found = shutil.which("moto_server")
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return [str(candidate), "-H", host, "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)]


def _post(url: str, body: bytes = b"", content_type: str = "text/plain", timeout: float = 10) -> bytes:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read()


def reset(url: str) -> None:
    """Wipe every resource in the server (POST /moto-api/reset).
    Note: does not change the auth setting."""
    _post(url.rstrip("/") + "/moto-api/reset")


def enforce_auth(url: str) -> None:
    """Turn SigV4 verification and IAM policy checks ON, server-wide.

    moto's /moto-api/reset-auth takes the number of requests still allowed
    unauthenticated; 0 means every request from now on is checked."""
    _post(url.rstrip("/") + "/moto-api/reset-auth", b"0")


def relax_auth(url: str) -> None:
    """Turn authentication OFF again (a huge unauthenticated-request budget)."""
    _post(url.rstrip("/") + "/moto-api/reset-auth", str(10**12).encode())


class MotoServer:
    def __init__(self, host: str = "127.0.0.1", port: int | None = None, startup_timeout: float = 60):
        self.host = host
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "MotoServer":
        self._log = tempfile.NamedTemporaryFile(prefix="moto-server-", suffix=".log", delete=False)
        env = dict(os.environ)
        # moto must not pick up real credentials or proxies from the environment.
        for k in list(env):
            if k.startswith("AWS_") or k.lower() in ("http_proxy", "https_proxy", "all_proxy"):
                env.pop(k)
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.proc = subprocess.Popen(
            moto_server_command(self.port, self.host),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(self.url + "/moto-api/data.json", timeout=2) as r:
                    r.read()
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"moto_server did not answer on {self.url}:\n{self.log_text()}")
                time.sleep(0.1)

    def log_text(self) -> str:
        if not self._log:
            return ""
        try:
            return Path(self._log.name).read_text(errors="replace")[-5000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        if self._log:
            self._log.close()
            try:
                os.unlink(self._log.name)
            except OSError:
                pass
            self._log = None

    def __enter__(self) -> "MotoServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
