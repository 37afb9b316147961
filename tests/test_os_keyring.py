"""In-process units of the keyring pieces, on an in-memory keyring backend."""

import json
import os
import stat
import types

import keyring
import keyring.errors
import pytest

from credential_process import inifile, options
from credential_process.cache import entry as entry_format
from credential_process.cache.keyring_store import KeyringStore
from credential_process.errors import ConfigError, NeedsPersonError, redact
from credential_process.os_keyring import backend as keyring_backend
from credential_process.os_keyring import iam_keys
from support.keyring_backends import MemoryKeyring

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
KEY_ID = "AKIAIOSFODNN7EXAMPLE"


@pytest.fixture
def memory_keyring(monkeypatch, tmp_path):
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CREDENTIAL_PROCESS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(keyring_backend.INSECURE_VARIABLE, raising=False)
    yield backend
    keyring.set_keyring(previous)


# -- shapes ----------------------------------------------------------------------
@pytest.mark.parametrize("value", [KEY_ID, "AKIA" + "A" * 12, "AKIA" + "Z9_" * 41 + "X"])
def test_long_term_key_ids_are_accepted(value):
    assert iam_keys.check_access_key_id(value) == value


@pytest.mark.parametrize("value, says", [
    ("ASIAIOSFODNN7EXAMPLE", "temporary"), ("AKIA12345", "16 to 128"), ("AKIA" + "A" * 125, "16 to 128"),
    ("AROAIOSFODNN7EXAMPLE", "16 to 128"), ("AKIAIOSFODNN7EXAMPL!", "16 to 128"), ("", "16 to 128"),
])
def test_other_key_ids_are_refused(value, says):
    with pytest.raises(ConfigError, match=says):
        iam_keys.check_access_key_id(value)


@pytest.mark.parametrize("value", [SECRET[:-1], SECRET + "A", SECRET[:-1] + "!", ""])
def test_bad_secrets_are_refused_without_showing_them(value):
    with pytest.raises(ConfigError) as raised:
        iam_keys.check_secret_access_key(value)
    assert not value or value[:10] not in str(raised.value)


def test_redact_spares_variable_names_but_not_secrets():
    text = f"set CREDENTIAL_PROCESS_ALLOW_INSECURE_KEYRING=1 not {SECRET}"
    assert redact(text) == "set CREDENTIAL_PROCESS_ALLOW_INSECURE_KEYRING=1 not <redacted>"


# -- stored keys -------------------------------------------------------------------
def test_store_load_list_remove(memory_keyring, tmp_path):
    iam_keys.store("work", KEY_ID, SECRET)
    assert json.loads(memory_keyring.items[("credential-process", "work")])["SecretAccessKey"] == SECRET
    assert iam_keys.base_credentials("work")["SecretAccessKey"] == SECRET
    index = tmp_path / ".aws" / "credential-process" / "keys-index.json"
    assert SECRET not in index.read_text() and KEY_ID not in index.read_text()
    assert stat.S_IMODE(index.stat().st_mode) == 0o600
    assert [row[:2] for row in iam_keys.listing()] == [("work", "AKIA...MPLE")]
    # The keyring is the truth: an item gone from it leaves the listing.
    del memory_keyring.items[("credential-process", "work")]
    assert iam_keys.listing() == [] and iam_keys.index().read() == {}
    with pytest.raises(ConfigError, match="keys add work"):
        iam_keys.base_credentials("work")


def test_an_item_that_is_not_ours_is_a_clear_error(memory_keyring):
    memory_keyring.set_password("credential-process", "odd", "not json")
    with pytest.raises(ConfigError, match="not a key pair"):
        iam_keys.load("odd")


# -- backend checks and error translation -----------------------------------------------
def backend_named(module, name):
    return type(name, (MemoryKeyring,), {"__module__": module})()


