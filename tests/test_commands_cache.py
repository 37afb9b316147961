"""cache clear and cache list telling the truth (commands/cache.py): a profile
that does not exist, the MFA session a profile uses, entries told apart."""

import json

import pytest

from support.tools import role_config
from test_flows_mfa import SERIAL, role_profile


def test_clear_a_profile_that_does_not_exist(home, run_tool):
    home.write_config("[profile dev]\ncredential_process_role_arn = arn:aws:iam::123456789012:role/R\n")
    result = run_tool("cache clear --profile nosuch", home.env)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("credential-process: profile 'nosuch' does not exist in ")
    assert result.stderr.endswith(" and has no cached sessions\n")


def test_clear_an_existing_profile_with_nothing_cached_says_so_on_stdout(home, run_tool):
    home.write_config("[profile dev]\ncredential_process_role_arn = arn:aws:iam::123456789012:role/R\n")
    result = run_tool("cache clear --profile dev", home.env)
    assert (result.returncode, result.stdout, result.stderr) == (
        0, "removed 0 cached session(s) of profile 'dev'\n", "")


@pytest.mark.moto("open")  # MFA sessions sign AssumeRole with GetSessionToken credentials
def test_clear_mfa_also_removes_the_mfa_session(home, aws_world, sts_proxy, run_tool):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_profile("dev", aws_world.role_arn, "credential_process_mfa_process = echo 123456"))
    assert run_tool("--profile dev", home.env).returncode == 0
    listed = json.loads(run_tool("cache list --json", home.env).stdout)
    assert sorted(row["mfa_device"] or "-" for row in listed) == ["-", SERIAL]
    result = run_tool("cache clear --profile dev", home.env)
    assert result.stdout == "removed 1 cached session(s) of profile 'dev'\n"
    assert [row["mfa_device"] for row in json.loads(run_tool("cache list --json", home.env).stdout)] == [SERIAL]
    assert run_tool("--profile dev", home.env).returncode == 0
    assert sts_proxy.count("GetSessionToken") == 1  # the MFA session stayed
    result = run_tool("cache clear --profile dev --mfa", home.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"removed 2 cached session(s) of profile 'dev' and its MFA session ({SERIAL})\n"
    assert json.loads(run_tool("cache list --json", home.env).stdout) == []


def test_list_tells_regions_apart(home, aws_world, sts_proxy, run_tool):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world, region="eu-west-1"))
    assert run_tool("--profile dev", home.env).returncode == 0
    assert run_tool("--profile dev", dict(home.env, AWS_REGION="us-west-2")).returncode == 0
    rows = json.loads(run_tool("cache list --json", home.env).stdout)
    assert [(row["profile"], row["region"]) for row in rows] == [("dev", "eu-west-1"), ("dev", "us-west-2")]
    assert set(rows[0]) == {"profile", "flow", "role", "region", "mfa_device", "expires_at",
                            "expires_in_seconds", "store"}
    lines = run_tool("cache list", home.env).stdout.splitlines()
    assert [line.split()[3] for line in lines[1:]] == ["eu-west-1", "us-west-2"]
    assert all("(in " in line for line in lines[1:])


def test_clear_mfa_refusals(home, run_tool):
    home.write_config("[profile dev]\ncredential_process_role_arn = arn:aws:iam::123456789012:role/R\n")
    result = run_tool("cache clear --profile dev --mfa", home.env)
    assert result.returncode == 2 and result.stderr == (
        "credential-process: profile 'dev' uses no MFA device: there is no MFA session to remove\n")
    result = run_tool("cache clear --all --mfa", home.env)
    assert result.returncode == 2 and result.stderr == (
        "credential-process: --mfa goes with --profile NAME (--all removes the MFA sessions too)\n")
