"""The rows of benchmarks/run.py, by group (``--only GROUP,...``), each beside its
baseline, and the throwaway world they run in (HOME, config, venvs, a Secret
Service).  A group returns {row name: Row}; rows of two groups with the same
name are the same command, timed once."""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable, Optional

from support import install
from support import saml as saml_builder
from support import secret_service
from support.aws import create_world
from timing import check

VENV_BIN = Path(sys.executable).parent
TOOL = VENV_BIN / "credential-process"
AWS_V2 = "/usr/bin/aws"
MFA_SERIAL = "arn:aws:iam::123456789012:mfa/bench"
MFA_CODE = "123456"

BOTO3_WHOAMI = "import boto3; boto3.Session(profile_name='{profile}').client('sts').get_caller_identity()"
_STS = ("import boto3, os; e = os.environ; sts = boto3.client('sts', region_name='us-east-1'{keys}); ")
_KEYS = ", aws_access_key_id=e['BENCH_KEY'], aws_secret_access_key=e['BENCH_SECRET']"
BARE = {  # what a user would write instead: one STS call, nothing else
    "AssumeRole": _STS.format(keys=_KEYS) + "sts.assume_role(RoleArn=e['BENCH_ROLE'], RoleSessionName='bench')",
    "GetSessionToken with MFA": _STS.format(keys=_KEYS) + (
        f"sts.get_session_token(SerialNumber='{MFA_SERIAL}', TokenCode='{MFA_CODE}', DurationSeconds=43200)"),
    "AssumeRoleWithWebIdentity": _STS.format(keys="") + (
        "sts.assume_role_with_web_identity(RoleArn=e['BENCH_ROLE'], RoleSessionName='bench', "
        "WebIdentityToken=open(e['BENCH_TOKEN_FILE']).read())"),
    "AssumeRoleWithSAML": _STS.format(keys="") + (
        "sts.assume_role_with_saml(RoleArn=e['BENCH_ROLE'], PrincipalArn=e['BENCH_PRINCIPAL'], "
        "SAMLAssertion=open(e['BENCH_SAML_FILE']).read().strip())"),
}
BARE_ASSUME = "bare boto3 script, one AssumeRole"
# One HTTP/1.1 connection kept open, as an SDK polling the endpoint would; per-request seconds as JSON.
SERVER_CLIENT = """\
import http.client, json, os, sys, time, urllib.parse
url = urllib.parse.urlsplit(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
headers = {"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]}
connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
times, reopened = [], 0
for _ in range(int(sys.argv[1])):
    start = time.perf_counter()
    reopened += connection.sock is None
    connection.request("GET", url.path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    times.append(time.perf_counter() - start)
    assert response.status == 200 and b"AccessKeyId" in body, response.status
print(json.dumps({"times": times, "reopened": reopened, "http": response.version}))
"""


@dataclass
class Row:
    argv: list
    env: dict
    baseline: Optional[str] = None  # the row this one's ratio is to
    target: Optional[float] = None  # the ratio to meet
    before: Optional[Callable[[], None]] = None  # untimed, before each timed run


