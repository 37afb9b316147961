"""login: the console sign-in, through the installed command, against moto and a
loopback stand-in of the federation endpoint (tests/support/federation_standin.py)."""

import json
import os
import stat

import pytest

from support.federation_standin import FederationStandin, parse_login_url
from support.tools import TOOL, role_config

ENDPOINT = "CREDENTIAL_PROCESS_FEDERATION_ENDPOINT"


@pytest.fixture
def standin():
    with FederationStandin() as server:
        yield server


@pytest.fixture
def dev(home, aws_world, sts_proxy, standin):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world) + f"""
[profile chained]
region = us-east-1
credential_process = {TOOL} --profile chained
credential_process_role_arn = {aws_world.role_arn}
credential_process_source_profile = dev
""")
    home.env[ENDPOINT] = standin.url
    return home


def session_profile(home, aws_world, standin, extra="", credentials_extra=""):
    home.write_credentials(aws_world.credentials_ini("base") + credentials_extra)
    home.write_config(f"""
        [profile base]
        region = us-east-1

        [profile plain]
        region = us-east-1
        credential_process = {TOOL} --profile plain
        credential_process_source_profile = base
        """ + extra)
    home.env[ENDPOINT] = standin.url
    return home


def printed(result):
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    return parse_login_url(lines[0])


def test_role_profile_printed_url_and_session_duration(dev, standin, sts_proxy, run_tool):
    answer = json.loads(run_tool("--profile dev", dev.env).stdout)
    result = run_tool("login dev --print", dev.env)
    base, query = printed(result)
    assert base == standin.url
    assert query == {"Action": "login", "Issuer": "credential-process",
                     "Destination": "https://console.aws.amazon.com/console/home?region=us-east-1",
                     "SigninToken": standin.token}
    [request] = standin.requests
    assert standin.problems == []
    assert request["Session"] == {"sessionId": answer["AccessKeyId"], "sessionKey": answer["SecretAccessKey"],
                                  "sessionToken": answer["SessionToken"]}
    assert request["SessionDuration"] == "3600"  # a single AssumeRole over long-term keys
    assert sts_proxy.count("AssumeRole") == 1  # served from the cache
    assert f"warning: {ENDPOINT} is set" in result.stderr
    for secret in (answer["SecretAccessKey"], answer["SessionToken"]):
        assert secret not in result.stdout + result.stderr


def test_chained_role_sends_no_session_duration(dev, standin, run_tool):
    standin.refuse_session_duration = True  # as AWS does for a chained role session
    result = run_tool("login --profile chained -s", dev.env)
    _, query = printed(result)
    assert query["SigninToken"] == standin.token
    [request] = standin.requests
    assert "SessionDuration" not in request
    assert "AWS caps a chained role's console session at 1 hour" in result.stderr


def test_service_and_region_choose_destination_and_partition(dev, standin, run_tool):
    _, query = printed(run_tool("login dev --print --service s3", dev.env))
    assert query["Destination"] == "https://console.aws.amazon.com/s3/home?region=us-east-1"
    _, query = printed(run_tool(["login", "dev", "--print", "--destination",
                                 "https://console.aws.amazon.com/iam/home"], dev.env))
    assert query["Destination"] == "https://console.aws.amazon.com/iam/home"


@pytest.mark.moto("open")  # moto's IAM users with enforced authentication are in the aws partition only
def test_region_of_another_partition(dev, standin, run_tool):
    _, query = printed(run_tool("login dev --print --region us-gov-west-1 --service ec2", dev.env))
    assert query["Destination"] == "https://console.amazonaws-us-gov.com/ec2/home?region=us-gov-west-1"


