"""cache: list or clear the cached sessions.  Never prints a secret: only the
metadata stored beside the credentials (profile, flow, role, expiry)."""

import json
import os
import sys
import time

from credential_process.cache import entry as entry_format
from credential_process.cache import open_store
from credential_process.errors import ConfigError, CredentialProcessError
from credential_process.output import time_left
from credential_process.stderr import notice, warn

DESCRIPTION = "list the cached sessions, or clear them (cache list | cache clear --profile P | --all)"
# Every store a profile can choose that keeps something (open_store's kinds).
STORE_KINDS = ("file", "keyring")


def add_arguments(parser):
    actions = parser.add_subparsers(dest="action", metavar="{list,clear}")
    actions.required = True
    listing = actions.add_parser("list", help="one row per cached session (never a secret)",
                                 description="one row per cached session: profile, flow, role, "
                                             "expires in, store")
    listing.add_argument("--json", action="store_true", help="one JSON array, for scripts")
    clearing = actions.add_parser("clear", help="remove cached sessions",
                                  description="remove the cached sessions of one profile, or all")
    which = clearing.add_mutually_exclusive_group(required=True)
    which.add_argument("--profile", help="remove this profile's sessions")
    which.add_argument("--all", action="store_true",
                       help="remove every session and leftover temporary file (lock files stay)")


def run(args):
    return list_entries(args.json) if args.action == "list" else clear(args.profile, args.all)


def stores():
    """The stores that exist on this installation and can be opened now."""
    for kind in STORE_KINDS:
        try:
            store = open_store(kind)
        except (CredentialProcessError, ImportError, OSError) as error:
            warn(f"the {kind} store cannot be opened: {error}")
            continue
        yield store


def cached_entries():
    """(store, key, entry) for every sound entry of every store."""
    for store in stores():
        try:
            found = list(store.entries())
        except (CredentialProcessError, OSError) as error:
            warn(f"the {store.name} store cannot be read: {error}")
            continue
        for key, entry in found:
            yield store, key, entry


def describe(store, entry, now):
    """The listing's row: metadata only, never anything from ``credentials``."""
    return {
        "profile": entry.get("profile"),
        "flow": entry_format.flow_of(entry),
        "role": entry.get("role_arn"),
        "expires_in_seconds": int(entry_format.remaining(entry, now)),
        "store": store.name,
    }


def list_entries(as_json):
    now = time.time()
    rows = sorted((describe(store, entry, now) for store, _, entry in cached_entries()),
                  key=lambda row: (str(row["profile"]), str(row["role"])))
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return 0
    if not rows:
        notice("no cached sessions")
        return 0
    table = [("PROFILE", "FLOW", "ROLE", "EXPIRES IN", "STORE")] + [
        (str(row["profile"]), row["flow"] or "-", row["role"] or "-",
         time_left(row["expires_in_seconds"]), row["store"])
        for row in rows
    ]
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]) - 1)]
    for line in table:
        sys.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths)) + "  " + line[-1] + "\n")
    return 0


def clear(profile, everything):
    removed = 0
    for store, key, entry in list(cached_entries()):
        if everything or entry.get("profile") == profile:
            store.delete(key)
            removed += 1
    if everything:
        _clear_file_folder()
    what = "every profile" if everything else f"profile {profile!r}"
    notice(f"removed {removed} cached session(s) of {what}")
    return 0


def _clear_file_folder():
    """Remove what entries() does not list: unreadable or old-format entries,
    refresh markers, plain-call shortcut records, temp files of killed
    writers.  Only names the file store writes, and only in a folder that is
    ours alone.

    Lock files stay (they are empty): unlinking one that a refresh holds lets
    the next caller lock a new file and make a second STS call (MFA prompt).
    Even a lock taken first is unsafe to unlink: a waiter may already have
    the old file open and would then hold a lock nobody else sees."""
    from credential_process.cache.files import default_folder, is_store_file
    from credential_process.private_files import UnsafeFolder, check_private_folder

    folder = default_folder()
    try:
        check_private_folder(folder)
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    except (OSError, UnsafeFolder) as error:
        raise ConfigError(f"cache folder not cleared: {error}") from None
    for name in names:
        if is_store_file(name) and not name.endswith(".lock"):
            try:
                os.unlink(os.path.join(folder, name))  # unlink never follows a link
            except FileNotFoundError:
                pass