class Bench:
    """The world every row runs in; venvs and the Secret Service are made on first use."""

    def __init__(self, workdir: Path, server, proxy):
        self.workdir, self.proxy = workdir, proxy
        self.world = create_world(server.url)
        self.home = workdir / "home"
        self.cache = self.home / "cache"
        self.python = str(VENV_BIN / "python")
        self.notes = []
        self._service = None
        self._write_home()
        self.env = self._environment()

    # -- the world ------------------------------------------------------------------------
    def _write_home(self):
        world, aws = self.world, self.home / ".aws"
        aws.mkdir(parents=True)
        token, assertion = self.home / "token.jwt", self.home / "saml.b64"
        token.write_text(_jwt())
        principal = saml_builder.provider_arn(world.account_id, "bench")
        assertion.write_text(saml_builder.encode(saml_builder.build_response(
            [(world.role_arn, principal)], valid_for=86400)))
        self.token_file, self.saml_file, self.principal = token, assertion, principal

        def served(name, keys):
            return (f"[profile {name}]\nregion = us-east-1\ncredential_process = {TOOL} --profile {name}\n"
                    + "".join(f"credential_process_{key} = {value}\n" for key, value in keys.items()) + "\n")

        role = {"role_arn": world.role_arn, "source_profile": "base"}
        mfa = {"mfa_serial": MFA_SERIAL, "mfa_process": f"echo {MFA_CODE}"}
        (aws / "config").write_text(
            served("dev", role) + served("kdev", dict(role, cache="keyring"))
            + served("mfa", dict(source_profile="base", **mfa)) + served("mfarole", dict(role, **mfa))
            + served("web", {"role_arn": world.role_arn, "web_identity_token_file": token})
            + served("saml", {"role_arn": world.role_arn, "saml_assertion_file": assertion,
                              "principal_arn": principal})
            + f"[profile sdkrole]\nregion = us-east-1\nrole_arn = {world.role_arn}\nsource_profile = base\n"
            "role_session_name = bench\n\n[profile base]\nregion = us-east-1\n")
        (aws / "credentials").write_text(world.credentials_ini("base"))

    def _environment(self):
        home, world = self.home, self.world
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "CREDENTIAL_PROCESS_", "KEYRING_")) and k != "PYTHONDONTWRITEBYTECODE"}
        env.pop("PYTHON_KEYRING_BACKEND", None)
        env.update(
            HOME=str(home), AWS_CONFIG_FILE=str(home / ".aws" / "config"),
            AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
            CREDENTIAL_PROCESS_CACHE_DIR=str(self.cache), AWS_ENDPOINT_URL_STS=self.proxy.url,
            AWS_EC2_METADATA_DISABLED="true", BENCH_KEY=world.access_key_id,
            BENCH_SECRET=world.secret_access_key, BENCH_ROLE=world.role_arn,
            BENCH_TOKEN_FILE=str(self.token_file), BENCH_SAML_FILE=str(self.saml_file),
            BENCH_PRINCIPAL=self.principal,
        )
        return env

    @cached_property
    def source(self):
        return install.copy_source(self.workdir)

    @cached_property
    def plain_bin(self):
        """`pip install .` (with its dependencies) by the current pip into a fresh venv."""
        return install.current_pip_venv(self.workdir / "plain-venv", self.source, deps=True)

    @cached_property
    def stock_bin(self):
        """`python3 -m venv` + `pip install .` with the pip that came with it."""
        return install.stock_pip_venv(self.workdir / "stock-venv", self.source)

    def secret_service(self):
        if self._service is None:
            self._service = secret_service.SecretService(self.workdir / "secret-service").start()
        return self._service

    def close(self):
        if self._service is not None:
            self._service.stop()

    def clear_cache(self):
        shutil.rmtree(self.cache, ignore_errors=True)
        shutil.rmtree(self.home / ".aws" / "cli" / "cache", ignore_errors=True)

    def tool(self, profile, bin_dir=VENV_BIN):
        return [str(Path(bin_dir) / "credential-process"), "--profile", profile]

    def script(self, code):
        return [self.python, "-c", code]


def _jwt():
    def part(document):
        return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()

    claims = {"sub": "repo:org/app", "aud": "sts.amazonaws.com", "exp": int(time.time()) + 86400}
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def _pip_name(python):
    return ".".join(map(str, install.pip_version(python)))


