"""Helpers for the hostile-world tests (faults, security, background refresh):
profiles, cache-entry surgery, and finding the tool's own processes.

    write_role_profiles(home, world, names=("dev",), **keys)  # [profile NAME] + [base] keys
    entry_files(home)                  # the cache's *.json entries (no temp files)
    only_entry(home)                   # the one entry file, parsed
    set_remaining(path, seconds)       # make an entry (credentials or EKS token) expire `seconds` from now
    tool_processes(home)               # pids of credential-process processes using this HOME
    home_processes(home)               # pids of every live process using this HOME (helpers' children too)
    group_processes(leader)            # pids of live processes in the group or session `leader` leads
    wait_until(predicate, timeout)     # poll; returns the last value
"""
from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

from .tools import TOOL, HomeDir, read_entry, write_entry

REFRESH_VARIABLE = "CREDENTIAL_PROCESS_REFRESHING"


def write_role_profiles(home: HomeDir, world, names=("dev",), role_arns=None, **keys) -> None:
    """One `[profile NAME]` per name served by the tool (AssumeRole of the world's role,
    or role_arns[i]) from `[base]`, whose keys are the world's user in the credentials file."""
    role_arns = role_arns or [world.role_arn] * len(names)
    sections = []
    for name, role_arn in zip(names, role_arns):
        extra = "".join(f"credential_process_{key} = {value}\n" for key, value in keys.items())
        sections.append(
            f"[profile {name}]\nregion = us-east-1\n"
            f"credential_process = {TOOL} --profile {name}\n"
            f"credential_process_role_arn = {role_arn}\n"
            f"credential_process_source_profile = base\n{extra}"
        )
    home.write_config("\n".join(sections))
    home.write_credentials(world.credentials_ini("base"))


def entry_files(home: HomeDir) -> list[Path]:
    folder = Path(home.cache_dir)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))


def only_entry(home: HomeDir) -> dict:
    files = entry_files(home)
    assert len(files) == 1, f"expected one cache entry, found {[p.name for p in files]}"
    return read_entry(files[0])


def set_remaining(path: Path, seconds: float) -> dict:
    """Rewrite an entry in place (its mode kept) so it expires `seconds` from now."""
    entry = read_entry(path)
    entry["expires_at"] = time.time() + seconds
    entry["skew"] = 0
    stamp = datetime.fromtimestamp(entry["expires_at"], timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if "token" in entry:  # an EKS token entry (kind "eks-token")
        entry["token"]["expirationTimestamp"] = stamp
    else:
        entry["credentials"]["Expiration"] = stamp
    write_entry(path, entry)
    return entry


def _environ(pid: int) -> dict:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def _cmdline(pid: int) -> list[str]:
    try:
        return [a.decode(errors="replace") for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
    except OSError:
        return []


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True  # gone


def tool_processes(home: HomeDir, refreshers_only: bool = False) -> list[int]:
    """Live (non-zombie) processes whose environment has this HOME and whose
    command line runs credential-process (console script or -m)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        pid = int(name)
        env = _environ(pid)
        if env.get("HOME") != str(home.path) or _is_zombie(pid):
            continue
        cmd = " ".join(_cmdline(pid))
        if "credential_process" not in cmd and "credential-process" not in cmd:
            continue
        if refreshers_only and REFRESH_VARIABLE not in env:
            continue
        found.append(pid)
    return found


def _group_and_session(pid: int) -> tuple[int, int] | None:
    """(process group id, session id) of a live, non-zombie process; None otherwise."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] == "Z":
        return None
    return int(fields[2]), int(fields[3])


def group_processes(leader: int) -> list[int]:
    """Live processes whose process group or session is `leader`'s (by id, via
    /proc, whatever their names): what a helper started and left behind."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            ids = _group_and_session(int(name))
            if ids is not None and leader in ids:
                found.append(int(name))
    return found


def home_processes(home: HomeDir) -> list[int]:
    """Live processes whose environment has this HOME: the tool, its refreshers,
    and every helper and helper's child they started (they inherit HOME)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        pid = int(name)
        if _environ(pid).get("HOME") == str(home.path) and not _is_zombie(pid):
            found.append(pid)
    return found


def cmdline(pid: int) -> list[str]:
    return _cmdline(pid)


def wait_until(predicate, timeout: float = 30, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
