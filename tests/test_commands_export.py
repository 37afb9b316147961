"""export: its output evaluated by real bash, zsh and fish, with credentials
from moto and with a crafted cache entry of hostile values."""

import json
import shlex
import shutil
import subprocess
import sys

import pytest

from support.commands import save_entry
from support.tools import role_config
from support.tools import TOOL, missing

SHELLS = ("bash", "zsh", "fish")
VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
             "AWS_REGION", "AWS_DEFAULT_REGION")
# Prints the AWS_* variables the shell passes to its children, as JSON.
DUMP = f"{shlex.quote(sys.executable)} -c " + shlex.quote(
    "import json, os; print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('AWS_')}))")


def shell(name):
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed (Debian package {name})")
    return path


def run_shell(name, script, env, cwd=None):
    return subprocess.run([shell(name), "-c", script], env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, cwd=cwd)


def evaluated(name, export_args, env, cwd=None, how='eval "$({tool} export {args})"'):
    script = how.format(tool=shlex.quote(TOOL), args=export_args) + "; " + DUMP
    result = run_shell(name, script, env, cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def dev(home, aws_world, sts_proxy):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world, region="eu-west-3"))
    return home


def expected(process_output, region="eu-west-3"):
    return {
        "AWS_ACCESS_KEY_ID": process_output["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": process_output["SecretAccessKey"],
        "AWS_SESSION_TOKEN": process_output["SessionToken"],
        "AWS_CREDENTIAL_EXPIRATION": process_output["Expiration"],
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }


@pytest.mark.parametrize("name", SHELLS)
def test_eval_export_sets_the_profile_credentials(name, dev, sts_proxy, run_tool):
    process_output = json.loads(run_tool("--profile dev", dev.env).stdout)
    got = evaluated(name, "--profile dev", dev.env)
    assert {key: got.get(key) for key in VARIABLES} == expected(process_output)
    assert sts_proxy.count("AssumeRole") == 1  # export used the same cache as the plugin


def test_exported_credentials_work_for_boto3(dev, aws_world, run_tool):
    env = dict(dev.env)
    code = ("import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])")
    script = f'eval "$({shlex.quote(TOOL)} export --profile dev)"; {shlex.quote(sys.executable)} -c "{code}"'
    result = run_shell("bash", script, env)
    assert result.returncode == 0, result.stderr
    assert f":assumed-role/{aws_world.role_name}/" in result.stdout


def test_fish_format_in_fish_and_env_no_export_in_bash(dev, run_tool):
    process_output = json.loads(run_tool("--profile dev", dev.env).stdout)
    got = evaluated("fish", "--profile dev --format fish", dev.env)
    assert {key: got.get(key) for key in VARIABLES} == expected(process_output)
    got = evaluated("bash", "--profile dev --format env-no-export", dev.env, how='set -a; eval "$({tool} export {args})"')
    assert {key: got.get(key) for key in VARIABLES} == expected(process_output)


def test_json_and_dotenv_formats(dev, run_tool):
    process_output = json.loads(run_tool("--profile dev", dev.env).stdout)
    result = run_tool("export --profile dev --format json", dev.env)
    assert result.returncode == 0 and json.loads(result.stdout) == process_output
    dotenv = pytest.importorskip("dotenv")
    import io

    result = run_tool("export --profile dev --format dotenv", dev.env)
    assert dict(dotenv.dotenv_values(stream=io.StringIO(result.stdout))) == expected(process_output)


# -- hostile values: a crafted entry, no STS at all (the home points at a dead port) --

HOSTILE = {
    "AccessKeyId": "AKIA'; touch pwned-1; echo '",
    "SecretAccessKey": "s p a c e s $HOME `touch pwned-2` $(touch pwned-3) \\ \\\\ \\'",
    "SessionToken": 'line one\nline "two"\n\'; touch pwned-4 #\n%PATH% !x! ^ & | < > ; ( ) { } * ? ~ end\\',
    "Expiration": "2030-01-01T00:00:00Z",
}
HOSTILE_REGION = "us-east-1 $(touch pwned-5) 'x'"


@pytest.fixture
def hostile(home):
    home.write_config(f"[profile dev]\nregion = {HOSTILE_REGION}\n"
                      "credential_process_role_arn = arn:aws:iam::123456789012:role/Dev\n"
                      "credential_process_source_profile = base\n")
    save_entry(home, "dev", HOSTILE)
    return home


HOSTILE_EXPECTED = {
    "AWS_ACCESS_KEY_ID": HOSTILE["AccessKeyId"],
    "AWS_SECRET_ACCESS_KEY": HOSTILE["SecretAccessKey"],
    "AWS_SESSION_TOKEN": HOSTILE["SessionToken"],
    "AWS_CREDENTIAL_EXPIRATION": HOSTILE["Expiration"],
    "AWS_REGION": HOSTILE_REGION,
    "AWS_DEFAULT_REGION": HOSTILE_REGION,
}


@pytest.mark.parametrize("name,args,how", [
    ("bash", "--profile dev", 'eval "$({tool} export {args})"'),
    ("zsh", "--profile dev", 'eval "$({tool} export {args})"'),
    ("fish", "--profile dev", 'eval "$({tool} export {args})"'),
    ("fish", "--profile dev --format fish", 'eval "$({tool} export {args})"'),
    ("fish", "--profile dev --format fish", "{tool} export {args} | source"),
    ("bash", "--profile dev --format env-no-export", 'set -a; eval "$({tool} export {args})"'),
    ("zsh", "--profile dev --format env-no-export", 'set -a; eval "$({tool} export {args})"'),
])
def test_hostile_values_survive_exactly_and_run_nothing(name, args, how, hostile, tmp_path):
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    got = evaluated(name, args, hostile.env, cwd=workdir, how=how)
    assert {key: got.get(key) for key in VARIABLES} == HOSTILE_EXPECTED
    assert list(workdir.iterdir()) == []  # no "pwned-N" file: nothing ran


def test_hostile_values_refused_by_windows_cmd_without_echoing_them(hostile, run_tool):
    result = run_tool("export --profile dev --format windows-cmd", hostile.env)
    assert result.returncode == 2 and result.stdout == ""
    assert "windows-cmd" in result.stderr and "pwned" not in result.stderr


def test_unknown_format_is_a_usage_error(hostile, run_tool):
    result = run_tool("export --profile dev --format csh", hostile.env)
    assert result.returncode == 2 and "invalid choice" in result.stderr