# -- hit groups ---------------------------------------------------------------------------
def hits(bench):
    """The development venv: its bare start, the editable install's hit, what SDKs pay around it."""
    env, base = bench.env, "python -c pass"
    check(bench.tool("dev"), env, "credential-process")
    rows = {
        base: Row([bench.python, "-c", "pass"], env),
        "credential-process hit (editable install)": Row(bench.tool("dev"), env, base, 1.5),
        "boto3 GetCallerIdentity via credential-process (hit)": Row(
            bench.script(BOTO3_WHOAMI.format(profile="dev")), env, base),
    }
    if not os.access(AWS_V2, os.X_OK):
        bench.notes.append(f"aws v2 rows skipped: {AWS_V2} is not installed")
        return rows
    # AWS CLI v2 2.9.19 cannot send its own STS calls to a local server (no
    # AWS_ENDPOINT_URL_*, no endpoint_url in the config), so its assume-role
    # cache is filled by AWS CLI v1 (same botocore cache format, same folder).
    check([bench.python, "-m", "awscli", "sts", "get-caller-identity", "--profile", "sdkrole"], env, "aws v1 warm-up")
    for profile, what in (("dev", "via credential-process, hit"), ("sdkrole", "its own cache, hit")):
        rows[f"aws v2 export-credentials --profile {profile} ({what})"] = Row(
            [AWS_V2, "configure", "export-credentials", "--profile", profile], env, base)
    bench.notes.append("aws v2 (2.9.19) cannot point its own STS calls at a local server: its cold and herd "
                       "rows are not measured; its hit reads the ~/.aws/cli/cache entry AWS CLI v1 wrote")
    return rows


def plain_rows(bench):
    """The bare start and the file-store hit of a normal install by the current pip."""
    env, version = bench.env, _pip_name(sys.executable)
    base = f"python -c pass (venv installed by pip {version})"
    check(bench.tool("dev", bench.plain_bin), env, "credential-process (pip install .)")
    return base, {
        base: Row([str(bench.plain_bin / "python"), "-c", "pass"], env),
        f"credential-process hit, file store (pip {version} install .)": Row(
            bench.tool("dev", bench.plain_bin), env, base, 1.5),
    }


def stock_pip(bench):
    """The same install by the pip `python3 -m venv` brings (older than 23.3 here), beside the current pip's."""
    env, version = bench.env, _pip_name(bench.stock_bin / "python")
    base = f"python -c pass (stock venv, pip {version})"
    check(bench.tool("dev", bench.stock_bin), env, "credential-process (stock pip)")
    return {
        **plain_rows(bench)[1],
        base: Row([str(bench.stock_bin / "python"), "-c", "pass"], env),
        f"credential-process hit, file store (stock pip {version} install .)": Row(
            bench.tool("dev", bench.stock_bin), env, base, 1.5),
    }


KEYRING_HIT = "credential-process hit, keyring store (Secret Service)"


def keyring(bench):
    """The keyring-store hit on gnome-keyring's Secret Service, beside the file-store hit (same venv)."""
    if not secret_service.available():
        bench.notes.append("keyring rows skipped: gnome-keyring, dbus and libsecret-tools are not installed")
        return {}
    env = dict(bench.env, DBUS_SESSION_BUS_ADDRESS=bench.secret_service().address)
    base, rows = plain_rows(bench)
    check(bench.tool("kdev", bench.plain_bin), env, "credential-process with the keyring store")  # stores it
    rows[KEYRING_HIT] = Row(bench.tool("kdev", bench.plain_bin), env, base, 6.0)
    return rows


EKS_TOKEN = ["eks", "token", "--cluster-name", "demo", "--profile", "dev"]


def eks(bench):
    """A cached `eks token` (kubectl runs it before every command) of a normal install, beside
    `aws eks get-token` (AWS CLI v1 in the venv, on its own cached role: v2 2.9.19 cannot reach a local STS)."""
    env = bench.env
    base, rows = plain_rows(bench)
    # The config must be older than the shortcut's 2 s "racy" window for the hit to be recorded.
    time.sleep(max(0.0, os.stat(bench.home / ".aws" / "config").st_mtime + 2.1 - time.time()))
    tool = [str(bench.plain_bin / "credential-process"), *EKS_TOKEN]
    check(tool, env, "credential-process eks token")
    rows["credential-process eks token hit (pip install .)"] = Row(tool, env, base, 1.5)
    rows[AWS_EKS_GET_TOKEN] = Row([bench.python, "-m", "awscli", "eks", "get-token", "--cluster-name", "demo",
                                   "--profile", "sdkrole"], env, base)
    return rows


