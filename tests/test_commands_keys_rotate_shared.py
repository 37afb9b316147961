"""keys rotate when the same IAM key is held elsewhere too: by another stored
name, and by a section of the credentials file.  The old key is deleted in
IAM, so every holder gets the new one (and says so), or nothing changes."""

import json
import stat
from pathlib import Path

from support.aws import Creds
from test_commands_keys import SERVICE, add_keys, role_profile, unique_name
from test_commands_keys_rotate import access_keys, file_keyring_env, stored_in, works  # noqa: F401 (fixture)


def test_rotate_updates_every_holder_of_the_key(keyring_home, secret_service, aws_world, moto, run_tool):
    home, work, base = keyring_home, unique_name(), unique_name()
    add_keys(run_tool, home.env, work, aws_world)
    add_keys(run_tool, home.env, base, aws_world)
    credentials = ("# keys\n[other]\naws_access_key_id = AKIAOTHEROTHEROTHER1\n"
                   f"aws_secret_access_key = {'o' * 40}\n\n"
                   f"[legacy]\nregion = eu-west-1\naws_access_key_id={aws_world.access_key_id}\n"
                   f"aws_secret_access_key = {aws_world.secret_access_key}\n")
    home.write_credentials(credentials)
    home.write_config(role_profile(aws_world, base, profile="bdev"))
    assert run_tool("--profile bdev", home.env).returncode == 0

    result = run_tool(["keys", "rotate", work], home.env)
    assert result.returncode == 0, result.stderr
    new = json.loads(secret_service.lookup(SERVICE, work))
    assert new["AccessKeyId"] != aws_world.access_key_id
    assert access_keys(aws_world, moto.admin) == [new["AccessKeyId"]]
    # The other stored name holds the new key too, and its profile works with it.
    assert json.loads(secret_service.lookup(SERVICE, base))["AccessKeyId"] == new["AccessKeyId"]
    served = run_tool("--profile bdev", home.env)
    assert served.returncode == 0, served.stderr
    # The credentials file: the two key lines replaced where they stood, after a backup.
    assert home.credentials.read_text() == credentials.replace(
        f"aws_access_key_id={aws_world.access_key_id}", f"aws_access_key_id = {new['AccessKeyId']}").replace(
        aws_world.secret_access_key, new["SecretAccessKey"])
    (backup,) = home.aws_dir.glob("credentials.*.bak")
    assert backup.read_text() == credentials and stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert repr(base) in result.stdout and "[legacy]" in result.stdout
    assert new["SecretAccessKey"] not in result.stdout + result.stderr
    assert works(aws_world.server_url, Creds(new["AccessKeyId"], new["SecretAccessKey"])) == aws_world.user_arn


def test_rotate_changes_nothing_when_another_holder_cannot_be_updated(file_keyring_env, aws_world, moto, run_tool):
    env, work, base = file_keyring_env, "a-" + unique_name(), "b-" + unique_name()
    add_keys(run_tool, env, work, aws_world)
    add_keys(run_tool, env, base, aws_world)
    Path(env["AWS_SHARED_CREDENTIALS_FILE"]).write_text(aws_world.credentials_ini("legacy"))
    before = Path(env["AWS_SHARED_CREDENTIALS_FILE"]).read_text()
    failing = dict(env, PYTHON_KEYRING_BACKEND="support.keyring_backends.FailOnSetOfKeyring",
                   CP_TEST_KEYRING_FAIL_NAME=base)
    result = run_tool(["keys", "rotate", work], failing)
    assert result.returncode == 2, result.stderr
    assert "rotation undone" in result.stderr and "simulated failure" in result.stderr
    assert "Traceback" not in result.stderr
    assert access_keys(aws_world, moto.admin) == [aws_world.access_key_id]
    for name in (work, base):
        assert stored_in(env, name)["AccessKeyId"] == aws_world.access_key_id
    assert Path(env["AWS_SHARED_CREDENTIALS_FILE"]).read_text() == before
    assert works(aws_world.server_url, aws_world.creds) == aws_world.user_arn
