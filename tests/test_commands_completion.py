"""Completion scripts loaded by real bash, zsh and fish, completing
subcommands, flags, choices and the profile names of the config file."""

import os
import shutil
import subprocess
import sys

import pytest

from credential_process.commands import COMMANDS
from support.tools import TOOL, missing


@pytest.fixture
def env(home):
    home.write_config("[default]\nregion = us-east-1\n\n[profile dev]\nregion = us-east-1\n\n"
                      "[profile prod-eu]\nregion = eu-west-1\n\n[profile dev-admin]\n\n"
                      "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n")
    # The scripts call `credential-process` by name, as a user's shell would.
    return dict(home.env, PATH=os.path.dirname(TOOL) + os.pathsep + os.environ.get("PATH", ""))


def run_shell(name, script, env):
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed (Debian package {name})")
    result = subprocess.run([path, "-c", script], env=env, capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # the script loads without a complaint
    return result.stdout.splitlines()


BASH = """source <(credential-process completion bash)
complete -p credential-process
COMP_WORDS=({words}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
_credential_process
for c in "${{COMPREPLY[@]}}"; do echo "$c"; done
"""


@pytest.mark.parametrize("words,expected", [
    ("--profile ''", ["default", "dev", "dev-admin", "prod-eu"]),
    ("export --profile dev", ["dev", "dev-admin"]),
    ("exec --server --profile p", ["prod-eu"]),
    ("''", ["export", "exec", "whoami", "login", "profiles", "cache", "completion", "doctor", "configure", "eks", "keys", "sso"]),
    ("sso ''", ["login", "logout", "profiles"]),
    ("sso login --sso-session ''", ["corp"]),
    ("keys ''", ["add", "list", "remove", "import", "rotate"]),
    ("ex", ["export", "exec"]),
    ("export --format p", ["powershell"]),
    ("cache ''", ["list", "clear"]),
    ("cache clear --a", ["--all"]),
    ("whoami --j", ["--json"]),
    ("completion f", ["fish"]),
    ("exec --profile dev -- ''", []),
    # choice values of the keys' flags, the profile as exec's first word, --profile=NAME
    ("--method assume-role-with-", ["assume-role-with-saml", "assume-role-with-web-identity"]),
    ("export --cache ''", ["file", "keyring", "none"]),
    ("exec --mfa-prompt d", ["dialog"]),
    ("exec pr", ["prod-eu"]),
    ("export dev ''", []),
    ("--profile = dev", ["dev", "dev-admin"]),
    ("whoami --profile =", ["=default", "=dev", "=dev-admin", "=prod-eu"]),
])
def test_bash(env, words, expected):
    lines = run_shell("bash", BASH.format(words="credential-process " + words), env)
    assert lines[0] == "complete -o default -F _credential_process credential-process"
    assert lines[1:] == expected


def test_zsh(env):
    script = """autoload -Uz compinit && compinit -u -d "$HOME/.zcompdump"
source <(credential-process completion zsh)
print -r -- "$_comps[credential-process]"
words=(credential-process --profile dev) CURRENT=3
__credential_process_candidates; print -rl -- "${reply[@]}"
words=(credential-process cache '') CURRENT=3
__credential_process_candidates; print -rl -- "${reply[@]}"
"""
    assert run_shell("zsh", script, env) == ["_credential_process", "dev", "dev-admin", "list", "clear"]


@pytest.mark.parametrize("line,expected", [
    ("credential-process --profile ", ["default", "dev", "dev-admin", "prod-eu"]),
    ("credential-process export --profile pr", ["prod-eu"]),
    ("credential-process export --format ", ["env", "env-no-export", "fish", "powershell", "windows-cmd",
                                             "dotenv", "json"]),
    ("credential-process cache c", ["clear"]),
])
def test_fish(env, line, expected):
    script = f"credential-process completion fish | source; complete -C'{line}'"
    assert sorted(item.split("\t")[0] for item in run_shell("fish", script, env)) == sorted(expected)


def test_zsh_choices_and_profile_equals(env):
    script = """autoload -Uz compinit && compinit -u -d "$HOME/.zcompdump"
source <(credential-process completion zsh)
words=(credential-process export --profile=pr) CURRENT=3
__credential_process_candidates; print -rl -- "${reply[@]}"
words=(credential-process --mfa-prompt t) CURRENT=3
__credential_process_candidates; print -rl -- "${reply[@]}"
"""
    assert run_shell("zsh", script, env) == ["--profile=prod-eu", "terminal"]


@pytest.mark.parametrize("line,expected", [
    ("credential-process --profile=dev-", ["--profile=dev-admin"]),
    ("credential-process exec --cache k", ["keyring"]),
    ("credential-process whoami ", ["default", "dev", "dev-admin", "prod-eu"]),
])
def test_fish_choices_and_profile_equals(env, line, expected):
    script = f"credential-process completion fish | source; complete -C'{line}'"
    assert sorted(item.split("\t")[0] for item in run_shell("fish", script, env)) == sorted(expected)


def test_completion_needs_a_shell(home, run_tool):
    result = run_tool("completion", home.env)
    assert result.returncode == 2 and "bash" in result.stderr


@pytest.mark.parametrize("command", ["process"] + list(COMMANDS))
def test_building_a_commands_parser_imports_no_botocore(command):
    """--help and every completion build the command's parser: loading botocore
    for that (~180 ms) would slow each tab press."""
    probe = ("import sys; from credential_process import commands; commands.build_parser(sys.argv[1]); "
             "print(sorted(name for name in sys.modules if name.split('.')[0] in ('botocore', 'keyring', 'filelock')))")
    result = subprocess.run([sys.executable, "-c", probe, command], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
