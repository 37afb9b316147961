"""The short trace ``--debug`` writes to stderr on success: which profile and
flow, the region and endpoint, the cache entry, hit or miss, how long the lock
was waited for, and the STS calls made, so a person can see why an answer came
from where it did.  Identifiers only (key IDs at most), never a secret; every
line still goes through errors.redact.  Standard library only: the resolver,
on the cache-hit path, notes into it.
"""

_lines = None  # None: tracing is off (the default), and note() costs nothing


def start():
    global _lines
    _lines = []


def note(text):
    if _lines is not None:
        _lines.append(text)


def write():
    """Write what was noted, once."""
    global _lines
    if not _lines:
        return
    from credential_process import stderr
    from credential_process.errors import redact

    for line in _lines:
        stderr.notice(f"debug: {redact(line)}")
    _lines = None
