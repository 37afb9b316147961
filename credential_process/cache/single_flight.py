"""Single flight: N processes missing the same entry at once make one fetch.

The entry is served without a lock while fresh; a miss takes the entry's
lock, looks again (another process may have fetched it meanwhile), and only
then fetches and stores.  Standard library only down to a hit: the lock
(filelock) is imported on a miss.
"""

import time

from credential_process import trace
from credential_process.cache import entry as entry_format


def cached(store, key, options, fetch):
    """The entry under ``key`` if fresh; else ``fetch()``'s, stored, under the lock."""
    found = store.load(key)
    if found is not None and entry_format.is_fresh(found, options):
        trace.note(f"{options.profile}: cache hit, fresh until {found['credentials']['Expiration']}"
                   if "credentials" in found else f"{options.profile}: cache hit")
        return found
    from credential_process.cache.lock import entry_lock

    asked = time.monotonic()
    with entry_lock(store, key, options.lock_timeout, options.profile):
        trace.note(f"{options.profile}: cache miss; waited {time.monotonic() - asked:.2f} s for the lock")
        found = store.load(key)  # another process may have refreshed it meanwhile
        if found is not None and entry_format.is_fresh(found, options):
            trace.note(f"{options.profile}: another process had refreshed the entry meanwhile")
            return found
        fresh = fetch()
        if entry_format.is_cacheable(fresh):  # an answer without Expiration is served, never stored
            store.save(key, fresh)
        return fresh
