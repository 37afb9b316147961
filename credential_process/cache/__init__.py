"""Where sessions are kept between runs: the store interface and its choice.

A store has ``load(key)``, ``save(key, entry)``, ``delete(key)``,
``entries()``, ``lock_path(key)`` and ``claim_refresh(key, interval)`` (may a
background refresh of the entry start now?).  The file store is the default and the
only one imported on the cache-hit path.
"""


class NullStore:
    """``credential_process_cache = none``: nothing kept, nothing locked."""

    name = "none"

    def load(self, key):
        return None

    def save(self, key, entry):
        pass

    def delete(self, key):
        pass

    def entries(self):
        return iter(())

    def lock_path(self, key):
        return None

    def claim_refresh(self, key, interval):
        return False  # nothing cached, nothing to renew


def open_store(kind):
    if kind == "none":
        return NullStore()
    if kind == "keyring":
        # Imports keyring: only profiles that chose this store pay for it.
        from credential_process.cache.keyring_store import KeyringStore

        return KeyringStore()
    from credential_process.cache.files import FileStore

    return FileStore()
