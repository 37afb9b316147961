"""Argument parsing and dispatch.  Commands live in ``commands/``, one module
each, imported only when named, so the default command starts fast.

The call every SDK makes on every credential refresh, ``credential-process
--profile NAME``, skips argparse: importing it and building a parser with a
flag per option costs more than the rest of a cache hit.  ``plain_arguments``
gives the same namespace argparse would (tests/test_hot_path.py checks it).
"""

import sys
from types import SimpleNamespace

from credential_process import __version__
from credential_process.errors import EXIT_AWS, EXIT_CONFIG, CredentialProcessError, one_line, redact

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
    parser.add_argument("--debug", action="store_true", help="explain failures in full (secrets redacted)")
    if command == DEFAULT_COMMAND:
        parser.add_argument("--version", action="version", version=f"credential-process {__version__}")
    module.add_arguments(parser)
    return parser, module


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    command = argv[0] if argv and argv[0] in COMMANDS else DEFAULT_COMMAND
    if command != DEFAULT_COMMAND:
        argv = argv[1:]
    debug = "--debug" in argv
    if command == DEFAULT_COMMAND:  # the command SDKs run, and kill after 60 s (Go)
        from credential_process import budget

        budget.start()
    try:
        args = plain_arguments(argv) if command == DEFAULT_COMMAND else None
        if args is not None:
            from credential_process.commands import process

            return process.run_plain(argv, args)
        if command == "eks":  # kubectl runs `eks token` before every command: the same shortcut
            from credential_process.commands import eks

            if eks.is_plain_token(argv):
                return eks.run_plain(argv, lambda: build_parser(command)[0].parse_args(argv))
        parser, module = build_parser(command)
        return module.run(parser.parse_args(argv))
    except CredentialProcessError as error:
        return _fail(error, error.exit_code, debug)
    except KeyboardInterrupt:
        return _fail("interrupted", 130, debug)
    except Exception as error:  # a bug: still one line, still no secret
        return _fail(f"unexpected {type(error).__name__}: {error}", EXIT_AWS, debug)


def plain_arguments(argv):
    """The parsed form of ``[--profile NAME]`` without argparse; None for anything else."""
    if argv and (len(argv) != 2 or argv[0] != "--profile" or argv[1].startswith("-")):
        return None
    # No opt_* flags: options.from_args reads a missing flag as not given.
    return SimpleNamespace(profile=argv[1] if argv else None, debug=False)


def _fail(error, code, debug):
    if debug:
        import traceback

        sys.stderr.write(redact(traceback.format_exc()))
    message = one_line(error) or type(error).__name__
    sys.stderr.write(f"credential-process: {redact(message)}\n")
    return code


def _epilog(command):
    if command != DEFAULT_COMMAND or not COMMANDS:
        return EPILOG
    listed = "\n".join(f"  {name:<12} {text}" for name, text in COMMANDS.items())
    return f"commands:\n{listed}\n\n{EPILOG}"


def _new_parser(**kwargs):
    import argparse

    class Parser(argparse.ArgumentParser):
        """Usage errors as one line and exit 2, like every other configuration error."""

        def error(self, message):
            self.exit(EXIT_CONFIG, f"credential-process: {message} (see --help)\n")

    return Parser(formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)
