"""The plain call's shortcut (cache/requests.py): a record maps the exact
request to its cache entry, so a hit reads no config and no JSON.  These tests
prove it is taken, and that every change that could change the answer makes
the call take the full path again."""

import json
import os
import stat
import subprocess
import sys

import pytest

from support.hostile import entry_files, write_role_profiles
from support.tools import TOOL, read_entry


def records(home):
    return sorted(home.cache_dir.glob("*.request"))


def key_of(result):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["AccessKeyId"]


def imported(home):
    done = subprocess.run([sys.executable, "-X", "importtime", TOOL, "--profile", "dev"], env=home.env,
                          text=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done, {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}


@pytest.fixture
def dev(home, aws_world, sts_proxy, run_tool):
    write_role_profiles(home, aws_world, names=("dev", "ops"))
    key_of(run_tool("--profile dev", home.env))
    return home


def test_a_hit_through_the_record_reads_no_config_and_no_json(dev):
    done, names = imported(dev)
    assert "credential_process.cache.requests" in names  # the measurement sees our modules
    for module in ("json", "configparser", "hashlib", "credential_process.options",
                   "credential_process.resolver"):
        assert module not in names, module
    document = json.loads(done.stdout)
    assert done.stdout == json.dumps(document) + "\n"
    assert document["AccessKeyId"] == read_entry(entry_files(dev)[0])["credentials"]["AccessKeyId"]


def test_the_record_is_private_and_holds_no_secret(dev):
    (record,) = records(dev)
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    credentials = read_entry(entry_files(dev)[0])["credentials"]
    text = record.read_text()
    assert credentials["SecretAccessKey"] not in text and credentials["SessionToken"] not in text


def test_an_edited_config_takes_the_full_path(dev, aws_world, sts_proxy, run_tool):
    write_role_profiles(dev, aws_world, names=("dev", "ops"), duration_seconds=7200)
    key_of(run_tool("--profile dev", dev.env))
    assert sts_proxy.count("AssumeRole") == 2
    assert sts_proxy.calls("AssumeRole")[-1]["DurationSeconds"] == "7200"


def test_another_environment_takes_the_full_path(dev, sts_proxy, run_tool):
    first = key_of(run_tool("--profile dev", dev.env))
    assert key_of(run_tool("--profile dev", dict(dev.env, AWS_REGION="eu-west-1"))) != first
    assert sts_proxy.count("AssumeRole") == 2
    assert key_of(run_tool([], dict(dev.env, AWS_PROFILE="ops"))) != first  # another profile, another entry
    assert sts_proxy.count("AssumeRole") == 3


def test_a_cleared_or_damaged_entry_takes_the_full_path(dev, sts_proxy, run_tool):
    first = key_of(run_tool("--profile dev", dev.env))
    assert run_tool("cache clear --profile dev", dev.env).returncode == 0
    second = key_of(run_tool("--profile dev", dev.env))
    assert second != first and sts_proxy.count("AssumeRole") == 2
    path = entry_files(dev)[0]
    path.write_bytes(path.read_bytes()[:100])
    assert key_of(run_tool("--profile dev", dev.env)) != second
    assert sts_proxy.count("AssumeRole") == 3


def test_clear_all_removes_records(dev, run_tool):
    assert records(dev)
    assert run_tool("cache clear --all", dev.env).returncode == 0
    # Only the (empty) lock files stay: a running refresh may hold one (test_cache_clear.py).
    assert [name for name in os.listdir(dev.cache_dir) if not name.endswith(".lock")] == []


def test_no_record_for_a_policy_file_or_without_the_file_store(home, aws_world, sts_proxy, run_tool, tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text('{"Version": "2012-10-17", "Statement": []}')
    write_role_profiles(home, aws_world, names=("dev",), policy_file=str(policy))
    key_of(run_tool("--profile dev", home.env))
    assert records(home) == []  # the policy's text is in the key but not in the request
    write_role_profiles(home, aws_world, names=("dev",), cache="none")
    key_of(run_tool("--profile dev", home.env))
    assert records(home) == []


def test_records_not_rewritten_for_a_day_are_removed(dev, aws_world, run_tool):
    (old,) = records(dev)
    os.utime(old, (0, 0))
    write_role_profiles(dev, aws_world, names=("dev", "ops"), duration_seconds=7200)  # a new request
    key_of(run_tool("--profile dev", dev.env))
    assert old not in records(dev) and len(records(dev)) == 1
