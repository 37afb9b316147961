"""exec and exec --server: the installed command running real children."""

import json
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from support.commands import read_json
from support.tools import role_config
from support.tools import TOOL


@pytest.fixture
def dev(home, aws_world, sts_proxy):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world, region="eu-west-3"))
    return home


def test_child_gets_the_credentials_and_its_exit_code_is_ours(dev, run_tool, tmp_path):
    env = dict(dev.env, AWS_PROFILE="dev", AWS_DEFAULT_PROFILE="dev", CREDENTIAL_PROCESS_CHAIN='["outer"]',
               KEEP_ME="yes")
    dumped = tmp_path / "env.json"
    code = "import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], 'w')); sys.exit(7)"
    result = run_tool(["exec", "--profile", "dev", "--", sys.executable, "-c", code, str(dumped)], env)
    assert result.returncode == 7, result.stderr
    child = read_json(dumped)
    process_output = json.loads(run_tool("--profile dev", dev.env).stdout)
    assert child["AWS_ACCESS_KEY_ID"] == process_output["AccessKeyId"]
    assert child["AWS_SECRET_ACCESS_KEY"] == process_output["SecretAccessKey"]
    assert child["AWS_SESSION_TOKEN"] == process_output["SessionToken"]
    assert child["AWS_CREDENTIAL_EXPIRATION"] == process_output["Expiration"]
    assert child["AWS_REGION"] == child["AWS_DEFAULT_REGION"] == "eu-west-3"
    for removed in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "CREDENTIAL_PROCESS_CHAIN"):
        assert removed not in child
    assert child["CREDENTIAL_PROCESS_EXEC_PROFILE"] == "dev" and child["KEEP_ME"] == "yes"


def test_child_aws_cli_uses_the_role(dev, aws_world, run_tool):
    result = run_tool(["exec", "--profile", "dev", "--", sys.executable, "-m", "awscli", "sts",
                       "get-caller-identity", "--output", "json"], dict(dev.env, AWS_PROFILE="dev"))
    assert result.returncode == 0, result.stderr
    assert f":assumed-role/{aws_world.role_name}/" in json.loads(result.stdout)["Arn"]


