"""Keys in a real Secret Service (gnome-keyring-daemon on a private D-Bus bus),
used end to end against moto with IAM authentication enforced."""

import base64
import json
import os
import pty
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from support.secret_service import SecretService, require
from support.tools import TOOL

SERVICE = "credential-process"
CACHE_SERVICE = "credential-process-cache"
TESTS_DIR = str(Path(__file__).resolve().parent)


def unique_name():
    return f"t-{uuid.uuid4().hex[:10]}"


def add_keys(run_tool, env, name, world):
    result = run_tool(["keys", "add", name, "--env"],
                      dict(env, AWS_ACCESS_KEY_ID=world.access_key_id, AWS_SECRET_ACCESS_KEY=world.secret_access_key))
    assert result.returncode == 0, result.stderr
    assert world.secret_access_key not in result.stdout + result.stderr
    return result


def role_profile(world, name, cache="file", profile="dev"):
    return (f"[profile {profile}]\nregion = us-east-1\n"
            f"credential_process = {TOOL} --profile {profile}\n"
            f"credential_process_role_arn = {world.role_arn}\n"
            f"credential_process_source_keyring = {name}\n"
            f"credential_process_cache = {cache}\n")


def files_containing(root, needles):
    """Every file under ``root`` holding any of ``needles`` (bytes search, no symlinks followed)."""
    found = []
    for folder, _, names in os.walk(root):
        for file_name in names:
            path = os.path.join(folder, file_name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            data = Path(path).read_bytes()
            found += [(path, needle[:8]) for needle in needles if needle.encode() in data]
    return found


def test_role_from_keyring_keys_through_aws_cli_v2_leaves_no_secret_on_disk(
        keyring_home, secret_service, aws_world, sts_proxy, run_tool, aws_cli_v2):
    home, name = keyring_home, unique_name()
    added = add_keys(run_tool, home.env, name, aws_world)
    assert f"credential_process_source_keyring = {name}" in added.stdout
    stored = json.loads(secret_service.lookup(SERVICE, name))
    assert (stored["AccessKeyId"], stored["SecretAccessKey"]) == (aws_world.access_key_id, aws_world.secret_access_key)
    home.write_config(role_profile(aws_world, name, cache="keyring"))

    for _ in range(2):  # the second run is a keyring-cache hit
        result = aws_cli_v2(["sts", "get-caller-identity", "--profile", "dev", "--output", "json",
                             "--endpoint-url", aws_world.server_url], home.env)
        assert result.returncode == 0, result.stderr
        assert f":assumed-role/{aws_world.role_name}/" in json.loads(result.stdout)["Arn"]
    assert sts_proxy.count("AssumeRole") == 1

    served = run_tool("--profile dev", home.env)
    assert served.returncode == 0, served.stderr
    session = json.loads(served.stdout)
    assert sts_proxy.count("AssumeRole") == 1
    # The session lives in the keyring, under a key the (secret-free) index names.
    index = json.loads((home.cache_dir / "keyring-index").read_text())
    assert stat.S_IMODE((home.cache_dir / "keyring-index").stat().st_mode) == 0o600
    (key, metadata), = index.items()
    assert "credentials" not in metadata and metadata["source"] == ["keyring", name]
    assert json.loads(secret_service.lookup(CACHE_SERVICE, key))["credentials"]["SessionToken"] == session["SessionToken"]
    secrets = [aws_world.secret_access_key, session["SecretAccessKey"], session["SessionToken"]]
    assert files_containing(home.path, secrets) == []


def test_file_cache_hit_does_not_import_keyring(keyring_home, aws_world, moto, run_tool):
    home, name = keyring_home, unique_name()
    add_keys(run_tool, home.env, name, aws_world)
    home.write_config(role_profile(aws_world, name, cache="file"))
    first = run_tool("--profile dev", home.env)  # a miss: reads the keys from the keyring
    assert first.returncode == 0, first.stderr
    probe = ("import sys; from credential_process.cli import main; code = main(['--profile', 'dev']); "
             "sys.stderr.write('keyring imported\\n' if 'keyring' in sys.modules else ''); sys.exit(code)")
    hit = subprocess.run([sys.executable, "-c", probe], env=home.env, capture_output=True, text=True, timeout=60)
    assert hit.returncode == 0, hit.stderr
    assert json.loads(hit.stdout) == json.loads(first.stdout)
    assert "keyring imported" not in hit.stderr


def test_list_and_remove_clear_the_sessions_made_from_the_keys(keyring_home, secret_service, aws_world, moto, run_tool):
    home, name, other = keyring_home, unique_name(), unique_name()
    add_keys(run_tool, home.env, name, aws_world)
    add_keys(run_tool, home.env, other, aws_world)
    home.write_config(role_profile(aws_world, name))
    assert run_tool("--profile dev", home.env).returncode == 0
    assert len(list(home.cache_dir.glob("*.json"))) == 1

    listed = run_tool("keys list", home.env)
    assert listed.returncode == 0, listed.stderr
    masked = f"{aws_world.access_key_id[:4]}...{aws_world.access_key_id[-4:]}"
    assert [line.split()[:2] for line in listed.stdout.splitlines()] == sorted([[name, masked], [other, masked]])
    assert aws_world.access_key_id not in listed.stdout and aws_world.secret_access_key not in listed.stdout

    refused = run_tool(["keys", "remove", name], home.env)  # no terminal to confirm on, no --yes
    assert refused.returncode == 3 and secret_service.lookup(SERVICE, name)
    removed = run_tool(["keys", "remove", name, "--yes"], home.env)
    assert removed.returncode == 0, removed.stderr
    assert secret_service.lookup(SERVICE, name) is None
    assert list(home.cache_dir.glob("*.json")) == []
    assert [line.split()[0] for line in run_tool("keys list", home.env).stdout.splitlines()] == [other]
    missing = run_tool("--profile dev", home.env)
    assert missing.returncode == 2 and f"no keys named {name!r}" in missing.stderr


def test_keys_import_moves_keys_and_keeps_the_rest_of_the_file(keyring_home, secret_service, aws_world, moto, run_tool):
    home, name = keyring_home, unique_name()
    before = (f"# my credentials\r\n[other]\r\naws_access_key_id = AKIAOTHEROTHEROTHER1\r\n"
              f"aws_secret_access_key = {'o' * 40}\r\n\r\n"
              f"[{name}]\r\n; the work account\r\naws_access_key_id={aws_world.access_key_id}\r\n"
              f"region = us-east-1\r\naws_secret_access_key = {aws_world.secret_access_key}\r\n"
              f"\r\n[last]\r\nregion = eu-west-1   \r\n")
    home.credentials.parent.mkdir(parents=True, exist_ok=True)
    home.credentials.write_bytes(before.encode())
    result = run_tool(["keys", "import", name, "--remove-plaintext"], home.env)
    assert result.returncode == 0, result.stderr
    after = home.credentials.read_bytes().decode()
    expected = before.replace(f"aws_access_key_id={aws_world.access_key_id}\r\n", "").replace(
        f"aws_secret_access_key = {aws_world.secret_access_key}\r\n", "")
    assert after == expected
    backups = list(home.aws_dir.glob("credentials.*.bak"))
    assert len(backups) == 1 and backups[0].read_bytes() == before.encode()
    assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    assert json.loads(secret_service.lookup(SERVICE, name))["SecretAccessKey"] == aws_world.secret_access_key
    # And the imported keys serve a role profile.
    home.write_config(role_profile(aws_world, name))
    served = run_tool("--profile dev", home.env)
    assert served.returncode == 0, served.stderr


def test_keys_add_asks_on_the_terminal_and_never_echoes_the_secret(keyring_home, secret_service, aws_world):
    name = unique_name()
    pid, terminal = pty.fork()
    if pid == 0:  # the child: a new session whose controlling terminal is the pty
        os.execve(TOOL, [TOOL, "keys", "add", name], keyring_home.env)
    transcript = b""
    for answer in (aws_world.access_key_id, aws_world.secret_access_key):
        transcript += read_until(terminal, b": ")
        os.write(terminal, answer.encode() + b"\n")
    transcript += read_until(terminal, None)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, transcript
    assert aws_world.access_key_id.encode() in transcript  # the key ID is echoed as typed...
    assert aws_world.secret_access_key.encode() not in transcript  # ...the secret never
    assert json.loads(secret_service.lookup(SERVICE, name))["SecretAccessKey"] == aws_world.secret_access_key


def read_until(descriptor, marker, timeout=30):
    data, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = os.read(descriptor, 1024)
        except OSError:  # EIO: the child closed the terminal
            return data
        if not chunk:
            return data
        data += chunk
        if marker is not None and data.rstrip().endswith(marker.strip()):
            return data
    raise AssertionError(f"timed out waiting for {marker!r}; got {data!r}")


def test_locked_keyring_is_exit_3(home, aws_world, moto, run_tool, tmp_path):
    require()
    with SecretService(tmp_path / "locked-service") as service:
        home.env["DBUS_SESSION_BUS_ADDRESS"] = service.address
        name = unique_name()
        add_keys(run_tool, home.env, name, aws_world)
        home.write_config(role_profile(aws_world, name))
        service.lock()
        for args in (["--profile", "dev"], ["keys", "list"]):
            result = run_tool(args, home.env)
            assert result.returncode == 3, result.stderr
            assert "keyring is locked" in result.stderr and len(result.stderr.splitlines()) == 1
            assert "Traceback" not in result.stderr


@pytest.mark.parametrize("backend, says", [
    ("keyring.backends.fail.Keyring", "stores nothing"),
    ("keyring.backends.null.Keyring", "stores nothing"),
    ("keyrings.alt.file.PlaintextKeyring", "plain text"),
])
def test_insecure_backends_are_refused_unless_allowed(home, aws_world, run_tool, backend, says):
    env = dict(home.env, PYTHON_KEYRING_BACKEND=backend,
               AWS_ACCESS_KEY_ID=aws_world.access_key_id, AWS_SECRET_ACCESS_KEY=aws_world.secret_access_key)
    refused = run_tool(["keys", "add", "k", "--env"], env)
    assert refused.returncode == 2 and says in refused.stderr
    assert "CREDENTIAL_PROCESS_ALLOW_INSECURE_KEYRING=1" in refused.stderr
    assert files_containing(home.path, [aws_world.secret_access_key]) == []
    if backend.startswith("keyrings.alt"):
        allowed = run_tool(["keys", "add", "k", "--env"], dict(env, CREDENTIAL_PROCESS_ALLOW_INSECURE_KEYRING="1"))
        assert allowed.returncode == 0, allowed.stderr
        # As the user accepted: the secret sits, base64-encoded with no key, in a file in HOME.
        stored = home.path / ".local" / "share" / "python_keyring" / "keyring_pass.cfg"
        encoded = "".join(stored.read_text().split("k =", 1)[1].split())
        assert aws_world.secret_access_key in base64.b64decode(encoded).decode()


def test_no_dbus_session_is_a_configuration_error(home, run_tool):
    env = {k: v for k, v in home.env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    for backend in ("keyring.backends.SecretService.Keyring", None):
        run_env = dict(env, PYTHON_KEYRING_BACKEND=backend) if backend else env
        result = run_tool("keys list", run_env)
        assert result.returncode == 2, result.stderr
        assert "DBUS_SESSION_BUS_ADDRESS is unset" in result.stderr
        assert len(result.stderr.splitlines()) == 1
