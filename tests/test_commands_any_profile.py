"""Every command a person runs (export, exec, exec --server, whoami, eks token,
eks kubeconfig, login) on every kind of profile the SDKs can resolve: botocore's
own (static keys, role_arn/source_profile, web identity, another tool's
credential_process) resolved by botocore, and this tool's (a role, a wrapped
command) through its flows and cache.  The sso_session and login_session kinds
have tests of their own (test_flows_sso.py, test_sources_login_session.py)."""

import json
import stat
import sys
import time
import uuid

import pytest
import yaml

from support.federation_standin import FederationStandin, parse_login_url
from support.tools import TOOL

# EKS DescribeCluster needs the open server (see tests/test_eks.py) and so do
# web identity tokens nobody signed.
pytestmark = pytest.mark.moto("open")

KINDS = ("static", "botocore-role", "web-identity", "other-process", "ours-role", "ours-process")
COMMANDS = ("export", "exec", "exec-server", "whoami", "eks-token", "eks-kubeconfig", "login")
# What botocore or our flow calls each kind's credentials.
FLOW = {
    "static": "botocore:shared-credentials-file", "botocore-role": "botocore:assume-role",
    "web-identity": "botocore:assume-role-with-web-identity", "other-process": "botocore:custom-process",
    "ours-role": "assume-role", "ours-process": "process",
}


def _jwt():
    import base64

    def part(document):
        return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()

    claims = {"sub": "repo:org/app", "aud": "sts.amazonaws.com", "exp": int(time.time()) + 3600}
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.fixture
def standin():
    with FederationStandin() as server:
        yield server


