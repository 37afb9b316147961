"""scripts/demo needs Python and nothing else: run by an unprivileged user on a
clean clone, with apt, dpkg, sudo, npm and kubectl replaced by shims that record
any call, it installs what it needs from the package index into its own venv,
and shows the AWS CLI getting role credentials through credential-process."""

import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

from support.tools import REPO_ROOT

USER = "demo-test"
FORBIDDEN = ("apt-get", "apt", "dpkg", "sudo", "npm", "kubectl")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create an unprivileged user"),
]


@pytest.fixture
def demo_user():
    if shutil.which("useradd") is None or shutil.which("su") is None:
        pytest.skip("useradd or su is missing")
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", USER], check=True)
    return pwd.getpwnam(USER)


@pytest.fixture
def clone(demo_user):
    folder = tempfile.mkdtemp(prefix="demo-clone-", dir="/tmp")
    try:
        os.chmod(folder, 0o755)
        subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(REPO_ROOT), f"{folder}/repo"], check=True)
        shims = os.path.join(folder, "shims")
        os.mkdir(shims)
        for name in FORBIDDEN:
            path = os.path.join(shims, name)
            with open(path, "w") as handle:
                handle.write(f"#!/bin/sh\necho {name} \"$@\" >> {folder}/forbidden-calls\nexit 1\n")
            os.chmod(path, 0o755)
        subprocess.run(["chown", "-R", f"{demo_user.pw_uid}:{demo_user.pw_gid}", folder], check=True)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_demo_runs_as_an_unprivileged_user_on_a_clean_clone(demo_user, clone):
    inner = (f"env -i HOME={demo_user.pw_dir} LANG=C.UTF-8 PATH={clone}/shims:/usr/local/bin:/usr/bin:/bin "
             f"bash -c 'cd {clone}/repo && scripts/demo'")
    result = subprocess.run(["su", USER, "-s", "/bin/bash", "-c", inner], capture_output=True, text=True,
                            timeout=900, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not os.path.exists(f"{clone}/forbidden-calls"), open(f"{clone}/forbidden-calls").read()
    assert "aws --profile dev sts get-caller-identity ->" in result.stdout
    assert ":assumed-role/Demo/" in result.stdout
    assert "credential-process cached (median of 9):" in result.stdout
    assert os.path.isdir(f"{clone}/repo/.venv-demo")  # its own venv, not the test set-up
