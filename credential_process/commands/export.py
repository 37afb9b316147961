"""export: the profile's credentials as commands that set environment variables."""

import sys

from credential_process.commands import _profile
from credential_process.output import ENVIRONMENT_FORMATS, render

DESCRIPTION = (
    "print a profile's credentials as environment variable assignments, e.g.\n"
    '  eval "$(credential-process export --profile dev)"        (bash, zsh, fish)\n'
    "  credential-process export --profile dev --format powershell | Invoke-Expression"
)


def add_arguments(parser):
    parser.add_argument(
        "--format", choices=ENVIRONMENT_FORMATS, default="env",
        help="env (default: export NAME='value', read by bash, zsh and fish), env-no-export, "
             "fish, powershell, windows-cmd, dotenv, or json (the credential_process output)",
    )
    _profile.add_session_flag(parser)
    _profile.add_positional(parser)
    _profile.add_region(parser)
    _profile.add_arguments(parser)


def run(args):
    _profile.take_positional(args)
    _profile.apply_region(args)
    options, entry = _profile.resolve_any(args, session=not args.no_session)
    text = render(args.format, entry["credentials"], _profile.region(options))
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0
