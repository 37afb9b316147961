"""Durations as people write them (credential_process/durations.py), through the
installed command: flags and config keys alike, range errors in the writer's unit."""

import json

import pytest

from support.tools import role_config


@pytest.fixture
def dev(home, aws_world, sts_proxy):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world))
    return home


@pytest.mark.parametrize("written, seconds", [("3600", 3600), ("90m", 5400), ("1h", 3600),
                                              ("12h", 43200), ("1h30m", 5400)])
def test_duration_flag_as_people_write_it(dev, sts_proxy, run_tool, written, seconds):
    result = run_tool(["--profile", "dev", "--duration-seconds", written], dev.env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["AccessKeyId"]
    assert sts_proxy.calls("AssumeRole")[-1]["DurationSeconds"] == str(seconds)


def test_duration_config_key_in_hours(home, aws_world, sts_proxy, run_tool):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world, extra="credential_process_duration_seconds = 2h\n"))
    result = run_tool("--profile dev", home.env)
    assert result.returncode == 0, result.stderr
    assert sts_proxy.calls("AssumeRole")[-1]["DurationSeconds"] == "7200"


@pytest.mark.parametrize("written, expected", [
    ("13h", "must be between 15m and 12h for assume-role, not 13h"),
    ("800", "must be between 900 and 43200 for assume-role, not 800"),
    ("721m", "must be between 15m and 720m for assume-role, not 721m"),
])
def test_range_error_in_the_unit_written(home, run_tool, written, expected):
    home.write_config("[profile dev]\ncredential_process_role_arn = arn:aws:iam::123456789012:role/R\n"
                      "credential_process_source_profile = base\n"
                      f"credential_process_duration_seconds = {written}\n")
    result = run_tool("--profile dev", home.env)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr


def test_not_a_duration_says_what_is(home, run_tool):
    home.write_config("[profile dev]\ncredential_process_role_arn = arn:aws:iam::123456789012:role/R\n")
    result = run_tool(["--profile", "dev", "--lock-timeout", "5 minutes"], home.env)
    assert result.returncode == 2
    assert result.stderr == ("credential-process: --lock-timeout must be a duration such as 3600 "
                             "(seconds), 90m, 1h or 1h30m, not '5 minutes'\n")
