"""Configuration mistakes are exit 2 with one clear line, whatever Python or
botocore make of them: a policy nested past the parser's recursion limit, a
profile loop that passes through a botocore credential_process line, an empty
--profile."""

import pytest

from support.tools import TOOL


def one_line_exit_2(result):
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("credential-process: ") and result.stderr.count("\n") == 1, result.stderr
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr
    return result.stderr


def test_deeply_nested_policy_is_a_configuration_error(home, run_tool):
    depth = 10_000  # 60 kB: under the key's length limit, far past json's recursion limit
    policy = '{"a":' * depth + "1" + "}" * depth
    home.write_config(f"""
        [profile dev]
        credential_process = {TOOL} --profile dev
        credential_process_role_arn = arn:aws:iam::123456789012:role/r
        credential_process_source_profile = base
        credential_process_policy = {policy}
        """)
    message = one_line_exit_2(run_tool("--profile dev", home.env))
    assert "credential_process_policy" in message and "nested" in message


def test_loop_through_a_botocore_credential_process_line(home, run_tool):
    # base's line runs this tool for dev, not for base itself: botocore runs it.
    home.write_config(f"""
        [profile dev]
        credential_process = {TOOL} --profile dev
        credential_process_role_arn = arn:aws:iam::123456789012:role/r
        credential_process_source_profile = base

        [profile base]
        credential_process = {TOOL} --profile dev
        """)
    message = one_line_exit_2(run_tool("--profile dev", home.env, timeout=60))
    assert "profile chain loops: dev -> base -> dev" in message


@pytest.mark.parametrize("argv", [["--profile", ""], ["--profile="], ["export", "--profile", ""]])
def test_empty_profile_name_is_refused(home, run_tool, argv):
    home.write_config(f"""
        [default]
        credential_process = {TOOL}
        credential_process_role_arn = arn:aws:iam::123456789012:role/r
        credential_process_source_profile = base
        """)
    message = one_line_exit_2(run_tool(argv, home.env))
    assert "--profile" in message and "empty" in message


def test_empty_aws_profile_is_like_unset(home, run_tool):
    # As the Go and JS SDKs read it (botocore refuses it before ever running us).
    home.write_config("[default]\ncredential_process_role_arn = arn:aws:iam::123456789012:role/r\n")
    env = dict(home.env, AWS_PROFILE="")
    result = run_tool([], env)
    # The default profile is the one served: it names no base credentials.
    assert result.returncode == 2 and "profile 'default'" in result.stderr, result.stderr
