"""In-process tests of cache/entry.py: what the cache key is made of, freshness, entry shape."""

import time

import pytest

from credential_process.cache import entry as entry_format
from test_options import ROLE, config, load  # noqa: F401 (config is a fixture)


def test_cache_key_changes_with_answer_inputs_only(config, monkeypatch):
    config(f"[profile dev]\ncredential_process_role_arn = {ROLE}\ncredential_process_source_profile = b\n")
    key = entry_format.cache_key(load())
    assert entry_format.cache_key(load()) == key
    assert entry_format.cache_key(load({"lock_timeout": "5"})) == key
    assert entry_format.cache_key(load({"refresh_margin": "60"})) == key
    for flags in ({"duration_seconds": "900"}, {"external_id": "xyz123"}, {"source_profile": "c"},
                  {"tags": "a=b"}, {"role_session_name": "other"}):
        assert entry_format.cache_key(load(flags)) != key, flags
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
    assert entry_format.cache_key(load()) != key


def test_environment_source_keys_on_the_access_key(config, monkeypatch):
    config(f"[profile dev]\ncredential_process_role_arn = {ROLE}\n"
           "credential_process_credential_source = Environment\n")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFIRST")
    first = entry_format.cache_key(load())
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASECOND")
    assert entry_format.cache_key(load()) != first


def _entry(duration, left, skew=0.0):
    return {"expires_at": time.time() + left, "duration": duration, "skew": skew}


class _Margin:
    refresh_margin = 1200


@pytest.mark.parametrize("duration, left, fresh", [
    (3600, 3500, True), (3600, 1300, True), (3600, 1100, False),
    (900, 400, True), (900, 250, False),  # a third of 900 s is 300 s
    (43200, 1199, False),
])
def test_freshness_margin(duration, left, fresh):
    assert entry_format.is_fresh(_entry(duration, left), _Margin()) is fresh


def test_freshness_takes_the_later_clock():
    # STS's clock is 10 minutes ahead of ours: the entry has 10 minutes less than it seems.
    assert entry_format.is_fresh(_entry(3600, 1500), _Margin())
    assert not entry_format.is_fresh(_entry(3600, 1500, skew=600), _Margin())
    # STS behind: our clock decides, which is what the SDK will use.
    assert not entry_format.is_fresh(_entry(3600, 1100, skew=-600), _Margin())


def test_entry_shape_checks():
    good = {"format": 1, "expires_at": 1.0, "duration": 3600, "skew": 0,
            "credentials": {"AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": "E"}}
    assert entry_format.is_valid(good)
    for broken in ({}, dict(good, expires_at="soon"), dict(good, credentials=[]),
                   dict(good, credentials={"AccessKeyId": "A"}), dict(good, duration=0)):
        assert not entry_format.is_valid(broken)


def test_region_is_keyed_as_resolved(config, monkeypatch):
    """AWS_REGION=x and a profile region of x ask the same STS: one entry (exec's
    children see AWS_REGION set to the profile's region)."""
    config(f"[profile dev]\nregion = eu-west-1\ncredential_process_role_arn = {ROLE}\n"
           "credential_process_source_profile = b\n")
    key = entry_format.cache_key(load())
    assert load().region == "eu-west-1"
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert entry_format.cache_key(load()) == key
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert load().region == "eu-central-1"
    assert entry_format.cache_key(load()) != key
