"""Installing like any other tool: pipx and uv from a copy of the source tree give
a working command; python -m build makes a wheel and an sdist that twine accepts;
--version prints the one version (credential_process/__init__.py)."""

import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from support.tools import REPO_ROOT, TOOL, VENV_BIN, clean_env, missing, role_config

import credential_process

# What a source checkout holds that is not the source: never copied into the build.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv*", "node_modules", "build", "dist", "*.egg-info",
                                    "__pycache__", ".pytest_cache", ".hypothesis")


@pytest.fixture
def source(tmp_path):
    """A copy of the working tree as a clone would have it (what `pipx install .` reads)."""
    copy = tmp_path / "src"
    shutil.copytree(REPO_ROOT, copy, ignore=NOT_SOURCE)
    return copy


def run(command, timeout=600, **kwargs):
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL, **kwargs)
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result


def tool_of(name):
    path = VENV_BIN / name
    if not path.exists():
        missing(f"{name} is not in the venv: run scripts/setup-test-env")
    return path


def check_installed(command, home, aws_world):
    """The installed command prints its version and serves a role profile against moto."""
    assert run([command, "--version"]).stdout.strip() == f"credential-process {credential_process.__version__}"
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world).replace(TOOL, str(command)))
    served = subprocess.run([str(command), "--profile", "dev"], env=home.env, capture_output=True, text=True,
                            timeout=60)
    assert served.returncode == 0, served.stderr
    assert '"AccessKeyId"' in served.stdout


def test_version_is_written_once(run_tool, home):
    from importlib.metadata import version

    assert version("credential-process") == credential_process.__version__
    assert run_tool("--version", home.env).stdout.strip() == f"credential-process {credential_process.__version__}"
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    assert re.search(r'(?m)^dynamic = \[[^]]*"version"', pyproject) and not re.search(r'(?m)^version\s*=\s*"', pyproject)


@pytest.mark.slow
def test_pipx_install(source, tmp_path, home, aws_world):
    pipx = tool_of("pipx")
    env = clean_env(PIPX_HOME=str(tmp_path / "pipx"), PIPX_BIN_DIR=str(tmp_path / "bin"),
                    PIPX_MAN_DIR=str(tmp_path / "man"), PIPX_DEFAULT_PYTHON=sys.executable)
    run([pipx, "install", "."], cwd=source, env=env)
    check_installed(tmp_path / "bin" / "credential-process", home, aws_world)


@pytest.mark.slow
def test_uv_tool_install(source, tmp_path, home, aws_world):
    uv = tool_of("uv")
    env = clean_env(UV_TOOL_DIR=str(tmp_path / "uv-tools"), UV_TOOL_BIN_DIR=str(tmp_path / "bin"),
                    UV_PYTHON_DOWNLOADS="never", UV_NO_CONFIG="1")
    run([uv, "tool", "install", "--python", sys.executable, "."], cwd=source, env=env)
    check_installed(tmp_path / "bin" / "credential-process", home, aws_world)


@pytest.mark.slow
def test_build_wheel_and_sdist_pass_twine_check(source, tmp_path):
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--outdir", dist, source])
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    version = credential_process.__version__
    assert [path.name for path in wheels] == [f"credential_process-{version}-py3-none-any.whl"]
    assert [path.name for path in sdists] == [f"credential_process-{version}.tar.gz"]
    run([sys.executable, "-m", "twine", "check", "--strict", *wheels, *sdists])
    with zipfile.ZipFile(wheels[0]) as wheel:
        metadata = wheel.read(f"credential_process-{version}.dist-info/METADATA").decode()
    assert f"Version: {version}" in metadata
    assert "Provides-Extra: eks" in metadata and "Provides-Extra: login" in metadata
    assert re.search(r"Requires-Dist: botocore\[crt\].*extra == \"login\"", metadata)
    assert "Classifier: Environment :: Console" in metadata
    assert "Description-Content-Type: text/markdown" in metadata


@pytest.mark.slow
def test_login_extra_brings_the_crt(source, tmp_path):
    """botocore[crt] (the `login` extra, for `aws login` sessions) installs from the package index."""
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv])
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", f"{source}[login]"],
        env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
    run([venv / "bin" / "python", "-c", "from botocore.compat import HAS_CRT; assert HAS_CRT"])
