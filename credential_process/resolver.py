"""Credentials for a profile: from the cache while fresh, else from STS under
the entry's lock, so that N processes missing at once make one STS call.

The hit path (this module down to the file store) imports only the standard
library; the lock, the flows and botocore are imported on a miss.
"""

import json
import os
import sys

from credential_process import trace
from credential_process.cache import entry as entry_format
from credential_process.cache import open_store
from credential_process.cache.single_flight import cached
from credential_process.errors import ConfigError
from credential_process.markers import (
    CHAIN_VARIABLE, REFRESH_VARIABLE, in_background_refresh, inherited_chain,
)
from credential_process.options import SPECS_BY_NAME


def guard_loop(profile, chain):
    if profile in chain:
        raise ConfigError(f"profile chain loops: {' -> '.join(list(chain) + [profile])}")


def get_entry(options, chain=()):
    """The cache entry (credentials and metadata) for a profile."""
    chain = list(chain) or inherited_chain()
    guard_loop(options.profile, chain)
    store = open_store(options.cache)
    key = entry_format.cache_key(options)
    where = getattr(store, "path", None)
    trace.note(f"profile {options.profile!r}: flow {options.flow}, region {options.region}, "
               f"cache {store.name} entry {where(key) if where else key}")

    def fetch():
        return _fetch(options, chain)

    if os.environ.get(REFRESH_VARIABLE) == key:
        refresh_if_free(store, key, options, fetch)
    found = cached(store, key, options, fetch)
    if _refresh_wanted(store, key, options, found):
        start_background_refresh(options, chain, store, key)
    return found


# -- background refresh ------------------------------------------------------
# A served entry close to its refresh margin is renewed by a detached child
# (``python -m credential_process`` with REFRESH_VARIABLE set to the entry's
# key), so that callers keep getting cache hits and never wait for STS.

# At most one refresher is started per entry in this many seconds.
REFRESH_RETRY_SECONDS = 60
# A refresher is ended (SIGALRM) after this long, whatever it waits for: the
# STS budget is 39 s, and an in-process source profile may need as long again.
REFRESH_TIME_LIMIT = 120
# Flags a refresher is not given: an MFA code is good once, and was used already.
NOT_REPLAYED = ("mfa_code",)


def _refresh_wanted(store, key, options, entry):
    if not options.background_refresh or in_background_refresh():
        return False
    if not entry_format.is_cacheable(entry):
        return False
    if not entry_format.refresh_due(entry, options):
        return False
    return store.claim_refresh(key, REFRESH_RETRY_SECONDS)


def start_background_refresh(options, chain, store, key):
    """Start a detached process that renews the entry; never waits for it."""
    import subprocess

    argv = [sys.executable, "-m", "credential_process", f"--profile={options.profile}"]
    argv += [f"{SPECS_BY_NAME[name].flag}={raw}" for name, raw in sorted(options.flags.items())
             if name not in NOT_REPLAYED]
    env = dict(os.environ, **{REFRESH_VARIABLE: key})
    if chain:
        env[CHAIN_VARIABLE] = json.dumps(chain)
    detach = {"start_new_session": True}  # no terminal: it can never prompt
    if os.name == "nt":
        detach = {"creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP}
    try:
        subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # The private cache folder: ``-m`` must not import a package from the caller's folder.
            cwd=os.path.dirname(store.lock_path(key)), **detach,
        )
    except OSError:
        pass  # the entry was served; a later call refreshes in the foreground


def refresh_if_free(store, key, options, fetch):
    """In a refresher: renew the entry unless another process holds its lock,
    it has been renewed meanwhile, or a new session would need a person."""
    import signal  # not at the top: it costs a cache hit a millisecond

    if hasattr(signal, "alarm"):
        signal.alarm(REFRESH_TIME_LIMIT)
    from credential_process import flows
    from credential_process.cache.lock import entry_lock_if_free

    with entry_lock_if_free(store, key) as held:
        if not held:
            return
        found = store.load(key)
        if found is None or not entry_format.refresh_due(found, options):
            return
        if flows.can_refresh_unattended(options):
            fresh = fetch()
            if entry_format.is_cacheable(fresh):
                store.save(key, fresh)


def _fetch(options, chain):
    from credential_process import flows
    from credential_process.errors import RefusedError

    try:
        return flows.run(options, chain, get_entry)
    except RefusedError as error:
        # Named after the innermost profile refused (a source's refusal names the source).
        if not error.explained:
            from credential_process.refusals import explained

            raise explained(error, options) from None
        raise
