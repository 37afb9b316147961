"""The default command: print the profile's credentials as credential_process JSON.

Imports are inside the functions: the plain call (``run_plain``) is the one
every SDK makes on every refresh, and a hit through the plain-call shortcut
needs neither the options module nor the resolver.
"""

import sys

DESCRIPTION = "print a profile's credentials as credential_process JSON (the default)"


def add_arguments(parser):
    from credential_process.commands import _profile

    _profile.add_arguments(parser)


def run(args):
    from credential_process.commands import _profile

    _print(_profile.resolve(args)[1])
    return 0


def run_plain(argv, args):
    """``[--profile NAME]`` alone: served through the plain-call shortcut when it can be."""
    from credential_process.cache.shortcut import PlainCall

    # Before anything is read: what the full path decides by is identified
    # first, so an edit during the call is seen (cache/shortcut.py).
    call = PlainCall(argv)
    answer = call.serve()
    if answer is None:
        from credential_process.cache import entry as entry_format
        from credential_process.commands import _profile

        options, entry = _profile.resolve(args)
        answer = _answer(entry)
        call.remember(options, entry_format.cache_key(options), answer,
                      background=options.background_refresh)
    _write(answer)
    return 0


def _print(entry):
    _write(_answer(entry))


def _answer(entry):
    from credential_process.output import process_json

    return process_json(entry["credentials"]).encode()


def _write(answer):
    # One write, so the SDK never reads half a document.
    sys.stdout.buffer.write(answer + b"\n")
    sys.stdout.flush()
