"""A program run with a pseudo-terminal as its controlling terminal, as a
person at a terminal runs it: what it shows, and answers typed at its prompts."""
from __future__ import annotations

import os
import pty
import select
import time

import pytest


def answer_on_terminal(argv, env, prompt, answer):
    """Run ``argv`` with a pty as its controlling terminal, type ``answer`` once
    ``prompt`` shows; (exit code, everything the terminal showed)."""
    pid, master = pty.fork()
    if pid == 0:  # the child: a session whose controlling terminal is the pty
        os.execve(argv[0], argv, env)
    try:
        seen = read_until(master, prompt, timeout=60)
        os.write(master, answer + b"\r")
        seen += read_until(master, None, timeout=60)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(master)
    return os.waitstatus_to_exitcode(status), seen


def read_until(master, marker, timeout):
    """Bytes from the pty until `marker` appears (None: until the child closes it)."""
    seen, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline and (marker is None or marker not in seen):
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    else:
        if marker is not None and marker not in seen:
            pytest.fail(f"no {marker!r} on the terminal within {timeout} s: {seen!r}")
    return seen
