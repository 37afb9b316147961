"""The `credential-process` command as `pip install .` writes it, with the pip
that `python3 -m venv` brings (older than 23.3: its console-script wrappers
import `re` at every start) and with the current pip: a cache hit through it
imports nothing but what the hit needs.  Speed itself is in benchmarks/."""
from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from support import install
from support.hostile import write_role_profiles

HEAVY = ("botocore", "boto3", "keyring", "filelock", "urllib3", "yaml", "secretstorage", "jeepney")


def _imported(bin_dir, args, env):
    """Run the installed command under -X importtime, as its own shebang would."""
    command = bin_dir / "credential-process"
    shebang = command.read_text().splitlines()[0]
    assert shebang.startswith(f"#!{bin_dir}/python"), shebang  # the installer pointed it at its venv
    done = subprocess.run([str(bin_dir / "python"), "-X", "importtime", str(command), *args], env=env,
                          text=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    return done, set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", done.stderr, re.M))


@pytest.mark.slow
@pytest.mark.parametrize("pip", ["stock", "current"])
def test_installed_command_hit_imports_neither_re_nor_heavy_modules(pip, home, aws_world, run_tool, tmp_path):
    write_role_profiles(home, aws_world)
    written = time.time()
    source = install.copy_source(tmp_path)
    make = install.stock_pip_venv if pip == "stock" else install.current_pip_venv
    bin_dir = make(tmp_path / "venv", source)
    if pip == "stock":
        assert install.pip_version(bin_dir / "python") < (23, 3), "ensurepip's pip is not the old one here"
    # The shortcut records no call within 2 s of a config change (cache/shortcut.py: racy timestamps).
    time.sleep(max(0.0, written + 2.5 - time.time()))
    first = run_tool("--profile dev", home.env)  # the editable install fills the cache and records the call
    assert first.returncode == 0, first.stderr

    done, names = _imported(bin_dir, ["--profile", "dev"], home.env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == json.loads(first.stdout)  # a hit: the same session
    assert "credential_process.cache.files" in names  # the measurement works
    assert "re" not in names
    assert sorted(name for name in names if name.split(".")[0] in HEAVY) == []


def test_python_dash_m_is_the_same_command(home, aws_world, run_tool):
    import sys

    write_role_profiles(home, aws_world)
    first = run_tool("--profile dev", home.env)
    assert first.returncode == 0, first.stderr
    again = subprocess.run([sys.executable, "-m", "credential_process", "--profile", "dev"], env=home.env,
                           text=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == json.loads(first.stdout)
