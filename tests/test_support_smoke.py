"""Proof that the test infrastructure (tests/support, conftest) behaves as the
rest of the suite assumes. None of these need the credential-process tool."""
from __future__ import annotations

import concurrent.futures
import email.utils
import json
import os
import subprocess
import time
from datetime import datetime, timedelta, timezone

import botocore.exceptions
import pytest

from support import tools
from support.aws import ACCOUNT_ID, Creds, client
from support.proxy import StsProxy


def _error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


# ---- moto authentication ---------------------------------------------------------

def test_moto_account_id_and_world(aws_world):
    assert aws_world.account_id == ACCOUNT_ID == "123456789012"
    assert aws_world.auth_enforced
    assert aws_world.user_arn == f"arn:aws:iam::{ACCOUNT_ID}:user/{aws_world.user_name}"
    assert aws_world.role_arn == f"arn:aws:iam::{ACCOUNT_ID}:role/{aws_world.role_name}"
    ident = aws_world.client("sts").get_caller_identity()
    assert ident["Arn"] == aws_world.user_arn


def test_auth_rejects_unknown_access_key(moto_auth):
    sts = client("sts", moto_auth.url, Creds("AKIAFORGEDFORGED0000", "x" * 40))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sts.get_caller_identity()
    assert _error_code(raised) == "InvalidClientTokenId"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_auth_rejects_wrong_secret(aws_world):
    sts = client("sts", aws_world.server_url, Creds(aws_world.access_key_id, "wrong-secret"))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sts.get_caller_identity()
    assert _error_code(raised) == "SignatureDoesNotMatch"


def test_auth_rejects_moto_default_keys(moto_auth):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client("sts", moto_auth.url, Creds("testing", "testing")).get_caller_identity()
    assert _error_code(raised) == "InvalidClientTokenId"


def test_auth_rejects_forged_session_token(aws_world):
    c = aws_world.assume_role()
    sts = client("sts", aws_world.server_url, Creds(c.access_key_id, c.secret_access_key, "forged-token"))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sts.get_caller_identity()
    assert _error_code(raised) == "InvalidClientTokenId"


def test_user_without_policy_is_denied_assume_role(aws_world, moto_auth):
    iam = client("iam", moto_auth.url, moto_auth.admin)
    name = aws_world.user_name + "-np"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    sts = client("sts", moto_auth.url, Creds(key["AccessKeyId"], key["SecretAccessKey"]))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sts.assume_role(RoleArn=aws_world.role_arn, RoleSessionName="np")
    assert _error_code(raised) == "AccessDenied"


def test_created_user_assumes_role_and_role_creds_work(aws_world):
    role = aws_world.assume_role(session_name="smoke")
    assert role.session_token
    ident = client("sts", aws_world.server_url, role).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{aws_world.role_name}/smoke"
    assert ident["Account"] == ACCOUNT_ID


@pytest.mark.moto("open")
def test_open_server_accepts_anything(aws_world, moto):
    assert not aws_world.auth_enforced
    ident = client("sts", moto.url, Creds("AKIAWHATEVER", "x")).get_caller_identity()
    assert ident["Account"] == ACCOUNT_ID


@pytest.mark.parametrize("moto", ["auth", "open"], indirect=True)
def test_world_on_each_server(aws_world, moto):
    assert aws_world.server_url == moto.url
    assert aws_world.assume_role().session_token


# ---- proxy ----------------------------------------------------------------------

def test_proxy_counts_actions(aws_world, sts_proxy):
    sts = aws_world.client("sts", sts_proxy.url)
    for i in range(3):
        sts.assume_role(RoleArn=aws_world.role_arn, RoleSessionName=f"s{i}", DurationSeconds=1800)
    sts.get_caller_identity()
    aws_world.client("iam", sts_proxy.url).list_roles()
    assert sts_proxy.count("AssumeRole") == 3
    assert sts_proxy.count("GetCallerIdentity") == 1
    assert sts_proxy.counts == {"AssumeRole": 3, "GetCallerIdentity": 1, "ListRoles": 1}
    assert [c["RoleSessionName"] for c in sts_proxy.calls("AssumeRole")] == ["s0", "s1", "s2"]
    assert sts_proxy.calls("AssumeRole")[0]["DurationSeconds"] == "1800"
    sts_proxy.reset_counts()
    assert sts_proxy.counts == {} and sts_proxy.count("AssumeRole") == 0


