"""credential_process_method = process: another tool's credential_process
(credential_process_command) run through the helper runner, its answer
checked, cached under our lock, and usable as the base of a role."""

import json
import os
import stat
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from support.terminal import answer_on_terminal
from support.tools import TOOL

KEY_ID = "ASIAPROCESSEXAMPLE01"
SECRET = "process/secret/" + "s" * 30
TOKEN = "process-session-token-" + "t" * 40


def _iso(seconds_ahead):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds_ahead))


class Command:
    """A shell script that counts its runs, may sleep, prints ``answer`` on
    stdout and ``stderr`` on stderr and exits with ``status``."""

    def __init__(self, folder):
        self.folder = folder
        self.path = folder / "idp-cli"
        self.runs_file = folder / "runs"
        self.answer_file = folder / "answer"
        self.env_file = folder / "env"
        self.set()

    def set(self, answer=None, stderr="", status=0, sleep=0):
        if answer is None:
            answer = {"Version": 1, "AccessKeyId": KEY_ID, "SecretAccessKey": SECRET,
                      "SessionToken": TOKEN, "Expiration": _iso(3600)}
        data = answer if isinstance(answer, (str, bytes)) else json.dumps(answer)
        self.answer_file.write_bytes(data.encode() if isinstance(data, str) else data)
        (self.folder / "stderr").write_text(stderr)
        self.path.write_text(
            "#!/bin/sh\n"
            f"echo run >> '{self.runs_file}'\n"
            f"env > '{self.env_file}'\n"
            f"sleep {sleep}\n"
            f"cat '{self.folder / 'stderr'}' >&2\n"
            f"cat '{self.answer_file}'\n"
            f"exit {status}\n"
        )
        self.path.chmod(self.path.stat().st_mode | stat.S_IXUSR)
        return self

    @property
    def runs(self):
        return len(self.runs_file.read_text().splitlines()) if self.runs_file.exists() else 0


@pytest.fixture
def idp(home, tmp_path):
    command = Command(tmp_path)
    home.write_config(f"""
        [profile idp]
        region = us-east-1
        credential_process = {TOOL} --profile idp
        credential_process_command = {command.path} --credential-process
        """)
    return command


def cached_files(home):
    return [path for path in home.cache_dir.glob("*.json")] if home.cache_dir.exists() else []


def test_answer_is_served_and_cached(home, idp, run_tool):
    first = run_tool("--profile idp", home.env)
    assert first.returncode == 0, first.stderr
    document = json.loads(first.stdout)
    assert document["Version"] == 1 and document["AccessKeyId"] == KEY_ID
    assert document["SecretAccessKey"] == SECRET and document["SessionToken"] == TOKEN
    second = run_tool("--profile idp", home.env)
    assert json.loads(second.stdout) == document
    assert idp.runs == 1


def test_twenty_parallel_callers_run_the_command_once(home, idp, run_tool):
    idp.set(sleep=1)
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: run_tool("--profile idp", home.env, timeout=120), range(20)))
    assert all(result.returncode == 0 for result in results), [r.stderr for r in results if r.returncode]
    assert {json.loads(result.stdout)["AccessKeyId"] for result in results} == {KEY_ID}
    assert idp.runs == 1


