"""The cache-hit path stays lean: it imports no botocore, keyring or filelock
(nor argparse, for the plain `--profile NAME` call SDKs make), and prints the
JSON document only. Speed itself is measured in benchmarks/, not here."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

from support.hostile import entry_files, set_remaining, wait_until, tool_processes, write_role_profiles
from support.tools import TOOL

HEAVY = ("botocore", "boto3", "keyring", "filelock", "urllib3", "yaml")


def _imported_modules(args, env):
    """Run the console script under -X importtime; (completed process, set of module names)."""
    done = subprocess.run([sys.executable, "-X", "importtime", TOOL, *args], env=env, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    names = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", done.stderr, re.M))
    return done, names


def _heavy(names):
    return sorted(name for name in names if name.split(".")[0] in HEAVY)


@pytest.fixture
def warm_home(home, aws_world, run_tool):
    write_role_profiles(home, aws_world)
    first = run_tool("--profile dev", home.env)
    assert first.returncode == 0, first.stderr
    return home


def test_hit_imports_no_heavy_module_and_prints_json_only(warm_home):
    done, names = _imported_modules(["--profile", "dev"], warm_home.env)
    assert done.returncode == 0, done.stderr[-2000:]
    document = json.loads(done.stdout)  # the whole of stdout is one JSON document
    assert done.stdout == json.dumps(document) + "\n"
    assert "credential_process.cache.files" in names  # the measurement works
    assert _heavy(names) == []
    assert "argparse" not in names and "tempfile" not in names


EKS_TOKEN = ["eks", "token", "--cluster-name", "demo", "--profile", "dev"]


def test_eks_token_hit_imports_stdlib_only_and_prints_the_exec_credential(warm_home, run_tool):
    """kubectl runs `eks token` before every command: its hit is served like the plain call."""
    # The shortcut records no call whose files changed in the last 2 s (cache/shortcut.py).
    newest = max(path.stat().st_ctime for path in (warm_home.config, warm_home.credentials))
    time.sleep(max(0.0, newest + 2.1 - time.time()))
    first = run_tool(EKS_TOKEN, warm_home.env)
    assert first.returncode == 0, first.stderr
    done, names = _imported_modules(EKS_TOKEN, warm_home.env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == first.stdout  # the same ExecCredential, byte for byte
    assert json.loads(done.stdout)["kind"] == "ExecCredential"
    assert "credential_process.cache.files" in names  # the measurement works
    assert _heavy(names) == []
    for module in ("argparse", "json", "tempfile", "configparser", "hashlib", "credential_process.options",
                   "credential_process.eks", "credential_process.resolver"):
        assert module not in names, module


def test_miss_does_import_botocore(home, aws_world):
    """The counterpart, so the check above cannot pass by never seeing an import."""
    write_role_profiles(home, aws_world)
    done, names = _imported_modules(["--profile", "dev"], home.env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "botocore" in names and "filelock" in names


def test_hit_that_starts_a_background_refresh_stays_lean(warm_home, sts_proxy):
    set_remaining(entry_files(warm_home)[0], 1500)
    done, names = _imported_modules(["--profile", "dev"], warm_home.env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "subprocess" in names  # it did start the refresher
    assert _heavy(names) == []
    assert wait_until(lambda: not tool_processes(warm_home), timeout=60)


@pytest.mark.parametrize("argv", [[], ["--profile", "dev"], ["--profile", "a.b-c"]])
def test_plain_arguments_match_argparse(argv):
    """The argparse-free fast path gives exactly the namespace argparse would."""
    from credential_process import cli, commands

    fast = cli.plain_arguments(argv)
    parser, _ = commands.build_parser(commands.DEFAULT_COMMAND)
    assert fast is not None
    parsed = vars(parser.parse_args(argv))
    flags = {name: value for name, value in parsed.items() if name.startswith("opt_")}
    # The fast namespace leaves out the flags, which options.from_args reads as not given.
    assert flags and all(value is None for value in flags.values())
    assert vars(fast) == {name: value for name, value in parsed.items() if name not in flags}


@pytest.mark.parametrize("argv", [["--profile"], ["--profile", "--debug"], ["--debug"],
                                  ["--profile", "x", "--role-arn", "y"], ["--profile=x"], ["-h"]])
def test_anything_else_goes_through_argparse(argv):
    from credential_process import cli

    assert cli.plain_arguments(argv) is None
