"""The tool installed the way users install it, into a fresh venv (no editable hook).

    source = copy_source(folder)                  # what `pip install .` builds, outside the worktree
    bin_dir = stock_pip_venv(folder / "a", source)    # `python3 -m venv` + its own (ensurepip) pip
    bin_dir = current_pip_venv(folder / "b", source)  # a venv without pip, installed by this venv's pip
    bin_dir = current_pip_venv(folder / "c", source, deps=True)  # with botocore, keyring, ...
    pip_version(bin_dir)                          # (major, minor) of the pip in that venv

Both install with --no-deps unless told: a cache hit imports only the standard
library, and the dependencies take a while to install.  The source is copied first so
that setuptools' build/ and *.egg-info never land in the worktree.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
SOURCE_FILES = ("pyproject.toml", "setup.py", "README.md", "LICENSE")
SOURCE_FOLDERS = ("credential_process", "bin")
QUIET = ("--quiet", "--disable-pip-version-check")


def copy_source(folder: Path) -> Path:
    source = Path(folder) / "source"
    source.mkdir(parents=True)
    for name in SOURCE_FILES:
        if (REPO_ROOT / name).exists():
            shutil.copy(REPO_ROOT / name, source / name)
    for name in SOURCE_FOLDERS:
        if (REPO_ROOT / name).is_dir():
            shutil.copytree(REPO_ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    return source


def base_python() -> str:
    """The interpreter this venv was made from: `python3 -m venv` users run that one."""
    candidate = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return str(candidate) if candidate.exists() else sys.executable


def stock_pip_venv(venv: Path, source: Path) -> Path:
    """`python3 -m venv VENV && VENV/bin/pip install SOURCE`: the pip ensurepip brings, never upgraded."""
    subprocess.run([base_python(), "-m", "venv", str(venv)], check=True, capture_output=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", *QUIET, "--no-deps", str(source)],
                   check=True, capture_output=True)
    return venv / "bin"


def current_pip_venv(venv: Path, source: Path, deps: bool = False) -> Path:
    """A venv without pip, installed into by the pip of the running venv (pip >= 22.3 has --python)."""
    subprocess.run([base_python(), "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", *QUIET,
                    *(() if deps else ("--no-deps",)), str(source)], check=True, capture_output=True)
    return venv / "bin"


def pip_version(python: str | Path = sys.executable) -> tuple:
    """(major, minor) of the pip `python` runs."""
    done = subprocess.run([str(python), "-m", "pip", "--version"], check=True, capture_output=True, text=True)
    return tuple(int(part) for part in done.stdout.split()[1].split(".")[:2])
