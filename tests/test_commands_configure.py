"""`configure`: writes one profile's section, every other byte of the file kept;
and the inifile module under it (also used to remove keys)."""

import configparser
import os
import pty
import stat
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credential_process import inifile
from support.tools import TOOL

ROLE = "arn:aws:iam::123456789012:role/deploy"

# Comments, odd spacing, a nested (continued) value, "key: value", no final newline.
CONFIG = """\
# Company AWS config -- do not reorder
[default]
region = eu-west-1
output=json

; the dev account
[profile dev]
region   =   us-east-1
s3 =
    max_concurrent_requests = 20
    multipart_threshold = 64MB
credential_process_duration_seconds = 3600
# keep this comment

[profile other]
sso_session: corp
sso_account_id = 111111111111

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1"""


def configure(run_tool, home, args, **kwargs):
    return run_tool(["configure", *args], home.env, **kwargs)


def test_existing_profile_updated_rest_byte_for_byte(home, run_tool):
    home.write_config(CONFIG)
    result = configure(run_tool, home, ["--profile", "dev", "--role-arn", ROLE, "--source-profile", "base",
                                        "--duration-seconds", "7200"])
    assert result.returncode == 0, result.stderr
    expected = CONFIG.replace(
        "credential_process_duration_seconds = 3600\n",
        "credential_process_duration_seconds = 7200\n"
        f"credential_process_role_arn = {ROLE}\n"
        "credential_process_source_profile = base\n"
        f"credential_process = {TOOL} --profile dev\n")
    assert home.config.read_text() == expected
    assert stat.S_IMODE(home.config.stat().st_mode) == 0o600
    (backup,) = home.aws_dir.glob("config.*.bak")
    assert backup.read_text() == CONFIG and stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_new_profile_appended_and_loadable(home, run_tool):
    home.write_config(CONFIG)
    result = configure(run_tool, home, ["--profile", "new", "--role-arn", ROLE, "--credential-source", "Environment"])
    assert result.returncode == 0, result.stderr
    text = home.config.read_text()
    assert text == CONFIG + (f"\n\n[profile new]\ncredential_process_role_arn = {ROLE}\n"
                             "credential_process_credential_source = Environment\n"
                             f"credential_process = {TOOL} --profile new\n")
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    assert parser.get("profile new", "credential_process_role_arn") == ROLE
    assert parser.get("profile dev", "s3") == "\nmax_concurrent_requests = 20\nmultipart_threshold = 64MB"


def test_default_profile_and_missing_file(home, run_tool):
    result = configure(run_tool, home, ["--profile", "default", "--role-arn", ROLE, "--source-profile", "base"])
    assert result.returncode == 0, result.stderr
    assert home.config.read_text() == (f"[default]\ncredential_process_role_arn = {ROLE}\n"
                                       "credential_process_source_profile = base\n"
                                       f"credential_process = {TOOL} --profile default\n")
    assert stat.S_IMODE(home.aws_dir.stat().st_mode) == 0o700
    assert not list(home.aws_dir.glob("*.bak"))  # nothing to back up


@pytest.mark.parametrize("args, message", [
    (["--role-arn", ROLE, "--duration-seconds", "60"], "between 900 and 43200 for assume-role"),
    (["--duration-seconds", "200000"], "between 900 and 129600 for get-session-token"),
    (["--role-arn", "not-an-arn"], "not an ARN"),
    (["--role-arn", ROLE, "--source-profile", "base", "--credential-source", "Environment"], "choose one"),
    (["--method", "assume-role", "--source-profile", "base"], "sets no credential_process_role_arn"),
    (["--role-arn", ROLE, "--federation-name", "bob"], "contradicts"),
    (["--role-arn", ROLE, "--mfa-code", "123456"], "--mfa-code cannot be kept in the config"),
    (["--role-arn", ROLE, "--role-session-name", "x"], "2 to 64"),
])
def test_bad_value_writes_nothing(home, run_tool, args, message):
    home.write_config(CONFIG)
    result = configure(run_tool, home, ["--profile", "other", *args])
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1
    assert home.config.read_text() == CONFIG
    assert not list(home.aws_dir.glob("*.bak"))


def test_one_source_replaces_the_other(home, run_tool):
    home.write_config(CONFIG)
    first = configure(run_tool, home, ["--profile", "dev", "--role-arn", ROLE, "--source-profile", "base"])
    assert first.returncode == 0, first.stderr
    result = configure(run_tool, home, ["--profile", "dev", "--credential-source", "Ec2InstanceMetadata"])
    assert result.returncode == 0, result.stderr
    text = home.config.read_text()
    assert "credential_process_source_profile" not in text
    assert "credential_process_credential_source = Ec2InstanceMetadata\n" in text
    assert text.startswith(CONFIG.split("credential_process_duration_seconds")[0])


