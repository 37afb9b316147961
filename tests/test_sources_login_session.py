"""`aws login` sessions (login_session, AWS CLI 2.32+) as a source profile and
as a profile of their own, resolved by botocore's login provider from the
login token cache (tests/support/signin_standin.py writes one): fresh
credentials with no network at all, an expired session renewed through a
loopback Sign-In stand-in or refused ("run aws login"), and the crt extra
missing."""

import json

import pytest

from support.signin_standin import SigninStandin, login_token_path, write_login_token
from support.tools import TOOL

SESSION = "arn:aws:iam::123456789012:user/alice"


@pytest.fixture
def signin():
    with SigninStandin() as server:
        yield server


@pytest.fixture
def console(home, aws_world, sts_proxy, signin, tmp_path):
    """[profile console] with login_session, and [profile dev], a role over it."""
    pytest.importorskip("awscrt", reason="botocore's login provider needs botocore[crt]")
    home.write_config(f"""
        [profile console]
        region = us-east-1
        login_session = {SESSION}

        [profile dev]
        region = us-east-1
        credential_process = {TOOL} --profile dev
        credential_process_role_arn = {aws_world.role_arn}
        credential_process_source_profile = console
        """)
    home.env["AWS_LOGIN_CACHE_DIRECTORY"] = str(tmp_path / "login-cache")
    home.env["AWS_ENDPOINT_URL_SIGNIN"] = signin.url
    home.login_cache = tmp_path / "login-cache"
    return home


def sign_in(home, aws_world, expires_in):
    """What `aws login` leaves behind: a role session of the test world, in the token cache."""
    creds = aws_world.assume_role(session_name="aws-login")
    write_login_token(home.login_cache, SESSION, creds, expires_in, aws_world.account_id)
    return creds


def one_line(result):
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("credential-process: "), result.stderr
    return lines[0]


def test_fresh_login_session_is_the_source_of_a_role(console, aws_world, sts_proxy, signin, run_tool):
    creds = sign_in(console, aws_world, 3600)
    result = run_tool("--profile dev", console.env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["AccessKeyId"] != creds.access_key_id
    assert sts_proxy.signers("AssumeRole") == [creds.access_key_id]
    assert signin.requests == []  # fresh: no call to the Sign-In service


def test_commands_take_a_login_session_profile(console, aws_world, sts_proxy, signin, run_tool):
    creds = sign_in(console, aws_world, 3600)
    report = json.loads(run_tool("whoami --json --profile console", console.env).stdout)
    assert report["flow"] == "botocore:login" and report["account"] == aws_world.account_id
    exported = run_tool("export --profile console --format json", console.env)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["AccessKeyId"] == creds.access_key_id  # a session already
    assert signin.requests == []


def test_expired_access_token_is_renewed_by_botocore(console, aws_world, sts_proxy, signin, run_tool):
    sign_in(console, aws_world, -60)
    renewed = aws_world.assume_role(session_name="renewed")
    signin.answer = ("refresh", renewed, 900)
    result = run_tool("--profile dev", console.env)
    assert result.returncode == 0, result.stderr
    assert sts_proxy.signers("AssumeRole") == [renewed.access_key_id]
    assert len(signin.requests) == 1 and signin.problems == []
    token = json.loads(login_token_path(console.login_cache, SESSION).read_text())
    assert token["accessToken"]["accessKeyId"] == renewed.access_key_id  # written back for the AWS CLI


def test_expired_login_session_says_run_aws_login(console, aws_world, sts_proxy, signin, run_tool):
    sign_in(console, aws_world, -60)
    signin.answer = "expired"
    for args in ("--profile dev", "export --profile console"):
        result = run_tool(args, console.env)
        assert result.returncode == 3, result.stderr
        assert "run 'aws login --profile console'" in one_line(result)
    assert sts_proxy.count("AssumeRole") == 0 and signin.problems == []


def test_no_login_session_at_all_says_run_aws_login(console, run_tool):
    result = run_tool("--profile dev", console.env)
    assert result.returncode == 3
    assert "run 'aws login --profile console'" in one_line(result)


def test_missing_crt_extra_names_the_pip_command(console, aws_world, run_tool):
    sign_in(console, aws_world, 3600)
    env = dict(console.env, BOTO_DISABLE_CRT="true")  # botocore then acts as without awscrt
    result = run_tool("--profile dev", env)
    assert result.returncode == 2
    assert "pip install 'credential-process[login]'" in one_line(result)
