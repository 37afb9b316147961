"""AssumeRoleWithWebIdentity through the installed command, against moto
without enforced authentication, counting calls at the proxy."""

import base64
import json
import time

import pytest

from support.tools import TOOL, read_entry, write_entry

ROLE = "arn:aws:iam::123456789012:role/ci-deploy"

pytestmark = pytest.mark.moto("open")


def jwt(expires_in=600, subject="repo:org/app"):
    def part(document):
        return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()

    claims = {"sub": subject, "aud": "sts.amazonaws.com", "exp": int(time.time()) + expires_in}
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def write_profile(home, extra):
    home.write_config(f"""
        [profile ci]
        region = us-east-1
        credential_process = {TOOL} --profile ci
        """ + extra)


@pytest.fixture
def token_file(home):
    path = home / "token"
    path.write_text(jwt())
    return path


def expire_cache(home):
    """Make every cached session look expired, as time would."""
    for path in home.cache_dir.glob("*.json"):
        entry = read_entry(path)
        entry["expires_at"] = time.time() - 1
        write_entry(path, entry)


def check_output(result):
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["Version"] == 1 and document["SessionToken"] and document["AccountId"] == "123456789012"
    return document


def test_token_file_is_read_again_at_every_refresh(home, token_file, sts_proxy, run_tool):
    write_profile(home, f"credential_process_role_arn = {ROLE}\n"
                        f"credential_process_web_identity_token_file = {token_file}\n"
                        "credential_process_role_session_name = build-42\n")
    check_output(run_tool("--profile ci", home.env))
    [first] = sts_proxy.calls("AssumeRoleWithWebIdentity")
    assert first["WebIdentityToken"] == token_file.read_text()
    assert (first["RoleArn"], first["RoleSessionName"]) == (ROLE, "build-42")
    assert "Authorization" not in sts_proxy.requests("AssumeRoleWithWebIdentity")[0].headers
    rotated = jwt(subject="repo:org/app:rotated")
    token_file.write_text(rotated)
    expire_cache(home)
    check_output(run_tool("--profile ci", home.env))
    assert [call["WebIdentityToken"] for call in sts_proxy.calls("AssumeRoleWithWebIdentity")][1] == rotated


def test_expired_jwt_is_refused_before_any_call(home, token_file, sts_proxy, run_tool):
    token_file.write_text(jwt(expires_in=-30))
    write_profile(home, f"credential_process_role_arn = {ROLE}\n"
                        f"credential_process_web_identity_token_file = {token_file}\n")
    result = run_tool("--profile ci", home.env)
    assert result.returncode == 3, result.stderr
    assert "expired" in result.stderr
    assert sts_proxy.total() == 0


def test_standard_variables_are_defaults_for_an_explicit_web_identity_profile(
        home, token_file, sts_proxy, run_tool, aws_cli_v1):
    write_profile(home, "credential_process_method = assume-role-with-web-identity\n"
                        "credential_process_provider_id = www.amazon.com\n")
    env = dict(home.env, AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file), AWS_ROLE_ARN=ROLE,
               AWS_ROLE_SESSION_NAME="from-env")
    check_output(run_tool("--profile ci", env))
    [call] = sts_proxy.calls("AssumeRoleWithWebIdentity")
    assert (call["RoleArn"], call["RoleSessionName"], call["ProviderId"]) == (ROLE, "from-env", "www.amazon.com")
    identity = aws_cli_v1("sts get-caller-identity --profile ci --output json", env)
    assert identity.returncode == 0, identity.stderr
    assert ":assumed-role/ci-deploy/from-env" in json.loads(identity.stdout)["Arn"]
    assert sts_proxy.count("AssumeRoleWithWebIdentity") == 1  # the CLI's run was a cache hit


def test_environment_never_chooses_the_flow(home, token_file, sts_proxy, run_tool):
    # Inside an EKS pod AWS_WEB_IDENTITY_TOKEN_FILE is set for every process:
    # a profile without web identity keys must not turn into one.
    write_profile(home, "credential_process_source_profile = base\n")
    env = dict(home.env, AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file), AWS_ROLE_ARN=ROLE)
    result = run_tool("--profile ci", env)
    assert sts_proxy.count("AssumeRoleWithWebIdentity") == 0
    assert "base" in result.stderr  # it went for the source profile: get-session-token


def test_token_process(home, sts_proxy, run_tool):
    (home / "token").write_text(jwt())
    write_profile(home, f"credential_process_role_arn = {ROLE}\n"
                        f"credential_process_web_identity_token_process = cat {home / 'token'}\n")
    check_output(run_tool("--profile ci", home.env))
    assert sts_proxy.calls("AssumeRoleWithWebIdentity")[0]["WebIdentityToken"] == (home / "token").read_text()
