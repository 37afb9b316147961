"""Security properties: private cache files from creation, a cache folder or
entry that is not ours alone is refused (never followed, never written), and
no secret reaches a child's argv, an error message or --debug output.

Refused means: a one-line warning on stderr, the cache left untouched, and the
credentials still printed (exit 0) from a fresh STS call.  Failing instead
would take every AWS command down for a folder problem, while the only thing
lost is the cache; the warning names the folder and the reason.
"""
from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest

from support.hostile import (cmdline, entry_files, group_processes, home_processes, set_remaining, tool_processes,
                             wait_until, write_role_profiles)
from support.tools import TOOL, read_entry

NOBODY = 65534


@pytest.fixture
def dev(home, aws_world, sts_proxy):
    write_role_profiles(home, aws_world)
    return home


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def _secrets(world, *outputs):
    """Every secret in play: the base secret key and each printed secret/token."""
    found = {world.secret_access_key}
    for output in outputs:
        if output:
            document = json.loads(output)
            found |= {document["SecretAccessKey"], document["SessionToken"]}
    return found


def test_files_are_private_from_creation_even_with_umask_0(dev, run_tool):
    result = subprocess.run(["sh", "-c", f"umask 000; exec {TOOL} --profile dev"], env=dev.env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert _mode(dev.cache_dir) == 0o700
    names = os.listdir(dev.cache_dir)
    assert any(name.endswith(".json") for name in names) and any(name.endswith(".lock") for name in names)
    for name in names:
        assert _mode(dev.cache_dir / name) == 0o600, name


def _refused(result, sts_proxy, reason):
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["AccessKeyId"]
    assert "warning" in result.stderr and reason in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert sts_proxy.count("AssumeRole") == 1


def test_folder_of_another_user_is_refused(dev, sts_proxy, run_tool):
    os.makedirs(dev.cache_dir, mode=0o700)
    os.chown(dev.cache_dir, NOBODY, NOBODY)
    _refused(run_tool("--profile dev", dev.env), sts_proxy, "belongs to another user")
    assert os.listdir(dev.cache_dir) == []


def test_world_writable_folder_is_refused(dev, sts_proxy, run_tool):
    os.makedirs(dev.cache_dir)
    os.chmod(dev.cache_dir, 0o777)
    _refused(run_tool("--profile dev", dev.env), sts_proxy, "writable by other users")
    assert os.listdir(dev.cache_dir) == []
    assert _mode(dev.cache_dir) == 0o777  # not "fixed" behind the owner's back either


def test_symlinked_folder_is_refused_and_not_followed(dev, sts_proxy, run_tool, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    dev.cache_dir.parent.mkdir(parents=True)
    dev.cache_dir.symlink_to(elsewhere)
    _refused(run_tool("--profile dev", dev.env), sts_proxy, "symbolic link")
    assert os.listdir(elsewhere) == []


def test_symlinked_entry_is_not_read_and_is_replaced(dev, sts_proxy, run_tool, tmp_path):
    first = run_tool("--profile dev", dev.env)
    path = entry_files(dev)[0]
    planted = tmp_path / "planted.json"
    original = path.read_text()
    planted.write_text(original)  # a sound, fresh entry: only the link is wrong
    planted.chmod(0o600)
    path.unlink()
    path.symlink_to(planted)
    second = run_tool("--profile dev", dev.env)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["AccessKeyId"] != json.loads(first.stdout)["AccessKeyId"]
    assert sts_proxy.count("AssumeRole") == 2
    assert not path.is_symlink() and _mode(path) == 0o600
    assert planted.read_text() == original  # the link was replaced, its target never written


@pytest.mark.parametrize("change", ["other owner", "group readable"])
def test_entry_not_private_is_ignored_and_replaced(dev, sts_proxy, run_tool, change):
    run_tool("--profile dev", dev.env)
    path = entry_files(dev)[0]
    if change == "other owner":
        os.chown(path, NOBODY, NOBODY)
    else:
        os.chmod(path, 0o640)
    second = run_tool("--profile dev", dev.env)
    assert second.returncode == 0, second.stderr
    assert "not private" in second.stderr
    assert sts_proxy.count("AssumeRole") == 2
    assert os.lstat(path).st_uid == os.geteuid() and _mode(path) == 0o600


MFA_CODE = "654321"


def test_refresher_argv_holds_no_secret(dev, aws_world, sts_proxy, run_tool):
    """The one child the tool starts itself: its command line (world-readable in
    /proc) carries the profile and flags, never a key, secret, token or the MFA
    code the caller was given (good once, and already used)."""
    flags = f"--profile dev --role-session-name argv-check --mfa-code {MFA_CODE}"
    first = run_tool(flags, dev.env)
    assert first.returncode == 0, first.stderr
    sts_proxy.hang("AssumeRole", seconds=60)
    try:
        set_remaining(entry_files(dev)[0], 1500)
        served = run_tool(flags, dev.env)
        assert served.returncode == 0, served.stderr
        refreshers = wait_until(lambda: tool_processes(dev, refreshers_only=True), timeout=20)
        assert refreshers, "no refresher started"
        argv = " ".join(cmdline(refreshers[0]))
        assert "--profile=dev" in argv and "--role-session-name=argv-check" in argv
        assert "--mfa-code" not in argv and MFA_CODE not in argv, argv
        for secret in _secrets(aws_world, first.stdout, served.stdout):
            assert secret not in argv
    finally:
        for pid in tool_processes(dev, refreshers_only=True):
            os.kill(pid, 9)
        sts_proxy.clear_faults()


@pytest.mark.parametrize("debug", [False, True])
def test_errors_and_debug_output_hold_no_secret(dev, aws_world, sts_proxy, run_tool, debug):
    """STS echoes the request's secrets back in its error (the worst case)."""
    fresh = aws_world.assume_role()
    leaky = f"denied for {aws_world.secret_access_key} and {fresh.session_token} {fresh.secret_access_key}"
    sts_proxy.inject("AssumeRole", 403, code="AccessDenied", message=leaky)
    result = run_tool(["--profile", "dev"] + (["--debug"] if debug else []), dev.env)
    assert result.returncode == 1
    assert "AccessDenied" in result.stderr
    if debug:
        assert "Traceback" in result.stderr  # --debug explains in full...
    for secret in (aws_world.secret_access_key, fresh.session_token, fresh.secret_access_key):
        assert secret not in result.stderr  # ...with secrets redacted
    assert result.stdout == ""


def test_success_writes_stdout_only(dev, run_tool):
    for _ in range(2):  # cold, then hit
        result = run_tool("--profile dev", dev.env)
        assert result.returncode == 0 and result.stderr == ""
        assert list(json.loads(result.stdout))[0] == "Version"


@pytest.mark.moto("open")  # moto refuses GetSessionToken credentials while enforcing auth
def test_no_process_left_behind(home, aws_world, run_tool, tmp_path):
    """Neither the tool, nor its background refresher, nor anything a helper
    command started (here a background job of the mfa_process, in the
    foreground call and again in the refresher) outlives the call: found by
    environment (HOME) and by the helper's process group and session, not by name."""
    leaders = tmp_path / "helper-leaders"
    write_role_profiles(home, aws_world, mfa_serial="arn:aws:iam::123456789012:mfa/alice",
                        mfa_process=f"echo $$ >> '{leaders}'; sleep 300 >/dev/null 2>&1 & echo 123456")
    assert run_tool("--profile dev", home.env).returncode == 0
    entries = {read_entry(path)["profile"]: path for path in entry_files(home)}
    entries.pop(next(name for name in entries if name.startswith("MFA session"))).unlink()
    set_remaining(entries["dev"], 1500)  # served, and renewed in the background: the helper runs again
    assert run_tool("--profile dev", home.env).returncode == 0
    assert wait_until(lambda: len(leaders.read_text().split()) == 2, timeout=30), "the refresher ran no helper"
    assert wait_until(lambda: not tool_processes(home), timeout=60)
    left = wait_until(lambda: not home_processes(home), timeout=5) or home_processes(home)
    in_groups = [pid for leader in leaders.read_text().split() for pid in group_processes(int(leader))]
    for pid in ([] if left is True else left) + in_groups:
        os.kill(pid, 9)
    assert left is True, f"left behind: {[' '.join(cmdline(pid)) for pid in left]}"
    assert in_groups == []
