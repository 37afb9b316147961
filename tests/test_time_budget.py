"""The default command's time budget (credential_process/budget.py): an STS
answer dripping one byte a second, which no per-read timeout stops, ends the
call at its budget with exit 1 and one line; a second caller waiting for the
lock ends within its own budget too.  CREDENTIAL_PROCESS_TIME_BUDGET shortens
the budget so that the tests take seconds, not the default 50.
"""
from __future__ import annotations

import subprocess
import time

from credential_process import budget, sts
from support.drip import DripServer
from support.hostile import write_role_profiles
from support.tools import TOOL

BUDGET = 6
# Interpreter start, botocore import, the exit: what the budget does not cover.
SLACK = 4
GO_SDK_KILL_SECONDS = 60


def test_default_figures_fit_under_the_go_sdk_kill():
    assert sts.CALL_SECONDS == 39
    assert budget.CALL_SECONDS + 5 <= GO_SDK_KILL_SECONDS


def _start(env):
    return time.monotonic(), subprocess.Popen([TOOL, "--profile", "dev"], env=env, stdin=subprocess.DEVNULL,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(started_and_process, timeout=60):
    started, process = started_and_process
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    return process.returncode, stdout, stderr, time.monotonic() - started


def test_dripping_sts_ends_the_call_at_its_budget(home, aws_world):
    write_role_profiles(home, aws_world)
    with DripServer(interval=1.0, lasts=40) as drip:
        home.point_at(drip.url)
        env = dict(home.env, **{budget.VARIABLE: str(BUDGET)})
        code, stdout, stderr, elapsed = _finish(_start(env))
    assert elapsed < BUDGET + SLACK, f"the call took {elapsed:.1f} s with a {BUDGET} s budget"
    assert code == 1, stderr
    assert stdout == "" and stderr.count("\n") == 1 and stderr.startswith("credential-process: ")
    assert drip.url in stderr and "no complete answer" in stderr


def test_lock_waiter_behind_a_dripping_call_ends_within_its_own_budget(home, aws_world):
    """The first caller holds the entry's lock while STS drips; the second waits
    for it (lock timeout 55 s), then meets the same drip: each ends within its budget."""
    write_role_profiles(home, aws_world)
    with DripServer(interval=1.0, lasts=40) as drip:
        home.point_at(drip.url)
        env = dict(home.env, **{budget.VARIABLE: str(BUDGET)})
        first = _start(env)
        assert drip.wait_for_requests(1, timeout=20), "the first caller never reached STS"
        second = _start(env)
        results = [_finish(first), _finish(second)]
    for code, stdout, stderr, elapsed in results:
        assert elapsed < BUDGET + SLACK, f"a caller took {elapsed:.1f} s with a {BUDGET} s budget: {stderr}"
        assert code == 1 and stdout == "" and stderr.count("\n") == 1, stderr