def test_honours_aws_config_file(home, run_tool, tmp_path):
    elsewhere = tmp_path / "elsewhere" / "aws.ini"
    env = dict(home.env, AWS_CONFIG_FILE=str(elsewhere))
    result = run_tool(["configure", "--profile", "dev", "--role-arn", ROLE, "--source-profile", "base"], env)
    assert result.returncode == 0, result.stderr
    assert f"credential_process = {TOOL} --profile dev" in elsewhere.read_text()
    assert not home.config.exists()


def test_no_flags_and_no_terminal_is_exit_3(home, run_tool):
    home.write_config(CONFIG)
    result = configure(run_tool, home, ["--profile", "dev"])
    assert result.returncode == 3 and "terminal" in result.stderr
    assert home.config.read_text() == CONFIG


def test_interactive_prompts_on_a_terminal(home):
    home.write_config(CONFIG)
    master, slave = pty.openpty()
    try:
        # An invalid ARN first: asked again; then empty answers keep the rest.
        os.write(master, f"not-an-arn\n{ROLE}\nbase\n".encode() + b"\n" * 12)
        process = subprocess.run([TOOL, "configure", "--profile", "dev"], env=home.env, stdin=slave,
                                 capture_output=True, text=True, timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    assert process.returncode == 0, process.stderr
    assert "credential_process_role_arn (the role to assume)" in process.stderr
    assert "not an ARN" in process.stderr
    assert "[3600]" in process.stderr  # the current duration is offered as the default
    text = home.config.read_text()
    assert f"credential_process_role_arn = {ROLE}\n" in text
    assert "credential_process_source_profile = base\n" in text
    assert "credential_process_duration_seconds = 3600\n" in text


def test_configured_profile_works_with_the_aws_cli(home, aws_world, sts_proxy, run_tool, aws_cli_v1):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(CONFIG)
    result = configure(run_tool, home, ["--profile", "dev", "--role-arn", aws_world.role_arn,
                                        "--source-profile", "base"])
    assert result.returncode == 0, result.stderr
    identity = aws_cli_v1("sts get-caller-identity --profile dev --output json", home.env)
    assert identity.returncode == 0, identity.stderr
    assert f":assumed-role/{aws_world.role_name}/" in identity.stdout
    assert sts_proxy.count("AssumeRole") == 1


# -- inifile, in process -----------------------------------------------------------
def test_remove_keys_drops_an_emptied_section(tmp_path):
    path = tmp_path / "credentials"
    original = "# keys\n[dev]\naws_access_key_id = AKIA\naws_secret_access_key = s\n\n[prod]\nx = 1\n"
    path.write_text(original)
    backup = inifile.remove_keys(str(path), "dev", ["AWS_ACCESS_KEY_ID"])
    assert path.read_text() == "# keys\n[dev]\naws_secret_access_key = s\n\n[prod]\nx = 1\n"
    assert open(backup).read() == original
    inifile.remove_keys(str(path), "dev", ["aws_secret_access_key"])
    assert path.read_text() == "# keys\n[prod]\nx = 1\n"
    assert inifile.remove_keys(str(path), "nosuch", ["x"]) is None  # nothing to change, nothing written


def test_crlf_and_continuations_are_kept(tmp_path):
    path = tmp_path / "config"
    original = b"[profile a]\r\ns3 =\r\n  x = 1\r\nregion = us-east-1\r\n[profile b]\r\nk = v\r\n"
    path.write_bytes(original)
    inifile.update_section(str(path), "profile a", {"s3": "none", "new": "1"})
    assert path.read_bytes() == (b"[profile a]\r\ns3 = none\r\nregion = us-east-1\r\nnew = 1\r\n"
                                 b"[profile b]\r\nk = v\r\n")


def test_symlinked_file_stays_a_symlink(tmp_path):
    target = tmp_path / "dotfiles" / "config"
    target.parent.mkdir()
    target.write_text("[default]\nregion = us-east-1\n")
    link = tmp_path / "config"
    link.symlink_to(target)
    inifile.update_section(str(link), "default", {"output": "json"})
    assert link.is_symlink() and target.read_text() == "[default]\nregion = us-east-1\noutput = json\n"


def test_values_must_be_one_line(tmp_path):
    from credential_process.errors import ConfigError

    with pytest.raises(ConfigError):
        inifile.update_section(str(tmp_path / "config"), "default", {"region": "a\n[evil]"})
    assert not (tmp_path / "config").exists()


_names = st.text("abcdefghij_", min_size=1, max_size=8)
_values = st.text("abcdefghij0123456789-/:.=", min_size=1, max_size=12)
_sections = st.dictionaries(_names, st.dictionaries(_names, _values, max_size=4), max_size=5)
_comments = st.lists(st.sampled_from(["# a comment", "; another", "", "  "]), max_size=3)


@settings(max_examples=150, deadline=None)
@given(_sections, _comments, _names, st.dictionaries(_names, _values, min_size=1, max_size=4))
def test_update_section_changes_only_its_section(tmp_path_factory, sections, comments, target, mapping):
    lines = list(comments)
    for name, keys in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {value}" for key, value in keys.items())
        lines.extend(comments)
    original = "\n".join(lines) + "\n"
    path = tmp_path_factory.mktemp("ini") / "config"
    path.write_text(original)
    inifile.update_section(str(path), target, mapping)
    before, after = configparser.RawConfigParser(), configparser.RawConfigParser()
    before.read_string(original)
    after.read_string(path.read_text())
    assert after.sections()[: len(before.sections())] == before.sections()
    for name in before.sections():
        if name != target:
            assert dict(after.items(name)) == dict(before.items(name))
    expected = dict(before.items(target)) if before.has_section(target) else {}
    expected.update(mapping)
    assert dict(after.items(target)) == expected
    # Removing what was added and restoring what was replaced gives the file back.
    if not before.has_section(target):
        inifile.remove_keys(str(path), target, list(mapping))
        assert path.read_text().rstrip("\n") == original.rstrip("\n")


def test_section_names_compare_with_single_spaces_and_headers_may_have_comments(tmp_path):
    path = tmp_path / "credentials"
    text = ("# comment\n[a]\nx = 1\n[b]   ; note\nAWS_ACCESS_KEY_ID = K\n  continued\n"
            "; between\naws_secret_access_key: S\nregion=r\n[profile  c]\nk = v\n")
    path.write_text(text)
    inifile.remove_keys(str(path), "b", ["aws_access_key_id", "aws_secret_access_key"])
    assert path.read_text() == "# comment\n[a]\nx = 1\n[b]   ; note\n; between\nregion=r\n[profile  c]\nk = v\n"
    inifile.update_section(str(path), "profile c", {"k": "w"})
    assert path.read_text().endswith("[profile  c]\nk = w\n")


def test_a_value_continues_past_comments_and_blank_lines_as_configparser_reads_it(tmp_path):
    path = tmp_path / "credentials"
    text = "[b]\naws_secret_access_key = S\n\n# c\n  more-of-the-secret\nregion = r\n"
    path.write_text(text)
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    assert "more-of-the-secret" in parser.get("b", "aws_secret_access_key")
    inifile.remove_keys(str(path), "b", ["aws_secret_access_key"])
    assert path.read_text() == "[b]\nregion = r\n"


def test_unusual_characters_in_comments_are_kept(tmp_path):
    path = tmp_path / "config"
    original = "# caf\u00e9 \u2028 \x0c form feed\n[default]\nregion = r\n".encode()
    path.write_bytes(original)
    inifile.update_section(str(path), "default", {"output": "json"})
    assert path.read_bytes() == original + b"output = json\n"


def test_region_and_unset(home, run_tool):
    home.write_config(CONFIG.replace("credential_process_duration_seconds = 3600\n",
                                     f"credential_process_duration_seconds = 3600\ncredential_process_role_arn = {ROLE}\n"))
    result = configure(run_tool, home, ["--profile", "dev", "--region", "eu-central-1",
                                        "--unset", "duration-seconds"])
    assert result.returncode == 0, result.stderr
    parser = configparser.RawConfigParser()
    parser.read_string(home.config.read_text())
    assert parser.get("profile dev", "region") == "eu-central-1"
    assert not parser.has_option("profile dev", "credential_process_duration_seconds")
    assert parser.get("profile other", "sso_account_id") == "111111111111"  # the rest kept
    result = configure(run_tool, home, ["--profile", "dev", "--unset", "region", "--source-profile", "other"])
    assert result.returncode == 0, result.stderr
    parser = configparser.RawConfigParser()
    parser.read_string(home.config.read_text())
    assert not parser.has_option("profile dev", "region")
    assert parser.get("profile dev", "credential_process_source_profile") == "other"


def test_unset_and_region_refusals(home, run_tool):
    home.write_config(CONFIG)
    before = home.config.read_bytes()
    result = configure(run_tool, home, ["--profile", "dev", "--unset", "colour"])
    assert result.returncode == 2 and result.stderr == (
        "credential-process: --unset colour: not a key configure writes (a credential_process_* key "
        "without its prefix, such as duration-seconds, or region)\n")
    result = configure(run_tool, home, ["--profile", "dev", "--region", "Europe"])
    assert result.returncode == 2 and result.stderr == "credential-process: --region is not a region name: 'Europe'\n"
    assert home.config.read_bytes() == before


def test_a_source_profile_that_does_not_exist_is_a_warning(home, run_tool):
    home.write_config(CONFIG)
    home.write_credentials("[base]\naws_access_key_id = AKIAEXAMPLEEXAMPLE12\n")
    result = configure(run_tool, home, ["--profile", "dev", "--role-arn", ROLE, "--source-profile", "bsae"])
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("credential-process: warning: source profile 'bsae' is in neither ")
    assert result.stderr.endswith("(a typo?): the profile fails until it exists\n")
    result = configure(run_tool, home, ["--profile", "dev", "--source-profile", "base"])
    assert result.returncode == 0 and result.stderr == ""
