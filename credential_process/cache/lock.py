"""The per-entry lock that makes N cold callers cost one STS call.

The lock is a file beside the entry (never holding a secret), locked with
filelock (flock on POSIX, LockFileEx on Windows).  The kernel releases it when
its holder dies, even by SIGKILL, so a dead holder never blocks the next one.
"""

import contextlib
import os

import filelock

from credential_process.cache.files import UnsafeFolder, ensure_private_folder, warn
from credential_process.errors import AwsError


@contextlib.contextmanager
def entry_lock(store, key, timeout, profile):
    """Hold the lock of one cache entry; without a usable folder, go unlocked."""
    path = store.lock_path(key)
    if path is None:
        yield
        return
    try:
        ensure_private_folder(os.path.dirname(path))
        if os.path.islink(path):
            raise UnsafeFolder(f"{path} is a symbolic link")
        lock = filelock.FileLock(path, timeout=timeout, mode=0o600)
        lock.acquire()
    except filelock.Timeout:
        raise AwsError(
            f"waited {timeout} s for another credential-process refreshing profile {profile!r}; "
            "try again, or raise credential_process_lock_timeout"
        ) from None
    except (OSError, UnsafeFolder) as error:
        warn(f"cache lock not available ({error}); going on without it")
        yield
        return
    try:
        yield
    finally:
        lock.release()
