"""--help (cli.py, commands/_flags.py): the top usage line shows the commands; a
subcommand lists the flags that matter to it, grouped; --help-all lists every one."""

import re


def flags_of(text):
    return set(re.findall(r"^  (--[a-z-]+)", text, flags=re.M))


def test_top_usage_shows_the_commands(home, run_tool):
    result = run_tool("--help", home.env)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("usage: credential-process [--profile NAME] [options]")
    assert lines[1] == ("       credential-process {export,exec,whoami,login,profiles,cache,completion,"
                        "doctor,configure,eks,keys,sso} ...")


def test_subcommand_help_is_grouped_and_short(home, run_tool):
    result = run_tool("export --help", home.env)
    assert result.returncode == 0
    text = result.stdout
    assert text.splitlines()[0] == "usage: credential-process export [options] [PROFILE]"
    for title in ("profile options:", "session options:", "MFA options:", "cache options:"):
        assert f"\n{title}\n" in text
    shown = flags_of(text)
    assert {"--profile", "--role-arn", "--duration-seconds", "--mfa-code", "--cache", "--region",
            "--format", "--help-all"} <= shown
    assert "--saml-assertion-file" not in shown and "--web-identity-token-process" not in shown
    everything = flags_of(run_tool("export --help-all", home.env).stdout)
    assert {"--saml-assertion-file", "--web-identity-token-process", "--sso-role-name"} <= everything
    assert len(shown) < len(everything) - 10
    assert "--cache {file,keyring,none}" in text


def test_exec_usage_names_the_profile_and_command(home, run_tool):
    result = run_tool("exec --help", home.env)
    assert result.stdout.splitlines()[0] == \
        "usage: credential-process exec [options] [PROFILE] [-- COMMAND [ARGS ...]]"
