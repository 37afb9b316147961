"""AssumeRole end to end: the installed command against moto with IAM
authentication enforced, through the cache and its lock, and through real
clients (boto3, AWS CLI v1 and v2, JS SDK v3)."""

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest

from support.tools import TOOL, role_config


@pytest.fixture
def dev(home, aws_world, sts_proxy):
    """A role profile 'dev' whose base is the test user's long-term keys."""
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world))
    return home


def check_output_contract(result):
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    document = json.loads(result.stdout)  # exactly one JSON document, nothing else
    assert document["Version"] == 1 and type(document["Version"]) is int
    assert document["AccessKeyId"] and document["SecretAccessKey"] and document["SessionToken"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document["Expiration"])
    return document


def test_assume_role_output_and_cache(dev, aws_world, sts_proxy, run_tool):
    first = check_output_contract(run_tool("--profile dev", dev.env))
    assert first["AccountId"] == aws_world.account_id
    expires = datetime.strptime(first["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert 3500 < (expires - datetime.now(timezone.utc)).total_seconds() <= 3600
    second = check_output_contract(run_tool("--profile dev", dev.env))
    assert second == first
    assert sts_proxy.count("AssumeRole") == 1
    # The credentials are the role's, and the enforcing server accepts them.
    from support.aws import Creds, client

    creds = Creds(first["AccessKeyId"], first["SecretAccessKey"], first["SessionToken"])
    arn = client("sts", aws_world.server_url, creds).get_caller_identity()["Arn"]
    assert f":assumed-role/{aws_world.role_name}/" in arn


def test_cache_files_are_private(dev, run_tool):
    check_output_contract(run_tool("--profile dev", dev.env))
    assert dev.cache_dir.stat().st_mode & 0o777 == 0o700
    files = list(dev.cache_dir.iterdir())
    assert files and all(path.stat().st_mode & 0o777 == 0o600 for path in files)


def test_request_parameters_reach_sts(dev, aws_world, sts_proxy, run_tool):
    dev.write_config(role_config(aws_world, extra=(
        "credential_process_role_session_name = my-session\n"
        "credential_process_duration_seconds = 7200\n"
        "credential_process_external_id = ext-1234\n"
        "credential_process_tags = team=blue,env=dev\n"
        "credential_process_source_identity = alice\n"
        'credential_process_policy = {"Version": "2012-10-17", "Statement": '
        '[{"Effect": "Allow", "Action": "*", "Resource": "*"}]}\n')))
    check_output_contract(run_tool("--profile dev", dev.env))
    params = sts_proxy.calls("AssumeRole")[0]
    assert params["RoleSessionName"] == "my-session"
    assert params["DurationSeconds"] == "7200"
    assert params["ExternalId"] == "ext-1234"
    assert params["SourceIdentity"] == "alice"
    assert {params["Tags.member.1.Key"], params["Tags.member.2.Key"]} == {"team", "env"}
    assert json.loads(params["Policy"])["Statement"][0]["Action"] == "*"


def test_flags_override_profile_keys(dev, sts_proxy, run_tool):
    check_output_contract(run_tool("--profile dev --role-session-name from-flag --duration-seconds 900", dev.env))
    params = sts_proxy.calls("AssumeRole")[0]
    assert (params["RoleSessionName"], params["DurationSeconds"]) == ("from-flag", "900")


def test_profile_from_aws_profile_variable(dev, run_tool):
    check_output_contract(run_tool([], dict(dev.env, AWS_PROFILE="dev")))


def test_forged_base_keys_are_refused_by_sts(dev, aws_world, run_tool):
    dev.write_credentials(f"[base]\naws_access_key_id = {aws_world.access_key_id}\n"
                          f"aws_secret_access_key = {'x' * 40}\n")
    result = run_tool("--profile dev", dev.env)
    assert result.returncode == 1
    assert "SignatureDoesNotMatch" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not dev.cache_dir.exists() or not list(dev.cache_dir.glob("*.json"))


def test_credential_source_environment(home, aws_world, sts_proxy, run_tool):
    home.write_config(f"[profile env]\ncredential_process_role_arn = {aws_world.role_arn}\n"
                      "credential_process_credential_source = Environment\n")
    env = dict(home.env, AWS_ACCESS_KEY_ID=aws_world.access_key_id,
               AWS_SECRET_ACCESS_KEY=aws_world.secret_access_key)
    check_output_contract(run_tool("--profile env", env))
    assert sts_proxy.count("AssumeRole") == 1


def test_source_profile_served_by_this_tool_resolves_in_process(home, aws_world, sts_proxy, run_tool):
    second_role = aws_world.make_role()
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world, profile="first") +
                      f"\n[profile second]\ncredential_process = {TOOL} --profile second\n"
                      f"credential_process_role_arn = {second_role}\n"
                      "credential_process_source_profile = first\n")
    document = check_output_contract(run_tool("--profile second", home.env))
    assert sts_proxy.count("AssumeRole") == 2
    # The first role's session was cached on the way: serving 'first' costs no call.
    check_output_contract(run_tool("--profile first", home.env))
    assert sts_proxy.count("AssumeRole") == 2
    assert document["AccountId"] == aws_world.account_id


