"""``credential_process_cache = keyring``: cached sessions as keyring items.

One item per cache key (service ``credential-process-cache``), holding the
same JSON entry the file store writes.  What stays on disk, in the file
cache's folder, holds no secret: the per-entry lock files, and a 0600 index
of cache keys with each entry's metadata (the keyring API cannot enumerate
items, and ``entries()`` must).  The keyring is the truth: an indexed key it
no longer holds is dropped from the index.

A hit here talks to the OS store: slower than a file hit, which is why the
file store stays the default.  Where keyring would read the item from the
Secret Service, a hit reads it there without importing keyring
(cache/secret_service_read.py); everything else goes through keyring.

Windows Credential Manager caps an item at 2560 bytes, less than a cached
session with its token, so this store refuses to open there.
"""

import json

from credential_process.cache import secret_service_read
from credential_process.cache.files import FileStore, parse_json
from credential_process.cache.store import Store
from credential_process.errors import ConfigError, CredentialProcessError
from credential_process.os_keyring.name_index import NameIndex
from credential_process.stderr import warn

INDEX_NAME = "keyring-index"  # no .json: the file store's entries() must not look at it
CACHE_SERVICE = "credential-process-cache"  # os_keyring.backend.CACHE_SERVICE, named here without importing keyring


class KeyringStore(Store):
    name = "keyring"

    def __init__(self, folder=None):
        # The keyring is first touched on a read or write: listing an empty
        # index (``cache list`` on a machine that never used this store) needs none.
        self.files = FileStore(folder)  # for the folder of the lock files and the index
        self.index = NameIndex(self.files.path(INDEX_NAME, ""))

    def lock_path(self, key):
        return self.files.lock_path(key)

    def claim_refresh(self, key, interval):
        return self.files.claim_refresh(key, interval)  # a marker beside the lock file, no secret

    def load(self, key):
        """The entry under ``key``; None when absent or unsound.  A keyring that
        cannot be read (locked, unreachable) is an error, not a miss."""
        text = secret_service_read.read(self.files.folder, CACHE_SERVICE, key)
        if text is None:
            from credential_process.os_keyring import backend as keyring_backend

            check_backend()
            text = keyring_backend.get(keyring_backend.CACHE_SERVICE, key)
        return None if text is None else parse_json(text)

    def save(self, key, entry):
        from credential_process.os_keyring import backend as keyring_backend

        check_backend()
        try:
            keyring_backend.put(keyring_backend.CACHE_SERVICE, key, json.dumps(entry))
        except CredentialProcessError as error:
            warn(f"could not write the keyring cache ({error}); credentials not cached")
            return
        secret_service_read.remember(self.files.folder, keyring_backend.backend())  # where later hits may read it
        self.index.update(key, metadata(entry))

    def delete(self, key):
        from credential_process.os_keyring import backend as keyring_backend

        keyring_backend.delete(keyring_backend.CACHE_SERVICE, key)
        self.index.update(key, None)
        self.files.delete(key)  # the refresh marker (the lock stays); there is no entry file

    def entries(self):
        """(key, entry) for every indexed entry the keyring still holds."""
        for key in sorted(self.index.read()):
            found = self.load(key)
            if found is None:
                self.index.update(key, None)
            else:
                yield key, found



def check_backend():
    from credential_process.os_keyring import backend as keyring_backend

    if keyring_backend.is_windows_vault():
        raise ConfigError(
            "credential_process_cache = keyring is not available with Windows Credential Manager: "
            "its items hold at most 2560 bytes, less than a cached session; "
            "use credential_process_cache = file (the default)"
        )


# What the index may hold of an entry: named one by one, so that a payload
# added later (as the EKS token was) stays in the keyring unless listed here.
# Each is written by cache/entry.py's _metadata or make_token_entry: none is a secret.
INDEXED_FIELDS = (
    "format", "kind", "profile", "flow", "role_arn", "cluster", "source",
    "created_at", "expires_at", "duration", "skew",
)


def metadata(entry):
    """The entry's non-secret fields: what the index may hold."""
    return {name: entry[name] for name in INDEXED_FIELDS if name in entry}

