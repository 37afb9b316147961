"""keys rotate against moto with IAM authentication enforced: the new key is
created, checked, stored, the old one deleted in IAM, and the cached sessions
made from the old one cleared; and nothing is lost when a step fails."""

import json
from pathlib import Path

import botocore.exceptions
import pytest

from support.aws import Creds, client
from support.keyring_backends import FILE_VARIABLE
from test_commands_keys import SERVICE, add_keys, role_profile, unique_name

TESTS_DIR = str(Path(__file__).resolve().parent)


def works(url, creds):
    try:
        return client("sts", url, creds).get_caller_identity()["Arn"]
    except botocore.exceptions.ClientError as error:
        return error.response["Error"]["Code"]


def access_keys(world, admin):
    listed = client("iam", world.server_url, admin).list_access_keys(UserName=world.user_name)
    return sorted(key["AccessKeyId"] for key in listed["AccessKeyMetadata"])


def test_rotate_replaces_the_key_everywhere(keyring_home, secret_service, aws_world, moto, run_tool):
    home, name = keyring_home, unique_name()
    add_keys(run_tool, home.env, name, aws_world)
    home.write_config(role_profile(aws_world, name, cache="file", profile="dev")
                      + "\n" + role_profile(aws_world, name, cache="keyring", profile="kdev"))
    for profile in ("dev", "kdev"):
        assert run_tool(["--profile", profile], home.env).returncode == 0
    assert len(list(home.cache_dir.glob("*.json"))) == 1
    assert len(json.loads((home.cache_dir / "keyring-index").read_text())) == 1

    result = run_tool(["keys", "rotate", name], home.env)
    assert result.returncode == 0, result.stderr
    new = json.loads(secret_service.lookup(SERVICE, name))
    assert new["AccessKeyId"] != aws_world.access_key_id
    assert new["SecretAccessKey"] not in result.stdout + result.stderr
    assert works(aws_world.server_url, aws_world.creds) == "InvalidClientTokenId"
    assert works(aws_world.server_url, Creds(new["AccessKeyId"], new["SecretAccessKey"])) == aws_world.user_arn
    assert access_keys(aws_world, moto.admin) == [new["AccessKeyId"]]
    # The sessions made from the old key are gone from both stores...
    assert list(home.cache_dir.glob("*.json")) == []
    index = json.loads((home.cache_dir / "keyring-index").read_text())
    assert index == {}
    # ...and the profiles get new ones from the new key.
    for profile in ("dev", "kdev"):
        assert run_tool(["--profile", profile], home.env).returncode == 0


@pytest.fixture
def file_keyring_env(home, tmp_path):
    """Subprocesses use the test backends of support.keyring_backends on one JSON file."""
    env = dict(home.env, PYTHONPATH=TESTS_DIR, PYTHON_KEYRING_BACKEND="support.keyring_backends.JsonFileKeyring")
    env[FILE_VARIABLE] = str(tmp_path / "keyring.json")
    return env


def stored_in(env, name):
    items = json.loads(Path(env[FILE_VARIABLE]).read_text())
    return json.loads(items[f"{SERVICE}\n{name}"])


def test_rotate_deletes_the_new_key_when_storing_it_fails(file_keyring_env, aws_world, moto, run_tool):
    env, name = file_keyring_env, unique_name()
    add_keys(run_tool, env, name, aws_world)
    failing = dict(env, PYTHON_KEYRING_BACKEND="support.keyring_backends.FailOnSetKeyring")
    result = run_tool(["keys", "rotate", name], failing)
    assert result.returncode == 2, result.stderr
    assert "rotation undone" in result.stderr and "simulated failure" in result.stderr
    assert access_keys(aws_world, moto.admin) == [aws_world.access_key_id]
    assert stored_in(env, name)["AccessKeyId"] == aws_world.access_key_id
    assert works(aws_world.server_url, aws_world.creds) == aws_world.user_arn


def test_rotate_names_the_old_key_when_iam_will_not_delete_it(file_keyring_env, aws_world, moto, run_tool):
    env, name = file_keyring_env, unique_name()
    add_keys(run_tool, env, name, aws_world)
    deny = {"Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "iam:DeleteAccessKey", "Resource": "*"}]}
    client("iam", aws_world.server_url, moto.admin).put_user_policy(
        UserName=aws_world.user_name, PolicyName="no-delete", PolicyDocument=json.dumps(deny))
    result = run_tool(["keys", "rotate", name], env)
    assert result.returncode == 1
    assert f"delete-access-key --access-key-id {aws_world.access_key_id}" in result.stderr
    new = stored_in(env, name)
    assert new["AccessKeyId"] != aws_world.access_key_id
    assert sorted(access_keys(aws_world, moto.admin)) == sorted([aws_world.access_key_id, new["AccessKeyId"]])


def test_locked_backend_is_exit_3_for_the_process_and_the_keys_command(file_keyring_env, aws_world, moto, run_tool):
    env, name = file_keyring_env, unique_name()
    add_keys(run_tool, env, name, aws_world)
    Path(env["AWS_CONFIG_FILE"]).parent.mkdir(parents=True, exist_ok=True)
    Path(env["AWS_CONFIG_FILE"]).write_text(role_profile(aws_world, name))
    locked = dict(env, PYTHON_KEYRING_BACKEND="support.keyring_backends.LockedKeyring")
    for args in (["--profile", "dev"], ["keys", "rotate", name], ["keys", "remove", name, "--yes"]):
        result = run_tool(args, locked)
        assert result.returncode == 3, (args, result.stderr)
        assert result.stderr.startswith("credential-process: ") and len(result.stderr.splitlines()) == 1


@pytest.mark.moto("open")  # moto refuses GetSessionToken credentials when it checks signatures
def test_rotate_signs_iam_calls_through_the_mfa_session(file_keyring_env, aws_world, moto, sts_proxy, run_tool):
    env, name = file_keyring_env, unique_name()
    add_keys(run_tool, env, name, aws_world)
    serial = f"arn:aws:iam::{aws_world.account_id}:mfa/{aws_world.user_name}"
    Path(env["AWS_CONFIG_FILE"]).parent.mkdir(parents=True, exist_ok=True)
    Path(env["AWS_CONFIG_FILE"]).write_text(
        f"[profile mfa]\nregion = us-east-1\ncredential_process_source_keyring = {name}\n"
        f"credential_process_mfa_serial = {serial}\ncredential_process_mfa_process = echo 123456\n")
    result = run_tool(["keys", "rotate", name, "--profile", "mfa"], env)
    assert result.returncode == 0, result.stderr
    (session_call,) = sts_proxy.calls("GetSessionToken")
    assert (session_call["SerialNumber"], session_call["TokenCode"]) == (serial, "123456")
    for action in ("CreateAccessKey", "DeleteAccessKey"):
        (request,) = sts_proxy.requests(action)
        assert any(header.lower() == "x-amz-security-token" for header in request.headers), action
    new = stored_in(env, name)
    assert access_keys(aws_world, None) == [new["AccessKeyId"]]
