"""In-process tests of options.py: parsing and validating a profile's keys."""

import json

import pytest

from credential_process import aws_config
from credential_process import options
from credential_process.errors import ConfigError

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
    assert opts.flow == "assume-role"
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
    assert aws_config.resolve_profile_name(None) == "default"
    monkeypatch.setenv("AWS_PROFILE", "envprofile")
    assert aws_config.resolve_profile_name(None) == "envprofile"
    assert aws_config.resolve_profile_name("given") == "given"


def test_only_one_source_of_base_credentials(config):
    config(f"[profile dev]\ncredential_process_role_arn = {ROLE}\ncredential_process_source_profile = b\n"
           "credential_process_credential_source = Environment\n")
    with pytest.raises(ConfigError, match="choose one"):
        load()
