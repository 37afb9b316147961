"""Faults survived: STS errors, dead and hanging endpoints, killed processes,
damaged cache entries, an unwritable cache, clock skew, and a crowd of callers.

Everything runs the installed command against moto (IAM auth enforced) behind
the fault-injecting proxy of tests/support/proxy.py.
"""
from __future__ import annotations

import concurrent.futures
import json
import os
import re
import shlex
import signal
import subprocess
import time
from datetime import datetime, timezone

import pytest

from support.aws import client
from support.hostile import entry_files, only_entry, set_remaining, write_role_profiles
from support.moto import free_port
from support.tools import TOOL, read_entry, write_entry

# sts.py: 3 attempts of (connect 3 s + read 9 s) plus backoff is at most 39 s;
# the Go SDK kills a credential_process at 60 s.  Only a hang past this fails.
GO_SDK_KILL_SECONDS = 60


@pytest.fixture
def dev(home, aws_world, sts_proxy):
    write_role_profiles(home, aws_world)
    return home


def _key(result):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["AccessKeyId"]


def _one_line_error(result, code):
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("credential-process: "), result.stderr
    return result.stderr


# -- STS misbehaving ------------------------------------------------------------------------
@pytest.mark.parametrize("status", [503, 400])  # 400 = Throttling
def test_retried_errors_then_success_make_one_entry(dev, sts_proxy, run_tool, status):
    sts_proxy.inject("AssumeRole", status, times=2)
    result = run_tool("--profile dev", dev.env)
    assert _key(result)
    assert sts_proxy.count("AssumeRole") == 3
    assert len(entry_files(dev)) == 1
    assert _key(run_tool("--profile dev", dev.env)) == _key(result)
    assert sts_proxy.count("AssumeRole") == 3


def test_access_denied_is_exit_1_with_the_sts_code(dev, sts_proxy, run_tool):
    sts_proxy.inject("AssumeRole", 403, code="AccessDenied", message="not allowed here")
    stderr = _one_line_error(run_tool("--profile dev", dev.env), 1)
    assert "AccessDenied" in stderr and "not allowed here" in stderr
    assert entry_files(dev) == []


def test_closed_port_fails_naming_the_endpoint(home, aws_world, run_tool):
    write_role_profiles(home, aws_world)
    url = f"http://127.0.0.1:{free_port()}"
    home.point_at(url)
    stderr = _one_line_error(run_tool("--profile dev", home.env, timeout=GO_SDK_KILL_SECONDS), 1)
    assert url in stderr


def test_fresh_entry_is_served_with_sts_gone(dev, sts_proxy, run_tool):
    first = _key(run_tool("--profile dev", dev.env))
    sts_proxy.stop()  # the port is closed now: any network use would fail
    assert _key(run_tool("--profile dev", dev.env)) == first


@pytest.mark.slow
def test_hanging_sts_ends_within_the_budget(dev, sts_proxy, run_tool):
    sts_proxy.hang("AssumeRole", seconds=120)
    try:
        result = run_tool("--profile dev", dev.env, timeout=GO_SDK_KILL_SECONDS)
    finally:
        sts_proxy.clear_faults()
    stderr = _one_line_error(result, 1)
    assert "could not be reached" in stderr and sts_proxy.url in stderr
    assert sts_proxy.count("AssumeRole") == 3  # every attempt was made