@pytest.fixture
def world(home, aws_world, sts_proxy, standin, tmp_path):
    """A config with one profile of each kind; the role sessions a wrapped command prints."""
    role = aws_world.assume_role(session_name="idp-cli")
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps({
        "Version": 1, "AccessKeyId": role.access_key_id, "SecretAccessKey": role.secret_access_key,
        "SessionToken": role.session_token,
        "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3000))}))
    token = tmp_path / "token"
    token.write_text(_jwt())
    home.write_credentials(aws_world.credentials_ini("static"))
    home.write_config(f"""
        [profile static]
        region = us-east-1

        [profile botocore-role]
        region = us-east-1
        role_arn = {aws_world.role_arn}
        source_profile = static

        [profile web-identity]
        region = us-east-1
        role_arn = {aws_world.role_arn}
        web_identity_token_file = {token}

        [profile other-process]
        region = us-east-1
        credential_process = cat {answer}

        [profile ours-role]
        region = us-east-1
        credential_process = {TOOL} --profile ours-role
        credential_process_role_arn = {aws_world.role_arn}
        credential_process_source_profile = static

        [profile ours-process]
        region = us-east-1
        credential_process = {TOOL} --profile ours-process
        credential_process_command = cat {answer}
        """)
    home.env["AWS_ENDPOINT_URL_EKS"] = aws_world.server_url
    home.env["CREDENTIAL_PROCESS_FEDERATION_ENDPOINT"] = standin.url
    return home


@pytest.fixture
def cluster(aws_world):
    name = f"demo-{uuid.uuid4().hex[:8]}"
    eks = aws_world.client("eks")
    eks.create_cluster(name=name, roleArn=aws_world.role_arn, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    yield name
    eks.delete_cluster(name=name)


def exported(stdout):
    pairs = {}
    for line in stdout.splitlines():
        name, _, value = line[len("export "):].partition("=")
        pairs[name] = value.strip("'")
    return pairs


CALLER = ("import boto3, json; s = boto3.client('sts');"
          "print(json.dumps(s.get_caller_identity()))")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", KINDS)
def test_command_on_profile_kind(world, aws_world, cluster, standin, run_tool, tmp_path, kind, command):
    env = world.env
    if command == "export":
        result = run_tool(["export", "--profile", kind], env)
        assert result.returncode == 0, result.stderr
        variables = exported(result.stdout)
        assert variables["AWS_ACCESS_KEY_ID"] and variables["AWS_SECRET_ACCESS_KEY"]
        # Long-term keys are handed out as a GetSessionToken session, never as they are.
        assert variables["AWS_ACCESS_KEY_ID"] != aws_world.access_key_id
        assert variables["AWS_SESSION_TOKEN"]
    elif command in ("exec", "exec-server"):
        flags = ["--server"] if command == "exec-server" else []
        result = run_tool(["exec", *flags, "--profile", kind, "--", sys.executable, "-c", CALLER], env)
        assert result.returncode == 0, result.stderr
        identity = json.loads(result.stdout)
        assert identity["Account"] == aws_world.account_id
    elif command == "whoami":
        result = run_tool(["whoami", "--json", "--profile", kind], env)
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["account"] == aws_world.account_id and report["flow"] == FLOW[kind]
        assert "not_asked" not in report
    elif command == "eks-token":
        result = run_tool(["eks", "token", "--cluster-name", cluster, "--profile", kind], env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["status"]["token"].startswith("k8s-aws-v1.")
    elif command == "eks-kubeconfig":
        path = tmp_path / "kubeconfig"
        result = run_tool(["eks", "kubeconfig", "--cluster-name", cluster, "--profile", kind,
                           "--kubeconfig", str(path)], env)
        assert result.returncode == 0, result.stderr
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        user = yaml.safe_load(path.read_text())["users"][0]["user"]["exec"]
        assert user["args"][-2:] == ["--profile", kind]
    else:
        result = run_tool(["login", kind, "--print"], env)
        assert result.returncode == 0, result.stderr
        assert parse_login_url(result.stdout.strip())
        session = standin.requests[-1]["Session"]
        assert session["sessionId"] != aws_world.access_key_id  # never the long-term key itself
    assert aws_world.secret_access_key not in result.stdout + result.stderr


def test_no_session_hands_out_the_long_term_keys(world, aws_world, run_tool):
    result = run_tool("export --profile static --no-session", world.env)
    assert result.returncode == 0, result.stderr
    variables = exported(result.stdout)
    assert variables["AWS_ACCESS_KEY_ID"] == aws_world.access_key_id
    assert "AWS_SESSION_TOKEN" not in variables and "AWS_CREDENTIAL_EXPIRATION" not in variables


def test_session_token_of_long_term_keys_is_cached(world, sts_proxy, run_tool):
    first = exported(run_tool("export --profile static", world.env).stdout)
    second = exported(run_tool("export --profile static", world.env).stdout)
    assert first == second and sts_proxy.count("GetSessionToken") == 1


def test_default_command_still_refuses_a_botocore_profile(world, run_tool):
    result = run_tool("--profile botocore-role", world.env)
    assert result.returncode == 2
    assert "credential_process_" in result.stderr and len(result.stderr.splitlines()) == 1


def test_unknown_profile_is_exit_2(world, run_tool):
    result = run_tool("export --profile nowhere", world.env)
    assert result.returncode == 2 and "'nowhere' is in neither" in result.stderr


def test_whoami_from_the_cache_when_sts_is_down(world, aws_world, sts_proxy, run_tool):
    assert run_tool("--profile ours-role", world.env).returncode == 0
    sts_proxy.stop()
    result = run_tool("whoami --profile ours-role", world.env)
    assert result.returncode == 0, result.stderr
    rows = {line[:9].strip(): line[10:] for line in result.stdout.splitlines()}
    assert rows["account"] == aws_world.account_id
    assert rows["arn"] == f"role {aws_world.role_arn} ? (STS not reached)"
    assert rows["user id"] == "? (STS not reached)" and rows["flow"] == "assume-role"
    assert "could not be reached" in result.stderr and "showing what the cache knows" in result.stderr
    as_json = json.loads(run_tool("whoami --json --profile ours-role", world.env).stdout)
    assert as_json["account"] == aws_world.account_id and as_json["arn"] is None
    assert "could not be reached" in as_json["not_asked"]


# -- the sign-in kinds: botocore's sso_session and login_session profiles --------
SIGN_IN_KINDS = ("sso-session", "login-session")
ENDPOINT_KEY = ("import json, os, urllib.request;"
                "request = urllib.request.Request(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'],"
                " headers={'Authorization': os.environ['AWS_CONTAINER_AUTHORIZATION_TOKEN']});"
                "print(json.load(urllib.request.urlopen(request))['AccessKeyId'])")
ENV_KEY = "import os; print(os.environ['AWS_ACCESS_KEY_ID'])"


@pytest.fixture
def signed_in(home, aws_world, sts_proxy, standin, tmp_path):
    """[profile sso-session] signed in through this tool's `sso login` (the AWS CLI's
    token file), [profile login-session] with an `aws login` token cache; the function
    returns the access key ID each kind's credentials carry."""
    from support.signin_standin import write_login_token
    from support.sso_standin import SsoStandIn

    sso = SsoStandIn().start()
    browser = tmp_path / "browser.py"
    browser.write_text("import sys, urllib.request\nurllib.request.urlopen(sys.argv[1], timeout=30).read()\n")
    home.write_config(f"""
        [sso-session corp]
        sso_start_url = https://example.awsapps.com/start
        sso_region = us-east-1
        sso_registration_scopes = sso:account:access

        [profile sso-session]
        region = us-east-1
        sso_session = corp
        sso_account_id = 111111111111
        sso_role_name = ReadOnly

        [profile login-session]
        region = us-east-1
        login_session = arn:aws:iam::{aws_world.account_id}:user/alice
        """)
    home.env.update(sso.env())
    home.env.update(AWS_ENDPOINT_URL_EKS=aws_world.server_url, AWS_LOGIN_CACHE_DIRECTORY=str(tmp_path / "login"),
                    CREDENTIAL_PROCESS_FEDERATION_ENDPOINT=standin.url)
    from support.tools import run_tool

    signed = run_tool("sso login --sso-session corp", dict(home.env, BROWSER=f"{sys.executable} {browser} %s"))
    assert signed.returncode == 0, signed.stderr
    role = aws_world.assume_role(session_name="aws-login")
    write_login_token(tmp_path / "login", f"arn:aws:iam::{aws_world.account_id}:user/alice", role, 3600,
                      aws_world.account_id)
    try:
        yield lambda kind: sso.issued_keys[-1] if kind == "sso-session" else role.access_key_id
    finally:
        sso.stop()


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", SIGN_IN_KINDS)
def test_command_on_sign_in_kind(signed_in, home, cluster, standin, run_tool, tmp_path, kind, command):
    if kind == "login-session":
        pytest.importorskip("awscrt", reason="botocore's login provider needs botocore[crt]")
    env = home.env
    if command == "export":
        result = run_tool(["export", "--profile", kind], env)
        assert result.returncode == 0, result.stderr
        assert exported(result.stdout)["AWS_ACCESS_KEY_ID"] == signed_in(kind)
    elif command in ("exec", "exec-server"):
        flags, script = (["--server"], ENDPOINT_KEY) if command == "exec-server" else ([], ENV_KEY)
        result = run_tool(["exec", *flags, "--profile", kind, "--", sys.executable, "-c", script], env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == signed_in(kind)
    elif command == "whoami":
        result = run_tool(["whoami", "--json", "--profile", kind], env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["flow"] == f"botocore:{kind.split('-')[0]}"
    elif command == "eks-token":
        result = run_tool(["eks", "token", "--cluster-name", cluster, "--profile", kind], env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["status"]["token"].startswith("k8s-aws-v1.")
    elif command == "eks-kubeconfig":
        path = tmp_path / "kubeconfig"
        result = run_tool(["eks", "kubeconfig", "--cluster-name", cluster, "--profile", kind,
                           "--kubeconfig", str(path)], env)
        assert result.returncode == 0, result.stderr
        assert yaml.safe_load(path.read_text())["users"][0]["user"]["exec"]["args"][-2:] == ["--profile", kind]
    else:
        result = run_tool(["login", kind, "--print"], env)
        assert result.returncode == 0, result.stderr
        assert standin.requests[-1]["Session"]["sessionId"] == signed_in(kind)


def test_session_token_of_long_term_keys_uses_the_profiles_mfa(world, aws_world, sts_proxy, run_tool):
    serial = "arn:aws:iam::123456789012:mfa/alice"
    world.write_config(f"[profile static]\nregion = us-east-1\nmfa_serial = {serial}\n")
    result = run_tool("export --profile static --mfa-code 123456", world.env)
    assert result.returncode == 0, result.stderr
    [call] = sts_proxy.calls("GetSessionToken")
    assert (call["SerialNumber"], call["TokenCode"]) == (serial, "123456")
    # The MFA session is cached: the next export asks for no code.
    again = run_tool("export --profile static", world.env)
    assert again.returncode == 0, again.stderr
    assert exported(again.stdout) == exported(result.stdout) and sts_proxy.count("GetSessionToken") == 1
