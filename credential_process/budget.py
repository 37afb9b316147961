"""One deadline for the whole call, so that every wait inside it ends in time.

The Go SDK kills a credential_process after 60 s.  Separate limits (a 60 s
helper, a 55 s lock wait, a 39 s STS call) each fit under that, but not
together.  So the default command, the one the SDKs run, starts a budget of
CALL_SECONDS when it starts, and every wait on the way (lock wait, helper
command, MFA prompt, each STS call with its retries) takes
``limit(its own limit)``: the smaller of that and the time left.  What remains
under the 60 s is for the interpreter's start, imports, the cache write and
the exit.

Commands a person runs (exec, export, whoami, keys, eks, ...) start no budget:
their waits keep their own limits (docs/hostile.md lists them).

``CREDENTIAL_PROCESS_TIME_BUDGET`` (seconds) sets another figure, e.g. for an
SDK with a shorter limit than Go's.  Standard library only: the cache-hit
path imports this module.
"""

import os
import time

CALL_SECONDS = 50
VARIABLE = "CREDENTIAL_PROCESS_TIME_BUDGET"

_deadline = None  # time.monotonic() value, or None: no budget
_seconds = None


def start(seconds=None):
    """Start the budget now: ``seconds``, else the variable's value, else CALL_SECONDS."""
    global _deadline, _seconds
    if seconds is None:
        seconds = _from_environment()
    _seconds = seconds
    _deadline = time.monotonic() + seconds


def clear():
    """No budget any more (tests; a long-lived process that started one)."""
    global _deadline, _seconds
    _deadline = _seconds = None


def remaining():
    """Seconds left (never negative); None without a budget."""
    if _deadline is None:
        return None
    return max(_deadline - time.monotonic(), 0.0)


def limit(own):
    """The time a wait may take: its own limit, or less when the budget ends first."""
    left = remaining()
    return own if left is None else min(own, left)


def limited(own):
    """True when the budget, not ``own``, decides how long a wait may take."""
    left = remaining()
    return left is not None and left < own


def describe():
    """Words for a message about a wait cut short by the budget."""
    return f"the call's {_seconds:g} s time budget ({VARIABLE})"


def _from_environment():
    raw = os.environ.get(VARIABLE)
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = 0.0
        if 0 < value <= 3600:
            return value
    return CALL_SECONDS
