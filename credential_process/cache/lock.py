"""The per-entry lock that makes N cold callers cost one STS call.

The lock is a file beside the entry (never holding a secret), locked with
filelock (flock on POSIX, LockFileEx on Windows).  The kernel releases it when
its holder dies, even by SIGKILL, so a dead holder never blocks the next one.
"""

import contextlib
import os

import filelock

from credential_process import budget
from credential_process.errors import AwsError
from credential_process.private_files import UnsafeFolder, ensure_private_folder, warn_unsafe
from credential_process.stderr import warn


@contextlib.contextmanager
def entry_lock(store, key, timeout, profile):
    """Hold the lock of one cache entry; without a usable folder, go unlocked.

    The wait is ``timeout`` (credential_process_lock_timeout), or what is left
    of the call's time budget when that ends first."""
    wait, cut_by_budget = budget.limit(timeout), budget.limited(timeout)
    try:
        lock = _acquire(store, key, wait)
    except filelock.Timeout:
        waited = f"{wait:.0f} s, the rest of {budget.describe()}," if cut_by_budget else f"{wait:.0f} s"
        advice = "" if cut_by_budget else ", or raise credential_process_lock_timeout"
        raise AwsError(
            f"waited {waited} for another credential-process refreshing profile {profile!r}; "
            f"try again{advice}"
        ) from None
    try:
        yield
    finally:
        if lock is not None:
            lock.release()


@contextlib.contextmanager
def entry_lock_if_free(store, key):
    """Hold the entry's lock if no other process does, without waiting.

    Yields True while holding it; False (holding nothing) when another process
    has it or there is no usable lock file.
    """
    try:
        lock = _acquire(store, key, timeout=0)
    except filelock.Timeout:
        lock = None
    try:
        yield lock is not None
    finally:
        if lock is not None:
            lock.release()


def _acquire(store, key, timeout):
    """The acquired lock; None (with a warning) when no lock file can be used."""
    path = store.lock_path(key)
    if path is None:
        return None
    try:
        ensure_private_folder(os.path.dirname(path))
        if os.path.islink(path):
            raise UnsafeFolder(f"{path} is a symbolic link")
        lock = filelock.FileLock(path, timeout=timeout, mode=0o600)
        lock.acquire()
    except filelock.Timeout:  # an OSError too, but not a broken lock file
        raise
    except UnsafeFolder as error:
        warn_unsafe(error)
        return None
    except OSError as error:
        warn(f"cache lock not available ({error}); going on without it")
        return None
    return lock
