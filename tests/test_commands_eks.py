"""EKS: `eks token` (presigned GetCallerIdentity, cached) and `eks kubeconfig`
(DescribeCluster at moto, then real kubectl against a local HTTPS stand-in for
the API server that checks the token's presigned URL and its signature)."""

import json
import os
import stat
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from support.hostile import set_remaining
from support.kube_api import KubeApi, decode_token
from support.sigv4 import verify_presigned_url
from support.tools import TOOL, read_entry, role_config, write_entry

CLUSTER = "demo"


@pytest.fixture
def dev(home, aws_world, sts_proxy):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world))
    home.env["AWS_ENDPOINT_URL_EKS"] = aws_world.server_url
    return home


@pytest.fixture
def cluster(aws_world):
    """An EKS cluster created in moto through its EKS API; its DescribeCluster answer.

    moto 5.2 with authentication enforced answers every signed EKS GET
    (DescribeCluster, ListClusters) with SignatureDoesNotMatch, so the tests
    using a cluster run on the open server (`@pytest.mark.moto("open")`).
    """
    name = f"demo-{uuid.uuid4().hex[:8]}"
    eks = aws_world.client("eks")
    eks.create_cluster(name=name, roleArn=aws_world.role_arn, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    yield eks.describe_cluster(name=name)["cluster"]
    eks.delete_cluster(name=name)


def cache_entries(home):
    return [read_entry(path) for path in home.cache_dir.glob("*.json")]


def secret_for(home, access_key_id):
    """The secret of cached credentials, to check a token's signature with."""
    for entry in cache_entries(home):
        credentials = entry.get("credentials") or {}
        if credentials.get("AccessKeyId") == access_key_id:
            return credentials["SecretAccessKey"]
    raise AssertionError(f"no cached credentials with key {access_key_id}")


def check_presigned_url(url, home, cluster=CLUSTER):
    """What EKS's authenticator checks, and the SigV4 signature itself."""
    parts = urlsplit(url)
    assert parts.netloc == urlsplit(home.endpoint_url).netloc  # the profile's STS endpoint
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert query["Action"] == "GetCallerIdentity" and query["Version"] == "2011-06-15"
    assert query["X-Amz-Expires"] == "60"
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"].split(";")
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - signed_at).total_seconds()) < 15 * 60
    key_id = query["X-Amz-Credential"].split("/")[0]
    # The authenticator accepts a token for 15 minutes after X-Amz-Date.
    verify_presigned_url(url, secret_for(home, key_id), headers={"x-k8s-aws-id": cluster}, max_age=15 * 60)
    return query


def token_of(result):
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