@pytest.mark.parametrize("module, name, says", [
    ("keyring.backends.fail", "Keyring", "stores nothing"),
    ("keyring.backends.null", "Keyring", "stores nothing"),
    ("keyrings.alt.file", "PlaintextKeyring", "plain text"),
])
def test_insecure_backends_are_refused(module, name, says, monkeypatch):
    monkeypatch.delenv(keyring_backend.INSECURE_VARIABLE, raising=False)
    found = backend_named(module, name)
    assert says in keyring_backend.refusal_reason(found)
    monkeypatch.setattr(keyring, "get_keyring", lambda: found)
    with pytest.raises(ConfigError, match=says):
        keyring_backend.backend()
    monkeypatch.setenv(keyring_backend.INSECURE_VARIABLE, "1")
    assert keyring_backend.backend() is found


def test_a_chainer_is_judged_by_the_backend_it_writes_to():
    secure = backend_named("keyring.backends.SecretService", "Keyring")
    plaintext = backend_named("keyrings.alt.file", "PlaintextKeyring")
    chainer = types.new_class("ChainerBackend")()
    chainer.backends = [secure, plaintext]
    assert keyring_backend.refusal_reason(chainer) is None
    chainer.backends = [plaintext, secure]
    assert "plain text" in keyring_backend.refusal_reason(chainer)


def test_locked_is_needs_person_and_denied_is_config():
    with pytest.raises(NeedsPersonError, match="locked"):
        with keyring_backend.translated_errors("reading"):
            raise keyring.errors.KeyringLocked("Failed to unlock the collection!")
    denied = type("DBusErrorResponse", (Exception,), {"__module__": "jeepney.wrappers"})
    with pytest.raises(ConfigError, match="denied"):
        with keyring_backend.translated_errors("reading"):
            raise denied("[org.freedesktop.DBus.Error.AccessDenied] not allowed")
    with pytest.raises(ConfigError, match="not reachable over D-Bus"):
        with keyring_backend.translated_errors("reading"):
            raise denied("[org.freedesktop.DBus.Error.ServiceUnknown] no such name")
    with pytest.raises(ConfigError, match="reading failed"):
        with keyring_backend.translated_errors("reading"):
            raise keyring.errors.PasswordSetError("nope")


# -- the keyring cache store --------------------------------------------------------------
def sample_entry(profile="dev", source=("keyring", "work")):
    return {"format": entry_format.FORMAT, "profile": profile, "flow": "assume-role", "role_arn": "arn",
            "source": list(source), "created_at": 1.0, "expires_at": 4e9, "duration": 3600, "skew": 0,
            "credentials": {"AccessKeyId": "ASIAX", "SecretAccessKey": SECRET, "SessionToken": "T" * 300,
                            "Expiration": "2096-10-02T07:06:40Z"}}


def test_keyring_store_round_trip_with_a_secret_free_index(memory_keyring, tmp_path):
    store = KeyringStore()
    store.save("k1", sample_entry())
    store.save("k2", sample_entry("other", ("profile", "dev")))
    assert store.load("k1") == sample_entry()
    assert [key for key, _ in store.entries()] == ["k1", "k2"]
    index_text = (tmp_path / "cache" / "keyring-index").read_text()
    assert SECRET not in index_text and "T" * 300 not in index_text
    assert stat.S_IMODE((tmp_path / "cache" / "keyring-index").stat().st_mode) == 0o600
    assert os.path.dirname(store.lock_path("k1")) == str(tmp_path / "cache")
    store.delete("k1")
    assert store.load("k1") is None and [key for key, _ in store.entries()] == ["k2"]
    memory_keyring.items.clear()  # the keyring is the truth
    assert list(store.entries()) == [] and store.index.read() == {}


def test_keyring_store_treats_a_bad_item_as_a_miss(memory_keyring):
    memory_keyring.set_password(keyring_backend.CACHE_SERVICE, "k", "{broken")
    assert KeyringStore().load("k") is None


def test_keyring_store_is_refused_on_windows_credential_manager(monkeypatch):
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend_named("keyring.backends.Windows", "WinVaultKeyring"))
    store = KeyringStore()
    assert list(store.entries()) == []  # nothing indexed: the keyring is not even asked
    for use in (lambda: store.load("k"), lambda: store.save("k", sample_entry())):
        with pytest.raises(ConfigError, match="2560 bytes"):
            use()