def test_source_profile_through_botocore_credential_process(home, aws_world, sts_proxy, run_tool):
    """A source whose credential_process is a plain shell command: botocore runs it."""
    secret_file = home.path / "base.json"
    secret_file.write_text(json.dumps({"Version": 1, "AccessKeyId": aws_world.access_key_id,
                                       "SecretAccessKey": aws_world.secret_access_key}))
    home.write_config(f"[profile base]\ncredential_process = cat {secret_file}\n\n"
                      f"[profile dev]\ncredential_process_role_arn = {aws_world.role_arn}\n"
                      "credential_process_source_profile = base\n")
    check_output_contract(run_tool("--profile dev", home.env))


@pytest.mark.parametrize("config, message", [
    ("[profile dev]\ncredential_process_role_arn = arn:aws:iam::1:role/R\n"
     "credential_process_source_profile = dev\n", "profile chain loops: dev -> dev"),
    ("[profile dev]\ncredential_process_role_arn = arn:aws:iam::1:role/R\n"
     "credential_process_source_profile = base\n"
     "[profile base]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = dev\n",
     "profile chain loops: dev -> base -> dev"),
])
def test_loops_end_at_once(home, run_tool, config, message):
    home.write_config(config)
    result = run_tool("--profile dev", home.env, timeout=30)
    assert result.returncode == 2 and message in result.stderr


def test_loop_through_a_child_process_is_seen(home, run_tool):
    """base's credential_process runs this tool for dev with extra words, so it is
    a real child process: the loop is caught by the environment marker."""
    home.write_config(f"[profile dev]\ncredential_process_role_arn = arn:aws:iam::1:role/R\n"
                      "credential_process_source_profile = base\n"
                      f"[profile base]\ncredential_process = {TOOL} --debug --profile dev\n")
    result = run_tool("--profile dev", home.env, timeout=30)
    assert result.returncode == 2
    assert "profile chain loops: dev -> base -> dev" in result.stderr
    assert "Traceback" not in result.stderr.split("credential-process:")[-1]


@pytest.mark.parametrize("args, config, code, message", [
    ("--profile missing", "", 2, "'missing' is not in"),
    ("--profile dev", "[profile dev]\n", 2, "no credential_process_role_arn"),
    ("--profile dev", "[profile dev]\ncredential_process_role_arn = arn:aws:iam::1:role/R\n", 2,
     "names no base credentials"),
    ("--profile dev --duration-seconds 100", "[profile dev]\ncredential_process_role_arn = arn:aws:iam::1:role/R\n",
     2, "between 900 and 43200"),
    ("--profile dev", "[profile dev]\ncredential_process_role_arn = arn:aws:iam::1:role/R\n"
     "credential_process_source_profile = nowhere\n", 2, "'nowhere' is not in"),
    ("--profile dev", "[profile dev]\ncredential_process_role_arn = arn:aws:iam::1:role/R\n"
     "credential_process_policy = {oops\n", 2, "not valid JSON"),
    ("--no-such-flag", "", 2, "unrecognized arguments"),
    ("--profile dev", "[profile dev\n", 2, "cannot read"),
])
def test_bad_input_is_one_line_and_an_exit_code(home, run_tool, args, config, code, message):
    home.write_config(config)
    result = run_tool(args, home.env)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_unreachable_sts_is_exit_1_naming_the_endpoint(home, aws_world, run_tool):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world))
    home.point_at("http://127.0.0.1:9")
    result = run_tool("--profile dev", home.env)
    assert result.returncode == 1 and "127.0.0.1:9" in result.stderr