@pytest.mark.moto("open")
@pytest.mark.parametrize("mfa", [False, True])
def test_session_token_profile_gets_a_federation_token(home, aws_world, standin, sts_proxy, run_tool, mfa):
    extra = "credential_process_mfa_serial = arn:aws:iam::123456789012:mfa/alice\n" if mfa else ""
    session_profile(home, aws_world, standin, extra)
    result = run_tool("login plain --print", home.env)
    _, query = printed(result)
    assert query["SigninToken"] == standin.token
    assert sts_proxy.count("GetSessionToken") == 0  # no MFA code asked, no session token made
    [call] = sts_proxy.requests("GetFederationToken")
    assert f"Credential={aws_world.access_key_id}/" in call.headers.get("Authorization", "")
    policy = json.loads(call.params["Policy"])
    assert policy["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    assert 2 <= len(call.params["Name"]) <= 32 and call.params["DurationSeconds"] == "3600"
    [request] = standin.requests
    assert standin.problems == [] and "SessionDuration" not in request
    assert request["Session"]["sessionId"] != aws_world.access_key_id
    assert "no MFA context" in result.stderr and "intersection" in result.stderr


@pytest.mark.moto("open")
def test_session_token_over_temporary_keys_is_refused(home, aws_world, standin, sts_proxy, run_tool):
    session_profile(home, aws_world, standin, credentials_extra="aws_session_token = FQoGZXIvYXdzEXAMPLE\n")
    result = run_tool("login plain --print", home.env)
    assert result.returncode == 2 and result.stdout == ""
    assert "no long-term keys are reachable" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2  # the endpoint warning, then the error
    assert sts_proxy.total() == 0 and standin.requests == []


@pytest.mark.moto("open")
def test_federation_token_profile_is_used_as_it_is(home, aws_world, standin, sts_proxy, run_tool):
    session_profile(home, aws_world, standin, "credential_process_federation_name = alice\n")
    answer = json.loads(run_tool("--profile plain", home.env).stdout)
    _, query = printed(run_tool("login plain --print", home.env))
    assert query["SigninToken"] == standin.token
    assert sts_proxy.count("GetFederationToken") == 1  # the profile's own, from the cache
    [request] = standin.requests
    assert request["Session"]["sessionId"] == answer["AccessKeyId"] and "SessionDuration" not in request


@pytest.mark.parametrize("url", ["http://example.com/federation", "ftp://127.0.0.1/federation",
                                 "http://10.0.0.1/federation"])
def test_endpoint_override_must_be_https_or_loopback(dev, sts_proxy, run_tool, url):
    dev.env[ENDPOINT] = url
    result = run_tool("login dev --print", dev.env)
    assert result.returncode == 2 and result.stdout == ""
    assert f"{ENDPOINT} must be an https:// URL or an http:// URL on a loopback address" in result.stderr
    assert sts_proxy.total() == 0


def test_refusal_is_one_line_without_secret(dev, standin, run_tool):
    answer = json.loads(run_tool("--profile dev", dev.env).stdout)
    standin.refuse = 400
    result = run_tool("login dev --print", dev.env)
    assert result.returncode == 1 and result.stdout == ""
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("credential-process: the federation endpoint http://127.0.0.1:")
    assert "refused the credentials (HTTP 400)" in error
    assert answer["SecretAccessKey"] not in result.stderr and answer["SessionToken"] not in result.stderr


def test_browser_is_opened_and_stdout_stays_ours(dev, standin, run_tool, tmp_path):
    seen = tmp_path / "browser-argv"
    browser = tmp_path / "browser"
    browser.write_text(f"#!/bin/sh\necho 'browser chatter'\nprintf '%s\\n' \"$@\" > {seen}\n")
    browser.chmod(browser.stat().st_mode | stat.S_IXUSR)
    dev.env["BROWSER"] = f"{browser} %s"
    result = run_tool("login dev", dev.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "browser chatter" in result.stderr
    base, query = parse_login_url(seen.read_text())
    assert base == standin.url and query["SigninToken"] == standin.token and query["Action"] == "login"


def test_no_browser_says_use_print(dev, run_tool, tmp_path):
    dev.env["BROWSER"] = "/bin/false"
    dev.env["PATH"] = str(tmp_path)  # no xdg-open, www-browser, ... to fall back on
    result = run_tool("login dev", dev.env)
    assert result.returncode == 2 and result.stdout == ""
    assert "no web browser could be started: set BROWSER, or use --print" in result.stderr


def test_two_profile_names_are_refused(dev, run_tool):
    result = run_tool("login dev --profile chained --print", dev.env)
    assert result.returncode == 2 and "two profiles named" in result.stderr


def test_partition_hosts():
    from credential_process import federation

    assert federation.hosts("eu-west-1") == ("signin.aws.amazon.com", "console.aws.amazon.com")
    assert federation.hosts("us-gov-east-1") == ("signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com")
    assert federation.hosts("cn-north-1") == ("signin.amazonaws.cn", "console.amazonaws.cn")
    assert federation.hosts("eusc-de-east-1")[0] == "eusc-de-east-1.signin.amazonaws-eusc.eu"
    os.environ.pop(ENDPOINT, None)
    assert federation.endpoint("cn-northwest-1") == "https://signin.amazonaws.cn/federation"
