"""In-process unit tests: option parsing, cache keys, freshness, output."""

import json
import time

import pytest

from credential_process import options
from credential_process.cache import entry as entry_format
from credential_process.errors import ConfigError, redact
from credential_process.flows.assume_role import default_session_name
from credential_process.output import process_json

ROLE = "arn:aws:iam::123456789012:role/Dev"


@pytest.fixture
def config(tmp_path, monkeypatch):
    path = tmp_path / "config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL_STS"):
        monkeypatch.delenv(name, raising=False)

    def write(text):
        path.write_text(text)
        return path

    return write


def load(flags=None, name="dev"):
    return options.load(name, flags)


def test_reads_prefixed_keys_and_flag_overrides(config):
    config(f"[profile dev]\ncredential_process_role_arn = {ROLE}\n"
           "credential_process_source_profile = base\ncredential_process_duration_seconds = 7200\n")
    opts = load()
    assert (opts.role_arn, opts.source_profile, opts.duration_seconds) == (ROLE, "base", 7200)
    assert opts.method == "assume-role"
    assert load({"duration_seconds": "900"}).duration_seconds == 900


def test_plain_role_arn_is_not_ours(config):
    config("[profile dev]\nrole_arn = arn:aws:iam::1:role/X\nsource_profile = base\n")
    with pytest.raises(ConfigError, match="role_arn"):
        load()


@pytest.mark.parametrize("key, value, message", [
    ("duration_seconds", "899", "between 900 and 43200"),
    ("duration_seconds", "43201", "between 900 and 43200"),
    ("duration_seconds", "an hour", "must be a duration such as 3600"),
    ("role_session_name", "x", "2 to 64"),
    ("role_session_name", "has space", "2 to 64"),
    ("role_arn", "not-an-arn", "not an ARN"),
    ("policy", "{not json", "not valid JSON"),
    ("policy", "[1]", "JSON object"),
    ("tags", "novalue", "key=value"),
    ("cache", "redis", "one of"),
    ("credential_source", "Ec2", "one of"),
])
def test_invalid_values_are_config_errors(config, key, value, message):
    config(f"[profile dev]\ncredential_process_role_arn = {ROLE}\n")
    with pytest.raises(ConfigError, match=message):
        load({key: value})


def test_policy_file_and_tags(config, tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text('{"Version": "2012-10-17",\n "Statement": []}')
    config(f"[profile dev]\ncredential_process_role_arn = {ROLE}\n"
           f"credential_process_policy_file = {policy}\ncredential_process_tags = team=a, env = prod\n")
    opts = load()
    assert json.loads(opts.policy) == {"Version": "2012-10-17", "Statement": []}
    assert opts.tags == (("team", "a"), ("env", "prod"))


def test_missing_profile_and_broken_files(config, tmp_path):
    config("[profile other]\n")
    with pytest.raises(ConfigError, match="'dev' is not in"):
        load()
    config("[profile dev]\nx = 1\n[profile dev]\ny = 2\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load()
    path = config("")
    path.write_bytes(b"[profile dev]\ncredential_process_role_arn = \xff\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load()


def test_control_characters_are_refused(config):
    config(f"[profile dev]\ncredential_process_role_arn = {ROLE}\n")
    with pytest.raises(ConfigError, match="control characters"):
        load({"external_id": "abc\x1bdef"})


def test_profile_name_falls_back_to_environment(monkeypatch):
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_PROFILE", raising=False)
    assert options.resolve_profile_name(None) == "default"
    monkeypatch.setenv("AWS_PROFILE", "envprofile")
    assert options.resolve_profile_name(None) == "envprofile"
    assert options.resolve_profile_name("given") == "given"


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


def test_process_json_shape():
    text = process_json({"AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T",
                         "Expiration": "2026-01-01T12:00:00Z", "AccountId": "123456789012"})
    document = json.loads(text)
    assert list(document)[0] == "Version" and document["Version"] == 1
    assert document["Expiration"].endswith("Z")
    assert "AccountId" not in json.loads(process_json({"AccessKeyId": "A", "SecretAccessKey": "S"}))


def test_default_session_name_is_valid_for_sts():
    name = default_session_name()
    assert 2 <= len(name) <= 64
    assert all(char.isalnum() or char in "_+=,.@-" for char in name)
    assert default_session_name() == name


def test_redact_hides_secret_shaped_text():
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert secret not in redact(f"bad key {secret} here")
    assert "AKIAIOSFODNN7EXAMPLE" in redact("key AKIAIOSFODNN7EXAMPLE")


def test_only_one_source_of_base_credentials(config):
    config(f"[profile dev]\ncredential_process_role_arn = {ROLE}\ncredential_process_source_profile = b\n"
           "credential_process_credential_source = Environment\n")
    with pytest.raises(ConfigError, match="choose one"):
        load()


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
