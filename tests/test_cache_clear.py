"""cache clear during a refresh: the refresh in progress keeps its lock, so a
caller arriving after the clear waits for it instead of calling STS (or asking
for an MFA code) a second time."""

import json
import subprocess
import time

import pytest

from support.hostile import entry_files, set_remaining
from support.tools import TOOL, role_config
from test_flows_mfa import role_profile


def start(profile, env):
    return subprocess.Popen([TOOL, "--profile", profile], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process):
    out, err = process.communicate(timeout=90)
    assert process.returncode == 0, err
    return json.loads(out)


@pytest.mark.parametrize("how", [["--all"], ["--profile", "dev"]])
def test_clear_during_a_slow_sts_call_keeps_one_sts_call(home, aws_world, sts_proxy, run_tool, how):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world, extra="credential_process_background_refresh = false\n"))
    # An entry near its end, so that cache clear --profile finds (and deletes) it during the refresh.
    assert run_tool("--profile dev", home.env).returncode == 0
    set_remaining(entry_files(home)[0], 60)
    sts_proxy.reset_counts()
    sts_proxy.delay("AssumeRole", 4, times=1)
    first = start("dev", home.env)
    assert sts_proxy.wait_for("AssumeRole", 1, timeout=30)  # the first caller holds the lock now
    cleared = run_tool(["cache", "clear", *how], home.env)
    assert cleared.returncode == 0, cleared.stderr
    second = run_tool("--profile dev", home.env, timeout=90)
    assert second.returncode == 0, second.stderr
    assert finish(first)["AccessKeyId"] == json.loads(second.stdout)["AccessKeyId"]
    assert sts_proxy.count("AssumeRole") == 1


@pytest.mark.moto("open")  # MFA sessions sign AssumeRole with GetSessionToken credentials
def test_clear_all_during_an_mfa_prompt_asks_once(home, aws_world, sts_proxy, run_tool, tmp_path):
    runs = tmp_path / "mfa-runs"
    started = tmp_path / "mfa-started"
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_profile("dev", aws_world.role_arn,
                                   f"credential_process_mfa_process = sh -c 'echo run >> {runs}; "
                                   f"touch {started}; sleep 4; echo 123456'"))
    first = start("dev", home.env)
    deadline = time.monotonic() + 30
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists()
    assert run_tool("cache clear --all", home.env).returncode == 0
    second = run_tool("--profile dev", home.env, timeout=90)
    assert second.returncode == 0, second.stderr
    finish(first)
    assert runs.read_text().splitlines() == ["run"]
    assert sts_proxy.count("GetSessionToken") == 1 and sts_proxy.count("AssumeRole") == 1
