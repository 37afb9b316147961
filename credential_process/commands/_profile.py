"""What every command serving a profile's credentials shares, the default
command included: the same flags, the same options, the same cache and lock."""

from credential_process import options as options_module
from credential_process.resolver import get_entry


def add_arguments(parser):
    options_module.add_flags(parser)


def resolve(args):
    """(options, cache entry) for the profile the command line names."""
    options = options_module.from_args(args)
    return options, get_entry(options)


def resolve_any(args, session=False):
    """(options, cache entry) for any profile the SDKs can resolve (any_profile.py):
    for the commands a person runs, never for the default command."""
    from credential_process import any_profile

    options = any_profile.options_for(args, session)
    return options, get_entry(options)


def add_session_flag(parser):
    parser.add_argument("--no-session", action="store_true",
                        help="hand out a profile's long-term keys as they are, instead of a "
                             "session token (GetSessionToken) over them")


def region(options):
    return options.section.get("region") or None
