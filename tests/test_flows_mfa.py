"""MFA: the code from a real terminal while the AWS CLI captures our output,
from credential_process_mfa_process (once for many processes and profiles),
from --mfa-code; failing at once when nobody can be asked; a rejected code.

The MFA session's AssumeRole is signed with GetSessionToken credentials, which
moto does not accept while it enforces authentication: these tests use the
server without it and count calls at the proxy.
"""

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from support import tools
from support.terminal import answer_on_terminal
from support.tools import TOOL

SERIAL = "arn:aws:iam::123456789012:mfa/alice"
REJECTED = "MultiFactorAuthentication failed with invalid MFA one time pass code."

pytestmark = pytest.mark.moto("open")


def role_profile(name, role_arn, extra=""):
    return (f"[profile {name}]\nregion = us-east-1\n"
            f"credential_process = {TOOL} --profile {name}\n"
            f"credential_process_role_arn = {role_arn}\n"
            f"credential_process_source_profile = base\n"
            f"credential_process_mfa_serial = {SERIAL}\n{extra}\n")


@pytest.fixture
def mfa_home(home, aws_world):
    """Long-term base keys and a role profile 'mfa' with an MFA device."""
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_profile("mfa", aws_world.role_arn))
    home.env.pop("DISPLAY", None)
    home.env.pop("WAYLAND_DISPLAY", None)
    return home


def without_terminal(args, env, timeout=60):
    """Run the tool in a new session: no controlling terminal, stdin /dev/null."""
    return subprocess.run(["setsid", "-w", TOOL, *args], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def cached_entries(home):
    return list(home.cache_dir.glob("*.json")) if home.cache_dir.exists() else []


def test_prompt_on_the_terminal_under_aws_cli_v2(mfa_home, aws_world, sts_proxy, aws_cli_v2):
    env = dict(mfa_home.env, AWS_PAGER="", TERM="dumb")
    argv = [tools.AWS_CLI_V2, "--profile", "mfa", "sts", "get-caller-identity", "--output", "json",
            "--endpoint-url", sts_proxy.url]
    status, seen = answer_on_terminal(argv, env, b"MFA code for", b"123456")
    assert f"MFA code for {SERIAL} (profile mfa)".encode() in seen
    assert status == 0, seen.decode(errors="replace")
    assert f":assumed-role/{aws_world.role_name}/".encode() in seen
    [call] = sts_proxy.calls("GetSessionToken")
    assert (call["SerialNumber"], call["TokenCode"], call["DurationSeconds"]) == (SERIAL, "123456", "43200")
    assert "SerialNumber" not in sts_proxy.calls("AssumeRole")[0]  # signed with the MFA session instead


def test_mfa_process_runs_once_for_parallel_cold_callers_of_two_profiles(
        mfa_home, aws_world, sts_proxy, run_tool):
    counter = mfa_home / "mfa-runs"
    process = f"credential_process_mfa_process = echo run >> '{counter}'; echo 123456"
    second_role = aws_world.make_role()
    mfa_home.write_config(role_profile("one", aws_world.role_arn, process)
                          + role_profile("two", second_role, process))
    profiles = ["one", "two"] * 10
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda name: run_tool(["--profile", name], mfa_home.env, timeout=120), profiles))
    for result in results:
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["SessionToken"]
    assert counter.read_text().splitlines() == ["run"]
    assert sts_proxy.count("GetSessionToken") == 1
    assert sts_proxy.count("AssumeRole") == 2
    assert sorted(call["RoleArn"] for call in sts_proxy.calls("AssumeRole")) == sorted(
        [aws_world.role_arn, second_role])

    # A third role profile and the get-session-token profile over the same keys
    # and device reuse that MFA session: no code, no GetSessionToken.
    mfa_home.write_config(role_profile("three", aws_world.make_role(), process) + (
        f"[profile session]\nregion = us-east-1\ncredential_process = {TOOL} --profile session\n"
        f"credential_process_source_profile = base\ncredential_process_mfa_serial = {SERIAL}\n"), append=True)
    for name in ("three", "session"):
        result = without_terminal(["--profile", name], mfa_home.env)
        assert result.returncode == 0, result.stderr
    assert counter.read_text().splitlines() == ["run"]
    assert sts_proxy.count("GetSessionToken") == 1


