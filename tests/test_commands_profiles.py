"""profiles: every profile of the config and credentials files, its flow, source,
region and cached session, read without an STS call; --json, --tree; completion."""

import json

import pytest

from support.commands import save_entry
from support.tools import TOOL, role_config

MFA = "arn:aws:iam::123456789012:mfa/alice"


@pytest.fixture
def world(home, aws_world, sts_proxy):
    home.write_credentials(aws_world.credentials_ini("base") + "\n[only-keys]\naws_access_key_id = AKIAEXAMPLE\n"
                           "aws_secret_access_key = example\n")
    ours = "\n".join(
        f"[profile {name}]\nregion = eu-west-1\ncredential_process = {TOOL} --profile {name}\n"
        f"credential_process_role_arn = {aws_world.role_arn}\ncredential_process_source_profile = {source}\n"
        f"{extra}"
        for name, source, extra in (
            ("ops", "base", ""),
            ("old", "base", ""),
            ("mfa-a", "base", f"credential_process_mfa_serial = {MFA}\n"),
            ("mfa-b", "base", f"credential_process_mfa_serial = {MFA}\n"),
            ("ext-role", "ext", ""),
        ))
    home.write_config(role_config(aws_world) + "\n" + ours + f"""
[profile ext]
role_arn = {aws_world.role_arn}
source_profile = base

[profile corp]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Admin

[profile signed-in]
login_session = arn:aws:iam::123456789012:user/alice

[profile alias]
credential_process = {TOOL} --profile dev

[profile fixed]
aws_access_key_id = AKIAEXAMPLE2
aws_secret_access_key = example

[profile broken]
credential_process_role_arn = not-an-arn
""")
    return home


def rows_by_name(run_tool, env):
    result = run_tool("profiles --json", env)
    assert result.returncode == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)}


def test_json_describes_every_profile_without_sts_calls(world, sts_proxy, run_tool):
    answer = json.loads(run_tool("--profile dev", world.env).stdout)
    save_entry(world, "old", {"AccessKeyId": "ASIAOLD", "SecretAccessKey": "s" * 40, "SessionToken": "t" * 60,
                              "Expiration": "2020-01-01T00:00:00Z"}, expires_in=-60)
    calls = sts_proxy.total()
    rows = rows_by_name(run_tool, world.env)
    assert sts_proxy.total() == calls
    assert sorted(rows) == ["alias", "base", "broken", "corp", "dev", "ext", "ext-role", "fixed", "mfa-a",
                            "mfa-b", "old", "only-keys", "ops", "signed-in"]
    dev = rows["dev"]
    assert (dev["provider"], dev["flow"], dev["source_kind"], dev["source"], dev["region"], dev["session"]) == (
        "credential-process", "assume-role", "profile", "base", "us-east-1", "valid")
    assert dev["session_expires"] == answer["Expiration"]
    assert rows["ops"]["session"] == "none" and rows["old"]["session"] == "expired"
    assert rows["mfa-a"]["session"] == "needs-person" and rows["mfa-a"]["mfa_serial"] == MFA
    expected = {"base": ("keys", "credentials_file", None), "only-keys": ("keys", "credentials_file", None),
                "ext": ("role", "profile", "base"), "corp": ("sso", "sso_session", "corp"),
                "signed-in": ("login", "login_session", "arn:aws:iam::123456789012:user/alice"),
                "alias": ("process", "profile", "dev"), "fixed": ("keys", "config_file", None)}
    for name, (flow, kind, source) in expected.items():
        assert (rows[name]["provider"], rows[name]["flow"], rows[name]["source_kind"], rows[name]["source"]) == (
            "botocore", flow, kind, source), name
    assert rows["corp"]["session"] == "needs-person"  # no SSO login cached
    assert rows["broken"]["flow"] == "invalid" and "not an ARN" in rows["broken"]["error"]
    result = run_tool("profiles", world.env)
    assert answer["SecretAccessKey"] not in result.stdout + result.stderr


def test_table(world, run_tool):
    run_tool("--profile dev", world.env)
    result = run_tool("profiles", world.env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["PROFILE", "CREDENTIALS", "SOURCE", "REGION", "SESSION"]
    table = {line.split()[0]: line for line in lines[1:] if "  " in line}
    assert table["dev"].split()[1:4] == ["assume-role", "base", "us-east-1"]
    assert " valid until " in table["dev"]
    assert table["mfa-a"].split()[1:3] == ["assume-role", "+mfa"] and table["mfa-a"].endswith("needs a person")
    assert table["ext"].split()[1:3] == ["role", "(botocore)"]
    assert table["ops"].endswith("none")
    assert "broken: credential_process_role_arn is not an ARN" in result.stdout


def test_tree_draws_source_chains_and_the_shared_mfa_session(world, run_tool):
    result = run_tool("profiles --tree", world.env, )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("base  (keys)")
    block = lines[start:start + 9]
    assert "├── ext  (role)" in block or "└── ext  (role)" in block
    ext = next(index for index, line in enumerate(lines) if line.endswith("── ext  (role)"))
    assert lines[ext + 1].strip().endswith("── ext-role  (assume-role, none)")
    mfa = next(index for index, line in enumerate(lines) if line.endswith(f"── MFA session of {MFA}"))
    assert [line.strip()[4:] for line in lines[mfa + 1:mfa + 3]] == [
        "mfa-a  (assume-role, needs a person)", "mfa-b  (assume-role, needs a person)"]
    dev = next(index for index, line in enumerate(lines) if "── dev  (assume-role" in line)
    assert lines[dev + 1].strip().endswith("── alias  (process)")


def test_no_files_is_not_an_error(home, run_tool):
    result = run_tool("profiles", home.env)
    assert result.returncode == 0 and result.stdout == ""
    assert "no profiles in" in result.stderr
    assert json.loads(run_tool("profiles --json", home.env).stdout) == []


@pytest.mark.parametrize("words, expected", [
    (["--profile", "o"], ["old", "only-keys", "ops"]),  # only-keys is in the credentials file alone
    (["login", "mfa"], ["mfa-a", "mfa-b"]),
    (["login", "--profile", "e"], ["ext", "ext-role"]),
])
def test_completion_offers_the_listed_names(world, run_tool, words, expected):
    result = run_tool("completion --complete", world.env, input="".join(word + "\0" for word in words))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected
