"""IAM Identity Center through the installed command, against the loopback
stand-in (support/sso_standin.py) and a scripted browser: a BROWSER script
that follows the authorize URL to our loopback listener, as a signed-in
person's browser would, and counts how often it was opened."""

import json
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from support.sso_standin import SsoStandIn
from support.tools import TOOL

START_URL = "https://example.awsapps.com/start"
SESSION = "corp"


@pytest.fixture
def standin():
    server = SsoStandIn().start()
    yield server
    server.stop()


class World:
    def __init__(self, home, standin, tmp_path):
        self.home, self.standin = home, standin
        self.opened = tmp_path / "browser-opened"
        self.browser = tmp_path / "browser.py"
        self.browser.write_text(textwrap.dedent(f"""\
            import sys, urllib.request
            with open({str(self.opened)!r}, "a") as log:
                log.write(sys.argv[1] + "\\n")
            urllib.request.urlopen(sys.argv[1], timeout=30).read()
            """))
        home.write_config(f"""
            [sso-session {SESSION}]
            sso_start_url = {START_URL}
            sso_region = eu-west-1
            sso_registration_scopes = sso:account:access

            [profile dev]
            region = eu-west-1
            credential_process = {TOOL} --profile dev
            credential_process_sso_session = {SESSION}
            credential_process_sso_account_id = 111111111111
            credential_process_sso_role_name = Admin

            [profile readonly]
            region = eu-west-1
            credential_process = {TOOL} --profile readonly
            credential_process_sso_session = {SESSION}
            credential_process_sso_account_id = 111111111111
            credential_process_sso_role_name = ReadOnly

            [profile native]
            region = eu-west-1
            sso_session = {SESSION}
            sso_account_id = 111111111111
            sso_role_name = ReadOnly
            """)
        # Headless unless a test gives a browser: no display, no terminal (stdin /dev/null, no tty).
        self.env = {key: value for key, value in home.env.items()
                    if key not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "SSH_CONNECTION", "SSH_TTY")}
        self.env.update(standin.env())

    def with_browser(self):
        return dict(self.env, BROWSER=f"{sys.executable} {self.browser} %s")

    def browser_opens(self):
        return len(self.opened.read_text().splitlines()) if self.opened.exists() else 0

    @property
    def token_file(self):
        import hashlib

        return self.home.aws_dir / "sso" / "cache" / (hashlib.sha1(SESSION.encode()).hexdigest() + ".json")

    def run(self, args, env=None, timeout=90):
        return subprocess.run([TOOL, *args], env=env or self.env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=timeout, start_new_session=True)


@pytest.fixture
def world(home, standin, tmp_path):
    return World(home, standin, tmp_path)


def credentials(result):
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["Version"] == 1 and answer["AccountId"] == "111111111111"
    return answer


@pytest.mark.slow
def test_thirty_parallel_callers_without_a_token_make_one_sign_in(world):
    """Two profiles over one sso-session, so that the sign-in's own single
    flight is tested, not only the cache entry's lock."""
    env = world.with_browser()
    callers = [subprocess.Popen([TOOL, "--profile", ("dev", "readonly")[number % 2]], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True) for number in range(30)]
    results = [(caller.communicate(timeout=120), caller.returncode) for caller in callers]
    for (out, err), code in results:
        assert code == 0, err
    keys = {json.loads(out)["AccessKeyId"] for (out, _), _ in results}
    assert world.browser_opens() == 1
    assert world.standin.count("Authorize") == 1
    assert world.standin.count("CreateToken") == 1
    assert world.standin.count("GetRoleCredentials") == 2 and len(keys) == 2


