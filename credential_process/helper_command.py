"""Run a helper command from the configuration (credential_process_mfa_process,
saml_assertion_process, web_identity_token_process) and return what it prints.

Run the way the Go and JS SDKs run credential_process itself: through the
shell (``sh -c``, ``cmd /C`` on Windows), so the line may use pipes and ``~``.
Its stdout is the answer; stdin and stderr are the controlling terminal when
there is one (a login helper or a YubiKey touch prompt must reach the person,
and the SDK that runs us captures our own stderr), else stdin is empty and
stderr is ours.  It gets an environment without AWS secrets and a bound on its
time.  Nothing secret ever goes on its command line.
"""

import os
import subprocess
import sys

from credential_process.errors import ConfigError, NeedsPersonError

_WINDOWS = os.name == "nt"
MAX_OUTPUT_BYTES = 1024 * 1024  # a SAMLResponse is tens of kB; nothing we read is larger
# Environment variables that hold credentials the helper has no business seeing.
SECRET_VARIABLES = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)


def shell_argv(command):
    if _WINDOWS:
        return [os.environ.get("COMSPEC", "cmd.exe"), "/C", command]
    return ["/bin/sh", "-c", command]


def helper_environment():
    return {name: value for name, value in os.environ.items() if name not in SECRET_VARIABLES}


def open_terminal():
    """(input, output) file objects on the controlling terminal, or None without one."""
    try:
        if _WINDOWS:
            reader = open("CONIN$", "r", encoding="utf-8", errors="replace")
            try:
                writer = open("CONOUT$", "w", encoding="utf-8", errors="replace")
            except OSError:
                reader.close()
                raise
            return reader, writer
        # O_NOCTTY: never acquire a terminal we were not already attached to.
        descriptor = os.open("/dev/tty", os.O_RDWR | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return None
    reader = os.fdopen(descriptor, "r", encoding="utf-8", errors="replace", closefd=True)
    writer = os.fdopen(os.dup(descriptor), "w", encoding="utf-8", errors="replace", closefd=True)
    return reader, writer


def run(command, what, timeout):
    """The stripped stdout of ``command``; ``what`` names it in errors (a config key)."""
    terminal = open_terminal()
    try:
        stdin = terminal[0] if terminal else subprocess.DEVNULL
        stderr = terminal[1] if terminal else sys.stderr
        try:
            process = subprocess.Popen(
                shell_argv(command), stdin=stdin, stdout=subprocess.PIPE, stderr=stderr,
                env=helper_environment(),
            )
        except OSError as error:
            raise ConfigError(f"{what} could not be started: {error.strerror or error}") from None
        try:
            output = _collect(process, what, timeout)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
    finally:
        if terminal:
            for handle in terminal:
                handle.close()
    if process.returncode != 0:
        raise NeedsPersonError(f"{what} failed (exit status {process.returncode})")
    try:
        return output.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"{what} printed something that is not UTF-8 text") from None


def _collect(process, what, timeout):
    """At most MAX_OUTPUT_BYTES of stdout, within ``timeout`` seconds in all.

    A reader thread, so that neither a silent helper (the time bound) nor an
    endless one (the size bound: memory stays bounded) can hold us."""
    import threading
    import time

    chunks = []
    received = [0]

    def read():
        while received[0] <= MAX_OUTPUT_BYTES:
            chunk = process.stdout.read1(65536)
            if not chunk:
                return
            chunks.append(chunk)
            received[0] += len(chunk)

    deadline = time.monotonic() + timeout
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if received[0] > MAX_OUTPUT_BYTES:
        raise ConfigError(f"{what} printed more than {MAX_OUTPUT_BYTES} bytes")
    try:
        if reader.is_alive():
            raise subprocess.TimeoutExpired(process.args, timeout)
        process.wait(max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        raise NeedsPersonError(f"{what} did not finish within {timeout} s and was stopped") from None
    return b"".join(chunks)