def test_sso_source_with_expired_login_needs_a_person(home, run_tool):
    home.write_config("[profile sso]\nsso_start_url = https://example.awsapps.com/start\n"
                      "sso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Admin\n"
                      "[profile dev]\ncredential_process_role_arn = arn:aws:iam::1:role/R\n"
                      "credential_process_source_profile = sso\n")
    result = run_tool("--profile dev", home.env)
    assert result.returncode == 3, result.stderr
    assert "aws sso login --profile sso" in result.stderr


# -- concurrency -----------------------------------------------------------------

def _parallel(count, run, *args):
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: run(*args, timeout=120), range(count)))


def test_thundering_herd_makes_one_sts_call(dev, sts_proxy, run_tool):
    sts_proxy.delay("AssumeRole", 1.0)  # widen the window in which all 32 miss
    results = _parallel(32, run_tool, "--profile dev", dev.env)
    assert all(result.returncode == 0 for result in results), [r.stderr for r in results if r.returncode]
    assert len({json.loads(result.stdout)["AccessKeyId"] for result in results}) == 1
    assert sts_proxy.count("AssumeRole") == 1


def test_parallel_hits_make_no_sts_call(dev, sts_proxy, run_tool):
    check_output_contract(run_tool("--profile dev", dev.env))
    sts_proxy.reset_counts()
    results = _parallel(64, run_tool, "--profile dev", dev.env)
    assert all(result.returncode == 0 for result in results)
    assert sts_proxy.total() == 0


def test_lock_wait_is_bounded(dev, sts_proxy, run_tool):
    sts_proxy.hang("AssumeRole", seconds=20, times=1)
    holder = subprocess.Popen([TOOL, "--profile", "dev"], env=dev.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert sts_proxy.wait_for("AssumeRole", 1, timeout=30)
        waiter = run_tool("--profile dev --lock-timeout 1", dev.env)
        assert waiter.returncode == 1 and "waited 1 s" in waiter.stderr
    finally:
        holder.kill()
        holder.wait()


# -- real clients ------------------------------------------------------------------

def _assumed(arn, world):
    return f":assumed-role/{world.role_name}/" in arn


def test_boto3(dev, aws_world):
    code = ("import boto3, os; print(boto3.Session(profile_name='dev').client('sts')"
            ".get_caller_identity()['Arn'])")
    result = subprocess.run([sys.executable, "-c", code], env=dev.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert _assumed(result.stdout, aws_world)


def test_aws_cli_v1(dev, aws_world, aws_cli_v1):
    result = aws_cli_v1("--profile dev sts get-caller-identity --output json", dev.env)
    assert result.returncode == 0, result.stderr
    assert _assumed(json.loads(result.stdout)["Arn"], aws_world)


def test_aws_cli_v2(dev, aws_world, aws_cli_v2):
    result = aws_cli_v2(["--profile", "dev", "sts", "get-caller-identity", "--output", "json",
                         "--endpoint-url", dev.endpoint_url], dev.env)
    assert result.returncode == 0, result.stderr
    assert _assumed(json.loads(result.stdout)["Arn"], aws_world)


def test_js_sdk_v3(dev, aws_world, node_sts_whoami):
    result = node_sts_whoami("dev", dev.env)
    assert result.returncode == 0, result.stderr
    assert _assumed(json.loads(result.stdout)["Arn"], aws_world)


def test_python_dash_m_is_the_same_command(dev):
    result = subprocess.run([sys.executable, "-m", "credential_process", "--profile", "dev"], env=dev.env,
                            capture_output=True, text=True, timeout=60)
    check_output_contract(result)
    assert os.path.basename(TOOL) == "credential-process"
