"""The OS keyring (through the ``keyring`` library): ``backend`` checks the
backend and translates its errors (the one module that imports keyring),
``iam_keys`` keeps long-term IAM keys there, ``name_index`` remembers the
names of what was stored (the keyring API cannot list items).  Cached
sessions in the keyring are a store like the others: cache/keyring_store.py.

Not named ``keyring``: it would shadow the library.  Never imported on a
file-cache hit.
"""
