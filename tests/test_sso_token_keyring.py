"""The sign-in token of an sso-session kept in the OS keyring
(``credential_process_sso_token_store = keyring``), through the installed command
against the SSO stand-in, a scripted browser and a real Secret Service: the
token is one keyring item and never a file, it is reused, renewed and removed
there."""

import json
import subprocess
import sys
import time

import pytest

from test_commands_keys import files_containing, unique_name
from test_flows_sso import World, credentials, standin  # noqa: F401  (fixture)

SSO_SERVICE = "credential-process-sso"


class KeyringWorld(World):
    """World's profiles, over a uniquely named sso-session (the Secret Service
    is shared by the whole run), with the token kept in the keyring."""

    def __init__(self, home, standin, tmp_path, secret_service, store="keyring"):
        super().__init__(home, standin, tmp_path)
        self.secret_service = secret_service
        self.session = unique_name()
        text = home.config.read_text().replace("[sso-session corp]", f"[sso-session {self.session}]")
        text = text.replace("sso_session = corp\n",
                            f"sso_session = {self.session}\ncredential_process_sso_token_store = {store}\n")
        home.write_config(text)

    def stored(self):
        found = self.secret_service.lookup(SSO_SERVICE, self.session)
        return json.loads(found) if found else None

    def store(self, token):
        # Through keyring itself, so the item is the one our backend reads.
        script = ("import json, sys, keyring; "
                  "keyring.set_password(sys.argv[1], sys.argv[2], sys.stdin.read())")
        subprocess.run([sys.executable, "-c", script, SSO_SERVICE, self.session], input=json.dumps(token),
                       env=self.env, text=True, check=True, timeout=60)

    def sso_cache_files(self):
        folder = self.home.aws_dir / "sso" / "cache"
        return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def kworld(keyring_home, standin, tmp_path, secret_service):
    world = KeyringWorld(keyring_home, standin, tmp_path, secret_service)
    yield world
    world.run(["sso", "logout", "--sso-session", world.session, "--token-store", "keyring"])


def test_sign_in_keeps_the_token_in_the_keyring_and_in_no_file(kworld):
    credentials(kworld.run(["--profile", "dev"], env=kworld.with_browser()))
    token = kworld.stored()
    assert token and token["accessToken"] and token["refreshToken"] and token["clientSecret"]
    assert kworld.sso_cache_files() == []
    secrets = [token["accessToken"], token["refreshToken"], token["clientSecret"]]
    assert files_containing(kworld.home.path, secrets) == []
    # A second call, another profile over the same sign-in: no browser, no new token.
    credentials(kworld.run(["--profile", "readonly"], env=kworld.with_browser()))
    assert kworld.browser_opens() == 1
    assert kworld.standin.count("CreateToken") == 1


def test_an_expired_access_token_is_renewed_with_the_refresh_token_from_the_keyring(kworld):
    credentials(kworld.run(["--profile", "dev"], env=kworld.with_browser()))
    token = kworld.stored()
    token["expiresAt"] = "2020-01-01T00:00:00Z"
    kworld.store(token)
    kworld.standin.expire_access_tokens()
    credentials(kworld.run(["--profile", "readonly"], env=kworld.with_browser()))
    assert kworld.browser_opens() == 1
    assert kworld.standin.grants == ["authorization_code", "refresh_token"]
    renewed = kworld.stored()
    assert renewed["refreshToken"] != token["refreshToken"] and renewed["expiresAt"] > "2021"
    assert kworld.sso_cache_files() == []


@pytest.mark.parametrize("flag", [["--token-store", "keyring"], []], ids=["flag", "from-the-profiles"])
def test_logout_removes_the_keyring_item(kworld, flag):
    """Without --token-store, the sso command keeps the token where the
    profiles using the sso-session say (credential_process_sso_token_store)."""
    credentials(kworld.run(["--profile", "dev"], env=kworld.with_browser()))
    result = kworld.run(["sso", "logout", "--sso-session", kworld.session, *flag])
    assert result.returncode == 0, result.stderr
    assert kworld.standin.count("Logout") == 1
    assert kworld.stored() is None


def test_an_unknown_token_store_is_a_config_error(kworld):
    kworld.home.write_config(kworld.home.config.read_text().replace(
        "credential_process_sso_token_store = keyring", "credential_process_sso_token_store = vault"))
    result = kworld.run(["--profile", "dev"], env=kworld.with_browser())
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "sso_token_store" in lines[0] and "Traceback" not in result.stderr
    assert kworld.browser_opens() == 0 and kworld.stored() is None


def test_headless_without_a_token_names_the_keyring_login_command(kworld):
    result = kworld.run(["--profile", "dev"])
    assert result.returncode == 3
    assert f"credential-process sso login --sso-session {kworld.session} --token-store keyring" in result.stderr
    assert kworld.stored() is None and kworld.sso_cache_files() == []


def test_invalid_grant_reads_the_keyring_item_again_before_asking_anyone(kworld):
    """Another process of ours renewed the token between our read and our
    CreateToken: ours gets invalid_grant, the item read again is good: exit 0."""
    credentials(kworld.run(["--profile", "dev"], env=kworld.with_browser()))
    token = kworld.stored()
    token["expiresAt"] = "2020-01-01T00:00:00Z"
    kworld.store(token)

    def another_process_refreshes_first(standin, body):
        answer = standin.rotate(body["refreshToken"])
        kworld.store(dict(token, accessToken=answer["accessToken"], refreshToken=answer["refreshToken"],
                          expiresAt=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))))

    kworld.standin.on_refresh = another_process_refreshes_first
    credentials(kworld.run(["--profile", "readonly"]))  # headless: a sign-in would be exit 3
    assert kworld.standin.grants == ["authorization_code", "refresh_token", "refresh_token (another tool)"]
    assert kworld.sso_cache_files() == []
