"""Running the tool and third-party AWS clients as subprocesses.

    TOOL                               absolute path of the `credential-process` console script
    run_tool(args, env, input=None, timeout=60)
    aws_cli_v1(args, env, ...)         python -m awscli (botocore from this venv)
    aws_cli_v2(args, env, ...)         /usr/bin/aws (Debian 2.9.19: pass --endpoint-url yourself)
    node_sts_whoami(profile, env, ...) JS SDK v3 fromProcess + GetCallerIdentity
    KUBECTL                            path of kubectl (venv first)
    clean_env(**extra)                 os.environ minus AWS_* / CREDENTIAL_PROCESS_*
    HomeDir                            temp HOME with .aws/config and .aws/credentials
    role_config(world, profile, extra, region)  a role profile served by TOOL over [profile base]
    read_entry(path), write_entry(path, entry)  a cache entry file, through the product's own layout

Every runner returns subprocess.CompletedProcess with text stdout/stderr and
never raises on a non-zero exit. A missing third-party client skips the test,
except under CI=true, where it fails (CI installs them all).
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Mapping, Optional, Sequence

import pytest

TESTS_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = TESTS_DIR.parent
JS_DIR = TESTS_DIR / "js"
VENV_BIN = Path(sys.executable).parent

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _find(name: str) -> Optional[Path]:
    p = VENV_BIN / name
    if p.is_file() and os.access(p, os.X_OK):
        return p
    w = shutil.which(name)
    return Path(w) if w else None


TOOL: str = str(_find("credential-process") or (VENV_BIN / "credential-process"))
"""Absolute path of the console script, for config lines:
   f"credential_process = {TOOL} --profile dev" """

KUBECTL: Optional[str] = str(_find("kubectl")) if _find("kubectl") else None
AWS_CLI_V2 = "/usr/bin/aws"


def missing(reason: str):
    """Skip the test (fail it under CI=true) because a prerequisite is absent."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: scripts/setup-test-env should have installed it)", pytrace=False)
    pytest.skip(reason)


def clean_env(base: Optional[Mapping[str, str]] = None, **extra: str) -> dict:
    """A copy of os.environ without any AWS_* or CREDENTIAL_PROCESS_* variable
    (nor _AWS_CLI_PROFILE_CHAIN), updated with `extra`."""
    env = {
        k: v for k, v in (base if base is not None else os.environ).items()
        if not (k.startswith("AWS_") or k.startswith("CREDENTIAL_PROCESS_") or k.startswith("_AWS_"))
    }
    env.update(extra)
    return env


def _run(cmd: Sequence[str], env: Mapping[str, str], input: Optional[str], timeout: float,
         cwd: Optional[os.PathLike] = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(cmd), env=dict(env), input=input, text=True, capture_output=True, timeout=timeout,
        stdin=None if input is not None else subprocess.DEVNULL, cwd=cwd,
    )


def tool_available() -> bool:
    return Path(TOOL).is_file() and os.access(TOOL, os.X_OK)


def run_tool(args: Sequence[str] | str, env: Mapping[str, str], input: Optional[str] = None,
             timeout: float = 60, cwd: Optional[os.PathLike] = None) -> subprocess.CompletedProcess:
    """Run the installed `credential-process` console script.
    `args` is a list, or a string split with shlex. stdin is /dev/null unless
    `input` is given."""
    if isinstance(args, str):
        args = shlex.split(args)
    if not tool_available():
        pytest.fail(f"console script not found at {TOOL}: run scripts/setup-test-env", pytrace=False)
    return _run([TOOL, *args], env, input, timeout, cwd)


def aws_cli_v1_available() -> bool:
    try:
        import awscli  # noqa: F401
    except ImportError:
        return False
    return True


