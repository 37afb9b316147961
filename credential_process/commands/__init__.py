"""One module per subcommand: ``DESCRIPTION``, ``add_arguments(parser)`` and
``run(args)``, which returns the exit code; ``COMMANDS`` lists them, and
``build_parser`` makes a command's parser (for cli.py and for completion)."""

import os
import sys

from credential_process import TOOL_NAME, __version__
from credential_process.errors import EXIT_CONFIG


def own_command():
    """The absolute path of this command, for config lines that run it again.

    The path as run (a venv's or pipx's bin/ entry) rather than its resolved
    target, so that the line survives upgrades that move the target.
    """
    ran_as = sys.argv[0]
    if os.path.basename(ran_as) == TOOL_NAME and os.path.isfile(ran_as):
        return os.path.abspath(ran_as)
    import shutil

    found = shutil.which(TOOL_NAME)
    if found:
        return os.path.abspath(found)
    from credential_process.errors import ConfigError

    raise ConfigError(f"cannot tell where the {TOOL_NAME} command is installed: put it on PATH")


# name (also the module's in credential_process.commands) -> one line of help
COMMANDS = {
    "export": "print the credentials as shell variable assignments (env, fish, powershell, ...)",
    "exec": "run a command with the credentials (or a refreshing local endpoint)",
    "whoami": "show the caller identity of a profile and how long its credentials last",
    "login": "open the AWS console in the browser, signed in with a profile (or print the URL)",
    "profiles": "list every profile: how it gets credentials, its source, region, cached session",
    "cache": "list or clear the cached sessions",
    "completion": "print the shell completion script for bash, zsh or fish",
    "doctor": "check the config and the cache folder; print each problem with its fix",
    "configure": "write or update a profile in the AWS config file, keeping every other line",
    "eks": "EKS tokens for kubectl (eks token) and kubeconfig entries (eks kubeconfig)",
    "keys": "long-term IAM keys in the OS keyring: add, list, remove, import, rotate",
    "sso": "IAM Identity Center: sso login, sso logout, sso profiles",
}
DEFAULT_COMMAND = "process"
EPILOG = (
    "exit codes: 0 success, 1 AWS refused or could not be reached, "
    "2 configuration or usage error, 3 a person is needed but cannot be asked"
)


def build_parser(command):
    import importlib

    module = importlib.import_module(f"credential_process.commands.{command}")
    prog = "credential-process" if command == DEFAULT_COMMAND else f"credential-process {command}"
    parser = _new_parser(prog=prog, description=module.DESCRIPTION, epilog=_epilog(command))
    parser.add_argument("--debug", action="store_true",
                        help="explain failures in full, and on success trace where the answer came "
                             "from (secrets redacted)")
    if command == DEFAULT_COMMAND:
        parser.add_argument("--version", action="version", version=f"credential-process {__version__}")
    module.add_arguments(parser)
    parser.usage = _usage(prog, parser, command)
    return parser, module


def _usage(prog, parser, command):
    """One short usage line: the commands on the top one, the positionals on the others
    (argparse's own lists every flag: more than 30 for the commands serving a profile)."""
    if command == DEFAULT_COMMAND:
        return (f"{prog} [--profile NAME] [options]      (credential_process JSON, for the SDKs)\n"
                f"       {prog} {{{','.join(COMMANDS)}}} ...")
    words = []
    for action in parser._actions:
        if not action.option_strings:
            word = action.metavar or action.dest
            words.append(f"[{word}]" if action.nargs == "?" and not word.startswith("[") else word)
    return " ".join([prog, "[options]", *words])


def _epilog(command):
    if command != DEFAULT_COMMAND:
        return EPILOG
    listed = "\n".join(f"  {name:<12} {text}" for name, text in COMMANDS.items())
    return f"commands:\n{listed}\n\n{EPILOG}"


def _new_parser(**kwargs):
    import argparse

    class Parser(argparse.ArgumentParser):
        """Usage errors as one line and exit 2, like every other configuration error."""

        def error(self, message):
            self.exit(EXIT_CONFIG, f"{TOOL_NAME}: {message} (see --help)\n")

    return Parser(formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)
