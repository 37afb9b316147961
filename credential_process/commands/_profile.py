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


def region(options):
    return options.section.get("region") or None
