"""Background refresh: an entry served near its refresh margin is renewed by
one detached process; callers never wait for it, and nothing is left behind.

With the defaults (1-hour session, 20-minute margin) an entry is renewed in the
background once fewer than 20 + 10 minutes remain; below 20 minutes it is no
longer served at all.
"""
from __future__ import annotations

import concurrent.futures
import json
import os

import filelock
import pytest

from support.tools import read_entry
from support.hostile import (entry_files, only_entry, set_remaining, tool_processes, wait_until,
                             write_role_profiles)

DUE = 1500        # seconds left: still served (> 1200), renewal due (< 1800)
NOT_DUE = 2400    # seconds left: served, not yet due


@pytest.fixture
def warm(home, aws_world, sts_proxy, run_tool):
    """A profile with one cached entry; the proxy's counters reset afterwards."""
    write_role_profiles(home, aws_world)
    first = run_tool("--profile dev", home.env)
    assert first.returncode == 0, first.stderr
    sts_proxy.reset_counts()
    return json.loads(first.stdout)


def _no_refresher_left(home):
    return wait_until(lambda: not tool_processes(home), timeout=60)


def test_due_entry_is_served_and_renewed_once(home, sts_proxy, run_tool, warm):
    set_remaining(entry_files(home)[0], DUE)
    served = run_tool("--profile dev", home.env)
    assert served.returncode == 0, served.stderr
    assert json.loads(served.stdout)["AccessKeyId"] == warm["AccessKeyId"]  # the cached one, at once

    assert sts_proxy.wait_for("AssumeRole", 1, timeout=30), "no background refresh reached STS"
    assert _no_refresher_left(home)
    renewed = only_entry(home)
    assert renewed["credentials"]["AccessKeyId"] != warm["AccessKeyId"]

    again = run_tool("--profile dev", home.env)
    assert json.loads(again.stdout)["AccessKeyId"] == renewed["credentials"]["AccessKeyId"]
    assert _no_refresher_left(home)
    assert sts_proxy.count("AssumeRole") == 1


def test_caller_does_not_wait_for_a_hanging_refresh(home, sts_proxy, run_tool, warm):
    """STS hangs for the refresher; the caller (whose stdout is a pipe the
    refresher must not hold) still returns with the cached credentials."""
    sts_proxy.hang("AssumeRole", seconds=120)
    set_remaining(entry_files(home)[0], DUE)
    try:
        served = run_tool("--profile dev", home.env, timeout=30)  # a hang here is the failure
        assert served.returncode == 0, served.stderr
        assert json.loads(served.stdout)["AccessKeyId"] == warm["AccessKeyId"]
        assert sts_proxy.wait_for("AssumeRole", 1, timeout=30)
        assert tool_processes(home, refreshers_only=True), "the refresher should still be waiting on STS"
    finally:
        for pid in tool_processes(home, refreshers_only=True):
            _kill(pid)
        sts_proxy.clear_faults()
    assert _no_refresher_left(home)


def test_many_callers_one_refresh(home, sts_proxy, run_tool, warm):
    set_remaining(entry_files(home)[0], DUE)
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: run_tool("--profile dev", home.env, timeout=60), range(24)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results if r.returncode]
    assert sts_proxy.wait_for("AssumeRole", 1, timeout=30)
    assert _no_refresher_left(home)
    assert sts_proxy.count("AssumeRole") == 1
    renewed = only_entry(home)["credentials"]["AccessKeyId"]
    assert renewed != warm["AccessKeyId"]
    # Callers that came after the renewal got the new session; none got anything else.
    assert {json.loads(r.stdout)["AccessKeyId"] for r in results} <= {warm["AccessKeyId"], renewed}


def test_refresher_skips_when_another_process_holds_the_lock(home, sts_proxy, run_tool, warm):
    path = entry_files(home)[0]
    set_remaining(path, DUE)
    with filelock.FileLock(str(path.with_suffix(".lock")), timeout=5):
        served = run_tool("--profile dev", home.env)
        assert served.returncode == 0, served.stderr
        assert wait_until(lambda: (path.with_suffix(".refresh")).exists(), timeout=10)
        assert _no_refresher_left(home)  # it gave up at once instead of waiting for the lock
    assert sts_proxy.count("AssumeRole") == 0


@pytest.mark.parametrize("remaining, setting", [(NOT_DUE, "true"), (DUE, "false")])
def test_no_refresh_when_not_due_or_turned_off(home, aws_world, sts_proxy, run_tool, remaining, setting):
    write_role_profiles(home, aws_world, background_refresh=setting)
    assert run_tool("--profile dev", home.env).returncode == 0
    path = entry_files(home)[0]
    set_remaining(path, remaining)
    sts_proxy.reset_counts()
    served = run_tool("--profile dev", home.env)
    assert served.returncode == 0, served.stderr
    # The marker is written before a refresher is started: its absence is proof none was.
    assert not path.with_suffix(".refresh").exists()
    assert not tool_processes(home)
    assert sts_proxy.count("AssumeRole") == 0


def test_fresh_short_session_is_not_renewed_at_once(home, aws_world, sts_proxy, run_tool):
    """A 15-minute session: margin 300 s + early 300 s < 900 s, so no refresh right away."""
    write_role_profiles(home, aws_world, duration_seconds=900)
    assert run_tool("--profile dev", home.env).returncode == 0
    assert run_tool("--profile dev", home.env).returncode == 0
    assert not entry_files(home)[0].with_suffix(".refresh").exists()
    assert sts_proxy.count("AssumeRole") == 1


def _kill(pid):
    import os
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# -- flows that may need a person ---------------------------------------------------------
MFA_SERIAL = "arn:aws:iam::123456789012:mfa/alice"


@pytest.mark.moto("open")  # moto rejects GetSessionToken credentials while enforcing auth
@pytest.mark.parametrize("code_source, renewals", [("dialog", 0), ("mfa_process", 1)])
def test_mfa_refresh_asks_nobody_unless_the_code_is_at_hand(home, aws_world, sts_proxy, run_tool, tmp_path,
                                                           code_source, renewals):
    """The MFA session has expired: renewing needs a code.  A stand-in zenity
    (with a display) would answer a dialog: the refresher must never open it;
    with an mfa_process the code is at hand and the renewal happens."""
    keys = {"mfa_serial": MFA_SERIAL}
    if code_source == "mfa_process":
        keys["mfa_process"] = "echo 123456"
    write_role_profiles(home, aws_world, names=("mfa",), **keys)
    bin_dir, asked = tmp_path / "bin", tmp_path / "asked"
    bin_dir.mkdir()
    (bin_dir / "zenity").write_text(f"#!/bin/sh\ntouch '{asked}'\necho 424242\n")
    (bin_dir / "zenity").chmod(0o755)
    env = dict(home.env, DISPLAY=":99", PATH=f"{bin_dir}:{os.environ['PATH']}")

    first = run_tool("--profile mfa --mfa-code 123456", env)
    assert first.returncode == 0, first.stderr
    entries = {read_entry(path)["profile"]: path for path in entry_files(home)}
    entries.pop(next(name for name in entries if name.startswith("MFA session"))).unlink()
    set_remaining(entries["mfa"], DUE)
    sts_proxy.reset_counts()

    served = run_tool("--profile mfa", env)
    assert served.returncode == 0, served.stderr
    assert wait_until(lambda: entries["mfa"].with_suffix(".refresh").exists(), timeout=10)
    assert _no_refresher_left(home)
    assert not asked.exists(), "a background refresh opened an MFA dialog"
    assert sts_proxy.count("AssumeRole") == renewals
    assert sts_proxy.count("GetSessionToken") == renewals
