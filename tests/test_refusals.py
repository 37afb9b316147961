"""AWS refusals say what to do (credential_process/refusals.py): the profile,
the flow, the role and the base key ID (never a secret), and the likely fix.
moto checks none of these, so the refusals are injected at the proxy."""

import pytest

from support.tools import role_config
from test_flows_mfa import role_profile


@pytest.fixture
def dev(home, aws_world, sts_proxy):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world))
    return home


def refused(run_tool, env, aws_world):
    result = run_tool("--profile dev", env)
    assert result.returncode == 1, result.stderr
    assert result.stdout == "" and result.stderr.count("\n") == 1
    assert aws_world.secret_access_key not in result.stderr
    return result.stderr


def test_access_denied_on_assume_role(dev, aws_world, sts_proxy, run_tool):
    sts_proxy.inject("AssumeRole", 403, code="AccessDenied", message="not authorized to perform sts:AssumeRole")
    assert refused(run_tool, dev.env, aws_world) == (
        "credential-process: STS AssumeRole refused: AccessDenied: not authorized to perform sts:AssumeRole "
        f"(profile 'dev', flow assume-role, role {aws_world.role_arn}, base key {aws_world.access_key_id}); "
        f"likely fix: the trust policy of {aws_world.role_arn} must let the caller ({aws_world.access_key_id}) "
        "assume it, and the caller needs sts:AssumeRole on it (check both in IAM)\n")


def test_invalid_client_token_id(dev, aws_world, sts_proxy, run_tool):
    sts_proxy.inject("AssumeRole", 403, code="InvalidClientTokenId",
                     message="The security token included in the request is invalid.")
    message = refused(run_tool, dev.env, aws_world)
    assert f"(profile 'dev', flow assume-role, role {aws_world.role_arn}, base key {aws_world.access_key_id})" \
        in message
    assert message.endswith(f"likely fix: the access key {aws_world.access_key_id} no longer exists (deleted "
                            "or rotated elsewhere): put the current keys in place (credential-process keys "
                            "rotate or keys add, or the credentials file)\n")


def test_expired_token(dev, aws_world, sts_proxy, run_tool):
    sts_proxy.inject("AssumeRole", 400, code="ExpiredToken", message="The security token included in the "
                                                                   "request is expired")
    message = refused(run_tool, dev.env, aws_world)
    assert "ExpiredToken" in message and "(profile 'dev', flow assume-role" in message
    assert message.endswith("likely fix: the session of the source 'base' has ended: renew it (aws sso login, "
                            "or credential-process cache clear --profile base) and run again\n")


@pytest.mark.moto("open")
def test_a_refused_mfa_code(home, aws_world, sts_proxy, run_tool):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_profile("dev", aws_world.role_arn, "credential_process_mfa_process = echo 123456"))
    sts_proxy.inject("GetSessionToken", 403, code="AccessDenied",
                     message="MultiFactorAuthentication failed with invalid MFA one time pass code.")
    message = refused(run_tool, home.env, aws_world)
    assert "the MFA code for arn:aws:iam::" in message and "was rejected" in message
    assert f"(profile 'dev', flow assume-role, role {aws_world.role_arn}, base key " in message
    assert message.endswith("likely fix: wait for the next code (STS takes each code once); if every code is "
                            "refused, the device's or this machine's clock is off, or the device is not "
                            "this user's\n")
