"""Role chaining: the one-hour cap, decided from the base credentials' flow when
this tool made them, and from STS's ValidationError when it did not."""

import pytest

from support.tools import TOOL

CHAINING = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."


def profile(name, role_arn, source, extra=""):
    return (f"[profile {name}]\nregion = us-east-1\n"
            f"credential_process = {TOOL} --profile {name}\n"
            f"credential_process_role_arn = {role_arn}\n"
            f"credential_process_source_profile = {source}\n{extra}\n")


def test_role_from_a_role_of_this_tool_is_capped_at_an_hour(home, aws_world, sts_proxy, run_tool):
    # Enforcing moto: both AssumeRole calls are verified (the second signed by the first's session).
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(profile("first", aws_world.role_arn, "base")
                      + profile("second", aws_world.make_role(), "first",
                                "credential_process_duration_seconds = 7200"))
    result = run_tool("--profile second", home.env)
    assert result.returncode == 0, result.stderr
    assert [call["DurationSeconds"] for call in sts_proxy.calls("AssumeRole")] == ["3600", "3600"]
    assert result.stderr.count("caps a chained role session at 3600") == 1


@pytest.mark.moto("open")
def test_unknown_temporary_base_retries_once_at_an_hour(home, aws_world, sts_proxy, run_tool):
    home.write_credentials(aws_world.credentials_ini("base") + "aws_session_token = FQoGZXIvYXdzEXAMPLE\n")
    home.write_config(profile("role", aws_world.role_arn, "base", "credential_process_duration_seconds = 7200"))
    sts_proxy.inject("AssumeRole", 400, code="ValidationError", message=CHAINING)
    result = run_tool("--profile role", home.env)
    assert result.returncode == 0, result.stderr
    assert [call["DurationSeconds"] for call in sts_proxy.calls("AssumeRole")] == ["7200", "3600"]
    assert "caps a chained role session at 3600" in result.stderr


@pytest.mark.moto("open")
def test_long_term_base_is_not_retried(home, aws_world, sts_proxy, run_tool):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(profile("role", aws_world.role_arn, "base", "credential_process_duration_seconds = 7200"))
    sts_proxy.inject("AssumeRole", 400, code="ValidationError", message=CHAINING)
    result = run_tool("--profile role", home.env)
    assert result.returncode == 1 and "ValidationError" in result.stderr
    assert sts_proxy.count("AssumeRole") == 1


@pytest.mark.moto("open")
def test_web_identity_then_role_is_chaining(home, aws_world, sts_proxy, run_tool, tmp_path):
    token = tmp_path / "token"
    token.write_text("opaque-oauth-token")
    home.write_config(
        f"[profile ci]\nregion = us-east-1\ncredential_process = {TOOL} --profile ci\n"
        f"credential_process_role_arn = {aws_world.role_arn}\n"
        f"credential_process_web_identity_token_file = {token}\n\n"
        + profile("deploy", aws_world.make_role(), "ci", "credential_process_duration_seconds = 7200"))
    result = run_tool("--profile deploy", home.env)
    assert result.returncode == 0, result.stderr
    assert sts_proxy.count("AssumeRoleWithWebIdentity") == 1
    assert [call["DurationSeconds"] for call in sts_proxy.calls("AssumeRole")] == ["3600"]
