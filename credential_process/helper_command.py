"""Run a helper command from the configuration (credential_process_mfa_process,
saml_assertion_process, web_identity_token_process) and return what it prints.

Run the way the Go and JS SDKs run credential_process itself: through the
shell (``sh -c``, ``cmd /C`` on Windows), so the line may use pipes and ``~``.
Its stdout is the answer; stdin and stderr are the controlling terminal when
there is one (a login helper or a YubiKey touch prompt must reach the person,
and the SDK that runs us captures our own stderr), else stdin is empty and
stderr is ours.  It gets an environment without AWS secrets and a bound on its
time (its own limit, or less inside a call's time budget: budget.py).  It runs
in a process group of its own (the terminal's foreground job while it runs,
when we were), ended as a whole when it finishes or its time is up, so no
pipeline stage or background job outlives it.  Nothing secret
ever goes on its command line.
"""

import os
import signal
import subprocess
import sys
import threading
import time

from credential_process import budget
from credential_process.errors import ConfigError, NeedsPersonError

_WINDOWS = os.name == "nt"
MAX_OUTPUT_BYTES = 1024 * 1024  # a SAMLResponse is tens of kB; nothing we read is larger
STDERR_TAIL_BYTES = 4096  # of a helper's stderr, kept to quote its last line
# Between SIGTERM and SIGKILL for what is left of a helper's process group.
GRACE_SECONDS = 1.0
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
    """The stripped stdout of ``command``; ``what`` names it in errors (a config key).

    ``timeout`` is the helper's own limit; inside a call's time budget
    (budget.py) it gets at most what is left of that."""
    outcome = _execute(command, what, timeout, capture_stderr=False)
    if outcome.overflow:
        raise ConfigError(f"{what} printed more than {MAX_OUTPUT_BYTES} bytes")
    _refuse_timeout(outcome, what)
    if outcome.returncode != 0:
        raise NeedsPersonError(f"{what} failed (exit status {outcome.returncode})")
    try:
        return outcome.stdout.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"{what} printed something that is not UTF-8 text") from None


def run_capturing(command, what, timeout):
    """Run ``command`` as ``run`` does, but judge nothing but its time: the
    outcome (``returncode``, ``stdout`` bytes, ``overflow``, ``stderr_tail``:
    the last non-empty line it wrote on stderr) is the caller's to judge.

    Its stderr goes through a pipe, copied to the terminal as it comes when
    there is one, so that its last line can be quoted in our one-line message
    whether or not a person is watching (flows/process.py)."""
    outcome = _execute(command, what, timeout, capture_stderr=True)
    _refuse_timeout(outcome, what)
    return outcome


def _refuse_timeout(outcome, what):
    if not outcome.finished and not outcome.overflow:
        why = f", the rest of {budget.describe()}," if outcome.cut_by_budget else ""
        raise NeedsPersonError(f"{what} did not finish within {outcome.limit:.0f} s{why} and was stopped")


class _Outcome:
    __slots__ = ("returncode", "stdout", "overflow", "finished", "limit", "cut_by_budget", "stderr_tail")


def _execute(command, what, timeout, capture_stderr):
    outcome = _Outcome()
    outcome.limit = limit = budget.limit(timeout)
    outcome.cut_by_budget = budget.limited(timeout)
    terminal = open_terminal()
    try:
        stdin = terminal[0] if terminal else subprocess.DEVNULL
        stderr = terminal[1] if terminal else sys.stderr
        if capture_stderr:
            stderr = subprocess.PIPE
        foreground = _foreground_terminal(terminal)
        try:
            process = subprocess.Popen(
                shell_argv(command), stdin=stdin, stdout=subprocess.PIPE, stderr=stderr,
                env=helper_environment(), **_own_group(foreground is not None),
            )
        except OSError as error:
            raise ConfigError(f"{what} could not be started: {error.strerror or error}") from None
        if foreground is not None:
            _hand_terminal(foreground, process.pid)
        reader = _Reader(process.stdout)
        echo = _StderrTail(process.stderr, terminal[1] if terminal else None) if capture_stderr else None
        try:
            outcome.finished = _wait(process, reader, limit)
        finally:
            _end_group(process)
            if foreground is not None:
                _hand_terminal(foreground, os.getpgrp())
        # Every writer is gone with the group, so the readers see the end of the
        # pipes at once; one that escaped the group (a daemon that left with
        # setsid) may keep them open: then we stop listening and leave the threads.
        reader.join(GRACE_SECONDS)
        if echo:
            echo.join(GRACE_SECONDS)
    finally:
        if terminal:
            for handle in terminal:
                handle.close()
    outcome.returncode = process.returncode
    outcome.overflow = reader.overflow
    outcome.stdout = reader.output()
    outcome.stderr_tail = echo.last_line() if echo else ""
    return outcome


def _own_group(in_foreground):
    """Popen arguments that give the helper a process group of its own, so that
    everything it starts (``a | b``, ``x & y``) can be ended together.

    ``in_foreground``: we are the foreground job of our terminal, and the
    helper becomes it in our place (``_hand_terminal``), as a shell does with a
    job: it can read the terminal, open /dev/tty (a password manager's CLI
    does), and Ctrl-C reaches it.  Otherwise a new session (setsid): a new
    group alone would be a background job of our terminal, stopped (SIGTTIN)
    as soon as it read the terminal it gets as stdin; it keeps that terminal
    as stdin and stderr, only /dev/tty finds none."""
    if _WINDOWS:
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    if not in_foreground:
        return {"start_new_session": True}
    if sys.version_info >= (3, 11):
        return {"process_group": 0}
    return {"preexec_fn": os.setpgrp}  # noqa: PLW1509 (a bare syscall, no lock taken)