# -- options -------------------------------------------------------------------------
def test_source_keyring_is_one_of_the_exclusive_sources(tmp_path, monkeypatch):
    config = tmp_path / "config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    config.write_text("[profile dev]\ncredential_process_role_arn = arn:aws:iam::1:role/R\n"
                      "credential_process_source_keyring = work\ncredential_process_cache = keyring\n")
    loaded = options.load("dev")
    assert (loaded.source_keyring, loaded.cache) == ("work", "keyring")
    assert entry_format.base_identity(loaded) == ["keyring", "work"]
    with pytest.raises(ConfigError, match="choose one"):
        options.load("dev", {"source_profile": "base"})


# -- inifile ---------------------------------------------------------------------------
def test_remove_keys_touches_nothing_else(tmp_path):
    path = tmp_path / "credentials"
    text = ("# comment\n[a]\nx = 1\n[b]   ; note\nAWS_ACCESS_KEY_ID = K\n  continued\n"
            "; between\naws_secret_access_key: S\nregion=r\n[c]\naws_access_key_id = K2\n")
    path.write_text(text)
    backup = inifile.remove_keys(str(path), "b", ["aws_access_key_id", "aws_secret_access_key"])
    assert path.read_text() == "# comment\n[a]\nx = 1\n[b]   ; note\n; between\nregion=r\n[c]\naws_access_key_id = K2\n"
    assert open(backup).read() == text
    assert inifile.remove_keys(str(path), "b", ["aws_access_key_id"]) is None  # nothing left to do


def test_update_section_in_place_appended_and_in_a_new_section(tmp_path):
    path = tmp_path / "config"
    path.write_bytes(b"[profile dev]\r\nregion = a\r\n# end of dev\r\n\r\n[default]\r\nregion = b")
    inifile.update_section(str(path), "profile  dev", {"region": "c", "output": "json"})
    inifile.update_section(str(path), "default", {"x": "1"})
    inifile.update_section(str(path), "profile new", {"y": "2"})
    assert path.read_bytes() == (b"[profile dev]\r\nregion = c\r\noutput = json\r\n# end of dev\r\n\r\n"
                                 b"[default]\r\nregion = b\r\nx = 1\r\n\r\n[profile new]\r\ny = 2\r\n")
    fresh = tmp_path / "sub" / "new"
    assert inifile.update_section(str(fresh), "default", {"k": "v"}) is None
    assert fresh.read_text() == "[default]\nk = v\n"


def test_replace_key_and_update_sections_edit_several_sections_with_one_backup(tmp_path):
    path = tmp_path / "config"
    text = ("[profile a]\r\ncredential_process_source_profile = base\r\n  more\r\nregion = r\r\n"
            "[profile b]\r\nregion = r\r\n[profile  c]\r\nCredential_Process_Source_Profile: base")
    path.write_bytes(text.encode())
    backup = inifile.replace_key(str(path), ["profile a", "profile b", "profile c"],
                                 "credential_process_source_profile", "credential_process_source_keyring", "k")
    assert path.read_bytes() == (b"[profile a]\r\ncredential_process_source_keyring = k\r\nregion = r\r\n"
                                 b"[profile b]\r\nregion = r\r\n[profile  c]\r\n"
                                 b"credential_process_source_keyring = k\r\n")
    assert open(backup, "rb").read() == text.encode() and len(list(tmp_path.glob("*.bak"))) == 1
    inifile.update_sections(str(path), {"profile a": ({"x": "1"}, ["region"]), "profile b": ({}, ["region"])})
    assert path.read_bytes() == (b"[profile a]\r\ncredential_process_source_keyring = k\r\nx = 1\r\n"
                                 b"[profile  c]\r\ncredential_process_source_keyring = k\r\n")
    assert len(list(tmp_path.glob("*.bak"))) == 2
# inifile's general properties are tested in test_commands_configure.py.


def test_redact_hides_secret_shaped_text():
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert secret not in redact(f"bad key {secret} here")
    assert "AKIAIOSFODNN7EXAMPLE" in redact("key AKIAIOSFODNN7EXAMPLE")
