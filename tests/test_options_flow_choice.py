"""In-process tests of flow selection and the per-flow option checks."""

import pytest

from credential_process import options
from credential_process.cache import entry as entry_format
from credential_process.errors import ConfigError
from credential_process.flows.assume_role_with_web_identity import jwt_expiry
from credential_process.flows.get_session_token import mfa_session_key

ROLE = "arn:aws:iam::123456789012:role/Dev"
SERIAL = "arn:aws:iam::123456789012:mfa/alice"


@pytest.fixture
def config(tmp_path, monkeypatch):
    path = tmp_path / "config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL_STS", "AWS_WEB_IDENTITY_TOKEN_FILE",
                 "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)

    def write(keys, extra=""):
        body = "".join(f"credential_process_{key} = {value}\n" for key, value in keys.items())
        path.write_text(f"[profile dev]\n{body}{extra}")

    return write


@pytest.mark.parametrize("keys, method", [
    ({"saml_assertion_file": "a", "role_arn": ROLE}, "assume-role-with-saml"),
    ({"saml_assertion_process": "idp-login", "role_arn": ROLE}, "assume-role-with-saml"),
    ({"web_identity_token_file": "t", "role_arn": ROLE}, "assume-role-with-web-identity"),
    ({"web_identity_token_process": "t", "role_arn": ROLE}, "assume-role-with-web-identity"),
    ({"federation_name": "alice", "source_profile": "b"}, "get-federation-token"),
    ({"role_arn": ROLE, "source_profile": "b"}, "assume-role"),
    ({"source_profile": "b"}, "get-session-token"),
    ({"source_profile": "b", "mfa_serial": SERIAL}, "get-session-token"),
])
def test_method_is_inferred_from_the_profiles_own_keys(config, keys, method):
    config(keys)
    assert options.load("dev").flow == method


def test_environment_never_infers_web_identity(config, monkeypatch):
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token")
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE)
    config({"source_profile": "b"})
    loaded = options.load("dev")
    assert loaded.flow == "get-session-token" and loaded.role_arn is None
    config({"method": "assume-role-with-web-identity"})
    loaded = options.load("dev")
    assert (loaded.web_identity_token_file, loaded.role_arn) == ("/var/run/token", ROLE)


@pytest.mark.parametrize("keys, both", [
    ({"saml_assertion_file": "a", "web_identity_token_file": "t", "role_arn": ROLE},
     ("saml_assertion_file", "web_identity_token_file")),
    ({"method": "assume-role", "role_arn": ROLE, "federation_name": "alice"}, ("method", "federation_name")),
    ({"web_identity_token_file": "t", "role_arn": ROLE, "source_profile": "b"},
     ("web_identity_token_file", "source_profile")),
    ({"federation_name": "alice", "mfa_serial": SERIAL, "source_profile": "b"},
     ("federation_name", "mfa_serial")),
    ({"web_identity_token_file": "t", "web_identity_token_process": "p", "role_arn": ROLE},
     ("web_identity_token_file", "web_identity_token_process")),
])
def test_contradictions_name_both_keys(config, keys, both):
    config(keys)
    with pytest.raises(ConfigError) as raised:
        options.load("dev")
    for key in both:
        assert f"credential_process_{key}" in str(raised.value)


@pytest.mark.parametrize("keys, message", [
    ({"method": "assume-role-with-saml"}, "no credential_process_role_arn"),
    ({"method": "assume-role-with-saml", "role_arn": ROLE}, "saml_assertion_process"),
    ({"method": "assume-role-with-web-identity", "role_arn": ROLE}, "web_identity_token_file"),
    ({"method": "get-federation-token", "source_profile": "b"}, "federation_name"),
    ({"method": "nope"}, "must be one of"),
    ({"mfa_serial": "x", "source_profile": "b"}, "MFA device"),
    ({"federation_name": "a", "source_profile": "b"}, "2 to 32"),
    ({"role_arn": ROLE, "mfa_session_duration": "129601"}, "between 900 and 129600"),
])
def test_missing_or_bad_keys(config, keys, message):
    config(keys)
    with pytest.raises(ConfigError, match=message):
        options.load("dev")


@pytest.mark.parametrize("keys, longest", [
    ({"role_arn": ROLE}, 43200),
    ({"saml_assertion_file": "a", "role_arn": ROLE}, 43200),
    ({"web_identity_token_file": "t", "role_arn": ROLE}, 43200),
    ({"source_profile": "b"}, 129600),
    ({"federation_name": "alice", "source_profile": "b"}, 129600),
])
def test_duration_range_depends_on_the_flow(config, keys, longest):
    for duration, allowed in ((899, False), (900, True), (longest, True), (longest + 1, False)):
        config(dict(keys, duration_seconds=duration))
        if allowed:
            assert options.load("dev").duration_seconds == duration
        else:
            with pytest.raises(ConfigError, match=f"between 900 and {longest}"):
                options.load("dev")


def test_mfa_code_is_a_flag_only_and_not_in_the_cache_key(config):
    config({"role_arn": ROLE, "source_profile": "b", "mfa_serial": SERIAL}, "credential_process_mfa_code = 999999\n")
    loaded = options.load("dev")
    assert loaded.mfa_code is None  # the config key is not read
    key = entry_format.cache_key(loaded)
    flagged = options.load("dev", {"mfa_code": "123456"})
    assert flagged.mfa_code == "123456"
    assert entry_format.cache_key(flagged) == key
    assert entry_format.cache_key(options.load("dev", {"mfa_process": "ykman oath accounts code"})) == key
    with pytest.raises(ConfigError, match="6 digits"):
        options.load("dev", {"mfa_code": "12345"})


def test_mfa_session_key_is_per_base_key_device_duration_and_endpoint(config, monkeypatch):
    config({"role_arn": ROLE, "source_profile": "b", "mfa_serial": SERIAL})
    loaded = options.load("dev")
    key = mfa_session_key(loaded, "AKIAONE", SERIAL, 43200)
    assert mfa_session_key(loaded, "AKIAONE", SERIAL, 43200) == key
    for other in (("AKIATWO", SERIAL, 43200), ("AKIAONE", SERIAL + "2", 43200), ("AKIAONE", SERIAL, 3600)):
        assert mfa_session_key(loaded, *other) != key
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
    assert mfa_session_key(loaded, "AKIAONE", SERIAL, 43200) != key


def test_mfa_session_key_is_per_kind_of_endpoint_not_per_region(config, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_STS_REGIONAL_ENDPOINTS", raising=False)

    def key(region, extra=""):
        config({"role_arn": ROLE, "source_profile": "b", "mfa_serial": SERIAL}, f"region = {region}\n{extra}")
        return mfa_session_key(options.load("dev"), "AKIAONE", SERIAL, 43200)

    regional = key("us-east-1", "sts_regional_endpoints = regional\n")
    assert key("eu-west-1") == key("ap-east-1") == regional  # one partition, regional endpoints
    assert key("cn-north-1") != regional  # another partition
    legacy = key("us-east-1", "sts_regional_endpoints = legacy\n")  # the global endpoint
    assert legacy != regional and key("eu-west-1", "sts_regional_endpoints = legacy\n") == legacy
    assert key("ap-east-1", "sts_regional_endpoints = legacy\n") == regional  # opt-in: always regional
    assert key("us-east-1", "use_fips_endpoint = true\n") != regional


def test_jwt_expiry():
    assert jwt_expiry("opaque-oauth-token") is None
    assert jwt_expiry("eyJhbGciOiJub25lIn0.eyJleHAiOjEwMH0.") == 100
    assert jwt_expiry("a.%%%.c") is None
