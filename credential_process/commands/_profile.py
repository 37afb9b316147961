"""What every command serving a profile's credentials shares, the default
command included: the same flags, the same options, the same cache and lock."""

import os
import re

from credential_process import options as options_module
from credential_process.errors import ConfigError
from credential_process.resolver import get_entry

_REGION = re.compile(r"^[a-z]{2}(-[a-z0-9]+){1,4}$")


def add_arguments(parser):
    from credential_process.commands import _flags  # argparse: not on the plain call's path

    _flags.add_flags(parser)


def add_positional(parser):
    """The profile as aws-vault takes it (``export dev``); --profile still works."""
    parser.add_argument("profile_name", nargs="?", metavar="PROFILE",
                        help="the profile to serve (or --profile)")


def add_region(parser):
    parser.add_argument("--region", help="the region to call STS in and to give the command "
                                         "(default: AWS_REGION, then the profile's region)")


def take_positional(args, name=None):
    """Merge the positional profile into args.profile; two different names are an error."""
    name = getattr(args, "profile_name", None) if name is None else name
    if name and args.profile and name != args.profile:
        raise ConfigError(f"two profiles named: {name!r} and --profile {args.profile!r}")
    if args.profile is None:  # an empty --profile stays empty: options refuses it
        args.profile = name


def apply_region(args):
    """--region: STS is called there and the credentials are given for it."""
    region = getattr(args, "region", None)
    if region:
        os.environ["AWS_REGION"] = checked_region(region)


def checked_region(region):
    if not _REGION.match(region):
        raise ConfigError(f"--region is not a region name: {region!r}")
    return region


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
    """The region the credentials were made for, as the command gives it to its child:
    the one STS was called in (AWS_REGION, AWS_DEFAULT_REGION, the profile's), or
    None when nothing chose one."""
    return (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            or options.section.get("region") or None)
