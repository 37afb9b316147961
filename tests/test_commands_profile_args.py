"""The shapes people type (commands/_profile.py, commands/exec.py): the profile as
a positional word for exec, export and whoami, exec without a command starting
$SHELL, and --region giving the region the credentials were made for."""

import json
import re
import sys

import pytest

from support.commands import read_json
from support.tools import role_config

DUMP = "import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], 'w'))"


@pytest.fixture
def dev(home, aws_world, sts_proxy):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world, region="eu-west-1"))
    return home


def sts_regions(sts_proxy, action="AssumeRole"):
    """The region in each call's SigV4 credential scope."""
    return [re.search(r"Credential=[^/]+/\d+/([^/]+)/", call.headers.get("Authorization", "")).group(1)
            for call in sts_proxy.requests(action)]


def test_exec_takes_the_profile_first(dev, run_tool, tmp_path):
    dumped = tmp_path / "env.json"
    result = run_tool(["exec", "dev", "--", sys.executable, "-c", DUMP, str(dumped)], dev.env)
    assert result.returncode == 0, result.stderr
    child = read_json(dumped)
    assert child["AWS_ACCESS_KEY_ID"] and child["CREDENTIAL_PROCESS_PROFILE"] == "dev"
    # Flags after the profile still count.
    result = run_tool(["exec", "dev", "--server", "--", sys.executable, "-c", DUMP, str(dumped)], dev.env)
    assert result.returncode == 0, result.stderr
    assert "AWS_CONTAINER_CREDENTIALS_FULL_URI" in read_json(dumped)


def test_exec_without_a_command_starts_the_shell(dev, run_tool, tmp_path):
    dumped = tmp_path / "env.json"
    shell = tmp_path / "myshell"
    shell.write_text(f"#!{sys.executable}\n{DUMP.replace('sys.argv[1]', repr(str(dumped)))}\n")
    shell.chmod(0o755)
    result = run_tool(["exec", "dev"], dict(dev.env, SHELL=str(shell)))
    assert result.returncode == 0, result.stderr
    child = read_json(dumped)
    assert child["CREDENTIAL_PROCESS_PROFILE"] == "dev" and child["AWS_SESSION_TOKEN"]
    # Nesting is refused as for any exec.
    inside = dict(dev.env, SHELL=str(shell), CREDENTIAL_PROCESS_EXEC_PROFILE="prod")
    result = run_tool(["exec", "dev"], inside)
    assert result.returncode == 2 and "already inside" in result.stderr


def test_export_and_whoami_take_the_profile_as_a_word(dev, run_tool):
    result = run_tool(["export", "dev", "--format", "json"], dev.env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Version"] == 1
    result = run_tool(["whoami", "dev", "--json"], dev.env)
    assert result.returncode == 0, result.stderr
    result = run_tool(["whoami", "dev", "--profile", "prod"], dev.env)
    assert result.returncode == 2
    assert result.stderr == "credential-process: two profiles named: 'dev' and --profile 'prod'\n"


def test_the_default_command_keeps_profile_a_flag(dev, run_tool):
    result = run_tool(["dev"], dev.env)
    assert result.returncode == 2 and "unrecognized arguments: dev" in result.stderr


def test_export_gives_the_region_sts_was_called_in(dev, sts_proxy, run_tool):
    result = run_tool(["export", "--profile", "dev"], dict(dev.env, AWS_REGION="us-west-2"))
    assert result.returncode == 0, result.stderr
    assert "export AWS_REGION='us-west-2'" in result.stdout
    assert sts_regions(sts_proxy) == ["us-west-2"]


def test_region_flag_on_export_and_exec(dev, sts_proxy, run_tool, tmp_path):
    result = run_tool(["export", "dev", "--region", "ap-south-1"], dev.env)
    assert result.returncode == 0, result.stderr
    assert "export AWS_DEFAULT_REGION='ap-south-1'" in result.stdout
    dumped = tmp_path / "env.json"
    result = run_tool(["exec", "--region", "ca-central-1", "dev", "--", sys.executable, "-c", DUMP,
                       str(dumped)], dev.env)
    assert result.returncode == 0, result.stderr
    child = read_json(dumped)
    assert child["AWS_REGION"] == child["AWS_DEFAULT_REGION"] == "ca-central-1"
    assert sts_regions(sts_proxy) == ["ap-south-1", "ca-central-1"]
    result = run_tool(["export", "dev", "--region", "not a region"], dev.env)
    assert result.returncode == 2 and "--region is not a region name" in result.stderr
