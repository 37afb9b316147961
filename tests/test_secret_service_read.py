"""The keyring store's fast read (cache/secret_service_read.py) against keyring
itself, on a real Secret Service (gnome-keyring-daemon on a private bus): the
same answer for every item it claims, no answer (so keyring is asked) whenever
it cannot know, and a keyring-store hit that never imports keyring."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.core
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credential_process.os_keyring import backend as keyring_backend
from credential_process.cache import keyring_store, secret_service_read
from support.hostile import write_role_profiles
from support.secret_service import SecretService, require
from support.tools import TOOL

# What D-Bus strings can carry: no NUL, no lone surrogate.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=300)
NAMES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=60)


@pytest.fixture
def real_keyring(monkeypatch, secret_service, tmp_path):
    """keyring in this process, choosing its backend afresh against the test Secret Service."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service.address)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ["PYTHON_KEYRING_BACKEND", keyring_backend.INSECURE_VARIABLE] + [
            name for name in os.environ if name.startswith("KEYRING_PROPERTY_")]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(keyring_backend, "_checked", None)
    monkeypatch.setattr(keyring.backend, "_limit", None)  # restored after: init_backend sets it
    # Keyring's own choice, as in a user's process; the test doubles of
    # support/keyring_backends.py, once imported by another test, are not in it.
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    keyring.core.init_backend(lambda found: not type(found).__module__.startswith("support."))
    folder = tmp_path / "cache"
    assert secret_service_read.SECRET_SERVICE == keyring_backend.backend_name(
        keyring_backend._writes_to(keyring_backend.backend()))  # keyring does choose the Secret Service here
    yield folder
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)


def test_the_service_names_are_the_backends():
    assert keyring_store.CACHE_SERVICE == keyring_backend.CACHE_SERVICE


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES, value=TEXT, second=TEXT)
def test_fast_read_equals_keyrings_read(real_keyring, name, value, second):
    folder, service = real_keyring, f"cp-test-{uuid.uuid4().hex[:8]}"
    keyring_backend.put(service, name, value)
    secret_service_read.remember(folder, keyring_backend.backend())
    try:
        fast = secret_service_read.read(folder, service, name)
        assert fast is not None  # an item keyring wrote there: claimed
        assert fast == keyring_backend.get(service, name) == value
        keyring_backend.put(service, name, second)  # replaced in place, as the store does on a refresh
        assert secret_service_read.read(folder, service, name) == keyring_backend.get(service, name) == second
    finally:
        keyring_backend.delete(service, name)
    assert secret_service_read.read(folder, service, name) is None  # gone: keyring is asked (and says None)
    assert keyring_backend.get(service, name) is None


@pytest.mark.parametrize("change", ["no record", "other backend", "backend variable", "property variable",
                                    "keyring config", "no bus"])
def test_no_answer_whenever_keyring_might_look_elsewhere(real_keyring, monkeypatch, change):
    folder, service, name = real_keyring, f"cp-test-{uuid.uuid4().hex[:8]}", "someone"
    keyring_backend.put(service, name, "the secret")
    try:
        if change != "no record":
            secret_service_read.remember(folder, keyring_backend.backend())
            assert secret_service_read.read(folder, service, name) == "the secret"
        config = real_keyring.parent / "config" / "python_keyring" / "keyringrc.cfg"
        with monkeypatch.context() as changed:
            if change == "other backend":
                secret_service_read.remember(folder, keyring.backends.fail.Keyring())
            elif change == "backend variable":
                changed.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.EncryptedKeyring")
            elif change == "property variable":
                changed.setenv("KEYRING_PROPERTY_SCHEME", "KeePassXC")
            elif change == "keyring config":
                config.parent.mkdir(parents=True)
                config.write_text("[backend]\ndefault-keyring=keyring.backends.SecretService.Keyring\n")
            elif change == "no bus":
                changed.delenv("DBUS_SESSION_BUS_ADDRESS")
            assert secret_service_read.read(folder, service, name) is None
        config.unlink(missing_ok=True)
    finally:
        keyring_backend.delete(service, name)


def test_locked_collection_is_no_answer_and_the_hit_still_says_locked(home, aws_world, run_tool, tmp_path):
    require()
    with SecretService(tmp_path / "locked-service") as service:
        home.env["DBUS_SESSION_BUS_ADDRESS"] = service.address
        home.env.pop("PYTHON_KEYRING_BACKEND", None)
        write_role_profiles(home, aws_world, cache="keyring")
        assert run_tool("--profile dev", home.env).returncode == 0
        service.lock()
        done = run_tool("--profile dev", home.env)
        assert done.returncode == 3, done.stderr
        assert "keyring is locked" in done.stderr and len(done.stderr.splitlines()) == 1


def test_keyring_store_hit_does_not_import_keyring(keyring_home, aws_world, run_tool):
    write_role_profiles(keyring_home, aws_world, cache="keyring")
    first = run_tool("--profile dev", keyring_home.env)
    assert first.returncode == 0, first.stderr
    done = subprocess.run([sys.executable, "-X", "importtime", TOOL, "--profile", "dev"], env=keyring_home.env,
                          text=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == json.loads(first.stdout)  # a hit: the same session
    names = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", done.stderr, re.M))
    assert "jeepney" in names  # it did read the Secret Service, and the measurement works
    heavy = ("keyring", "secretstorage", "cryptography", "botocore", "filelock")
    assert sorted(name for name in names if name.split(".")[0] in heavy) == []