def test_token_file_is_the_aws_clis_and_private(world):
    credentials(world.run(["--profile", "dev"], env=world.with_browser()))
    token = json.loads(world.token_file.read_text())
    assert set(token) == {"startUrl", "region", "accessToken", "expiresAt", "clientId", "clientSecret",
                          "registrationExpiresAt", "refreshToken"}
    assert token["startUrl"] == START_URL and token["region"] == "eu-west-1"
    assert token["expiresAt"].endswith("Z")
    assert stat.S_IMODE(world.token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(world.token_file.parent.stat().st_mode) == 0o700


def test_expired_access_token_is_renewed_with_the_refresh_token_without_a_browser(world):
    credentials(world.run(["--profile", "dev"], env=world.with_browser()))
    token = json.loads(world.token_file.read_text())
    token["expiresAt"] = "2020-01-01T00:00:00Z"
    world.token_file.write_text(json.dumps(token))
    world.standin.expire_access_tokens()
    result = world.run(["--profile", "readonly"], env=world.with_browser())
    credentials(result)
    assert world.browser_opens() == 1
    assert world.standin.grants == ["authorization_code", "refresh_token"]
    renewed = json.loads(world.token_file.read_text())
    assert renewed["refreshToken"] != token["refreshToken"] and renewed["expiresAt"] > "2021"


def test_a_token_written_here_serves_boto3s_own_sso_session_profile(world):
    credentials(world.run(["--profile", "dev"], env=world.with_browser()))
    script = ("import boto3; c = boto3.Session(profile_name='native').get_credentials()"
              ".get_frozen_credentials(); print(c.access_key)")
    result = subprocess.run([sys.executable, "-c", script], env=world.env, capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == world.standin.issued_keys[-1]
    assert world.standin.count("CreateToken") == 1


def test_a_token_written_by_the_aws_cli_serves_this_tool(world):
    """The file as botocore's SSOTokenProvider writes it, from a sign-in made elsewhere."""
    oidc_client = _botocore_oidc(world.standin)
    registered = oidc_client.register_client(clientName="aws-cli", clientType="public",
                                             scopes=["sso:account:access"])
    device = oidc_client.start_device_authorization(
        clientId=registered["clientId"], clientSecret=registered["clientSecret"], startUrl=START_URL)
    grant = dict(clientId=registered["clientId"], clientSecret=registered["clientSecret"],
                 grantType="urn:ietf:params:oauth:grant-type:device_code", deviceCode=device["deviceCode"])
    with pytest.raises(oidc_client.exceptions.AuthorizationPendingException):
        oidc_client.create_token(**grant)
    answer = oidc_client.create_token(**grant)
    world.token_file.parent.mkdir(parents=True)
    world.token_file.write_text(json.dumps({
        "startUrl": START_URL, "region": "eu-west-1", "accessToken": answer["accessToken"],
        "expiresAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600)),
        "clientId": registered["clientId"], "clientSecret": registered["clientSecret"],
        "registrationExpiresAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400)),
        "refreshToken": answer["refreshToken"]}))
    credentials(world.run(["--profile", "dev"]))  # headless: no sign-in needed
    assert world.standin.count("CreateToken") == 2 and world.standin.count("GetRoleCredentials") == 1


def _botocore_oidc(standin):
    import botocore.session
    from botocore import UNSIGNED
    from botocore.config import Config

    return botocore.session.Session().create_client(
        "sso-oidc", endpoint_url=standin.url, config=Config(signature_version=UNSIGNED, region_name="eu-west-1"))


def test_headless_without_a_token_exits_3_at_once_with_the_command(world):
    started = time.monotonic()
    result = world.run(["--profile", "dev"])
    elapsed = time.monotonic() - started
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert "credential-process sso login --sso-session corp" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert elapsed < 10
    assert world.standin.count("RegisterClient") == 0


def test_device_code_login_with_the_portal_approving(world):
    world.standin.device_approve_after = 2
    result = world.run(["sso", "login", "--sso-session", SESSION, "--use-device-code"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "/device?user_code=" in result.stderr
    assert world.standin.grants == ["urn:ietf:params:oauth:grant-type:device_code"] * 3
    assert world.browser_opens() == 0
    credentials(world.run(["--profile", "dev"]))
    assert world.standin.count("CreateToken") == 3


def test_logout_ends_the_sign_in_at_the_portal_and_removes_the_token(world):
    credentials(world.run(["--profile", "dev"], env=world.with_browser()))
    result = world.run(["sso", "logout", "--sso-session", SESSION])
    assert result.returncode == 0, result.stderr
    assert world.standin.count("Logout") == 1
    assert not world.token_file.exists()


def test_cache_clear_leaves_the_sign_in(world):
    credentials(world.run(["--profile", "dev"], env=world.with_browser()))
    assert world.run(["cache", "clear", "--all"]).returncode == 0
    credentials(world.run(["--profile", "dev"]))  # headless: the token is still there
    assert world.token_file.exists() and world.standin.count("GetRoleCredentials") == 2


def test_profiles_lists_and_writes_a_profile_per_account_and_role(world):
    credentials(world.run(["--profile", "dev"], env=world.with_browser()))
    before = world.home.config.read_text()
    result = world.run(["sso", "profiles", "--sso-session", SESSION])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["111111111111 Dev Account Admin", "111111111111 Dev Account ReadOnly",
                                          "222222222222 prod ReadOnly"]
    result = world.run(["sso", "profiles", "--sso-session", SESSION, "--write"])
    assert result.returncode == 0, result.stderr
    after = world.home.config.read_text()
    assert after.startswith(before)
    assert "[profile Dev-Account.Admin]" in after and "[profile prod.ReadOnly]" in after
    assert len(list(world.home.aws_dir.glob("config.*.bak"))) == 1
    written = world.run(["--profile", "Dev-Account.ReadOnly"])
    credentials(written)
    again = world.run(["sso", "profiles", "--sso-session", SESSION, "--write"])
    assert again.returncode == 0 and world.home.config.read_text() == after


def test_a_profile_naming_a_missing_sso_session_is_a_config_error(world):
    world.home.write_config(f"""
        [profile broken]
        credential_process = {TOOL} --profile broken
        credential_process_sso_session = nowhere
        credential_process_sso_account_id = 111111111111
        credential_process_sso_role_name = Admin
        """)
    result = world.run(["--profile", "broken"])
    assert result.returncode == 2
    assert "[sso-session nowhere]" in result.stderr and len(result.stderr.splitlines()) == 1


def test_sso_keys_contradicting_another_flow_are_refused(world):
    world.home.write_config(f"""
        [profile mixed]
        credential_process_sso_session = {SESSION}
        credential_process_sso_account_id = 111111111111
        credential_process_role_arn = arn:aws:iam::111111111111:role/x
        """)
    result = world.run(["--profile", "mixed"])
    assert result.returncode == 2 and "contradicts" in result.stderr


def test_invalid_grant_reads_the_token_file_again_before_asking_anyone(world):
    """The AWS CLI renewed the token (rotating the refresh token) between our
    read of the file and our CreateToken: ours is refused with invalid_grant,
    and the file, read again, holds a good token: no sign-in, exit 0."""
    credentials(world.run(["--profile", "dev"], env=world.with_browser()))
    token = json.loads(world.token_file.read_text())
    token["expiresAt"] = "2020-01-01T00:00:00Z"
    world.token_file.write_text(json.dumps(token))

    def another_tool_refreshes_first(standin, body):
        answer = standin.rotate(body["refreshToken"])
        renewed = dict(token, accessToken=answer["accessToken"], refreshToken=answer["refreshToken"],
                       expiresAt=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600)))
        world.token_file.write_text(json.dumps(renewed))

    world.standin.on_refresh = another_tool_refreshes_first
    result = world.run(["--profile", "readonly"])  # headless: a sign-in would be exit 3
    credentials(result)
    assert world.standin.grants == ["authorization_code", "refresh_token", "refresh_token (another tool)"]
    assert world.standin.count("GetRoleCredentials") == 2


def test_doctor_names_a_missing_sso_session(world):
    world.home.write_config(world.home.config.read_text().replace(
        f"credential_process_sso_session = {SESSION}\n", "credential_process_sso_session = nope\n", 1))
    result = world.run(["doctor", "--profile", "dev"])
    assert result.returncode == 2
    assert "no [sso-session nope] section" in result.stdout


def slow_browser(world, seconds):
    """A browser whose person takes ``seconds`` to sign in."""
    script = world.browser.read_text().replace("urllib.request.urlopen", f"__import__('time').sleep({seconds}); "
                                                "urllib.request.urlopen")
    world.browser.write_text(script)
    return world.with_browser()


def wait_for_token(world, seconds=30):
    deadline = time.monotonic() + seconds
    while not world.token_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert world.token_file.exists()


@pytest.mark.slow
def test_a_killed_caller_leaves_its_sign_in_running_and_never_causes_a_second_tab(world):
    env = slow_browser(world, 4)
    first = subprocess.Popen([TOOL, "--profile", "dev"], env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    time.sleep(1.5)
    first.kill()  # as the Go SDK does after 60 s
    first.communicate()
    second = world.run(["--profile", "readonly"], env=env)
    credentials(second)
    assert world.browser_opens() == 1 and world.standin.count("CreateToken") == 1


@pytest.mark.slow
def test_callers_wait_for_a_sign_in_in_progress_within_their_budget_then_exit_3(world):
    env = slow_browser(world, 5)
    started = time.monotonic()
    result = world.run(["--profile", "dev", "--lock-timeout", "1"], env=env)
    assert result.returncode == 3 and result.stdout == ""
    assert "sign-in to sso-session 'corp' is in progress" in result.stderr
    assert time.monotonic() - started < 4
    other = world.run(["--profile", "readonly", "--lock-timeout", "1"])  # headless, but one is in progress
    assert other.returncode == 3 and "in progress" in other.stderr
    wait_for_token(world)  # the sign-in outlived both callers and completed
    credentials(world.run(["--profile", "dev"]))
    assert world.browser_opens() == 1 and world.standin.count("CreateToken") == 1


def _expire_access_token(world, refreshable=True):
    token = json.loads(world.token_file.read_text())
    token["expiresAt"] = "2020-01-01T00:00:00Z"
    if not refreshable:
        del token["refreshToken"]
    world.token_file.write_text(json.dumps(token))
    world.standin.expire_access_tokens()


@pytest.mark.slow
def test_background_refresh_renews_the_token_with_the_refresh_token(world):
    from support.hostile import entry_files, set_remaining, tool_processes, wait_until

    first = credentials(world.run(["--profile", "dev"], env=world.with_browser()))
    _expire_access_token(world)
    set_remaining(entry_files(world.home)[0], 1500)  # served, renewal due
    served = credentials(world.run(["--profile", "dev"]))
    assert served["AccessKeyId"] == first["AccessKeyId"]
    assert wait_until(lambda: world.standin.count("GetRoleCredentials") == 2, timeout=30)
    assert wait_until(lambda: not tool_processes(world.home), timeout=30)
    assert world.standin.grants == ["authorization_code", "refresh_token"] and world.browser_opens() == 1
    assert credentials(world.run(["--profile", "dev"]))["AccessKeyId"] == world.standin.issued_keys[-1]


@pytest.mark.slow
def test_background_refresh_never_starts_a_sign_in(world):
    from support.hostile import entry_files, set_remaining, tool_processes, wait_until

    env = world.with_browser()
    first = credentials(world.run(["--profile", "dev"], env=env))
    _expire_access_token(world, refreshable=False)
    set_remaining(entry_files(world.home)[0], 1500)
    assert credentials(world.run(["--profile", "dev"], env=env))["AccessKeyId"] == first["AccessKeyId"]
    time.sleep(2)
    assert wait_until(lambda: not tool_processes(world.home), timeout=30)
    assert world.browser_opens() == 1 and world.standin.count("RegisterClient") == 1
    assert world.standin.count("GetRoleCredentials") == 1


@pytest.mark.parametrize("content", ["not json", "[]", '{"accessToken": 5}',
                                     '{"accessToken": "x", "expiresAt": "yesterday", "refreshToken": 1}'])
def test_a_damaged_token_file_is_no_sign_in_never_a_traceback(world, content):
    world.token_file.parent.mkdir(parents=True)
    world.token_file.write_text(content)
    result = world.run(["--profile", "dev"])
    assert result.returncode == 3 and "sso login --sso-session corp" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and world.standin.count("CreateToken") == 0


def test_an_sso_session_without_a_region_is_a_config_error(world):
    world.home.write_config(world.home.config.read_text().replace("sso_region = eu-west-1\n", "", 1))
    result = world.run(["sso", "login", "--sso-session", SESSION])
    assert result.returncode == 2
    assert result.stderr.strip().endswith("sets no sso_region") and len(result.stderr.splitlines()) == 1
