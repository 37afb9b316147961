"""A real Secret Service for keyring tests: a private D-Bus session bus with
gnome-keyring-daemon on it, its login keyring unlocked with a throwaway password.

    service = SecretService(tmp_dir).start()
    env["DBUS_SESSION_BUS_ADDRESS"] = service.address   # subprocesses use it
    service.lookup("credential-process", "NAME")          # secret-tool's view
    service.lock()                                        # lock the login keyring
    service.stop()

Fixtures (import them into a test module):
    secret_service   one shared daemon for the session
    keyring_home     `home` whose .env talks to that daemon
The daemon keeps its (encrypted) keyring files in its own folder, outside
any test HOME.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from . import tools

THROWAWAY_PASSWORD = "throwaway-test-password"
SECRETS_NAME = "org.freedesktop.secrets"


class SecretService:
    def __init__(self, base: Path):
        self.base = Path(base)
        self.address = None
        self._bus = None
        self._daemon = None

    @property
    def env(self) -> dict:
        """The daemon's own environment: its files under self.base, no display."""
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        for var, sub in (("HOME", "home"), ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"),
                         ("XDG_CACHE_HOME", "cache"), ("XDG_RUNTIME_DIR", "run")):
            env[var] = str(self.base / sub)
            (self.base / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.address:
            env["DBUS_SESSION_BUS_ADDRESS"] = self.address
        return env

    def start(self, timeout: float = 30) -> "SecretService":
        self._bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=self.env, text=True, start_new_session=True,
        )
        self.address = self._bus.stdout.readline().strip()
        if not self.address:
            self.stop()
            raise RuntimeError("dbus-daemon printed no address")
        self._daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=self.env, text=True, start_new_session=True,
        )
        self._daemon.stdin.write(THROWAWAY_PASSWORD)  # --unlock reads the password from stdin
        self._daemon.stdin.close()
        deadline = time.monotonic() + timeout
        while not self._name_has_owner():
            if self._daemon.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gnome-keyring-daemon did not take the Secret Service name on the bus")
            time.sleep(0.05)
        return self

    def _name_has_owner(self) -> bool:
        result = subprocess.run(
            ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
             "org.freedesktop.DBus.NameHasOwner", f"string:{SECRETS_NAME}"],
            env=self.env, capture_output=True, text=True, timeout=10,
        )
        return result.returncode == 0 and "boolean true" in result.stdout

    def lookup(self, service: str, name: str):
        """The secret as `secret-tool lookup service S username N` sees it (None if absent)."""
        result = subprocess.run(["secret-tool", "lookup", "service", service, "username", name],
                                env=self.env, capture_output=True, text=True, timeout=30)
        return result.stdout if result.returncode == 0 else None

    def lock(self) -> None:
        """Lock the default collection (unlocking again needs a prompt we do not have)."""
        code = ("import secretstorage; "
                "secretstorage.get_default_collection(secretstorage.dbus_init()).lock()")
        subprocess.run([sys.executable, "-c", code], env=self.env, check=True, timeout=30)

    def stop(self) -> None:
        for process in (self._daemon, self._bus):
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
        if self._bus and self._bus.stdout:
            self._bus.stdout.close()
        self._daemon = self._bus = None

    def __enter__(self) -> "SecretService":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def available() -> bool:
    return all(shutil.which(tool) for tool in ("dbus-daemon", "dbus-send", "gnome-keyring-daemon", "secret-tool"))


def require() -> None:
    if not available():
        tools.missing("gnome-keyring, dbus and libsecret-tools are needed (scripts/setup-test-env installs them)")


@pytest.fixture(scope="session")
def secret_service():
    require()
    base = Path(tempfile.mkdtemp(prefix="secret-service-"))
    service = SecretService(base).start()
    try:
        yield service
    finally:
        service.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def keyring_home(home, secret_service):
    """The test HOME, its subprocesses talking to the shared Secret Service."""
    home.env["DBUS_SESSION_BUS_ADDRESS"] = secret_service.address
    home.env.pop("PYTHON_KEYRING_BACKEND", None)
    return home
