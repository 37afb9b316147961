"""The default command: print the profile's credentials as credential_process JSON."""

import sys

from credential_process import options as options_module
from credential_process.output import process_json
from credential_process.resolver import get_entry

DESCRIPTION = "print a profile's credentials as credential_process JSON (the default)"


def add_arguments(parser):
    options_module.add_flags(parser)


def run(args):
    entry = get_entry(options_module.from_args(args))
    # One write, so the SDK never reads half a document.
    sys.stdout.write(process_json(entry["credentials"]) + "\n")
    sys.stdout.flush()
    return 0
