"""`doctor`: every finding triggered by a config made for it, each with its fix;
exit 0 on a clean config; the files are never modified."""

import os
import re

import pytest

from support.tools import TOOL

ROLE = "arn:aws:iam::123456789012:role/deploy"
BASE = "[profile base]\nregion = us-east-1\n\n"
KEYS = "aws_access_key_id = AKIAEXAMPLEEXAMPLE12\naws_secret_access_key = example\n"


def served(name="dev", extra="", command=None, role=True, source="credential_process_source_profile = base\n"):
    command = command or f"{TOOL} --profile {name}"
    role_line = f"credential_process_role_arn = {ROLE}\n" if role else ""
    return f"[profile {name}]\ncredential_process = {command}\n{role_line}{source}{extra}\n"


# A clean config: comments, many sections, profiles not using this tool.
CLEAN = f"""\
# my config
[default]
region = eu-west-1

{BASE}; a role profile
{served("dev", "credential_process_duration_seconds = 3600")}
{served("ops", "credential_process_duration_seconds = 43200")}
{served("saml", source="credential_process_saml_assertion_file = /tmp/assertion.b64")}
[profile chained]
credential_process = {TOOL} --profile chained
credential_process_role_arn = {ROLE}
credential_process_source_profile = dev

[profile sso]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
"""

# (case, config, credentials file, problem text expected)
CASES = [
    ("role_arn beside credential_process",
     BASE + served(extra=f"role_arn = {ROLE}\nsource_profile = base\n"), "",
     "sets both role_arn and credential_process"),
    ("static keys in the credentials file",
     BASE + served(), f"[base]\n{KEYS}\n[dev]\n{KEYS}",
     "has aws_access_key_id, aws_secret_access_key"),
    ("short session",
     BASE + served(extra="credential_process_duration_seconds = 900\n"), "",
     "sessions of 900 s"),
    ("tilde path",
     BASE + served(command="~/.local/bin/credential-process --profile dev"), "",
     "~ is not expanded"),
    ("relative path",
     BASE + served(command="./bin/credential-process --profile dev"), "",
     "relative path './bin/credential-process'"),
    ("not on PATH",
     BASE + served(command="credential-process --profile dev"), "",
     "'credential-process', which is not on PATH"),
    ("absolute path that does not exist",
     BASE + served(command="/nonexistent/bin/credential-process --profile dev"), "",
     "/nonexistent/bin/credential-process, which does not exist"),
    ("source profile cycle",
     served("a", source="credential_process_source_profile = b\n")
     + served("b", source="credential_process_source_profile = a\n"), "",
     "profile chain loops: a -> b -> a"),
    ("missing source profile",
     served(source="credential_process_source_profile = nosuch\n"), "",
     "its source profile 'nosuch' is in neither"),
    ("no source at all",
     served(source=""), "",
     "names no base credentials"),
    ("duration above what STS allows",
     BASE + served(extra="credential_process_duration_seconds = 50000\n"), "",
     "must be between 900 and 43200 for assume-role, not 50000"),
    ("duration below what STS allows",
     BASE + served(extra="credential_process_duration_seconds = 600\n"), "",
     "must be between 900 and 43200 for assume-role, not 600"),
    ("session token duration above what STS allows",
     BASE + served(role=False, extra="credential_process_duration_seconds = 130000\n"), "",
     "must be between 900 and 129600 for get-session-token, not 130000"),
    ("chained role longer than an hour",
     BASE + served("dev") + served("chained", "credential_process_duration_seconds = 7200",
                                   source="credential_process_source_profile = dev\n"), "",
     "STS refuses chained role sessions longer than 3600 s"),
    ("chained from SSO longer than an hour",
     "[profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = Admin\n\n"
     + served(extra="credential_process_duration_seconds = 7200", source="credential_process_source_profile = sso\n"),
     "", "STS refuses chained role sessions longer than 3600 s"),
    ("chained from a role profile of this tool (SAML) longer than an hour",
     served("saml", source="credential_process_saml_assertion_file = /tmp/assertion\n")
     + served(extra="credential_process_duration_seconds = 7200", source="credential_process_source_profile = saml\n"),
     "", "STS refuses chained role sessions longer than 3600 s"),
    ("invalid role ARN",
     BASE + served(role=False, extra="credential_process_role_arn = deploy\n"), "",
     "credential_process_role_arn is not an ARN"),
    ("this tool for a profile without its keys",
     f"[profile plain]\nregion = eu-west-1\ncredential_process = {TOOL} --profile plain\n", "",
     "credential_process runs credential-process, but the profile sets no credential_process_* key"),
    ("two sources",
     BASE + served(extra="credential_process_credential_source = Environment\n"), "",
     "choose one"),
    ("a copied section serving another profile",
     BASE + served() + served("copypaste", command=f"{TOOL} --profile dev"), "",
     "has credential_process_* keys of its own, but its credential_process line serves profile 'dev' "
     "(--profile dev): everything using 'copypaste' gets 'dev''s credentials and these keys are never read"),
    ("a line serving a profile this tool cannot serve",
     BASE + "[profile alias]\ncredential_process = " + TOOL + " --profile base\n", "",
     "its credential_process line serves profile 'base', which this tool cannot serve"),
    ("a line for a profile without keys of this tool",
     BASE + served(role=False, source="role_arn = " + ROLE + "\n"), "",
     "its credential_process line runs this tool for 'dev', which sets no credential_process_* key"),
    ("an SSO sign-in behind the source that has not been made",
     "[profile sso]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n\n"
     "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n\n"
     + served(source="credential_process_source_profile = sso\n"),
     "", "its source profile 'sso' signs in with IAM Identity Center, and that sign-in has not been made"),
    ("an `aws login` session behind the source with no sign-in",
     "[profile console]\nlogin_session = arn:aws:iam::111111111111:user/alice\nregion = us-east-1\n\n"
     + served(source="credential_process_source_profile = console\n"),
     "", "its source profile 'console' uses the `aws login` session 'arn:aws:iam::111111111111:user/alice', "
         "which has no sign-in on this machine"),
]