def test_proxy_inject_503_then_passes(aws_world, sts_proxy):
    sts_proxy.inject("AssumeRole", status=503, times=2)
    sts = aws_world.client("sts", sts_proxy.url)  # single attempt, no retries
    for _ in range(2):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            sts.assume_role(RoleArn=aws_world.role_arn, RoleSessionName="x1")
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert _error_code(raised) == "ServiceUnavailable"
    assert sts.assume_role(RoleArn=aws_world.role_arn, RoleSessionName="x1")["Credentials"]["SessionToken"]
    assert sts_proxy.count("AssumeRole") == 3


def test_proxy_inject_is_retried_by_botocore(aws_world, sts_proxy):
    sts_proxy.inject("AssumeRole", status=400, code="Throttling", times=2)
    sts = aws_world.client("sts", sts_proxy.url, retries=3)
    assert sts.assume_role(RoleArn=aws_world.role_arn, RoleSessionName="rt")["Credentials"]
    assert sts_proxy.count("AssumeRole") == 3


def test_proxy_inject_access_denied_message(aws_world, sts_proxy):
    sts_proxy.inject("AssumeRole", status=403, code="AccessDenied", message="MultiFactorAuthentication failed")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        aws_world.client("sts", sts_proxy.url).assume_role(RoleArn=aws_world.role_arn, RoleSessionName="ad")
    assert _error_code(raised) == "AccessDenied"
    assert raised.value.response["Error"]["Message"] == "MultiFactorAuthentication failed"
    # only that action is affected
    aws_world.client("sts", sts_proxy.url).get_caller_identity()


def test_proxy_hang_times_out_client(aws_world, sts_proxy):
    sts_proxy.hang("GetCallerIdentity", seconds=30)
    sts = aws_world.client("sts", sts_proxy.url, read_timeout=1, connect_timeout=2)
    t0 = time.monotonic()
    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        sts.get_caller_identity()
    assert time.monotonic() - t0 < 10
    assert sts_proxy.count("GetCallerIdentity") == 1
    sts_proxy.clear_faults()
    assert aws_world.client("sts", sts_proxy.url).get_caller_identity()["Account"] == ACCOUNT_ID


def test_proxy_delay_and_concurrency(aws_world, sts_proxy):
    sts_proxy.delay("AssumeRole", 0.5)
    sts = aws_world.client("sts", sts_proxy.url, max_pool_connections=64)

    def one(i):
        return sts.assume_role(RoleArn=aws_world.role_arn, RoleSessionName=f"c{i}")["Credentials"]["AccessKeyId"]

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(64) as ex:
        keys = list(ex.map(one, range(64)))
    assert len(set(keys)) == 64
    assert sts_proxy.count("AssumeRole") == 64
    assert sts_proxy.max_in_flight("AssumeRole") > 8  # requests really overlapped in the proxy
    assert time.monotonic() - t0 >= 0.5


@pytest.mark.parametrize("offset", [-7200, 3 * 3600])
def test_proxy_date_offset_shifts_expiration_and_date(aws_world, moto, sts_proxy, offset):
    direct = aws_world.client("sts").assume_role(RoleArn=aws_world.role_arn, RoleSessionName="d0")
    sts_proxy.date_offset_seconds = offset
    resp = aws_world.client("sts", sts_proxy.url).assume_role(RoleArn=aws_world.role_arn, RoleSessionName="d1")
    shift = resp["Credentials"]["Expiration"] - direct["Credentials"]["Expiration"]
    assert abs(shift.total_seconds() - offset) < 30
    date = email.utils.parsedate_to_datetime(resp["ResponseMetadata"]["HTTPHeaders"]["date"])
    assert abs((date - datetime.now(timezone.utc)).total_seconds() - offset) < 30


def test_proxy_forwards_unsigned_get_and_reports_upstream_down():
    with StsProxy("http://127.0.0.1:9") as p:  # nothing listens there
        sts = client("sts", p.url)
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            sts.get_caller_identity()
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 502
        assert p.count("GetCallerIdentity") == 1


@pytest.mark.moto("open")
def test_proxy_counts_presigned_query_action(aws_world, sts_proxy):
    """Query-string actions are counted. (moto itself cannot answer presigned STS
    GETs: it routes them to S3, or 500s with auth on -- see support/sigv4.py.)"""
    import urllib.error
    import urllib.request
    url = aws_world.client("sts", sts_proxy.url).generate_presigned_url("get_caller_identity", ExpiresIn=60)
    try:
        urllib.request.urlopen(url, timeout=10).read()
    except urllib.error.HTTPError:
        pass
    assert sts_proxy.count("GetCallerIdentity") == 1
    assert sts_proxy.requests("GetCallerIdentity")[0].method == "GET"