AWS_EKS_GET_TOKEN = "aws v1 eks get-token --profile sdkrole (its own cache, hit)"


# -- cold groups --------------------------------------------------------------------------
def cold(bench):
    """No entry: lock, AssumeRole, write, print; beside botocore's own provider and a bare script."""
    env, clear = bench.env, bench.clear_cache
    return {
        "credential-process cold": Row(bench.tool("dev"), env, BARE_ASSUME, 1.2, clear),
        "boto3 GetCallerIdentity via botocore assume-role provider": Row(
            bench.script(BOTO3_WHOAMI.format(profile="sdkrole")), env, BARE_ASSUME, None, clear),
        BARE_ASSUME: Row(bench.script(BARE["AssumeRole"]), env, None, None, clear),
    }


def flows(bench):
    """The other flows' cold paths, each beside a bare boto3 script making the same call."""
    env, clear = bench.env, bench.clear_cache

    def with_mfa_session():
        clear()
        check(bench.tool("mfa"), env, "the MFA session")

    # The shared MFA session is reused: the role's cold path makes AssumeRole only.
    with_mfa_session()
    bench.proxy.reset_counts()
    check(bench.tool("mfarole"), env, "AssumeRole over the MFA session")
    if bench.proxy.count("GetSessionToken") or bench.proxy.count("AssumeRole") != 1:
        sys.exit("the MFA role profile did not reuse the shared MFA session")
    rows = {}
    for call, profile, before in (("GetSessionToken with MFA", "mfa", clear),
                                  ("AssumeRoleWithWebIdentity", "web", clear),
                                  ("AssumeRoleWithSAML", "saml", clear)):
        bare = f"bare boto3 script, one {call}"
        check(bench.script(BARE[call]), env, bare)
        suffix = " (code by mfa_process)" if profile == "mfa" else ""
        rows[f"credential-process cold, {call}{suffix}"] = Row(bench.tool(profile), env, bare, 1.2, before)
        rows[bare] = Row(bench.script(BARE[call]), env, None, None, clear)
    rows["credential-process cold, AssumeRole over the cached MFA session"] = Row(
        bench.tool("mfarole"), env, BARE_ASSUME, 1.2, with_mfa_session)
    rows[BARE_ASSUME] = Row(bench.script(BARE["AssumeRole"]), env, None, None, clear)
    return rows


# -- the endpoint of exec --server -------------------------------------------------------------
def server(bench, requests):
    """Per-request seconds of `exec --server` answering a keep-alive client, and notes."""
    client = bench.workdir / "server_client.py"
    client.write_text(SERVER_CLIENT)
    check(bench.tool("dev"), bench.env, "credential-process")  # the endpoint serves a cached session
    argv = [str(TOOL), "exec", "--server", "--profile", "dev", "--", bench.python, str(client), str(requests)]
    done = subprocess.run(argv, env=bench.env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        sys.exit(f"exec --server failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    report = json.loads(done.stdout)
    bench.notes.append(f"exec --server: the endpoint answered HTTP/{report['http'] / 10:.1f}; the client "
                       f"opened a new connection for {report['reopened']} of {requests} requests")
    return report["times"]


HIT_GROUPS = {"hits": hits, "stock-pip": stock_pip, "keyring": keyring, "eks": eks}
COLD_GROUPS = {"cold": cold, "flows": flows}
GROUPS = (*HIT_GROUPS, *COLD_GROUPS, "herd", "server")