def doctor(run_tool, home, *args, env=None):
    return run_tool(["doctor", *args], env or home.env)


def findings(output):
    """[(where, problem, fix)] from doctor's output."""
    return re.findall(r"^(\S[^:\n]*): (.*)\n    fix: (.*)$", output, flags=re.M)


def test_clean_config_exits_0_and_files_are_untouched(home, run_tool):
    home.write_config(CLEAN)
    home.write_credentials(f"# long-term keys\n[base]\n{KEYS}")
    before = (home.config.read_bytes(), home.credentials.read_bytes())
    result = doctor(run_tool, home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "no problems found (4 profiles checked)\n"
    assert (home.config.read_bytes(), home.credentials.read_bytes()) == before


@pytest.mark.parametrize("case, config, credentials, expected", CASES, ids=[case[0] for case in CASES])
def test_each_finding_with_its_fix(home, run_tool, case, config, credentials, expected):
    home.write_config(config)
    home.write_credentials(credentials or f"[base]\n{KEYS}")
    env = dict(home.env, PATH="/usr/bin:/bin")  # this tool's folder off PATH, for the PATH case
    result = doctor(run_tool, home, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    found = findings(result.stdout)
    matching = [finding for finding in found if expected in finding[1]]
    assert matching, result.stdout
    assert all(fix.strip() for _where, _problem, fix in found)
    assert re.search(r"^\d+ problems? found", result.stdout, flags=re.M)


def test_access_key_in_the_environment(home, run_tool):
    home.write_config(BASE + served())
    home.write_credentials(f"[base]\n{KEYS}")
    assert doctor(run_tool, home).returncode == 0
    result = doctor(run_tool, home, env=dict(home.env, AWS_ACCESS_KEY_ID="AKIAEXAMPLEEXAMPLE12"))
    assert result.returncode == 2
    assert findings(result.stdout) == [(
        "environment",
        "AWS_ACCESS_KEY_ID is set: the SDKs use it before any profile, so credential_process never runs",
        "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN")]


def test_one_profile_only(home, run_tool):
    home.write_config(BASE + served() + served("broken", source=""))
    home.write_credentials(f"[base]\n{KEYS}")
    assert doctor(run_tool, home, "--profile", "dev").returncode == 0
    result = doctor(run_tool, home, "--profile", "broken")
    assert result.returncode == 2 and "profile 'broken'" in result.stdout
    missing = doctor(run_tool, home, "--profile", "nosuch")
    assert missing.returncode == 2 and "nosuch" in missing.stderr


@pytest.mark.parametrize("problem", ["group and other bits", "symlink", "other owner"])
def test_cache_folder(home, run_tool, tmp_path, problem):
    home.write_config(BASE + served())
    home.write_credentials(f"[base]\n{KEYS}")
    folder = home.cache_dir
    if problem == "symlink":
        real = tmp_path / "elsewhere"
        real.mkdir(mode=0o700)
        folder.parent.mkdir(parents=True)
        folder.symlink_to(real)
        expected = "is a symbolic link"
    else:
        folder.mkdir(parents=True, mode=0o700)
        if problem == "group and other bits":
            os.chmod(folder, 0o750)
            expected = "is open to other users (mode 750)"
        else:
            if os.geteuid() != 0:
                pytest.skip("giving a folder to another user needs root (CI runs as root)")
            os.chown(folder, 65534, 65534)
            expected = "belongs to another user (uid 65534)"
    result = doctor(run_tool, home)
    assert result.returncode == 2, result.stdout + result.stderr
    (finding,) = findings(result.stdout)
    assert finding[0] == "cache" and expected in finding[1] and finding[2]


def test_refused_keyring_backend(home, run_tool):
    """Profiles that use the keyring are checked against the backend keyring picks."""
    home.write_config(BASE + served(source="credential_process_source_keyring = work\n"))
    home.write_credentials(f"[base]\n{KEYS}")
    refused = dict(home.env, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    result = doctor(run_tool, home, env=refused)
    assert result.returncode == 2, result.stdout + result.stderr
    assert [finding[0] for finding in findings(result.stdout)] == ["keyring"]  # the source itself is fine
    [(where, problem, fix)] = findings(result.stdout)
    assert "stores nothing" in problem and "gnome-keyring" in fix
    # The same backend is no finding when no profile uses the keyring.
    home.write_config(BASE + served())
    assert doctor(run_tool, home, env=refused).returncode == 0


def test_an_alias_is_fine(home, run_tool):
    """A profile without keys of its own whose line names another profile is an alias."""
    home.write_config(BASE + served() + f"[profile alias]\ncredential_process = {TOOL} --profile dev\n")
    home.write_credentials(f"[base]\n{KEYS}")
    result = doctor(run_tool, home)
    assert result.returncode == 0, result.stdout


def test_a_missing_config_file(home, run_tool):
    result = doctor(run_tool, home)
    assert result.returncode == 2, result.stdout + result.stderr
    [(where, problem, fix)] = findings(result.stdout)
    assert where == "config" and problem.endswith("config does not exist: there is no profile to check")
    assert "configure --profile NAME" in fix and "AWS_CONFIG_FILE" in fix


def test_an_unreadable_config_file(home, run_tool):
    home.write_config("[profile dev\nbroken")
    result = doctor(run_tool, home)
    assert result.returncode == 2, result.stdout + result.stderr
    [(where, problem, fix)] = findings(result.stdout)
    assert where == "config" and problem.startswith("cannot read ") and "readable INI file" in fix


def test_a_signed_in_login_session_behind_the_source_is_fine(home, run_tool):
    import hashlib

    name = "arn:aws:iam::111111111111:user/alice"
    home.write_config(f"[profile console]\nlogin_session = {name}\nregion = us-east-1\n\n"
                      + served(source="credential_process_source_profile = console\n"))
    home.write_credentials(f"[base]\n{KEYS}")
    folder = home / ".aws" / "login" / "cache"
    folder.mkdir(parents=True)
    (folder / (hashlib.sha256(name.encode()).hexdigest() + ".json")).write_text("{}")
    result = doctor(run_tool, home)
    assert result.returncode == 0, result.stdout