# ---- home and subprocess helpers -----------------------------------------------------

def test_home_env_is_clean(home, sts_proxy, monkeypatch):
    assert home.env["HOME"] == str(home.path)
    assert home.env["AWS_CONFIG_FILE"] == str(home.config)
    assert home.env["AWS_SHARED_CREDENTIALS_FILE"] == str(home.credentials)
    assert home.env["CREDENTIAL_PROCESS_CACHE_DIR"] == str(home.path / ".aws/credential-process/cache")
    assert home.env["AWS_ENDPOINT_URL_STS"] == home.env["AWS_ENDPOINT_URL_IAM"] == sts_proxy.url
    assert home.env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert "AWS_REGION" not in home.env and "AWS_PROFILE" not in home.env
    assert not home.config.exists() and not home.credentials.exists()
    home.write_config("""
        [profile dev]
        region = us-east-1
        """)
    assert home.config.read_text() == "[profile dev]\nregion = us-east-1\n"


def test_home_without_server_points_nowhere(home):
    assert home.env["AWS_ENDPOINT_URL_STS"].startswith("http://127.0.0.1:")


def test_aws_cli_v1_through_proxy(aws_world, home, sts_proxy, aws_cli_v1):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config("""
        [profile base]
        region = us-east-1
        """)
    r = aws_cli_v1(["sts", "get-caller-identity", "--profile", "base", "--output", "json"], home.env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Arn"] == aws_world.user_arn
    assert sts_proxy.count("GetCallerIdentity") == 1


def test_aws_cli_v2_with_endpoint_url(aws_world, home, sts_proxy, aws_cli_v2):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config("""
        [profile base]
        region = us-east-1
        """)
    r = aws_cli_v2(["sts", "get-caller-identity", "--profile", "base", "--output", "json",
                    "--endpoint-url", sts_proxy.url], home.env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Arn"] == aws_world.user_arn
    assert sts_proxy.count("GetCallerIdentity") == 1


def test_node_from_process_whoami(aws_world, home, sts_proxy, node_sts_whoami, tmp_path):
    # A stand-in credential_process (not the real tool) proves the JS harness.
    role = aws_world.assume_role(session_name="js")
    fake = tmp_path / "fake-process"
    fake.write_text("#!/bin/sh\ncat <<'EOF'\n" + json.dumps({
        "Version": 1, "AccessKeyId": role.access_key_id, "SecretAccessKey": role.secret_access_key,
        "SessionToken": role.session_token,
        "Expiration": (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }) + "\nEOF\n")
    fake.chmod(0o755)
    home.write_config(f"""
        [profile js]
        region = us-east-1
        credential_process = {fake}
        """)
    r = node_sts_whoami("js", home.env)
    assert r.returncode == 0, r.stderr
    ident = json.loads(r.stdout)
    assert ident["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{aws_world.role_name}/js"
    assert ident["Account"] == ACCOUNT_ID
    assert sts_proxy.count("GetCallerIdentity") == 1


def test_kubectl_available(kubectl):
    r = subprocess.run([kubectl, "version", "--client", "-o", "json"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["clientVersion"]["major"] == "1"


def test_tool_path_constant():
    assert os.path.isabs(tools.TOOL) and tools.TOOL.endswith("credential-process")


def test_presigned_sts_url_verifier():
    """Our SigV4 query verifier agrees with botocore's presigner (EKS-token style,
    with the x-k8s-aws-id header signed in)."""
    from support.sigv4 import PresignError, verify_presigned_url

    sts = client("sts", "https://sts.us-east-1.amazonaws.com", Creds("AKIAEXAMPLE00000000", "s3cr3t"))

    def add_header(request, **kwargs):
        request.headers["x-k8s-aws-id"] = "my-cluster"

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", add_header)
    url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET")
    params = verify_presigned_url(url, "s3cr3t", headers={"x-k8s-aws-id": "my-cluster"}, max_age=900)
    assert params["Action"] == "GetCallerIdentity" and "x-k8s-aws-id" in params["X-Amz-SignedHeaders"]
    with pytest.raises(PresignError):
        verify_presigned_url(url, "wrong", headers={"x-k8s-aws-id": "my-cluster"})
    with pytest.raises(PresignError):
        verify_presigned_url(url, "s3cr3t", headers={"x-k8s-aws-id": "other-cluster"})
    with pytest.raises(PresignError, match="expired"):
        verify_presigned_url(url, "s3cr3t", headers={"x-k8s-aws-id": "my-cluster"},
                             now=datetime.now(timezone.utc) + timedelta(minutes=16), max_age=900)
