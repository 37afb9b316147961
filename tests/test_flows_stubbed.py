"""The flows and the resolver in process, against botocore's Stubber: the
parameters each STS call is made with and the shape of the entries made from
the answers, without a subprocess or moto per case (the end-to-end tests in
test_flows_*.py cover the same paths against moto, through the installed command).
"""

import datetime
import os

import botocore.session
import pytest
from botocore.stub import ANY, Stubber

from credential_process import flow_table, flows, options, resolver, sts
from credential_process.errors import AwsError, ConfigError, RefusedError
from credential_process.flows.assume_role import default_session_name

ROLE = "arn:aws:iam::123456789012:role/dev"
SERIAL = "arn:aws:iam::123456789012:mfa/alice"
LONG_TERM = {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "s" * 40, "SessionToken": None,
             "flow": None}


def sts_credentials(key_id="ASIAEXAMPLEEXAMPLE01"):
    return {"AccessKeyId": key_id, "SecretAccessKey": "t" * 40, "SessionToken": "token-" + key_id,
            "Expiration": datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)}


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A private HOME with its config files, a stubbed STS client for every call."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "CREDENTIAL_PROCESS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("CREDENTIAL_PROCESS_CACHE_DIR", str(tmp_path / "cache"))
    client = botocore.session.get_session().create_client(
        "sts", region_name="us-east-1", aws_access_key_id="AKIASTUBSTUBSTUB0000", aws_secret_access_key="x" * 40)
    stubber = Stubber(client)
    signed_with = []

    def stub_client(options, credentials=None, service="sts", region=None):
        signed_with.append(None if credentials is None else credentials["AccessKeyId"])
        return client

    monkeypatch.setattr(sts, "client", stub_client)
    with stubber:
        yield Stubbed(tmp_path, stubber, signed_with)
    stubber.assert_no_pending_responses()


class Stubbed:
    def __init__(self, home, stubber, signed_with):
        self.home = home
        self.stubber = stubber
        self.signed_with = signed_with

    def config(self, text):
        (self.home / "config").write_text(text)

    def expect(self, method, params, response):
        self.stubber.add_response(method, response, params)

    def refuse(self, method, code, message):
        self.stubber.add_client_error(method, service_error_code=code, service_message=message, http_status_code=403)


def profile(world, keys, name="dev"):
    lines = "".join(f"credential_process_{key} = {value}\n" for key, value in keys.items())
    world.config(f"[profile {name}]\n{lines}")
    return options.load(name)


def assumed(arn="arn:aws:sts::123456789012:assumed-role/dev/s"):
    return {"Credentials": sts_credentials(), "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:s", "Arn": arn}}


def test_assume_role_params_and_entry(world):
    loaded = profile(world, {"role_arn": ROLE, "source_profile": "base", "external_id": "ext-1",
                             "role_session_name": "me", "tags": "team=a"})
    world.expect("assume_role", {"RoleArn": ROLE, "RoleSessionName": "me", "ExternalId": "ext-1",
                                 "DurationSeconds": flow_table.BY_NAME["assume-role"].default_duration,
                                 "Tags": [{"Key": "team", "Value": "a"}]}, assumed())
    entry = flows.flow_module(loaded).fetch(loaded, LONG_TERM)
    assert entry["flow"] == "assume-role" and entry["role_arn"] == ROLE and entry["profile"] == "dev"
    assert entry["credentials"]["AccountId"] == "123456789012"
    assert entry["duration"] == 3600 and entry["source"] == ["profile", "base"]
    assert world.signed_with == [LONG_TERM["AccessKeyId"]]


def test_a_role_session_base_is_capped_at_the_chaining_limit(world, capsys):
    loaded = profile(world, {"role_arn": ROLE, "source_profile": "base", "duration_seconds": "7200"})
    world.expect("assume_role", {"RoleArn": ROLE, "RoleSessionName": ANY,
                                 "DurationSeconds": flow_table.CHAINED_MAX_DURATION}, assumed())
    base = dict(sts_credentials(), flow="assume-role")
    entry = flows.flow_module(loaded).fetch(loaded, base)
    assert entry["duration"] == flow_table.CHAINED_MAX_DURATION
    assert "caps a chained role session" in capsys.readouterr().err


def test_an_unknown_temporary_base_retries_once_at_the_chaining_limit(world):
    loaded = profile(world, {"role_arn": ROLE, "source_profile": "base", "duration_seconds": "7200"})
    world.refuse("assume_role", "ValidationError", "The requested DurationSeconds exceeds the 1 hour session "
                                                   "limit for roles assumed by role chaining.")
    world.expect("assume_role", {"RoleArn": ROLE, "RoleSessionName": ANY, "DurationSeconds": 3600}, assumed())
    base = dict(sts_credentials(), flow=None)  # temporary, made elsewhere: only STS knows
    assert flows.flow_module(loaded).fetch(loaded, base)["duration"] == 3600