def test_answer_without_expiration_is_served_never_cached(home, idp, run_tool):
    idp.set(answer={"Version": 1, "AccessKeyId": KEY_ID, "SecretAccessKey": SECRET})
    for _ in range(2):
        result = run_tool("--profile idp", home.env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {"Version": 1, "AccessKeyId": KEY_ID, "SecretAccessKey": SECRET}
    assert idp.runs == 2
    assert cached_files(home) == []


def test_an_answer_near_its_end_is_asked_again(home, idp, run_tool):
    idp.set(answer={"Version": 1, "AccessKeyId": KEY_ID, "SecretAccessKey": SECRET,
                    "SessionToken": TOKEN, "Expiration": _iso(1000)})
    for _ in range(2):
        assert run_tool("--profile idp", home.env).returncode == 0
    # A third of 1000 s is the margin: still fresh, served from the cache.
    assert idp.runs == 1


BAD_ANSWERS = {
    "garbage": "Password: ****\nlogged in\n",
    "nothing": "",
    "huge": "x" * (2 * 1024 * 1024),
    "json-list": "[1, 2]",
    "version-2": json.dumps({"Version": 2, "AccessKeyId": KEY_ID, "SecretAccessKey": SECRET}),
    "empty-secret": json.dumps({"Version": 1, "AccessKeyId": KEY_ID, "SecretAccessKey": ""}),
    "no-zone": json.dumps({"Version": 1, "AccessKeyId": KEY_ID, "SecretAccessKey": SECRET,
                           "Expiration": "2099-01-01T00:00:00"}),
    "expired": json.dumps({"Version": 1, "AccessKeyId": KEY_ID, "SecretAccessKey": SECRET,
                           "Expiration": "2001-01-01T00:00:00Z"}),
}


@pytest.mark.parametrize("name", sorted(BAD_ANSWERS))
def test_output_that_is_not_credentials_is_exit_1(home, idp, run_tool, name):
    idp.set(answer=BAD_ANSWERS[name], stderr="opening the browser\nsaml2aws: signed in as alice\n")
    result = run_tool("--profile idp", home.env)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("credential-process: credential_process_command"), lines
    assert "'saml2aws: signed in as alice'" in lines[0]
    assert SECRET not in result.stderr
    assert cached_files(home) == []


def test_non_zero_exit_quotes_the_last_line_of_stderr(home, idp, run_tool):
    idp.set(stderr="Opening https://idp.example.com\nError: MFA push was denied\n\n", status=7)
    result = run_tool("--profile idp", home.env)  # no terminal: stderr is captured
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert "exit status 7" in lines[0] and "'Error: MFA push was denied'" in lines[0]
    assert "Traceback" not in result.stderr and cached_files(home) == []


def test_a_secret_in_the_last_line_of_stderr_is_masked(home, idp, run_tool):
    idp.set(stderr=f"debug: got {SECRET}\n", status=1)
    result = run_tool("--profile idp", home.env)
    assert result.returncode == 1 and "<redacted>" in result.stderr and SECRET not in result.stderr


def test_secrets_are_stripped_from_the_command_environment(home, idp, run_tool):
    env = dict(home.env, AWS_ACCESS_KEY_ID="AKIAOUTERKEY00000000", AWS_SECRET_ACCESS_KEY="outer-secret")
    assert run_tool("--profile idp", env).returncode == 0
    seen = idp.env_file.read_text()
    assert "AKIAOUTERKEY00000000" not in seen and "outer-secret" not in seen


def test_method_is_inferred_and_contradictions_refused(home, idp, run_tool):
    home.write_config(f"""
        [profile idp]
        credential_process_command = {idp.path}
        credential_process_role_arn = arn:aws:iam::123456789012:role/x
        """)
    result = run_tool("--profile idp", home.env)
    assert result.returncode == 2
    assert "credential_process_role_arn" in result.stderr and "process" in result.stderr


def test_only_a_non_interactive_command_is_refreshed_in_the_background(home, idp, monkeypatch):
    from credential_process import flows, options

    monkeypatch.setenv("AWS_CONFIG_FILE", str(home.config))
    assert flows.can_refresh_unattended(options.load("idp")) is False
    home.write_config(f"""
        [profile idp]
        credential_process_command = {idp.path}
        credential_process_command_interactive = false
        """)
    assert options.load("idp").flow == "process"
    assert flows.can_refresh_unattended(options.load("idp")) is True


def test_process_profile_is_the_base_of_a_role(home, aws_world, sts_proxy, tmp_path, run_tool):
    """An IdP's CLI gives an IAM user's keys; a role profile assumes a role with them."""
    command = Command(tmp_path).set(answer={
        "Version": 1, "AccessKeyId": aws_world.access_key_id,
        "SecretAccessKey": aws_world.secret_access_key, "Expiration": _iso(7200)})
    home.write_config(f"""
        [profile idp]
        region = us-east-1
        credential_process_command = {command.path}

        [profile dev]
        region = us-east-1
        credential_process = {TOOL} --profile dev
        credential_process_role_arn = {aws_world.role_arn}
        credential_process_source_profile = idp
        """)
    for _ in range(2):
        result = run_tool("--profile dev", home.env)
        assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["AccessKeyId"] != aws_world.access_key_id
    assert sts_proxy.count("AssumeRole") == 1 and command.runs == 1
    # The role's credentials pass the enforcing server.
    from support.aws import Creds, client

    document = json.loads(result.stdout)
    creds = Creds(document["AccessKeyId"], document["SecretAccessKey"], document["SessionToken"])
    assert ":assumed-role/" in client("sts", aws_world.server_url, creds).get_caller_identity()["Arn"]
    assert os.path.exists(command.runs_file)


def test_on_a_terminal_the_command_talks_to_the_person(home, idp):
    """stdin is the terminal and stderr is copied to it as it comes (a prompt
    without a newline included), while its last line is still kept for errors."""
    idp.path.write_text(
        "#!/bin/sh\n"
        "printf 'Password: ' >&2\n"
        "read answer\n"
        f"[ \"$answer\" = hunter2 ] || {{ echo 'wrong password' >&2; exit 4; }}\n"
        f"cat '{idp.answer_file}'\n")
    status, seen = answer_on_terminal([TOOL, "--profile", "idp"], home.env, b"Password: ", b"hunter2")
    assert status == 0, seen
    assert b"Password: " in seen and KEY_ID.encode() in seen


@pytest.mark.parametrize("interactive", ["true", "false"])
def test_background_refresh_runs_only_a_non_interactive_command(home, idp, run_tool, interactive):
    from support.hostile import entry_files, set_remaining, tool_processes, wait_until

    home.write_config(f"""
        [profile idp]
        credential_process = {TOOL} --profile idp
        credential_process_command = {idp.path}
        credential_process_command_interactive = {interactive}
        """)
    assert run_tool("--profile idp", home.env).returncode == 0
    set_remaining(entry_files(home)[0], 1500)  # still served (> 1200 s), renewal due (< 1800 s)
    served = run_tool("--profile idp", home.env)
    assert served.returncode == 0 and json.loads(served.stdout)["AccessKeyId"] == KEY_ID
    assert wait_until(lambda: not tool_processes(home), timeout=60)
    assert idp.runs == (2 if interactive == "false" else 1)
