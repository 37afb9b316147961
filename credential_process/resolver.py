"""Credentials for a profile: from the cache while fresh, else from STS under
the entry's lock, so that N processes missing at once make one STS call.

The hit path (this module down to the file store) imports only the standard
library; the lock, the flows and botocore are imported on a miss.
"""

import json
import os

from credential_process.cache import entry as entry_format
from credential_process.cache import open_store
from credential_process.errors import ConfigError

# The profiles being served by this tool's ancestors, carried into the
# children that resolve credentials, so a loop through botocore or another
# process is seen as a loop.
CHAIN_VARIABLE = "CREDENTIAL_PROCESS_CHAIN"


def inherited_chain():
    try:
        chain = json.loads(os.environ.get(CHAIN_VARIABLE, "[]"))
    except ValueError:
        return []
    return [name for name in chain if isinstance(name, str)] if isinstance(chain, list) else []


def guard_loop(profile, chain):
    if profile in chain:
        raise ConfigError(f"profile chain loops: {' -> '.join(list(chain) + [profile])}")


def get_entry(options, chain=()):
    """The cache entry (credentials and metadata) for a profile."""
    chain = list(chain) or inherited_chain()
    guard_loop(options.profile, chain)
    store = open_store(options.cache)
    key = entry_format.cache_key(options)
    return cached(store, key, options, lambda: _fetch(options, chain))


def cached(store, key, options, fetch):
    """The entry under ``key`` if fresh; else ``fetch()``'s, stored, under the lock."""
    found = store.load(key)
    if found is not None and entry_format.is_fresh(found, options):
        return found
    from credential_process.cache.lock import entry_lock

    with entry_lock(store, key, options.lock_timeout, options.profile):
        found = store.load(key)  # another process may have refreshed it meanwhile
        if found is not None and entry_format.is_fresh(found, options):
            return found
        fresh = fetch()
        store.save(key, fresh)
        return fresh


def _fetch(options, chain):
    from credential_process import flows

    return flows.run(options, chain, get_entry)
