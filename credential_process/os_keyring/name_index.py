"""A small private JSON index ({name: row}) beside secrets kept elsewhere.

The keyring API cannot enumerate items, so the stores that put things there
remember names (and non-secret metadata) here.  The keyring stays the truth:
callers drop rows whose item is gone.
"""

import json
import os

from credential_process.private_files import UnsafeFolder, ensure_private_folder, write_private_file
from credential_process.stderr import warn

_LOCK_TIMEOUT = 30


class NameIndex:
    def __init__(self, path):
        self.path = path

    def read(self):
        try:
            with open(self.path, encoding="utf-8") as handle:
                found = json.load(handle)
        except (OSError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    def update(self, name, row):
        """Set (None: drop) one name's row: atomic, 0600, under the index's own lock."""
        import filelock  # writers only: reads stay light

        folder = os.path.dirname(self.path)
        try:
            ensure_private_folder(folder)
            with filelock.FileLock(self.path + ".lock", timeout=_LOCK_TIMEOUT, mode=0o600):
                index = self.read()
                if row is None and name not in index:
                    return
                if row is None:
                    index.pop(name)
                else:
                    index[name] = row
                write_private_file(folder, self.path, json.dumps(index, indent=1, sort_keys=True).encode())
        except (OSError, UnsafeFolder, TimeoutError) as error:  # filelock.Timeout is a TimeoutError
            warn(f"could not update {self.path} ({error}); listings may be out of date")
