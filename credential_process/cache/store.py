"""The interface every store of sessions implements, and the store that keeps nothing.

Standard library only (``abc`` is loaded by every interpreter at start-up):
the file store subclasses it on the cache-hit path.
"""

import abc


class Store(abc.ABC):
    """Where sessions are kept between runs, one entry per cache key.

    ``name`` is what ``credential_process_cache`` calls it.  Reads never raise
    for an unsound entry (it is a miss); a failed write is a warning, never
    fatal: a fresh session is always one STS call away.
    """

    name = None

    @abc.abstractmethod
    def load(self, key):
        """The entry stored under ``key``, or None."""

    @abc.abstractmethod
    def save(self, key, entry):
        """Store ``entry`` under ``key``, replacing what was there."""

    @abc.abstractmethod
    def delete(self, key):
        """Remove the entry under ``key`` and what belongs to it (its lock)."""

    @abc.abstractmethod
    def entries(self):
        """(key, entry) for every sound entry, fresh or not."""

    @abc.abstractmethod
    def lock_path(self, key):
        """The file whose lock guards the entry's refresh, or None: no lock."""

    @abc.abstractmethod
    def claim_refresh(self, key, interval):
        """True when a background refresh of ``key`` may start now (none started
        in the last ``interval`` seconds), recording that one starts."""


class NullStore(Store):
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
