"""Argument parsing and dispatch.  Commands live in ``commands/``, one module
each, imported only when named, so the default command starts fast.

The call every SDK makes on every credential refresh, ``credential-process
--profile NAME``, skips argparse: importing it and building a parser with a
flag per option costs more than the rest of a cache hit.  ``plain_arguments``
gives the same namespace argparse would (tests/test_hot_path.py checks it).
"""

import sys
from types import SimpleNamespace

from credential_process import stderr
from credential_process.commands import COMMANDS, DEFAULT_COMMAND, build_parser
from credential_process.errors import EXIT_AWS, CredentialProcessError, one_line, redact


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    command = argv[0] if argv and argv[0] in COMMANDS else DEFAULT_COMMAND
    if command != DEFAULT_COMMAND:
        argv = argv[1:]
    debug = "--debug" in argv
    if debug:
        from credential_process import trace

        trace.start()
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
        code = module.run(parser.parse_args(argv))
        if debug:
            trace.write()
        return code
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

        stderr.write(redact(traceback.format_exc()))
    message = one_line(error) or type(error).__name__
    stderr.notice(redact(message))
    return code
