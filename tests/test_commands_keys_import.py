"""keys import --remove-plaintext and the profiles that take their base
credentials from the imported section: switched to the keyring (ours) or a
refusal naming them (botocore's source_profile); doctor names a source
profile left without credentials."""

import json

from support.tools import role_config
from test_commands_keys import SERVICE, unique_name


def test_remove_plaintext_switches_our_dependents_to_the_keyring(keyring_home, secret_service, aws_world,
                                                                   moto, run_tool):
    home, name = keyring_home, unique_name()
    home.write_credentials(aws_world.credentials_ini("base"))
    before = ("# mine\n" + role_config(aws_world, profile="dev")
              + f"\n[profile ops]\n; the ops role\ncredential_process_source_profile = base  \n"
                f"credential_process_role_arn = {aws_world.role_arn}\nregion = us-east-1\n")
    home.write_config(before)
    assert run_tool("--profile dev", home.env).returncode == 0

    result = run_tool(["keys", "import", "base", "--name", name, "--remove-plaintext"], home.env)
    assert result.returncode == 0, result.stderr
    for profile in ("ops", "dev"):  # ops was never cached: it needs the base keys now
        served = run_tool(["--profile", profile], home.env)
        assert served.returncode == 0, served.stderr
    assert "'dev', 'ops'" in result.stdout and f"credential_process_source_keyring = {name}" in result.stdout
    after = home.config.read_text()
    assert after == before.replace("credential_process_source_profile = base  \n",
                                   f"credential_process_source_keyring = {name}\n").replace(
        "credential_process_source_profile = base\n", f"credential_process_source_keyring = {name}\n")
    backups = list(home.aws_dir.glob("config.*.bak"))
    assert len(backups) == 1 and backups[0].read_text() == before
    assert aws_world.access_key_id not in home.credentials.read_text()
    assert json.loads(secret_service.lookup(SERVICE, name))["AccessKeyId"] == aws_world.access_key_id
    assert run_tool("doctor", home.env).returncode == 0


def test_remove_plaintext_refuses_while_botocore_profiles_use_the_keys(keyring_home, secret_service, aws_world,
                                                                      moto, run_tool):
    home, name = keyring_home, unique_name()
    home.write_credentials(aws_world.credentials_ini("base"))
    config = role_config(aws_world) + (f"\n[profile plain]\nrole_arn = {aws_world.role_arn}\n"
                                       "source_profile = base\n")
    home.write_config(config)
    credentials = home.credentials.read_text()
    result = run_tool(["keys", "import", "base", "--name", name, "--remove-plaintext"], home.env)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and "'plain'" in result.stderr and "'dev'" not in result.stderr
    # Nothing changed anywhere.
    assert home.credentials.read_text() == credentials and home.config.read_text() == config
    assert secret_service.lookup(SERVICE, name) is None
    assert list(home.aws_dir.glob("*.bak")) == []


def test_doctor_reports_a_source_profile_without_credentials(home, aws_world, run_tool):
    home.write_credentials("[base]\nregion = us-east-1\n")
    home.write_config(role_config(aws_world))
    result = run_tool("doctor", home.env)
    assert result.returncode == 2, result.stdout
    assert "profile 'dev': its source profile 'base' has no credentials" in result.stdout
    assert "credential_process_source_keyring" in result.stdout
