"""Keyring backends for tests, chosen in a subprocess with
PYTHON_KEYRING_BACKEND=support.keyring_backends.NAME (and the tests folder
on PYTHONPATH), or in-process with keyring.set_keyring(NAME()).

    MemoryKeyring      in-process only: a dict
    JsonFileKeyring    a JSON file at $CP_TEST_KEYRING_FILE, so several processes share it
    FailOnSetKeyring   JsonFileKeyring whose writes fail (reads work)
    FailOnSetOfKeyring JsonFileKeyring whose writes of the name in $CP_TEST_KEYRING_FAIL_NAME fail
    LockedKeyring      every call raises KeyringLocked, like a locked keyring that cannot prompt

They store secrets in the clear: test doubles only, never named by default
(priority below every real backend).
"""
from __future__ import annotations

import json
import os

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError, PasswordSetError

FILE_VARIABLE = "CP_TEST_KEYRING_FILE"


class MemoryKeyring(KeyringBackend):
    priority = 0.01

    def __init__(self):
        super().__init__()
        self.items = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("no such item")


class JsonFileKeyring(KeyringBackend):
    priority = 0.01

    def _path(self):
        return os.environ[FILE_VARIABLE]

    def _read(self):
        try:
            with open(self._path()) as handle:
                return json.load(handle)
        except FileNotFoundError:
            return {}

    def _write(self, items):
        with open(self._path(), "w") as handle:
            json.dump(items, handle)

    def get_password(self, service, username):
        return self._read().get(f"{service}\n{username}")

    def set_password(self, service, username, password):
        items = self._read()
        items[f"{service}\n{username}"] = password
        self._write(items)

    def delete_password(self, service, username):
        items = self._read()
        if items.pop(f"{service}\n{username}", None) is None:
            raise PasswordDeleteError("no such item")
        self._write(items)


class FailOnSetKeyring(JsonFileKeyring):
    def set_password(self, service, username, password):
        raise PasswordSetError("simulated failure: the keyring refused the write")


class FailOnSetOfKeyring(JsonFileKeyring):
    def set_password(self, service, username, password):
        if username == os.environ.get("CP_TEST_KEYRING_FAIL_NAME"):
            raise PasswordSetError(f"simulated failure: the keyring refused to write {username}")
        super().set_password(service, username, password)


class LockedKeyring(KeyringBackend):
    priority = 0.01

    def _locked(self, *args):
        raise KeyringLocked("Failed to unlock the collection!")

    get_password = set_password = delete_password = _locked
