"""Where sessions are kept between runs: the choice of store.

The interface is ``cache.store.Store``.  The file store is the default and
the only one imported on the cache-hit path.
"""


def open_store(kind):
    if kind == "none":
        from credential_process.cache.store import NullStore

        return NullStore()
    if kind == "keyring":
        # Imports keyring: only profiles that chose this store pay for it.
        from credential_process.cache.keyring_store import KeyringStore

        return KeyringStore()
    from credential_process.cache.files import FileStore

    return FileStore()
