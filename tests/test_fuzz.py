"""Bad input, fuzzed: whatever the profile's values, the command line or the
config file's bytes, the tool ends with exit 0, 1, 2 or 3 and a one-line
message; never a traceback, never a hang, never a secret in what it prints.

Each example runs the installed command as a subprocess, so the example counts
are modest; STS is a closed port here (no server), so nothing waits on a network.
"""
from __future__ import annotations

import base64
import os
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credential_process.options import SPECS
from support.tools import TOOL, HomeDir

pytestmark = pytest.mark.e2e  # every example runs the installed command

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # the base profile's secret key
BASE = f"[base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = {SECRET}\n"
ROLE = "arn:aws:iam::123456789012:role/fuzz"
RUN_TIMEOUT = 60  # only a hang reaches it: the STS budget is 42 s, a closed port fails at once

FUZZ = settings(max_examples=50, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Text as it can reach a config file or argv: no NUL, no lone surrogates.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80)
HOSTILE_TEXT = st.one_of(
    TEXT,
    st.sampled_from(["", " ", "-", "--", "=", "%", "%(x)s", "${HOME}", "~", "[default]", "\\", "'\"",
                     "\t\x1b[31m", "\u202e", "9" * 400, "x" * 70000, "true", "none", "Environment"]),
    st.builds(lambda a, b: a * b, TEXT.filter(bool), st.integers(1, 2000)),
)


@pytest.fixture
def fuzz_home(tmp_path_factory):
    """A HOME shared by the examples of one test (hypothesis reuses the fixture)."""
    home = HomeDir(tmp_path_factory.mktemp("fuzz-home"), endpoint_url="http://127.0.0.1:9")
    home.write_credentials(BASE)
    return home


def run(argv, env):
    return subprocess.run([TOOL, *argv], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=RUN_TIMEOUT)


def check(result):
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode in (0, 1, 2, 3), (result.returncode, stderr[-2000:])
    assert "Traceback" not in stderr, stderr[-2000:]
    assert SECRET not in stderr and SECRET.encode() not in result.stdout
    if result.returncode:
        assert stderr.rstrip().splitlines()[-1].startswith("credential-process: "), stderr[-2000:]
        assert result.stdout == b""


def profile(extra_lines):
    return (f"[profile dev]\ncredential_process_role_arn = {ROLE}\n"
            f"credential_process_source_profile = base\n{extra_lines}")


def _one_line(value):
    # configparser continues a value on indented lines; keep each value on its line.
    return value.replace("\r", " ").replace("\n", " ")


@pytest.mark.slow
@FUZZ
@given(key=st.sampled_from([spec.key for spec in SPECS] + ["region", "endpoint_url", "credential_process"]),
       value=HOSTILE_TEXT)
def test_any_value_of_any_key(fuzz_home, key, value):
    fuzz_home.write_config(profile(f"{key} = {_one_line(value)}\n"))
    check(run(["--profile", "dev"], fuzz_home.env))


FLAGS = [spec.flag for spec in SPECS] + ["--profile", "--debug", "--version", "-h", "--", "-x"]


@pytest.mark.slow
@FUZZ
@given(argv=st.lists(st.one_of(st.sampled_from(FLAGS), HOSTILE_TEXT,
                               st.builds(lambda f, v: f"{f}={v}", st.sampled_from(FLAGS), TEXT)),
                     max_size=6))
def test_any_command_line(fuzz_home, argv):
    fuzz_home.write_config(profile(""))
    check(run(argv, fuzz_home.env))


SECTION = st.sampled_from(["[profile dev]", "[default]", "[profile dev]", "[ profile dev ]", "[profile", "[]",
                           "[profile dev]\n[profile dev]", "[sso-session x]"])
LINE = st.one_of(
    SECTION,
    st.sampled_from([f"credential_process_role_arn = {ROLE}", "credential_process_source_profile = base",
                     "credential_process_source_profile = dev", "credential_process_duration_seconds = 900",
                     "region = us-east-1", "  continued", "= no key", "key without value", "#comment",
                     "credential_process_role_arn = " + ROLE + "\ncredential_process_role_arn = " + ROLE]),
    TEXT.map(_one_line),
)


@pytest.mark.slow
@FUZZ
@given(lines=st.lists(LINE, max_size=12), noise=st.binary(max_size=40),
       where=st.sampled_from(["none", "start", "end"]))
def test_any_config_bytes(fuzz_home, lines, noise, where):
    data = "\n".join(lines).encode("utf-8", "surrogateescape")
    data = {"none": data, "start": noise + data, "end": data + noise}[where]  # invalid UTF-8, NULs
    fuzz_home.config.parent.mkdir(parents=True, exist_ok=True)
    fuzz_home.config.write_bytes(data)
    check(run(["--profile", "dev"], fuzz_home.env))


def test_config_file_that_is_a_folder(tmp_path):
    home = HomeDir(tmp_path, endpoint_url="http://127.0.0.1:9")
    home.write_credentials(BASE)
    home.config.mkdir(parents=True)
    result = run(["--profile", "dev"], home.env)
    check(result)
    assert result.returncode == 2


def test_unreadable_config_file(tmp_path):
    """Root reads any file, so the tool runs as nobody (CI runs as root)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to an unprivileged user")
    home = HomeDir(tmp_path, endpoint_url="http://127.0.0.1:9")
    home.write_config(profile(""))
    os.chmod(home.config, 0o000)
    for path in (tmp_path, *tmp_path.parents):  # let nobody reach the files (pytest's tmp is 0700)
        if str(path) == "/":
            break
        os.chmod(path, os.stat(path).st_mode | 0o011)
    result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", TOOL, "--profile", "dev"],
                            env=home.env, stdin=subprocess.DEVNULL, capture_output=True, timeout=RUN_TIMEOUT)
    check(result)
    assert result.returncode == 2 and b"Permission denied" in result.stderr


# -- hostile SAML assertions ------------------------------------------------------------
def _deep(levels):
    return "<a>" * levels + "</a>" * levels


SAML_INPUTS = st.one_of(
    st.binary(max_size=400).map(lambda data: base64.b64encode(data).decode()),
    TEXT,
    st.integers(1, 200000).map(_deep),
    st.sampled_from([
        '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx"><!ENTITY y "&x;&x;&x;&x;">]><a>&y;</a>',
        '<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>',
        "<a>" + "x" * 3_000_000 + "</a>",
        base64.b64encode(b"<a>" * 1000).decode(),
    ]),
)


@pytest.mark.slow
@FUZZ
@given(assertion=SAML_INPUTS)
def test_hostile_saml_assertions_are_refused(fuzz_home, assertion):
    path = fuzz_home.path / "assertion.txt"
    path.write_text(assertion)
    fuzz_home.write_config(
        f"[profile saml]\ncredential_process_method = assume-role-with-saml\n"
        f"credential_process_role_arn = {ROLE}\n"
        f"credential_process_principal_arn = arn:aws:iam::123456789012:saml-provider/idp\n"
        f"credential_process_saml_assertion_file = {path}\n")
    result = run(["--profile", "saml"], fuzz_home.env)
    check(result)
    assert result.returncode != 0