# -- processes killed -----------------------------------------------------------------------
def test_lock_holder_killed_mid_call_does_not_block_the_next(home, aws_world, sts_proxy, run_tool):
    # With a 5 s lock timeout, a stale lock would end the second call with exit 1.
    write_role_profiles(home, aws_world, lock_timeout=5)
    sts_proxy.delay("AssumeRole", 60, times=1)
    holder = subprocess.Popen([TOOL, "--profile", "dev"], env=home.env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert sts_proxy.wait_for("AssumeRole", 1, timeout=30), "the holder never reached STS"
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        result = run_tool("--profile dev", home.env, timeout=GO_SDK_KILL_SECONDS)
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.communicate()
        sts_proxy.clear_faults()
    assert _key(result)
    assert sts_proxy.count("AssumeRole") == 2
    assert len(entry_files(home)) == 1


def test_leftover_temp_files_are_ignored_then_cleaned(dev, sts_proxy, run_tool):
    """What a writer killed between write and rename leaves: a partial temp file."""
    first = _key(run_tool("--profile dev", dev.env))
    old = dev.cache_dir / ".tmp-killedwriter"
    young = dev.cache_dir / ".tmp-busywriter"
    for path in (old, young):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b'{"format": 1, "credentials": {"AccessKeyId": "PARTIAL')
        os.close(fd)
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    assert _key(run_tool("--profile dev", dev.env)) == first  # never read as an entry
    assert old.exists()  # a hit writes nothing, cleans nothing
    assert len(entry_files(dev)) == 1

    entry_files(dev)[0].unlink()  # the next call writes, and cleans on the way
    assert _key(run_tool("--profile dev", dev.env)) != first
    assert not old.exists()
    assert young.exists()  # may still be a live writer's: left alone


# -- damaged entries ----------------------------------------------------------------------
def _valid_entry(path):
    entry = read_entry(path)
    assert entry is not None
    return entry