def test_token_is_a_presigned_get_caller_identity(dev, aws_world, sts_proxy, run_tool):
    before = time.time()
    document = token_of(run_tool(f"eks token --cluster-name {CLUSTER} --profile dev", dev.env))
    assert document["kind"] == "ExecCredential"
    assert document["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    token = document["status"]["token"]
    assert token.startswith("k8s-aws-v1.") and not token.endswith("=")
    query = check_presigned_url(decode_token(token), dev)
    expires = datetime.strptime(document["status"]["expirationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")
    lifetime = expires.replace(tzinfo=timezone.utc).timestamp() - before
    assert 13 * 60 < lifetime <= 14 * 60 + 1
    # Signed with the role's session (the profile's credentials), not the base user's keys.
    assert query["X-Amz-Credential"].split("/")[0] != aws_world.access_key_id
    assert sts_proxy.count("AssumeRole") == 1


def test_token_api_version_follows_kubernetes_exec_info(dev, run_tool):
    env = dict(dev.env, KUBERNETES_EXEC_INFO=json.dumps(
        {"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1", "spec": {"interactive": False}}))
    document = token_of(run_tool(f"eks token --cluster-name {CLUSTER} --profile dev", env))
    assert document["apiVersion"] == "client.authentication.k8s.io/v1"
    env["KUBERNETES_EXEC_INFO"] = "not json"
    assert token_of(run_tool(f"eks token --cluster-name {CLUSTER} --profile dev", env))["apiVersion"] == \
        "client.authentication.k8s.io/v1beta1"


def test_cached_token_is_served_without_botocore(dev, sts_proxy, run_tool, tmp_path):
    first = token_of(run_tool(f"eks token --cluster-name {CLUSTER} --profile dev", dev.env))
    # A botocore that cannot be imported: the hit path must not need it.
    shim = tmp_path / "shim" / "botocore"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError('botocore imported on the cache-hit path')\n")
    env = dict(dev.env, PYTHONPATH=str(shim.parent))
    second = token_of(run_tool(f"eks token --cluster-name {CLUSTER} --profile dev", env))
    assert second["status"] == first["status"]
    # The shim does break botocore: a token for another cluster (a miss) fails with it.
    other = run_tool("eks token --cluster-name other --profile dev", env)
    assert other.returncode != 0 and "botocore imported" in other.stderr
    assert sts_proxy.count("AssumeRole") == 1


def test_token_is_renewed_when_a_minute_or_less_remains(dev, sts_proxy, run_tool):
    first = token_of(run_tool(f"eks token --cluster-name {CLUSTER} --profile dev", dev.env))
    (token_file,) = [path for path in dev.cache_dir.glob("*.json")
                     if read_entry(path).get("kind") == "eks-token"]
    entry = read_entry(token_file)
    entry["expires_at"] = time.time() + 61
    write_entry(token_file, entry)
    assert token_of(run_tool(f"eks token --cluster-name {CLUSTER} --profile dev", dev.env)) == first
    entry["expires_at"] = time.time() + 50
    write_entry(token_file, entry)
    time.sleep(1.1)  # a new X-Amz-Date, so that a new signature differs from the old
    renewed = token_of(run_tool(f"eks token --cluster-name {CLUSTER} --profile dev", dev.env))
    assert renewed["status"]["token"] != first["status"]["token"]
    assert read_entry(token_file)["expires_at"] > time.time() + 13 * 60
    check_presigned_url(decode_token(renewed["status"]["token"]), dev)
    assert sts_proxy.count("AssumeRole") == 1  # the role's session was still fresh


def test_tokens_are_per_cluster(dev, run_tool):
    one = token_of(run_tool("eks token --cluster-name one --profile dev", dev.env))["status"]["token"]
    two = token_of(run_tool("eks token --cluster-name two --profile dev", dev.env))["status"]["token"]
    assert one != two
    check_presigned_url(decode_token(two), dev, cluster="two")


def test_role_arn_is_assumed_on_top_of_the_profile(dev, aws_world, sts_proxy, run_tool):
    other_role = aws_world.make_role()
    command = f"eks token --cluster-name {CLUSTER} --profile dev --role-arn {other_role}"
    document = token_of(run_tool(command, dev.env))
    query = check_presigned_url(decode_token(document["status"]["token"]), dev)
    role_arns = [call["RoleArn"] for call in sts_proxy.calls("AssumeRole")]
    assert role_arns == [aws_world.role_arn, other_role]
    # The signing key is the other role's session.
    key_id = query["X-Amz-Credential"].split("/")[0]
    (entry,) = [e for e in cache_entries(dev) if (e.get("credentials") or {}).get("AccessKeyId") == key_id]
    assert entry["role_arn"] == other_role
    from support.aws import Creds, client

    creds = Creds(key_id, entry["credentials"]["SecretAccessKey"], entry["credentials"]["SessionToken"])
    arn = client("sts", aws_world.server_url, creds).get_caller_identity()["Arn"]
    assert f":assumed-role/{other_role.split('/')[-1]}/" in arn
    assert token_of(run_tool(command, dev.env)) == document
    assert sts_proxy.count("AssumeRole") == 2


def test_token_usage_errors(dev, run_tool):
    bad = run_tool("eks token --cluster-name 'no spaces' --profile dev", dev.env)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    bad = run_tool(f"eks token --cluster-name {CLUSTER} --profile dev --role-arn nope", dev.env)
    assert bad.returncode == 2 and "not an ARN" in bad.stderr
    bad = run_tool(f"eks token --cluster-name {CLUSTER} --profile missing", dev.env)
    assert bad.returncode == 2 and "missing" in bad.stderr


EXISTING_KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: minikube
  cluster:
    server: https://192.168.49.2:8443
    certificate-authority: /root/.minikube/ca.crt
contexts:
- name: minikube
  context:
    cluster: minikube
    user: minikube
current-context: minikube
preferences: {}
users:
- name: minikube
  user:
    client-certificate: /root/.minikube/profiles/minikube/client.crt
    client-key: /root/.minikube/profiles/minikube/client.key
"""


@pytest.mark.moto("open")
def test_kubeconfig_merges_and_keeps_the_rest(dev, aws_world, cluster, run_tool, tmp_path):
    path = tmp_path / "kube" / "config"
    path.parent.mkdir()
    path.write_text(EXISTING_KUBECONFIG)
    env = dict(dev.env, KUBECONFIG=os.pathsep.join([str(path), str(tmp_path / "second")]))
    name = cluster["name"]
    result = run_tool(f"eks kubeconfig --cluster-name {name} --profile dev", env)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not (tmp_path / "second").exists()
    document = yaml.safe_load(path.read_text())
    before = yaml.safe_load(EXISTING_KUBECONFIG)
    arn = cluster["arn"]
    for member in ("clusters", "users", "contexts"):
        assert document[member][0] == before[member][0]  # minikube's entries untouched
        assert [item["name"] for item in document[member]] == ["minikube", arn]
    assert document["clusters"][1]["cluster"] == {
        "server": cluster["endpoint"], "certificate-authority-data": cluster["certificateAuthority"]["data"]}
    assert document["contexts"][1]["context"] == {"cluster": arn, "user": arn}
    assert document["current-context"] == arn
    exec_ = document["users"][1]["user"]["exec"]
    assert exec_ == {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": TOOL,
                     "args": ["eks", "token", "--cluster-name", name, "--profile", "dev"], "env": None}
    assert aws_world.secret_access_key not in path.read_text()  # no secret in the file
    # Again, with an alias: the cluster and user are replaced, not duplicated.
    result = run_tool(f"eks kubeconfig --cluster-name {name} --profile dev --alias demo-ctx", env)
    assert result.returncode == 0, result.stderr
    again = yaml.safe_load(path.read_text())
    assert [item["name"] for item in again["clusters"]] == ["minikube", arn]
    assert [item["name"] for item in again["contexts"]] == ["minikube", arn, "demo-ctx"]
    assert again["current-context"] == "demo-ctx"


@pytest.mark.moto("open")
def test_kubeconfig_default_path_and_errors(dev, cluster, run_tool):
    result = run_tool(f"eks kubeconfig --cluster-name {cluster['name']} --profile dev", dev.env)
    assert result.returncode == 0, result.stderr
    path = dev.path / ".kube" / "config"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert yaml.safe_load(path.read_text())["clusters"][0]["name"] == cluster["arn"]
    missing = run_tool("eks kubeconfig --cluster-name nosuch --profile dev", dev.env)
    assert missing.returncode == 1 and "DescribeCluster" in missing.stderr
    assert missing.stderr.count("\n") == 1
    path.write_text("- not\n- a mapping\n")
    broken = run_tool(f"eks kubeconfig --cluster-name {cluster['name']} --profile dev", dev.env)
    assert broken.returncode == 2 and path.read_text() == "- not\n- a mapping\n"


@pytest.mark.moto("open")
def test_kubeconfig_region_flag(dev, aws_world, run_tool, tmp_path):
    name = f"west-{uuid.uuid4().hex[:8]}"
    from support.aws import client

    eks = client("eks", aws_world.server_url, aws_world.creds, region="eu-west-1")
    eks.create_cluster(name=name, roleArn=aws_world.role_arn, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    try:
        path = tmp_path / "config"
        command = f"eks kubeconfig --cluster-name {name} --profile dev --kubeconfig {path}"
        # The profile's region is us-east-1: the cluster is not there.
        assert run_tool(command, dev.env).returncode == 1 and not path.exists()
        result = run_tool(f"{command} --region eu-west-1", dev.env)
        assert result.returncode == 0, result.stderr
        assert yaml.safe_load(path.read_text())["clusters"][0]["name"].startswith("arn:aws:eks:eu-west-1:")
    finally:
        eks.delete_cluster(name=name)


@pytest.mark.moto("open")
def test_kubectl_uses_the_token_and_its_cache(dev, cluster, sts_proxy, run_tool, kubectl, tmp_path):
    import subprocess

    path = tmp_path / "kubeconfig"
    name = cluster["name"]
    result = run_tool(f"eks kubeconfig --cluster-name {name} --profile dev --kubeconfig {path}", dev.env)
    assert result.returncode == 0, result.stderr
    with KubeApi(lambda url: check_presigned_url(url, dev, cluster=name)) as api:
        # moto's cluster endpoint is a made-up hostname: point the merged entry at the stand-in.
        document = yaml.safe_load(path.read_text())
        assert document["clusters"][0]["cluster"]["server"] == cluster["endpoint"]
        document["clusters"][0]["cluster"] = {"server": api.url, "certificate-authority-data": api.ca_data}
        path.write_text(yaml.safe_dump(document))

        def kubectl_version():
            run = subprocess.run([kubectl, "--kubeconfig", str(path), "get", "--raw", "/version"],
                                 env=dev.env, capture_output=True, text=True, timeout=120,
                                 stdin=subprocess.DEVNULL)
            assert run.returncode == 0, (run.stderr, api.refusals)
            return json.loads(run.stdout)

        # What kubectl sent, not how often: kubectl v1.32 makes two requests for one command.
        assert kubectl_version()["gitVersion"] == "v1.30.0-test"
        assert api.refusals == [] and api.tokens and len(set(api.tokens)) == 1
        assert sts_proxy.count("AssumeRole") == 1
        # A second kubectl process: the cached token, no new signing, no STS call.
        first_run = len(api.tokens)
        assert kubectl_version()["gitVersion"] == "v1.30.0-test"
        assert api.refusals == [] and len(api.tokens) > first_run and len(set(api.tokens)) == 1
        assert sts_proxy.count("AssumeRole") == 1


# -- in process: the token entry's shape and freshness ----------------------------------
def test_token_entries_have_their_own_shape_and_margin():
    from credential_process import options
    from credential_process.cache import entry as entry_format

    loaded = options.Options("dev", "/dev/null", {}, dict(
        {spec.attribute: spec.default for spec in options.SPECS}, role_arn=ROLE_FOR_UNITS, flow="assume-role"))
    now = time.time()
    token = entry_format.make_token_entry(loaded, "demo", {"token": "k8s-aws-v1.x", "expirationTimestamp": "t"},
                                          now + 840, 840)
    assert entry_format.is_valid(token) and entry_format.kind_of(token) == "eks-token"
    assert entry_format.is_fresh(token, loaded, now=now + 840 - 61)
    assert not entry_format.is_fresh(token, loaded, now=now + 840 - 59)
    # A token entry is not credentials, and credentials without their keys are not valid.
    assert not entry_format.is_valid(dict(token, kind="credentials"))
    assert not entry_format.is_valid(dict(token, token={"token": "", "expirationTimestamp": "t"}))
    credentials = entry_format.make_entry(loaded, {"AccessKeyId": "A", "SecretAccessKey": "S",
                                                   "Expiration": "e"}, now + 3600, 3600, 0)
    assert "kind" not in credentials and entry_format.is_valid(credentials)  # the format before kinds
    assert entry_format.margin_of(credentials, loaded) == 1200


ROLE_FOR_UNITS = "arn:aws:iam::123456789012:role/units"


def test_cache_list_shows_tokens_without_them(dev, run_tool):
    token = token_of(run_tool(f"eks token --cluster-name {CLUSTER} --profile dev", dev.env))["status"]["token"]
    listing = run_tool("cache list --json", dev.env)
    assert listing.returncode == 0, listing.stderr
    rows = json.loads(listing.stdout)
    assert sorted(row["flow"] for row in rows) == ["assume-role", "eks-token"]
    assert token[len("k8s-aws-v1."):][:40] not in listing.stdout
    cleared = run_tool("cache clear --profile dev", dev.env)
    assert cleared.returncode == 0, cleared.stderr
    assert not list(dev.cache_dir.glob("*.json"))


def test_token_never_outlives_the_credentials_that_signed_it(dev, aws_world, sts_proxy, run_tool):
    # A 900 s session with 400 s left is still served (its margin is 300 s); a token
    # signed with it must not claim the presign window's 14 minutes.
    dev.write_config(role_config(aws_world, extra="credential_process_duration_seconds = 900\n"
                                                  "credential_process_background_refresh = false\n"))
    assert run_tool("--profile dev", dev.env).returncode == 0
    (credentials_file,) = list(dev.cache_dir.glob("*.json"))
    credentials_expiry = set_remaining(credentials_file, 400)["expires_at"]
    document = token_of(run_tool(f"eks token --cluster-name {CLUSTER} --profile dev", dev.env))
    expires = datetime.strptime(document["status"]["expirationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")
    assert expires.replace(tzinfo=timezone.utc).timestamp() <= credentials_expiry
    (token_file,) = [path for path in dev.cache_dir.glob("*.json") if read_entry(path).get("kind") == "eks-token"]
    assert read_entry(token_file)["expires_at"] <= credentials_expiry
    assert sts_proxy.count("AssumeRole") == 1  # the session was served, not renewed
