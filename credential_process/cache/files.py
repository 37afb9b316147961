"""The default store: one file per entry in a private folder.

An entry file is three lines: a header with what freshness is judged on
(``cp-entry 2 <expires_at> <skew> <duration> <kind>``), the entry as JSON, and
the answer: for credentials the credential_process answer itself, for an EKS
token the ExecCredential's status (entry.answer_line).  The header and the
answer let the plain-call shortcut (cache/shortcut.py) serve a hit without importing
``json``, which with the ``re`` it loads costs more than half an interpreter
start; everything else reads the JSON line.

Reads take no lock: writers replace whole files atomically (temp file in the
same folder, fsync, rename), so a reader sees the old entry or the new one.
Anything unexpected (a symlink, someone else's file, loose permissions, bad
JSON) is a miss, never an error: a fresh session is always one STS call away.
"""

import os
import stat
import time

from credential_process.cache import entry as entry_format
from credential_process.cache.store import Store
from credential_process.private_files import (
    NOFOLLOW, TEMP_PREFIX, UnsafeFolder, check_private_folder, ensure_private_folder, read_private_file, warn_unsafe,
    remove_old_files, write_private_file,
)
from credential_process.stderr import warn

_STALE_TEMP_SECONDS = 60


# The names this store (and cache/shortcut.py) writes in its folder, by suffix:
# entries, their locks and background-refresh markers; plain-call shortcut
# records (and the ".request" records of earlier versions).
_KEY_LENGTHS = {"json": 40, "lock": 40, "refresh": 40, "shortcut": 16, "request": 8}


def is_store_file(name):
    """True for a name the file store writes (``cache clear --all`` removes only these)."""
    if name.startswith(TEMP_PREFIX):
        return True
    stem, _, suffix = name.rpartition(".")
    return len(stem) == _KEY_LENGTHS.get(suffix) and all(char in "0123456789abcdef" for char in stem)


def default_folder():
    return os.path.expanduser(
        os.environ.get("CREDENTIAL_PROCESS_CACHE_DIR") or "~/.aws/credential-process/cache"
    )


class FileStore(Store):
    name = "file"

    def __init__(self, folder=None):
        self.folder = folder or default_folder()

    def path(self, key, suffix=".json"):
        return os.path.join(self.folder, key + suffix)

    def lock_path(self, key):
        return self.path(key, ".lock")

    def load(self, key):
        """The entry stored under ``key``, or None for anything but a sound entry."""
        data = read_private_file(self.folder, self.path(key))
        return None if data is None else parse(data)

    def load_answer(self, key):
        """(freshness fields, answer line, the file's bytes) of an entry, or
        None; reads no JSON, so it cannot tell a damaged payload: the caller
        compares the bytes with ones the full path judged."""
        data = read_private_file(self.folder, self.path(key))
        lines = data.split(b"\n") if data else ()
        header = read_header(lines[0]) if len(lines) == 4 else None
        if header is None or not lines[2]:
            return None
        return header, lines[2], data

    def save(self, key, entry):
        """Write an entry atomically; a failure is a warning, never fatal."""
        try:
            ensure_private_folder(self.folder)
            self._remove_stale_temp_files()
            _remove_empty_folder(self.path(key))
            write_private_file(self.folder, self.path(key), encode(entry))
        except UnsafeFolder as error:
            warn_unsafe(error)
        except OSError as error:
            warn(f"could not write the cache ({_describe(error)}); credentials not cached")

    def claim_refresh(self, key, interval):
        """True when no background refresh of ``key`` started in the last
        ``interval`` seconds, recording that one starts now.  One stat on the
        path that serves an entry near its end, so a busy shell starts one
        refresher, not one per call; the entry's lock decides who calls STS."""
        path = self.path(key, ".refresh")
        try:
            check_private_folder(self.folder)
            if time.time() - os.lstat(path).st_mtime < interval:
                return False
        except FileNotFoundError:
            pass
        except (OSError, UnsafeFolder):
            return False
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | NOFOLLOW, 0o600)
            try:
                os.write(descriptor, b"\n")  # sets the modification time
            finally:
                os.close(descriptor)
        except OSError:
            return False  # a folder we cannot write: a refresh could not save either
        return True

    def delete(self, key):
        # Never the lock file: a refresh may hold it, and a caller arriving
        # after an unlink would lock a new file and call STS a second time.
        for path in (self.path(key), self.path(key, ".refresh")):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    def entries(self):
        """(key, entry) for every sound entry, fresh or not."""
        try:
            names = sorted(os.listdir(self.folder))
        except OSError:
            return
        for name in names:
            if name.endswith(".json") and not name.startswith(TEMP_PREFIX):
                key = name[: -len(".json")]
                found = self.load(key)
                if found is not None:
                    yield key, found

    def _remove_stale_temp_files(self):
        # A writer killed between write and rename leaves its temp file behind.
        remove_old_files(self.folder, lambda name: name.startswith(TEMP_PREFIX), _STALE_TEMP_SECONDS)


def _remove_empty_folder(path):
    # A folder where an entry belongs would make every rename onto it fail, so
    # the entry could never be cached again; an empty one is safe to remove.
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            os.rmdir(path)
    except OSError:
        pass  # not empty, or gone: the write below reports what is wrong


_MAGIC = "cp-entry"
_LAYOUT = "2"


def encode(entry):
    """The bytes of an entry file (see the module's docstring)."""
    import json

    kind = entry_format.kind_of(entry)
    header = " ".join((_MAGIC, _LAYOUT, repr(float(entry["expires_at"])), repr(float(entry.get("skew", 0))),
                       repr(float(entry["duration"])), kind))
    return f"{header}\n{json.dumps(entry)}\n{entry_format.answer_line(entry)}\n".encode()


def parse(data):
    """The entry in an entry file's bytes, or None unless it is sound."""
    lines = data.split(b"\n")
    if len(lines) != 4 or read_header(lines[0]) is None:
        return None
    return parse_json(lines[1])


def parse_json(text):
    """An entry from its JSON form (the keyring store keeps entries as JSON)."""
    import json

    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) and entry_format.is_valid(found) else None


def read_header(line):
    """The freshness fields of an entry file's first line, or None."""
    fields = line.decode("ascii", "replace").split(" ")
    if len(fields) != 6 or fields[:2] != [_MAGIC, _LAYOUT]:
        return None
    try:
        expires_at, skew, duration = (float(field) for field in fields[2:5])
    except ValueError:
        return None
    return {"expires_at": expires_at, "skew": skew, "duration": duration, "kind": fields[5]}


def _describe(error):
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror}: {error.filename}" if error.filename else error.strerror
    return str(error)
