"""The plain-call shortcut (cache/shortcut.py): a record maps the exact
call (arguments, environment, file identities) to its cache entry, so a hit
reads no config and no JSON.  These tests prove it is taken, and that every
change that could change the answer makes the call take the full path again;
tests/test_shortcut_differential.py checks the same against the full path
with random sequences of changes."""

import json
import os
import re
import stat
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest

from support.aws import create_world
from support.hostile import entry_files, set_remaining, write_role_profiles
from support.tools import TOOL, read_entry

# The shortcut records nothing for a file changed less than this long before
# the call (cache/shortcut.py, "racy timestamps"); tests wait it out.
RACY_SECONDS = 2.0


def records(home):
    return sorted(home.cache_dir.glob("*.shortcut")) + sorted(home.cache_dir.glob("*.request"))


def settle(*paths):
    """Wait until every file was last changed long enough ago for the shortcut to record it."""
    newest = max((os.stat(path).st_ctime for path in paths if os.path.exists(path)), default=0)
    time.sleep(max(0.0, newest + RACY_SECONDS + 0.1 - time.time()))


def key_of(result):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["AccessKeyId"]


def imported(home):
    done = subprocess.run([sys.executable, "-X", "importtime", TOOL, "--profile", "dev"], env=home.env,
                          text=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done, {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}


@pytest.fixture
def dev(home, aws_world, sts_proxy, run_tool):
    write_role_profiles(home, aws_world, names=("dev", "ops"))
    settle(home.config, home.credentials)
    key_of(run_tool("--profile dev", home.env))
    assert records(home)
    return home


def test_a_hit_through_the_record_reads_no_config_and_no_json(dev):
    done, names = imported(dev)
    assert "credential_process.cache.shortcut" in names  # the measurement sees our modules
    for module in ("json", "configparser", "hashlib", "credential_process.options",
                   "credential_process.resolver"):
        assert module not in names, module
    document = json.loads(done.stdout)
    assert done.stdout == json.dumps(document) + "\n"
    assert document["AccessKeyId"] == read_entry(entry_files(dev)[0])["credentials"]["AccessKeyId"]


def test_the_record_is_private_and_holds_no_secret(dev):
    (record,) = records(dev)
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    credentials = read_entry(entry_files(dev)[0])["credentials"]
    text = record.read_text()
    assert credentials["SecretAccessKey"] not in text and credentials["SessionToken"] not in text


def test_an_edited_config_takes_the_full_path(dev, aws_world, sts_proxy, run_tool):
    write_role_profiles(dev, aws_world, names=("dev", "ops"), duration_seconds=7200)
    key_of(run_tool("--profile dev", dev.env))
    assert sts_proxy.count("AssumeRole") == 2
    assert sts_proxy.calls("AssumeRole")[-1]["DurationSeconds"] == "7200"


def test_another_environment_takes_the_full_path(dev, sts_proxy, run_tool):
    first = key_of(run_tool("--profile dev", dev.env))
    # Another credentials file with the same keys: not in the old shortcut's list.
    copy = dev / "credentials-copy"
    copy.write_text(dev.credentials.read_text())
    assert key_of(run_tool("--profile dev", dict(dev.env, AWS_SHARED_CREDENTIALS_FILE=str(copy)))) != first
    assert sts_proxy.count("AssumeRole") == 2
    sts_proxy.reset_counts()
    assert key_of(run_tool("--profile dev", dict(dev.env, AWS_REGION="eu-west-1"))) != first
    assert sts_proxy.count("AssumeRole") == 1
    assert key_of(run_tool([], dict(dev.env, AWS_PROFILE="ops"))) != first  # another profile, another entry
    assert sts_proxy.count("AssumeRole") == 2


def test_any_new_aws_variable_takes_the_full_path(dev):
    """Every AWS_* variable is an input, not a list of known names: an unknown
    one costs one full-path call (same entry, no STS call), never a wrong answer."""
    done, names = imported(dev)
    assert "credential_process.options" not in names  # the shortcut serves the plain call
    env = dict(dev.env, AWS_SOME_FUTURE_SETTING="1")
    done = subprocess.run([sys.executable, "-X", "importtime", TOOL, "--profile", "dev"], env=env,
                          text=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "credential_process.options" in done.stderr  # the full path decided


def test_a_cleared_or_damaged_entry_takes_the_full_path(dev, sts_proxy, run_tool):
    first = key_of(run_tool("--profile dev", dev.env))
    assert run_tool("cache clear --profile dev", dev.env).returncode == 0
    second = key_of(run_tool("--profile dev", dev.env))
    assert second != first and sts_proxy.count("AssumeRole") == 2
    path = entry_files(dev)[0]
    path.write_bytes(path.read_bytes()[:100])
    assert key_of(run_tool("--profile dev", dev.env)) != second
    assert sts_proxy.count("AssumeRole") == 3


def test_clear_all_removes_records(dev, run_tool):
    assert records(dev)
    assert run_tool("cache clear --all", dev.env).returncode == 0
    # Only the (empty) lock files stay: a running refresh may hold one (test_cache_clear.py).
    assert [name for name in os.listdir(dev.cache_dir) if not name.endswith(".lock")] == []


def test_no_record_for_a_policy_file_or_without_the_file_store(home, aws_world, sts_proxy, run_tool, tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text('{"Version": "2012-10-17", "Statement": []}')
    write_role_profiles(home, aws_world, names=("dev",), policy_file=str(policy))
    key_of(run_tool("--profile dev", home.env))
    assert records(home) == []  # the policy's text is in the key but not in the request
    write_role_profiles(home, aws_world, names=("dev",), cache="none")
    key_of(run_tool("--profile dev", home.env))
    assert records(home) == []


def test_records_not_rewritten_for_a_day_are_removed(dev, aws_world, run_tool):
    (old,) = records(dev)
    os.utime(old, (0, 0))
    write_role_profiles(dev, aws_world, names=("dev", "ops"), duration_seconds=7200)  # a new request
    settle(dev.config)
    key_of(run_tool("--profile dev", dev.env))
    assert old not in records(dev) and len(records(dev)) == 1


# -- regressions of issue 9, "Wrong identity served" -----------------------------
ROLE_A = "arn:aws:iam::123456789012:role/ReadOnly"
ROLE_B = "arn:aws:iam::123456789012:role/AdminXY"  # as long as ROLE_A: an edit keeps the size


def jwt(subject):
    import base64

    def part(document):
        return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()

    claims = {"sub": subject, "aud": "sts.amazonaws.com", "exp": int(time.time()) + 3600}
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.mark.moto("open")
@pytest.mark.parametrize("variable", ["AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE"])
def test_web_identity_defaults_from_the_environment_change_the_answer(home, sts_proxy, run_tool, variable):
    """Issue 9.1: a web identity profile without role_arn takes the role (and
    session name, token file) from the environment; the shortcut must too."""
    for name in ("token-a", "token-b"):
        (home / name).write_text(jwt(name))
    home.write_config(f"""
        [profile wi]
        region = us-east-1
        credential_process = {TOOL} --profile wi
        credential_process_method = assume-role-with-web-identity
        """)
    first = dict(home.env, AWS_ROLE_ARN=ROLE_A, AWS_ROLE_SESSION_NAME="job-1",
                 AWS_WEB_IDENTITY_TOKEN_FILE=str(home / "token-a"))
    second = dict(first)
    second[variable] = {"AWS_ROLE_ARN": ROLE_B, "AWS_ROLE_SESSION_NAME": "job-2",
                        "AWS_WEB_IDENTITY_TOKEN_FILE": str(home / "token-b")}[variable]
    settle(home.config, home / "token-a", home / "token-b")
    key_a = key_of(run_tool("--profile wi", first))
    assert records(home)  # the second call could take the shortcut
    key_b = key_of(run_tool("--profile wi", second))
    calls = sts_proxy.calls("AssumeRoleWithWebIdentity")
    assert len(calls) == 2, "the second call was served the first call's session"
    assert key_b != key_a
    assert calls[1]["RoleArn"] == second["AWS_ROLE_ARN"]
    assert calls[1]["RoleSessionName"] == second["AWS_ROLE_SESSION_NAME"]
    assert calls[1]["WebIdentityToken"] == (home / ("token-b" if variable == "AWS_WEB_IDENTITY_TOKEN_FILE"
                                                    else "token-a")).read_text()
    assert key_of(run_tool("--profile wi", first)) == key_a  # both sessions stay cached
    assert sts_proxy.count("AssumeRoleWithWebIdentity") == 2


@pytest.mark.moto("open")
def test_a_config_edit_during_a_cold_call_is_not_recorded_against_the_old_answer(home, sts_proxy, run_tool):
    """Issue 9.2: the config is identified before it is read, not after the call."""
    (home / "token").write_text(jwt("ci"))
    helper = home / "token-helper"
    helper.write_text(f"#!/bin/sh\ntouch '{home / 'started'}'\n"
                      f"while [ ! -e '{home / 'go'}' ]; do sleep 0.05; done\ncat '{home / 'token'}'\n")
    helper.chmod(0o755)

    def config(role):
        home.write_config(f"""
            [profile wi]
            region = us-east-1
            credential_process = {TOOL} --profile wi
            credential_process_role_arn = {role}
            credential_process_web_identity_token_process = {helper}
            """)

    config(ROLE_A)
    settle(home.config)
    cold = subprocess.Popen([TOOL, "--profile", "wi"], env=home.env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (home / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (home / "started").exists(), "the token helper never ran"
        config(ROLE_B)  # the user fixes the role while the call waits for its token
        (home / "go").touch()
        out, err = cold.communicate(timeout=60)
    finally:
        if cold.poll() is None:
            cold.kill()
            cold.wait()
    assert cold.returncode == 0, err
    assert sts_proxy.calls("AssumeRoleWithWebIdentity")[0]["RoleArn"] == ROLE_A  # read before the edit
    settle(home.config)
    key_of(run_tool("--profile wi", home.env))
    calls = sts_proxy.calls("AssumeRoleWithWebIdentity")
    assert len(calls) == 2, "the edited config was served the old role's session"
    assert calls[1]["RoleArn"] == ROLE_B


@pytest.mark.moto("open")
@pytest.mark.parametrize("action,keys", [("GetSessionToken", ""),
                                         ("GetFederationToken", "credential_process_federation_name = alice")])
def test_sessions_of_different_base_credentials_are_never_shared(home, moto, aws_world, sts_proxy, run_tool,
                                                                  action, keys):
    """Issue 9.3: a session signed with another user's keys is another session.
    moto returns fixed session keys: the key that signed each call tells them apart."""
    other = create_world(moto.url, admin=moto.admin, auth_enforced=moto.auth_enforced)
    file_a, file_b = home / "credentials-a", home / "credentials-b"
    file_a.write_text(aws_world.credentials_ini("base"))
    file_b.write_text(other.credentials_ini("base"))
    home.write_config(f"""
        [profile st]
        region = us-east-1
        credential_process = {TOOL} --profile st
        credential_process_source_profile = base
        {keys}
        """)
    settle(home.config, file_a, file_b)
    env_a = dict(home.env, AWS_SHARED_CREDENTIALS_FILE=str(file_a))
    env_b = dict(home.env, AWS_SHARED_CREDENTIALS_FILE=str(file_b))
    key_of(run_tool("--profile st", env_a))
    key_of(run_tool("--profile st", env_b))
    assert sts_proxy.signers(action) == [aws_world.access_key_id, other.access_key_id]
    key_of(run_tool("--profile st", env_a))  # each keeps its own session
    key_of(run_tool("--profile st", env_b))
    assert sts_proxy.count(action) == 2
    # The same file, now holding the other user's keys (rotated, or edited by hand).
    file_a.write_text(other.credentials_ini("base").replace("[base]", "[base]\n# rotated"))
    settle(file_a)
    key_of(run_tool("--profile st", env_a))
    assert sts_proxy.signers(action)[2:] == [other.access_key_id]
    entry = [read_entry(path) for path in entry_files(home)]
    assert sorted(e.get("signed_by") for e in entry) == sorted(
        [aws_world.access_key_id, other.access_key_id, other.access_key_id])


def _break_numbers(data):
    head, _, rest = data.partition(b"\n")
    return re.sub(rb"(?<= )\d+(?= |$)", b"x", head) + b"\n" + rest


RECORD_DAMAGE = {
    "number field not a number": _break_numbers,
    "truncated": lambda data: data[: len(data) // 2],
    "empty": lambda data: b"",
    "binary garbage": lambda data: bytes(range(256)),
    "one line only": lambda data: data.partition(b"\n")[0],
}


@pytest.mark.parametrize("damage", sorted(RECORD_DAMAGE))
def test_a_damaged_record_is_a_miss(dev, sts_proxy, run_tool, damage):
    """Issue 9.4: anything unreadable in the cache folder is a miss, never an error."""
    first = key_of(run_tool("--profile dev", dev.env))
    for record in records(dev):
        record.write_bytes(RECORD_DAMAGE[damage](record.read_bytes()))
    result = run_tool("--profile dev", dev.env)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert key_of(result) == first  # the entry is still good: served, no STS call
    assert sts_proxy.count("AssumeRole") == 1
    assert key_of(run_tool("--profile dev", dev.env)) == first  # the record was rewritten


ENTRY_DAMAGE = {
    "answer line not JSON": lambda lines: [lines[0], lines[1], b'{"Version": 1, "AccessKeyId": "ASIA', b""],
    "entry line not JSON": lambda lines: [lines[0], b"{not json", lines[2], b""],
    "answer of another shape": lambda lines: [lines[0], lines[1], b"[]", b""],
}


@pytest.mark.parametrize("damage", sorted(ENTRY_DAMAGE))
def test_an_entry_with_a_sound_header_and_a_broken_payload_is_a_miss(dev, sts_proxy, run_tool, damage):
    """The shortcut reads no JSON: it must not serve an entry the full path would not."""
    (path,) = entry_files(dev)
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(ENTRY_DAMAGE[damage](lines)))
    judged = read_entry(path)  # what the full path sees: None for a broken JSON line
    for _ in range(2):  # and again, after the full path had its say
        result = run_tool("--profile dev", dev.env)
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        assert document["Version"] == 1 and document["SecretAccessKey"] and document["SessionToken"]
        if judged is None:  # a new session, as the full path gets
            assert sts_proxy.count("AssumeRole") == 2
            assert read_entry(path)["credentials"]["AccessKeyId"] == document["AccessKeyId"]
        else:  # the full path serves the JSON line's session
            assert sts_proxy.count("AssumeRole") == 1
            assert all(document[name] == judged["credentials"][name]
                       for name in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"))


# -- eks token (issue 13): kubectl runs it before every command ---------------------
EKS_TOKEN = ["eks", "token", "--cluster-name", "demo", "--profile", "dev"]
EXEC_INFO_V1 = json.dumps({"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1",
                           "spec": {"interactive": False}})


def imported_by(argv, env):
    done = subprocess.run([sys.executable, "-X", "importtime", TOOL, *argv], env=env, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    return done, {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}


def token_entry_file(home):
    (path,) = [path for path in entry_files(home) if read_entry(path).get("kind") == "eks-token"]
    return path


def test_an_eks_token_hit_through_the_record_reads_no_config_and_no_json(dev, sts_proxy, run_tool):
    first = run_tool(EKS_TOKEN, dev.env)
    assert first.returncode == 0, first.stderr
    assert len(records(dev)) == 2  # the credentials call's and the token's
    done, names = imported_by(EKS_TOKEN, dev.env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert all(line.startswith("import time:") for line in done.stderr.splitlines())  # nothing else said
    assert "credential_process.cache.shortcut" in names
    for module in ("json", "argparse", "configparser", "credential_process.options", "credential_process.eks"):
        assert module not in names, module
    assert done.stdout == first.stdout  # byte for byte what the full path printed
    full = run_tool(EKS_TOKEN + ["--debug"], dev.env)
    assert full.returncode == 0 and full.stdout == first.stdout
    assert sts_proxy.count("AssumeRole") == 1


def test_kubernetes_exec_info_is_an_input_of_the_eks_token(dev, run_tool):
    plain = run_tool(EKS_TOKEN, dev.env)
    v1_env = dict(dev.env, KUBERNETES_EXEC_INFO=EXEC_INFO_V1)
    for _ in range(2):  # the full path, then (recorded) the shortcut
        v1 = run_tool(EKS_TOKEN, v1_env)
        assert v1.returncode == 0, v1.stderr
        assert json.loads(v1.stdout)["apiVersion"] == "client.authentication.k8s.io/v1"
        assert json.loads(v1.stdout)["status"] == json.loads(plain.stdout)["status"]  # one cached token
        again = run_tool(EKS_TOKEN, dev.env)
        assert again.stdout == plain.stdout
    done, names = imported_by(EKS_TOKEN, v1_env)
    assert "credential_process.options" not in names and done.stdout == v1.stdout


def test_an_eks_token_near_its_end_or_damaged_takes_the_full_path(dev, sts_proxy, run_tool):
    run_tool(EKS_TOKEN, dev.env)
    ending = set_remaining(token_entry_file(dev), 50)["token"]  # under the 60 s a token must still have
    second = run_tool(EKS_TOKEN, dev.env)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["status"]["expirationTimestamp"] > ending["expirationTimestamp"]
    path = token_entry_file(dev)
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join([lines[0], lines[1], lines[2][:-30], b""]))  # a sound header, a broken answer
    third = run_tool(EKS_TOKEN, dev.env)
    assert third.returncode == 0 and third.stdout == second.stdout  # the full path reads the JSON line
    assert sts_proxy.count("AssumeRole") == 1  # the profile's session signed every token


def test_an_eks_token_never_outlives_its_signing_credentials_on_the_shortcut(home, aws_world, sts_proxy, run_tool):
    """Issue 9.8 on the shortcut: the token's entry expires with the credentials that signed it."""
    write_role_profiles(home, aws_world, names=("dev",), refresh_margin=300, background_refresh="false")
    settle(home.config, home.credentials)
    key_of(run_tool("--profile dev", home.env))
    (credentials,) = entry_files(home)
    ends = set_remaining(credentials, 600)["expires_at"]  # still served (margin 300), but before 14 minutes
    first = run_tool(EKS_TOKEN, home.env)
    assert first.returncode == 0, first.stderr
    stamp = json.loads(first.stdout)["status"]["expirationTimestamp"]
    expiry = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    assert expiry <= ends
    assert len(records(home)) == 2
    for _ in range(2):
        assert run_tool(EKS_TOKEN, home.env).stdout == first.stdout
    assert sts_proxy.count("AssumeRole") == 1


@pytest.mark.parametrize("api_version", ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1",
                                         "client.authentication.k8s.io/v1alpha1"])
def test_the_shortcuts_exec_credential_is_the_full_paths(api_version):
    """What the shortcut composes from a token entry's answer line is what eks token prints
    (remember() records nothing otherwise, which would quietly slow every kubectl command)."""
    from credential_process import eks
    from credential_process.cache import entry as entry_format
    from credential_process.cache import shortcut

    token = {"token": "k8s-aws-v1.aHR0cDovL2V4YW1wbGU", "expirationTimestamp": "2030-01-01T00:00:00Z"}
    line = entry_format.answer_line({"kind": entry_format.EKS_TOKEN, "token": token}).encode()
    assert shortcut.answer(api_version, line) == json.dumps(eks.exec_credential(token, api_version)).encode()


def test_an_eks_token_with_role_arn_is_its_own_call(dev, aws_world, sts_proxy, run_tool):
    """--role-arn signs with another role: another call, another record, another token."""
    other = aws_world.make_role()
    with_role = EKS_TOKEN + ["--role-arn", other]
    plain, signed = run_tool(EKS_TOKEN, dev.env), run_tool(with_role, dev.env)
    assert plain.returncode == 0 and signed.returncode == 0, signed.stderr
    assert len(records(dev)) == 3  # the credentials call's, and one per token call
    done, names = imported_by(with_role, dev.env)
    assert "credential_process.options" not in names and done.stdout == signed.stdout
    assert run_tool(EKS_TOKEN, dev.env).stdout == plain.stdout != signed.stdout
    assert [call["RoleArn"] for call in sts_proxy.calls("AssumeRole")] == [aws_world.role_arn, with_role[-1]]