CORRUPTIONS = {
    "truncated": lambda text: text[: len(text) // 2],
    "not JSON": lambda text: "this is not JSON {",
    "JSON list": lambda text: json.dumps([1, 2, 3]),
    "wrong shape": lambda text: json.dumps({"format": 1, "credentials": "nope"}),
    "expiration unparsable": lambda text: re.sub(r"^(cp-entry \S+ )\S+", r"\1tomorrow", text),
    "empty file": lambda text: "",
    "binary": lambda text: "\x00\xff\xfe garbage",
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_corrupt_entry_is_a_miss_and_is_replaced(dev, sts_proxy, run_tool, kind):
    first = _key(run_tool("--profile dev", dev.env))
    path = entry_files(dev)[0]
    damaged = CORRUPTIONS[kind](path.read_text())
    with open(path, "w", errors="surrogateescape") as handle:  # mode 0600 kept
        handle.write(damaged)
    second = run_tool("--profile dev", dev.env)
    assert _key(second) != first
    assert "Traceback" not in second.stderr
    assert sts_proxy.count("AssumeRole") == 2
    assert _valid_entry(path)["credentials"]["AccessKeyId"] == _key(second)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_folder_in_place_of_an_entry_is_a_miss_and_is_replaced(dev, sts_proxy, run_tool):
    _key(run_tool("--profile dev", dev.env))
    path = entry_files(dev)[0]
    path.unlink()
    path.mkdir()
    second = run_tool("--profile dev", dev.env)
    assert _key(second)
    assert path.is_file() and _valid_entry(path)["credentials"]["AccessKeyId"] == _key(second)


# -- an unwritable cache ------------------------------------------------------------------
def _run_in_mount_namespace(prepare, home, args=("--profile", "dev")):
    """Run the tool in a private mount namespace after the shell commands `prepare`
    (CI runs as root, which ignores file modes: only a read-only or full
    file system really refuses a write)."""
    command = f"set -e; {prepare}; exec {shlex.quote(TOOL)} {' '.join(map(shlex.quote, args))}"
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", command],
                          env=home.env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=GO_SDK_KILL_SECONDS)


@pytest.fixture
def can_unshare():
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no private mount namespace here: {probe.stderr.decode().strip()}")


def test_read_only_cache_folder_still_prints_credentials(dev, sts_proxy, run_tool, can_unshare):
    folder = shlex.quote(str(dev.cache_dir))
    os.makedirs(dev.cache_dir, mode=0o700)
    result = _run_in_mount_namespace(
        f"mount --bind {folder} {folder}; mount -o remount,ro,bind {folder}", dev)
    assert _key(result)
    assert "warning" in result.stderr and "Read-only file system" in result.stderr
    assert entry_files(dev) == []
    assert sts_proxy.count("AssumeRole") == 1


def test_full_disk_still_prints_credentials(dev, sts_proxy, run_tool, can_unshare):
    folder = shlex.quote(str(dev.cache_dir))
    os.makedirs(dev.cache_dir, mode=0o700)
    result = _run_in_mount_namespace(
        f"mount -t tmpfs -o size=8k,mode=0700 tmpfs {folder}; "
        f"dd if=/dev/zero of={folder}/filler bs=1k count=64 2>/dev/null || true", dev)
    assert _key(result)
    assert "warning" in result.stderr and "No space left on device" in result.stderr
    assert sts_proxy.count("AssumeRole") == 1


# -- clocks ---------------------------------------------------------------------------------
def _expiration(result):
    text = json.loads(result.stdout)["Expiration"]
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize("offset", [600, -600])
def test_clock_skew_is_judged_by_the_later_clock(dev, sts_proxy, run_tool, offset):
    """STS's clock 10 minutes ahead of or behind ours.  The entry keeps STS's
    Expiration and the measured skew; it is served while the later of the two
    clocks leaves more than the margin (1200 s for a 1-hour session)."""
    sts_proxy.date_offset_seconds = offset
    first = run_tool("--profile dev", dev.env)
    entry = only_entry(dev)
    assert abs(entry["skew"] - offset) < 30
    assert abs(_expiration(first) - (time.time() + offset + 3600)) < 60  # STS's Expiration, unchanged
    assert _key(run_tool("--profile dev", dev.env)) == _key(first)  # a hit, whichever clock is ahead
    assert sts_proxy.count("AssumeRole") == 1

    # 1300 s left by our clock.  STS ahead: 700 s left by its clock, below the
    # margin, so never served; STS behind: our clock is the later one, so served.
    path = entry_files(dev)[0]
    aged = set_remaining(path, 1300)
    aged["skew"] = entry["skew"]
    write_entry(path, aged)
    again = run_tool("--profile dev", dev.env)
    assert again.returncode == 0, again.stderr
    expected_calls = 2 if offset > 0 else 1
    assert sts_proxy.count("AssumeRole") == expected_calls
    assert (_key(again) == _key(first)) == (offset < 0)


def test_expired_entry_is_never_served(dev, sts_proxy, run_tool):
    first = _key(run_tool("--profile dev", dev.env))
    set_remaining(entry_files(dev)[0], -5)
    second = run_tool("--profile dev", dev.env)
    assert _key(second) != first
    assert _expiration(second) > time.time() + 1200


# -- a crowd --------------------------------------------------------------------------------
@pytest.mark.slow
def test_200_callers_over_10_profiles_cold_and_hot(home, aws_world, sts_proxy, run_tool):
    names = [f"p{index}" for index in range(10)]
    roles = [aws_world.make_role(f"{aws_world.role_name}-{index}") for index in range(10)]
    write_role_profiles(home, aws_world, names=names, role_arns=roles)
    hot = names[::2]
    for name in hot:
        _key(run_tool(["--profile", name], home.env))
    sts_proxy.reset_counts()

    order = [names[index % 10] for index in range(200)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=24) as pool:  # 2 cores: bounded
        results = list(pool.map(lambda name: run_tool(["--profile", name], home.env, timeout=120), order))

    failures = [(name, r.returncode, r.stderr) for name, r in zip(order, results) if r.returncode != 0]
    assert failures == []
    by_profile = {}
    for name, result in zip(order, results):
        by_profile.setdefault(name, set()).add(result.stdout)
    assert all(len(outputs) == 1 for outputs in by_profile.values()), "callers of one profile disagree"
    assert sts_proxy.count("AssumeRole") == len(names) - len(hot)  # one per cold entry

    for name, role_arn in zip(names, roles):  # each got its own role's session
        printed = json.loads(by_profile[name].pop())
        sts = client("sts", aws_world.server_url, _creds(printed))
        arn = sts.get_caller_identity()["Arn"]
        assert arn.startswith(role_arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/")


def _creds(printed):
    from support.aws import Creds

    return Creds(printed["AccessKeyId"], printed["SecretAccessKey"], printed["SessionToken"])
