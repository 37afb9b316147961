"""whoami against moto; cache list and cache clear on real cache folders."""

import json
import os

import pytest

from support.tools import role_config


@pytest.fixture
def dev(home, aws_world, sts_proxy):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world) + "\n" + role_config(aws_world, "ops").split("\n\n", 1)[1])
    return home


def test_whoami_text(dev, aws_world, sts_proxy, run_tool):
    result = run_tool("whoami --profile dev", dev.env)
    assert result.returncode == 0, result.stderr
    rows = {line[:9].strip(): line[10:] for line in result.stdout.splitlines()}
    assert list(rows) == ["profile", "account", "arn", "user id", "flow", "expires"]
    assert rows["profile"] == "dev" and rows["account"] == aws_world.account_id
    assert f":assumed-role/{aws_world.role_name}/" in rows["arn"]
    assert rows["user id"].endswith(":" + rows["arn"].rsplit("/", 1)[1])
    assert rows["flow"] == "assume-role"
    assert "(in 59m" in rows["expires"] or "(in 1h 00m)" in rows["expires"]
    assert sts_proxy.count("GetCallerIdentity") == 1 and sts_proxy.count("AssumeRole") == 1


def test_whoami_json_uses_the_cache(dev, aws_world, sts_proxy, run_tool):
    process_output = json.loads(run_tool("--profile dev", dev.env).stdout)
    result = run_tool("whoami --profile dev --json", dev.env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["account"] == aws_world.account_id and report["profile"] == "dev"
    assert f":assumed-role/{aws_world.role_name}/" in report["arn"]
    assert report["user_id"].endswith(":" + report["arn"].rsplit("/", 1)[1])
    assert report["expiration"] == process_output["Expiration"]
    assert 3000 < report["expires_in_seconds"] <= 3600
    assert sts_proxy.count("AssumeRole") == 1
    assert process_output["SecretAccessKey"] not in result.stdout


def test_whoami_refused_credentials_is_exit_1(dev, sts_proxy, run_tool):
    sts_proxy.inject("GetCallerIdentity", 403, code="AccessDenied", message="nope")
    result = run_tool("whoami --profile dev", dev.env)
    assert result.returncode == 1 and "GetCallerIdentity refused: AccessDenied" in result.stderr


def secrets_of(run_tool, env, profile):
    document = json.loads(run_tool(["--profile", profile], env).stdout)
    return [document["SecretAccessKey"], document["SessionToken"]]


def test_cache_list_shows_metadata_never_secrets(dev, aws_world, run_tool):
    secrets = secrets_of(run_tool, dev.env, "dev") + secrets_of(run_tool, dev.env, "ops")
    listing = run_tool("cache list", dev.env)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["PROFILE", "FLOW", "ROLE", "REGION", "EXPIRES", "STORE"]
    assert [line.split()[:4] for line in lines[1:]] == [["dev", "assume-role", aws_world.role_arn, "us-east-1"],
                                                       ["ops", "assume-role", aws_world.role_arn, "us-east-1"]]
    assert all(line.split()[-1] == "file" for line in lines[1:])
    as_json = run_tool("cache list --json", dev.env)
    rows = json.loads(as_json.stdout)
    assert {row["profile"] for row in rows} == {"dev", "ops"}
    assert all(3000 < row["expires_in_seconds"] <= 3600 for row in rows)
    for secret in secrets:
        assert secret not in listing.stdout + listing.stderr + as_json.stdout + as_json.stderr


def test_cache_clear_one_profile_then_all(dev, sts_proxy, run_tool):
    secrets_of(run_tool, dev.env, "dev")
    secrets_of(run_tool, dev.env, "ops")
    assert sts_proxy.count("AssumeRole") == 2
    result = run_tool("cache clear --profile dev", dev.env)
    assert result.returncode == 0 and result.stdout == "removed 1 cached session(s) of profile 'dev'\n"
    assert [row["profile"] for row in json.loads(run_tool("cache list --json", dev.env).stdout)] == ["ops"]
    secrets_of(run_tool, dev.env, "ops")
    assert sts_proxy.count("AssumeRole") == 2  # ops still cached
    secrets_of(run_tool, dev.env, "dev")
    assert sts_proxy.count("AssumeRole") == 3  # dev was really gone

    # Leftovers only --all removes; a file that is not the store's stays.
    (dev.cache_dir / ".tmp-killedwriter").write_text("partial")
    (dev.cache_dir / ("0" * 40 + ".json")).write_text("{not an entry")
    (dev.cache_dir / ("1" * 40 + ".lock")).write_text("")
    (dev.cache_dir / "notes.txt").write_text("mine")
    result = run_tool("cache clear --all", dev.env)
    assert result.returncode == 0 and "removed 2" in result.stdout
    left = sorted(os.listdir(dev.cache_dir))
    # Lock files stay (empty; a running refresh may hold one): see test_cache_clear.py.
    assert [name for name in left if not name.endswith(".lock")] == ["notes.txt"]
    assert all((dev.cache_dir / name).stat().st_size == 0 for name in left if name.endswith(".lock"))
    assert json.loads(run_tool("cache list --json", dev.env).stdout) == []
    empty = run_tool("cache list", dev.env)
    assert empty.returncode == 0 and empty.stdout == "" and "no cached sessions" in empty.stderr


def test_cache_clear_needs_a_choice(home, run_tool):
    assert run_tool("cache clear", home.env).returncode == 2
    assert run_tool("cache clear --all --profile dev", home.env).returncode == 2
    assert run_tool("cache", home.env).returncode == 2


def test_cache_clear_all_refuses_a_folder_that_is_not_private(home, run_tool):
    home.cache_dir.mkdir(parents=True)
    (home.cache_dir / ("2" * 40 + ".json")).write_text("{}")
    os.chmod(home.cache_dir, 0o777)
    result = run_tool("cache clear --all", home.env)
    assert result.returncode == 2 and "not cleared" in result.stderr
    assert (home.cache_dir / ("2" * 40 + ".json")).exists()
