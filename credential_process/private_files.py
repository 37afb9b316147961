"""Private files: what only this user can read or write.

The checks and writes every file holding something of this tool goes
through (the cache, the keyring index, edited AWS config files, kubeconfig):
a folder must be a real folder of ours that nobody else can write, a file
is read without following a link and only when it is ours and 0600, and a
write replaces the whole file atomically (temp file in the same folder,
fsync, rename), mode 0600 from the first byte.  Standard library only: the
cache-hit path reads through it.
"""

import os
import stat
import time

from credential_process.stderr import warn
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
POSIX = os.name == "posix"
TEMP_PREFIX = ".tmp-"
MAX_FILE_BYTES = 1024 * 1024


class UnsafeFolder(Exception):
    """The cache folder exists but is not ours alone."""


_said_unsafe = set()


def warn_unsafe(error):
    """An unsafe cache folder, said once per run: every read, lock and write meets it."""
    if str(error) not in _said_unsafe:
        _said_unsafe.add(str(error))
        warn(f"cache not used, credentials not cached: {error} (credential-process doctor says how to fix it)")


def check_private_folder(path):
    """Raise UnsafeFolder unless ``path`` is a real folder that only we can write."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeFolder(f"{path} is a symbolic link")
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFolder(f"{path} is not a folder")
    if POSIX:
        if info.st_uid != os.geteuid():
            raise UnsafeFolder(f"{path} belongs to another user (uid {info.st_uid})")
        if info.st_mode & 0o022:
            raise UnsafeFolder(f"{path} is writable by other users (mode {info.st_mode & 0o777:o})")


def ensure_private_folder(path):
    """Create ``path`` (mode 0700) if needed, then check it is ours alone."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except FileExistsError:
        pass  # a file or a dangling link: the check below names it
    check_private_folder(path)
    if POSIX and os.lstat(path).st_mode & 0o077:
        os.chmod(path, 0o700)  # ours, but readable by others: close it


def remove_old_files(folder, wanted, age):
    """Remove the files of ``folder`` whose name is ``wanted`` and that were
    last written more than ``age`` seconds ago."""
    cutoff = time.time() - age
    for name in os.listdir(folder):
        if wanted(name):
            path = os.path.join(folder, name)
            try:
                if os.lstat(path).st_mtime < cutoff:
                    os.unlink(path)
            except OSError:
                pass


def read_private_file(folder, path):
    """The bytes of ``path`` when it is a regular file, ours alone, in a folder
    ours alone; else None (with a warning when something is not private)."""
    try:
        check_private_folder(folder)
        descriptor = os.open(path, os.O_RDONLY | NOFOLLOW)
    except FileNotFoundError:
        return None
    except UnsafeFolder as error:
        warn_unsafe(error)
        return None
    except OSError as error:
        warn(f"cache not used: {error}")
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return None
        if POSIX and (info.st_uid != os.geteuid() or info.st_mode & 0o077):
            warn(f"cache file {path} ignored: not private to this user")
            return None
        with os.fdopen(descriptor, "rb") as handle:
            descriptor = None
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    finally:
        if descriptor is not None:
            os.close(descriptor)


def write_private_file(folder, path, data):
    """Atomically replace ``path`` with ``data``, mode 0600 from the first byte."""
    import tempfile  # here, not at the top: it pulls in shutil, random, bz2, lzma (a hit never writes)

    descriptor, temp_path = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_path, path)
    except BaseException:
        try:
            os.unlink(temp_path)
        except OSError:
            pass
        raise
    _sync_folder(folder)


def _sync_folder(folder):
    if not POSIX:
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