def test_a_refusal_keeps_its_parts(world):
    world.refuse("get_caller_identity", "AccessDenied", "not you")
    with pytest.raises(RefusedError) as raised:
        sts.call(sts.client(None), "GetCallerIdentity")
    error = raised.value
    assert (error.service, error.operation, error.code, error.message) == ("STS", "GetCallerIdentity",
                                                                         "AccessDenied", "not you")
    assert str(error) == "STS GetCallerIdentity refused: AccessDenied: not you" and error.exit_code == 1


def test_a_rejected_mfa_code_is_named_as_such(world):
    loaded = profile(world, {"method": "get-session-token", "source_profile": "base", "mfa_serial": SERIAL})
    loaded.mfa_code = "123456"
    world.refuse("get_session_token", "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time "
                                                      "pass code.")
    with pytest.raises(AwsError, match="the MFA code for .* was rejected"):
        flows.flow_module(loaded).fetch(loaded, LONG_TERM)


def test_get_session_token_and_federation_take_their_default_durations_from_the_table(world):
    loaded = profile(world, {"source_profile": "base"})
    world.expect("get_session_token", {"DurationSeconds": flow_table.BY_NAME["get-session-token"].default_duration},
                 {"Credentials": sts_credentials()})
    assert flows.flow_module(loaded).fetch(loaded, LONG_TERM)["flow"] == "get-session-token"
    loaded = profile(world, {"federation_name": "bob", "source_profile": "base"})
    world.expect("get_federation_token", {"Name": "bob", "DurationSeconds": 43200}, {
        "Credentials": sts_credentials(),
        "FederatedUser": {"FederatedUserId": "123456789012:bob", "Arn": "arn:aws:sts::123456789012:federated-user/bob"}})
    entry = flows.flow_module(loaded).fetch(loaded, LONG_TERM)
    assert entry["flow"] == "get-federation-token" and entry["credentials"]["AccountId"] == "123456789012"
    with pytest.raises(ConfigError, match="long-term"):
        flows.flow_module(loaded).fetch(loaded, dict(sts_credentials(), flow=None))


def test_the_resolver_fetches_once_then_serves_the_cache(world):
    (world.home / "credentials").write_text(
        f"[base]\naws_access_key_id = {LONG_TERM['AccessKeyId']}\naws_secret_access_key = {'s' * 40}\n")
    loaded = profile(world, {"role_arn": ROLE, "source_profile": "base", "role_session_name": "me",
                             "background_refresh": "false"})
    world.expect("assume_role", {"RoleArn": ROLE, "RoleSessionName": "me", "DurationSeconds": 3600}, assumed())
    first = resolver.get_entry(loaded)
    second = resolver.get_entry(options.load("dev"))  # no response left: a second call would fail
    assert second == first and first["flow"] == "assume-role"
    assert world.signed_with == [LONG_TERM["AccessKeyId"]]


def test_a_chained_profile_resolves_its_source_in_process(world):
    (world.home / "credentials").write_text(
        f"[base]\naws_access_key_id = {LONG_TERM['AccessKeyId']}\naws_secret_access_key = {'s' * 40}\n")
    world.config(
        "[profile src]\ncredential_process = credential-process --profile src\n"
        f"credential_process_role_arn = {ROLE}\ncredential_process_source_profile = base\n"
        "credential_process_role_session_name = one\ncredential_process_background_refresh = false\n"
        "[profile dev]\ncredential_process_role_arn = arn:aws:iam::123456789012:role/next\n"
        "credential_process_source_profile = src\ncredential_process_role_session_name = two\n"
        "credential_process_background_refresh = false\n")
    world.expect("assume_role", {"RoleArn": ROLE, "RoleSessionName": "one", "DurationSeconds": 3600}, assumed())
    world.expect("assume_role", {"RoleArn": "arn:aws:iam::123456789012:role/next", "RoleSessionName": "two",
                                 "DurationSeconds": 3600}, assumed("arn:aws:sts::123456789012:assumed-role/next/two"))
    entry = resolver.get_entry(options.load("dev"))
    assert entry["source"] == ["profile", "src"] and entry["role_arn"].endswith("role/next")
    # The outer call was signed with the source's session, which the cache now holds too.
    assert world.signed_with == [LONG_TERM["AccessKeyId"], "ASIAEXAMPLEEXAMPLE01"]
    assert resolver.get_entry(options.load("src"))["role_arn"] == ROLE


def test_default_session_name_is_valid_for_sts():
    name = default_session_name()
    assert 2 <= len(name) <= 64
    assert all(char.isalnum() or char in "_+=,.@-" for char in name)
    assert default_session_name() == name