def test_no_terminal_no_dialog_no_process_fails_at_once(mfa_home, sts_proxy):
    result = without_terminal(["--profile", "mfa"], mfa_home.env)
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert ("MFA code needed for mfa but no terminal, dialog or credential_process_mfa_process "
            "is available") in result.stderr
    assert "--mfa-code" in result.stderr
    assert sts_proxy.total() == 0


def test_mfa_code_flag_starts_the_session_and_stays_out_of_the_cache_key(mfa_home, sts_proxy):
    first = without_terminal(["--profile", "mfa", "--mfa-code", "654321"], mfa_home.env)
    assert first.returncode == 0, first.stderr
    assert sts_proxy.calls("GetSessionToken")[0]["TokenCode"] == "654321"
    again = without_terminal(["--profile", "mfa"], mfa_home.env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert sts_proxy.count("GetSessionToken") == 1 and sts_proxy.count("AssumeRole") == 1


def test_rejected_code_is_reported_and_nothing_cached(mfa_home, sts_proxy):
    sts_proxy.inject("GetSessionToken", 403, code="AccessDenied", message=REJECTED)
    result = without_terminal(["--profile", "mfa", "--mfa-code", "000000"], mfa_home.env)
    assert result.returncode == 1, result.stderr
    assert "MFA code" in result.stderr and "rejected" in result.stderr
    assert cached_entries(mfa_home) == []
    assert sts_proxy.count("AssumeRole") == 0


def test_temporary_base_sends_the_code_to_assume_role(home, aws_world, sts_proxy):
    home.write_credentials(aws_world.credentials_ini("base") + "aws_session_token = FQoGZXIvYXdzEXAMPLE\n")
    home.write_config(role_profile("mfa", aws_world.role_arn))
    result = without_terminal(["--profile", "mfa", "--mfa-code", "111111"], home.env)
    assert result.returncode == 0, result.stderr
    [call] = sts_proxy.calls("AssumeRole")
    assert (call["SerialNumber"], call["TokenCode"]) == (SERIAL, "111111")
    assert sts_proxy.count("GetSessionToken") == 0

    sts_proxy.inject("AssumeRole", 403, code="AccessDenied", message=REJECTED)
    rejected = without_terminal(["--profile", "mfa", "--mfa-code", "222222", "--role-session-name", "other"],
                                home.env)
    assert rejected.returncode == 1 and "rejected" in rejected.stderr, rejected.stderr
    assert len(cached_entries(home)) == 1  # only the first, good session


def test_mfa_process_failure_and_garbage(mfa_home, aws_world):
    mfa_home.write_config(role_profile("mfa", aws_world.role_arn, "credential_process_mfa_process = exit 4"))
    failed = without_terminal(["--profile", "mfa"], mfa_home.env)
    assert failed.returncode == 3 and "mfa_process failed (exit status 4)" in failed.stderr, failed.stderr
    mfa_home.write_config(role_profile("mfa", aws_world.role_arn, "credential_process_mfa_process = echo soon"))
    garbage = without_terminal(["--profile", "mfa"], mfa_home.env)
    assert garbage.returncode == 3 and "not a 6-digit MFA code" in garbage.stderr, garbage.stderr
    # Endless output: stopped past 1 MiB (memory stays bounded), not read to the end.
    mfa_home.write_config(role_profile("mfa", aws_world.role_arn, "credential_process_mfa_process = yes 123456"))
    endless = without_terminal(["--profile", "mfa"], mfa_home.env)
    assert endless.returncode == 2 and "printed more than 1048576 bytes" in endless.stderr, endless.stderr


def test_mfa_process_gets_no_aws_secrets(mfa_home, aws_world, sts_proxy):
    seen = mfa_home / "seen-env"
    mfa_home.write_config(role_profile(
        "mfa", aws_world.role_arn, f"credential_process_mfa_process = env > '{seen}'; echo 123456"))
    env = dict(mfa_home.env, AWS_SECRET_ACCESS_KEY="should-not-leak", AWS_SESSION_TOKEN="nor-this")
    result = without_terminal(["--profile", "mfa"], env)
    assert result.returncode == 0, result.stderr
    text = seen.read_text()
    assert "should-not-leak" not in text and "nor-this" not in text
    assert "AWS_CONFIG_FILE=" in text  # the rest of the environment is passed on


def test_dialog_when_there_is_a_display_but_no_terminal(mfa_home, aws_world, sts_proxy, tmp_path):
    # A stand-in zenity on PATH: answers like the real one (the text on stdout, exit 0).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    asked = tmp_path / "asked"
    fake = bin_dir / "zenity"
    fake.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{asked}'\necho 424242\n")
    fake.chmod(0o755)
    env = dict(mfa_home.env, DISPLAY=":99", PATH=f"{bin_dir}:{os.environ['PATH']}")
    pinned = without_terminal(["--profile", "mfa", "--mfa-prompt", "terminal"], env)
    assert pinned.returncode == 3 and "mfa_prompt = terminal" in pinned.stderr, pinned.stderr
    result = without_terminal(["--profile", "mfa"], env)
    assert result.returncode == 0, result.stderr
    assert f"MFA code for {SERIAL} (profile mfa)" in asked.read_text()
    assert sts_proxy.calls("GetSessionToken")[0]["TokenCode"] == "424242"


def regional_profile(name, role_arn, region, extra=""):
    return role_profile(name, role_arn, extra).replace("region = us-east-1", f"region = {region}")


def test_one_code_for_role_profiles_in_two_regions(mfa_home, aws_world, sts_proxy, run_tool):
    counter = mfa_home / "mfa-runs"
    process = f"credential_process_mfa_process = echo run >> '{counter}'; echo 123456"
    mfa_home.write_config(regional_profile("dev", aws_world.role_arn, "us-east-1", process)
                          + regional_profile("prod", aws_world.make_role(), "eu-west-1", process))
    for name in ("dev", "prod"):
        result = without_terminal(["--profile", name], mfa_home.env)
        assert result.returncode == 0, result.stderr
    assert counter.read_text().splitlines() == ["run"]
    assert sts_proxy.count("GetSessionToken") == 1 and sts_proxy.count("AssumeRole") == 2
    listed = run_tool("cache list", mfa_home.env)
    assert listed.stdout.count("MFA session of") == 1, listed.stdout


def test_an_mfa_session_sts_does_not_take_is_asked_again_once(mfa_home, aws_world, sts_proxy):
    """A session from the global endpoint is refused in opt-in regions: InvalidClientTokenId
    for the role call signed with it drops the MFA session, and one new code is asked."""
    counter = mfa_home / "mfa-runs"
    process = f"credential_process_mfa_process = echo run >> '{counter}'; echo 123456"
    mfa_home.write_config(regional_profile("dev", aws_world.role_arn, "us-east-1", process)
                          + regional_profile("hk", aws_world.make_role(), "ap-east-1", process))
    assert without_terminal(["--profile", "dev"], mfa_home.env).returncode == 0
    sts_proxy.inject("AssumeRole", 403, code="InvalidClientTokenId",
                     message="The security token included in the request is invalid.")
    result = without_terminal(["--profile", "hk"], mfa_home.env)
    assert result.returncode == 0, result.stderr
    assert counter.read_text().splitlines() == ["run", "run"]
    assert sts_proxy.count("GetSessionToken") == 2 and sts_proxy.count("AssumeRole") == 3

    sts_proxy.inject("AssumeRole", 403, code="InvalidClientTokenId", message="invalid", times=2)
    again = without_terminal(["--profile", "hk", "--role-session-name", "other"], mfa_home.env)
    assert again.returncode == 1 and "InvalidClientTokenId" in again.stderr, again.stderr
    assert counter.read_text().splitlines() == ["run"] * 3  # once more, not in a loop


@pytest.mark.parametrize("reads_from", ["/dev/tty", "stdin"])
def test_mfa_process_that_asks_on_the_terminal_gets_it(mfa_home, aws_world, sts_proxy, reads_from):
    """A helper that prompts on the terminal itself (a password manager's CLI,
    `read </dev/tty`) reaches the person, and still ends as a group."""
    source = "</dev/tty" if reads_from == "/dev/tty" else ""
    mfa_home.write_config(role_profile(
        "mfa", aws_world.role_arn,
        f"credential_process_mfa_process = printf 'helper asks: ' >/dev/tty; read code {source}; echo $code"))
    argv = [TOOL, "--profile", "mfa"]
    status, seen = answer_on_terminal(argv, dict(mfa_home.env, TERM="dumb"), b"helper asks: ", b"654321")
    assert status == 0, seen.decode(errors="replace")
    assert b'"SessionToken"' in seen
    [call] = sts_proxy.calls("GetSessionToken")
    assert call["TokenCode"] == "654321"
