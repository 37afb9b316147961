"""Helper commands (credential_process/helper_command.py) end on time, all of
them: the shell, every stage of its pipeline and every background job it
started, found afterwards by process group and session id (/proc), not by name.

The first tests call helper_command.run in this process (a 2 s limit); the last
runs the installed command with a short time budget and a stuck mfa_process.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from credential_process import budget, helper_command
from credential_process.errors import NeedsPersonError
from support.hostile import group_processes, home_processes, wait_until
from support.tools import TOOL

LIMIT = 2
# SIGTERM, then at most helper_command.GRACE_SECONDS before SIGKILL, plus a loaded machine.
SLACK = 1.0 + 2.5  # helper_command.GRACE_SECONDS
STUCK = [
    "sleep 30",                 # plain
    "sleep 30 | cat",           # a pipeline: the kill once reached /bin/sh only
    "sleep 30 & sleep 30",      # a grandchild holding the pipe
    "trap '' TERM; sleep 30",   # ignores SIGTERM: needs the SIGKILL
]


@pytest.fixture(autouse=True)
def no_budget():
    budget.clear()
    yield
    budget.clear()


def _leader_file(tmp_path):
    return tmp_path / "leader"


def _run_recording_leader(tmp_path, command, limit):
    """Run `command` behind `echo $$ > file`: the shell's pid, the helper's group and session id."""
    leader = _leader_file(tmp_path)
    started = time.monotonic()
    try:
        output = helper_command.run(f"echo $$ > '{leader}'; {command}", "credential_process_test", limit)
    except NeedsPersonError as error:
        output = error
    return output, time.monotonic() - started, int(leader.read_text())


def _kill_left(pids):
    for pid in pids:
        assert pid > 0  # os.kill(0, ...) would be our own process group
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.parametrize("command", STUCK)
def test_stuck_helper_is_stopped_at_its_limit_with_everything_it_started(tmp_path, command):
    outcome, elapsed, leader = _run_recording_leader(tmp_path, command, LIMIT)
    left = wait_until(lambda: not group_processes(leader), timeout=2) or group_processes(leader)
    _kill_left([] if left is True else left)
    assert isinstance(outcome, NeedsPersonError)
    assert f"did not finish within {LIMIT} s and was stopped" in str(outcome)
    assert elapsed < LIMIT + SLACK, f"returned after {elapsed:.1f} s, limit {LIMIT} s"
    assert left is True, f"left behind in the helper's group: {left}"


def test_background_job_of_a_finished_helper_is_ended(tmp_path):
    """The helper answered; what it left running in the background is ended too."""
    job = tmp_path / "job"
    outcome, elapsed, leader = _run_recording_leader(
        tmp_path, f"sleep 30 >/dev/null 2>&1 & echo $! > '{job}'; echo 123456", LIMIT)
    job_pid = int(job.read_text())  # written by the helper's shell before it answered
    gone = wait_until(lambda: _gone(job_pid), timeout=2)
    left = group_processes(leader)
    _kill_left(left + [job_pid])
    assert outcome == "123456"
    assert gone, f"the helper's background job {job_pid} is still running"
    assert left == [], f"left behind in the helper's group: {left}"


def _gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_helper_holding_the_pipe_after_answering_does_not_hold_us(tmp_path):
    """The grandchild keeps stdout open: the answer comes when the shell exits, not at the limit."""
    outcome, elapsed, _ = _run_recording_leader(tmp_path, "sleep 30 & echo 123456", LIMIT)
    assert outcome == "123456"
    assert elapsed < LIMIT


def test_the_call_budget_shortens_the_helper_limit(tmp_path):
    budget.start(LIMIT)
    outcome, elapsed, _ = _run_recording_leader(tmp_path, "sleep 30", 60)
    assert isinstance(outcome, NeedsPersonError)
    assert "time budget" in str(outcome) and budget.VARIABLE in str(outcome)
    assert elapsed < LIMIT + SLACK


@pytest.mark.moto("open")  # moto refuses GetSessionToken credentials while enforcing auth
def test_stuck_mfa_process_ends_the_call_inside_its_budget(home, aws_world, tmp_path):
    """`credential_process_mfa_process = sleep 130 | cat`: the whole call ends at
    its budget (exit 3, one line), and nothing of the helper is left."""
    leader = _leader_file(tmp_path)
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(
        f"[profile mfa]\nregion = us-east-1\ncredential_process_role_arn = {aws_world.role_arn}\n"
        "credential_process_source_profile = base\n"
        "credential_process_mfa_serial = arn:aws:iam::123456789012:mfa/alice\n"
        f"credential_process_mfa_process = echo $$ > '{leader}'; sleep 130 | cat\n")
    env = dict(home.env, **{budget.VARIABLE: "4"})
    started = time.monotonic()
    result = subprocess.run(["setsid", "-w", TOOL, "--profile", "mfa"], env=env, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=140)
    elapsed = time.monotonic() - started
    left = wait_until(lambda: not home_processes(home), timeout=3) or home_processes(home)
    _kill_left([] if left is True else left)
    assert result.returncode == 3, result.stderr
    assert result.stderr.count("\n") == 1 and "mfa_process did not finish within" in result.stderr
    assert elapsed < 4 + SLACK + 2, f"the call took {elapsed:.1f} s with a 4 s budget"
    assert group_processes(int(leader.read_text())) == []
    assert left is True, f"left behind: {left}"