def aws_cli_v1(args: Sequence[str] | str, env: Mapping[str, str], input: Optional[str] = None,
               timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m awscli ARGS` with this interpreter: AWS CLI v1 on the venv's
    botocore (honours AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL_IAM)."""
    if isinstance(args, str):
        args = shlex.split(args)
    if not aws_cli_v1_available():
        missing("AWS CLI v1 (PyPI awscli) is not installed in this venv")
    return _run([sys.executable, "-m", "awscli", *args], env, input, timeout)


def aws_cli_v2_available() -> bool:
    return os.access(AWS_CLI_V2, os.X_OK)


def aws_cli_v2(args: Sequence[str] | str, env: Mapping[str, str], input: Optional[str] = None,
               timeout: float = 120) -> subprocess.CompletedProcess:
    """Debian's AWS CLI v2 (2.9.19, /usr/bin/aws). It predates AWS_ENDPOINT_URL*:
    pass `--endpoint-url URL` for its own calls."""
    if isinstance(args, str):
        args = shlex.split(args)
    if not aws_cli_v2_available():
        missing(f"AWS CLI v2 not found at {AWS_CLI_V2} (Debian package awscli)")
    return _run([AWS_CLI_V2, *args], env, input, timeout)


def node_available() -> bool:
    return shutil.which("node") is not None and (JS_DIR / "node_modules" / "@aws-sdk" / "credential-providers").is_dir()


def node_sts_whoami(profile: str, env: Mapping[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """`node tests/js/whoami.mjs PROFILE`: JS SDK v3 fromProcess({profile}) then
    STS GetCallerIdentity at AWS_ENDPOINT_URL_STS; stdout is
    {"Arn","Account","UserId"} JSON on success (exit 0), stderr the error otherwise."""
    if shutil.which("node") is None:
        missing("node is not installed")
    if not node_available():
        missing("tests/js/node_modules missing: run scripts/setup-test-env (npm ci in tests/js)")
    return _run(["node", str(JS_DIR / "whoami.mjs"), profile], env, None, timeout, cwd=JS_DIR)


class HomeDir:
    """A throwaway HOME. `.config` and `.credentials` are the ~/.aws file paths
    (not created until written); `.env` is the environment for subprocesses."""

    def __init__(self, path: Path, endpoint_url: Optional[str] = None):
        self.path = Path(path)
        self.aws_dir = self.path / ".aws"
        self.config = self.aws_dir / "config"
        self.credentials = self.aws_dir / "credentials"
        self.cache_dir = self.aws_dir / "credential-process" / "cache"
        self.env = clean_env(
            HOME=str(self.path),
            AWS_CONFIG_FILE=str(self.config),
            AWS_SHARED_CREDENTIALS_FILE=str(self.credentials),
            CREDENTIAL_PROCESS_CACHE_DIR=str(self.cache_dir),
            AWS_EC2_METADATA_DISABLED="true",
        )
        # Keep keyring backends (and anything else) from reading the developer's
        # own XDG folders.
        for var, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                         ("XDG_CACHE_HOME", ".cache")):
            self.env[var] = str(self.path / sub)
        self.endpoint_url: Optional[str] = None
        if endpoint_url:
            self.point_at(endpoint_url)

    def point_at(self, url: str) -> "HomeDir":
        """Send STS and IAM calls of subprocesses (botocore, JS SDK) to `url`."""
        self.endpoint_url = url
        self.env["AWS_ENDPOINT_URL_STS"] = url
        self.env["AWS_ENDPOINT_URL_IAM"] = url
        return self

    def _write(self, path: Path, text: str, append: bool) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = textwrap.dedent(text)
        if text.startswith("\n"):
            text = text[1:]
        with open(path, "a" if append else "w") as f:
            f.write(text)
        return path

    def write_config(self, text: str, append: bool = False) -> Path:
        """Write ~/.aws/config (text is dedented; a leading newline dropped)."""
        return self._write(self.config, text, append)

    def write_credentials(self, text: str, append: bool = False) -> Path:
        """Write ~/.aws/credentials (text is dedented; a leading newline dropped)."""
        return self._write(self.credentials, text, append)

    def __fspath__(self) -> str:
        return str(self.path)

    def __truediv__(self, other) -> Path:
        return self.path / other


def role_config(world, profile: str = "dev", extra: str = "", region: str = "us-east-1") -> str:
    return (f"[profile base]\nregion = {region}\n\n"
            f"[profile {profile}]\nregion = {region}\n"
            f"credential_process = {TOOL} --profile {profile}\n"
            f"credential_process_role_arn = {world.role_arn}\n"
            f"credential_process_source_profile = base\n{extra}")


def read_entry(path) -> Optional[dict]:
    """The entry in a cache entry file, read by the product's own parser."""
    from credential_process.cache.files import parse

    return parse(Path(path).read_bytes())


def write_entry(path, entry: dict) -> None:
    """Rewrite a cache entry file in place (its mode kept), in the product's layout."""
    from credential_process.cache.files import encode

    with open(path, "r+b") as handle:
        handle.truncate()
        handle.write(encode(entry))