def test_child_can_call_back_into_the_profile(home, aws_world, sts_proxy, run_tool):
    """The loop guard is not inherited: the child's own `--profile dev` is a fresh start,
    served from the same cache entry although exec set AWS_REGION for it."""
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world, region="eu-west-3"))
    result = run_tool(["exec", "--profile", "dev", "--", TOOL, "--profile", "dev"], home.env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Version"] == 1
    assert sts_proxy.count("AssumeRole") == 1


def test_nesting_another_profile_is_refused_unless_allowed(dev, run_tool, tmp_path):
    inside_other = dict(dev.env, CREDENTIAL_PROCESS_EXEC_PROFILE="prod")
    result = run_tool(["exec", "--profile", "dev", "--", "true"], inside_other)
    assert result.returncode == 2 and "'prod'" in result.stderr and "--allow-nested" in result.stderr
    assert run_tool(["exec", "--allow-nested", "--profile", "dev", "--", "true"], inside_other).returncode == 0
    inside_same = dict(dev.env, CREDENTIAL_PROCESS_EXEC_PROFILE="dev")
    assert run_tool(["exec", "--profile", "dev", "--", "true"], inside_same).returncode == 0
    # For real: exec inside exec.
    nested = run_tool(["exec", "--profile", "dev", "--", TOOL, "exec", "--profile", "other", "--", "true"],
                      dev.env)
    assert nested.returncode == 2 and "already inside" in nested.stderr


def test_missing_command_and_usage(dev, run_tool):
    assert run_tool(["exec", "--profile", "dev", "--", "no-such-command-here"], dev.env).returncode == 127
    result = run_tool(["exec", "--profile", "dev"], dict(dev.env, SHELL="/bin/false"))
    assert result.returncode == 1, result.stderr  # no command: $SHELL ran (and failed)


def start_exec(args, env):
    return subprocess.Popen([TOOL, "exec", *args], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_file(path, process, timeout=30):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.02)


def test_sigterm_reaches_the_child(dev, tmp_path):
    ready, caught = tmp_path / "ready", tmp_path / "caught"
    script = f"trap 'echo TERM > {caught}; exit 0' TERM; touch {ready}; while :; do sleep 0.05; done"
    process = start_exec(["--profile", "dev", "--", "bash", "-c", script], dev.env)
    wait_for_file(ready, process)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err  # the child's own exit code after its trap
    assert caught.read_text() == "TERM\n"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_child_killed_by_a_forwarded_signal_gives_128_plus_n(dev, tmp_path, signum):
    ready = tmp_path / "ready"
    code = ("import os, signal, sys, time; signal.signal(signal.SIGINT, signal.SIG_DFL); "
            "open(sys.argv[1], 'w').close(); time.sleep(60)")
    process = start_exec(["--profile", "dev", "--", sys.executable, "-c", code, str(ready)], dev.env)
    wait_for_file(ready, process)
    process.send_signal(signum)
    process.communicate(timeout=30)
    assert process.returncode == 128 + signum


# -- exec --server ----------------------------------------------------------------------

BOTO3_CHILD = textwrap.dedent("""\
    import json, os, socket, subprocess, sys, urllib.error, urllib.parse, urllib.request
    import boto3

    url, token = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]

    def status(headers, target=url):
        try:
            with urllib.request.urlopen(urllib.request.Request(target, headers=headers), timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as error:
            return error.code

    def reachable(host):
        try:
            socket.create_connection((host, urllib.parse.urlsplit(url).port), timeout=5).close()
            return True
        except OSError:
            return False

    session = boto3.session.Session()
    sts = session.client("sts")
    first = sts.get_caller_identity()["Arn"]
    first_key = session.get_credentials().get_frozen_credentials().access_key
    # Drop the cached session: the endpoint's next answer must come from a new AssumeRole.
    subprocess.run([sys.argv[1], "cache", "clear", "--profile", "dev"], check=True)
    second = sts.get_caller_identity()["Arn"]
    second_key = session.get_credentials().get_frozen_credentials().access_key
    print(json.dumps({
        "arns": [first, second], "keys": [first_key, second_key],
        "method": session.get_credentials().method,
        "env": sorted(name for name in os.environ if name.startswith("AWS_")),
        "statuses": [status({}), status({"Authorization": "wrong"}), status({"Authorization": token}),
                     status({"Authorization": token}, url.rsplit("/", 1)[0] + "/nope")],
        "reachable": {"127.0.0.1": reachable("127.0.0.1"), "127.0.0.2": reachable("127.0.0.2")},
    }))
""")


def test_server_refreshes_for_a_boto3_child(home, aws_world, sts_proxy, run_tool, tmp_path):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world, extra="credential_process_duration_seconds = 900\n"))
    child = tmp_path / "child.py"
    child.write_text(BOTO3_CHILD)
    # Variables an SDK would prefer to the endpoint: exec --server must remove them.
    env = dict(home.env, AWS_PROFILE="dev", AWS_ACCESS_KEY_ID="AKIAFORGED", AWS_SECRET_ACCESS_KEY="forged",
               AWS_SESSION_TOKEN="forged")
    result = run_tool(["exec", "--server", "--profile", "dev", "--", sys.executable, str(child), TOOL], env,
                      timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert all(f":assumed-role/{aws_world.role_name}/" in arn for arn in report["arns"])
    assert report["method"] == "container-role"
    assert report["keys"][0] != report["keys"][1]  # the SDK refreshed, by itself, from the endpoint
    assert sts_proxy.count("AssumeRole") == 2
    assert all(call["DurationSeconds"] == "900" for call in sts_proxy.calls("AssumeRole"))
    for absent in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        assert absent not in report["env"]
    assert {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN"} <= set(report["env"])
    assert report["statuses"] == [401, 403, 200, 404]
    assert report["reachable"] == {"127.0.0.1": True, "127.0.0.2": False}
    assert "warning" not in result.stderr


def test_server_stops_when_the_child_exits(dev, run_tool):
    code = "import os; print(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'])"
    result = run_tool(["exec", "--server", "--profile", "dev", "--", sys.executable, "-c", code], dev.env)
    assert result.returncode == 0, result.stderr
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(result.stdout.strip(), timeout=5)


def test_server_warns_when_the_default_profile_would_win(dev, aws_world, run_tool):
    dev.write_credentials(aws_world.credentials_ini("base") + "\n" + aws_world.credentials_ini("default"))
    result = run_tool(["exec", "--server", "--profile", "dev", "--", "true"], dev.env)
    assert result.returncode == 0
    assert "warning: [default]" in result.stderr and "aws_access_key_id" in result.stderr
    assert aws_world.secret_access_key not in result.stderr
