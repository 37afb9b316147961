"""GetSessionToken and GetFederationToken through the installed command, against
moto without enforced authentication (it does not accept the credentials these
calls return), counting calls at the proxy; and the per-flow option checks."""

import json
import subprocess
import sys

import pytest

from support.tools import TOOL

pytestmark = pytest.mark.moto("open")


def write_profile(home, name, extra, source="credential_process_source_profile = base"):
    home.write_config(f"""
        [profile {name}]
        region = us-east-1
        credential_process = {TOOL} --profile {name}
        {source}
        """ + extra)


@pytest.fixture
def base(home, aws_world):
    home.write_credentials(aws_world.credentials_ini("base"))
    return home


@pytest.fixture
def temporary_base(home, aws_world):
    home.write_credentials(aws_world.credentials_ini("base") + "aws_session_token = FQoGZXIvYXdzEXAMPLE\n")
    return home


def check_output(result):
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["Version"] == 1 and document["SessionToken"] and document["Expiration"].endswith("Z")
    return document


def test_session_token_without_mfa(base, sts_proxy, run_tool, aws_cli_v1):
    write_profile(base, "plain", "")
    first = check_output(run_tool("--profile plain", base.env))
    [call] = sts_proxy.calls("GetSessionToken")
    assert call["DurationSeconds"] == "3600" and "SerialNumber" not in call
    assert check_output(run_tool("--profile plain", base.env)) == first
    identity = aws_cli_v1("sts get-caller-identity --profile plain --output json", base.env)
    assert identity.returncode == 0, identity.stderr
    assert sts_proxy.count("GetSessionToken") == 1


@pytest.mark.parametrize("profile_keys", [
    "",  # get-session-token
    "credential_process_federation_name = alice\n",
])
def test_temporary_base_credentials_are_refused(temporary_base, sts_proxy, run_tool, profile_keys):
    write_profile(temporary_base, "p", profile_keys)
    result = run_tool("--profile p", temporary_base.env)
    assert result.returncode == 2, result.stderr
    assert "long-term IAM user access keys" in result.stderr and "temporary" in result.stderr
    assert sts_proxy.total() == 0


@pytest.mark.parametrize("profile_keys, duration, allowed", [
    ("", 899, False),
    ("", 129600, True),
    ("", 129601, False),
    ("credential_process_federation_name = alice\n", 129600, True),
    ("credential_process_federation_name = alice\n", 129601, False),
    ("credential_process_role_arn = arn:aws:iam::123456789012:role/r\n", 43201, False),
])
def test_durations_per_flow(base, sts_proxy, run_tool, profile_keys, duration, allowed):
    write_profile(base, "p", profile_keys + f"credential_process_duration_seconds = {duration}\n")
    result = run_tool("--profile p", base.env)
    if allowed:
        check_output(result)
        assert [call["DurationSeconds"] for call in sts_proxy.calls()] == [str(duration)]
    else:
        assert result.returncode == 2 and "must be between 900 and" in result.stderr, result.stderr
        assert sts_proxy.total() == 0


def test_federation_token(base, sts_proxy, run_tool):
    write_profile(base, "fed", "credential_process_federation_name = alice\n"
                               'credential_process_policy = {"Version": "2012-10-17", "Statement": '
                               '[{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}\n')
    document = check_output(run_tool("--profile fed", base.env))
    assert document["AccountId"] == "123456789012"
    [call] = sts_proxy.calls("GetFederationToken")
    assert call["Name"] == "alice" and call["DurationSeconds"] == "43200"
    assert json.loads(call["Policy"])["Statement"][0]["Action"] == "s3:*"
    through_boto3 = subprocess.run(
        [sys.executable, "-c", "import boto3; print(boto3.Session(profile_name='fed')"
                               ".get_credentials().get_frozen_credentials().token)"],
        env=base.env, capture_output=True, text=True, timeout=60)
    assert through_boto3.stdout.strip() == document["SessionToken"], through_boto3.stderr


@pytest.mark.parametrize("keys, named", [
    ("credential_process_saml_assertion_file = a\ncredential_process_web_identity_token_file = t\n"
     "credential_process_role_arn = arn:aws:iam::123456789012:role/r\n",
     ("saml_assertion_file", "web_identity_token_file")),
    ("credential_process_federation_name = alice\n"
     "credential_process_role_arn = arn:aws:iam::123456789012:role/r\n",
     ("federation_name", "role_arn")),
    ("credential_process_method = get-session-token\n"
     "credential_process_role_arn = arn:aws:iam::123456789012:role/r\n",
     ("method", "role_arn")),
    ("credential_process_saml_assertion_file = a\ncredential_process_saml_assertion_process = b\n",
     ("saml_assertion_file", "saml_assertion_process")),
])
def test_contradictory_keys_name_both(base, run_tool, keys, named):
    write_profile(base, "p", keys, source="")
    result = run_tool("--profile p", base.env)
    assert result.returncode == 2, result.stderr
    for key in named:
        assert f"credential_process_{key}" in result.stderr