def _foreground_terminal(terminal):
    """The descriptor of our controlling terminal when this process's group is
    its foreground job and this is the main thread; else None.  Another thread
    (``exec --server`` refreshing while the user's command owns the terminal)
    must never take the terminal."""
    if _WINDOWS or terminal is None or threading.current_thread() is not threading.main_thread():
        return None
    descriptor = terminal[0].fileno()
    try:
        return descriptor if os.tcgetpgrp(descriptor) == os.getpgrp() else None
    except OSError:
        return None


def _hand_terminal(descriptor, group):
    """Make ``group`` the terminal's foreground job.  SIGTTOU is blocked while
    doing so: a background process may then set it (POSIX tcsetpgrp), which is
    what we are once the helper holds it.  SIGCONT wakes a helper that read
    the terminal before it was handed over (stopped by SIGTTIN)."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTTOU})
    try:
        os.tcsetpgrp(descriptor, group)
    except OSError:
        pass  # the helper is gone already, or the terminal is: nothing to hand
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    if group != os.getpgrp():
        _signal_group(group, signal.SIGCONT)


def _wait(process, reader, limit):
    """True when the helper's shell exits within ``limit`` seconds; False when
    time ran out or it printed more than we read (it would then block on the
    full pipe until the end of its time)."""
    deadline = time.monotonic() + limit
    while not reader.overflow:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            process.wait(min(left, 0.05))
            return True
        except subprocess.TimeoutExpired:
            continue
    return False


def _end_group(process):
    """End whatever is left of the helper's group (the shell, its pipeline, its
    background jobs): SIGTERM, GRACE_SECONDS to go, then SIGKILL.  Reaps the shell."""
    if _WINDOWS:
        if process.poll() is None:
            # taskkill /T ends the whole tree; Popen.kill() would end cmd.exe alone.
            subprocess.run(["taskkill", "/T", "/F", "/PID", str(process.pid)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        process.wait()
        return
    group = process.pid  # the helper's shell leads its own group (and session)
    if not _signal_group(group, signal.SIGTERM):
        process.wait()
        return
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        process.poll()  # reap the shell, or the group never looks empty
        if not _signal_group(group, 0):
            break
        time.sleep(0.02)
    else:
        _signal_group(group, signal.SIGKILL)
    process.wait()


def _signal_group(group, number):
    """Send ``number`` to the group; False when no process is left in it."""
    try:
        os.killpg(group, number)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member that changed its user: not ours to end
        return False
    return True


class _PipeReader:
    """Reads a helper's pipe in a daemon thread until its end, handing each
    chunk to ``_take`` (which returns False to stop reading).

    Raw reads on the descriptor, and the pipe closed by this thread alone: a
    buffered file object closed from another thread waits for the read in
    progress, which is how a 60 s limit once became 130 s."""

    def __init__(self, pipe, name):
        self._pipe = pipe  # kept referenced: its descriptor must not be closed under the thread
        self._thread = threading.Thread(target=self._read, name=name, daemon=True)
        self._thread.start()

    def _read(self):
        descriptor = self._pipe.fileno()
        try:
            while True:
                chunk = os.read(descriptor, 65536)
                if not chunk or not self._take(chunk):
                    return
        except OSError:
            return
        finally:
            self._pipe.close()

    def _take(self, chunk):
        raise NotImplementedError

    def join(self, seconds):
        self._thread.join(seconds)


class _Reader(_PipeReader):
    """At most MAX_OUTPUT_BYTES of the helper's stdout, so that neither a
    silent helper (the time bound) nor an endless one (the size bound: memory
    stays bounded) can hold the caller."""

    def __init__(self, pipe):
        self._chunks = []
        self._received = 0
        self.overflow = False
        super().__init__(pipe, "helper-output")

    def _take(self, chunk):
        self._chunks.append(chunk)
        self._received += len(chunk)
        self.overflow = self._received > MAX_OUTPUT_BYTES
        return not self.overflow

    def output(self):
        return b"".join(list(self._chunks))


class _StderrTail(_PipeReader):
    """A helper's stderr, copied to the terminal (when there is one) as it
    comes, of which only the last STDERR_TAIL_BYTES are kept: its last line
    is what our one-line message quotes."""

    def __init__(self, pipe, terminal_writer):
        self._terminal = terminal_writer
        self._tail = b""
        super().__init__(pipe, "helper-stderr")

    def _take(self, chunk):
        self._tail = (self._tail + chunk)[-STDERR_TAIL_BYTES:]
        if self._terminal is not None:
            try:
                # As bytes: a character split between two reads reaches the terminal whole.
                self._terminal.flush()
                self._terminal.buffer.write(chunk)
                self._terminal.buffer.flush()
            except (OSError, ValueError):  # the terminal went away (or was closed)
                self._terminal = None
        return True

    def last_line(self):
        """The last line with something on it, printable, at most 200 characters."""
        lines = [line.strip() for line in self._tail.decode("utf-8", "replace").splitlines()]
        last = next((line for line in reversed(lines) if line), "")
        last = "".join(char if char.isprintable() else "?" for char in last)
        return last if len(last) <= 200 else last[:197] + "..."
