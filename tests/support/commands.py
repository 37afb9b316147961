"""Helpers for the tests of export, exec, whoami, cache and completion.

    save_entry(home, profile, credentials, ...)    write a cache entry exactly where the
                                                   installed command will look for it
    read_json(path)
"""
from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager



@contextmanager
def _environment(env: dict):
    """os.environ replaced by `env` for the duration (cache keys read it)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def save_entry(home, profile: str, credentials: dict, expires_in: float = 3600, duration: int = 3600):
    """Save an entry through the project's own FileStore under the key the
    installed command computes for `profile` with environment `home.env`."""
    from credential_process import options
    from credential_process.cache.entry import cache_key, make_entry
    from credential_process.cache.files import FileStore

    with _environment(home.env):
        opts = options.load(profile)
        entry = make_entry(opts, credentials, time.time() + expires_in, duration, 0.0)
        FileStore(str(home.cache_dir)).save(cache_key(opts), entry)
    return entry


def read_json(path) -> dict:
    with open(path) as handle:
        return json.load(handle)
