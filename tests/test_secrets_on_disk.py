"""No secret reaches a file outside the 0600 file store, whichever store caches:
after each command the whole HOME is searched for every secret and token the
tool has handled (the base keys, each session's secret and token, each EKS
token and its signature)."""

import json
import stat
from urllib.parse import parse_qs, urlsplit

import pytest

from support.kube_api import decode_token
from support.tools import read_entry
from test_commands_keys import CACHE_SERVICE, add_keys, files_containing, role_profile, unique_name


def stored_entries(home, store, secret_service):
    """Every cached entry, read from where the store keeps it."""
    if store == "file":
        return [read_entry(path) for path in home.cache_dir.glob("*.json")]
    index = json.loads((home.cache_dir / "keyring-index").read_text())
    return [json.loads(secret_service.lookup(CACHE_SERVICE, key)) for key in index]


def secrets_of(entries):
    found = []
    for entry in entries:
        credentials = entry.get("credentials") or {}
        found += [credentials.get("SecretAccessKey"), credentials.get("SessionToken")]
        token = (entry.get("token") or {}).get("token")
        if token:
            query = parse_qs(urlsplit(decode_token(token)).query)
            found += [token, query["X-Amz-Signature"][0]]
    return [secret for secret in found if secret]


@pytest.mark.parametrize("store", ["file", "keyring"])
def test_no_secret_outside_the_file_store(keyring_home, secret_service, aws_world, sts_proxy, run_tool, store):
    home, name = keyring_home, unique_name()
    add_keys(run_tool, home.env, name, aws_world)
    home.write_config(role_profile(aws_world, name, cache=store))
    other_role = aws_world.make_role()
    commands = [
        ["--profile", "dev"],
        ["export", "--profile", "dev"],
        ["eks", "token", "--cluster-name", "demo", "--profile", "dev"],
        ["eks", "token", "--cluster-name", "demo", "--profile", "dev", "--role-arn", other_role],
        ["eks", "token", "--cluster-name", "demo", "--profile", "dev"],  # a hit
        ["cache", "list"],
    ]
    secrets = [aws_world.secret_access_key]
    for command in commands:
        result = run_tool(command, home.env)
        assert result.returncode == 0, (command, result.stderr)
        entries = stored_entries(home, store, secret_service)
        secrets = sorted(set(secrets + secrets_of(entries)))
        allowed = set()
        if store == "file":
            for path in home.cache_dir.glob("*.json"):
                assert stat.S_IMODE(path.stat().st_mode) == 0o600
                allowed.add(str(path))
        leaks = [found for found in files_containing(home.path, secrets) if found[0] not in allowed]
        assert leaks == [], (command, leaks)
    kinds = {entry.get("kind", "credentials") for entry in stored_entries(home, store, secret_service)}
    assert kinds == {"credentials", "eks-token"}
    assert len(secrets) == 9  # the base secret; 2 sessions x (secret, token); 2 EKS tokens x (token, signature)
