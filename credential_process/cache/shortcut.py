"""The shortcut of the plain call SDKs make on every credential refresh,
``credential-process --profile NAME``: a small record that maps that exact
request to the key of its cache entry, so that a hit needs neither the config
parser, nor the key's hash, nor JSON (the entry file's header and answer
lines serve it): together most of a hit's cost.

A record is valid only for the same arguments, the same values of every
environment variable that can change the key, and the same config file
(inode, size, modification time); anything else finds no record and takes
the full path, which writes a new one.  Records hold no secret: the entry they
point at is read, checked and judged fresh by the same rules as on the full
path; an entry near its end takes the full path, which starts its background
refresh.
"""

import os
import zlib
from types import SimpleNamespace

from credential_process.cache import entry as entry_format
from credential_process.cache.files import (
    FileStore, UnsafeFolder, ensure_private_folder, read_private_file, remove_old_files, write_private_file,
)

SUFFIX = ".request"
RECORD_LIFETIME = 24 * 3600
# Variables that can change which entry a plain call is served from.
_VARIABLES = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "HOME", "CREDENTIAL_PROCESS_CACHE_DIR",
    "CREDENTIAL_PROCESS_CHAIN", "CREDENTIAL_PROCESS_REFRESHING", "AWS_REGION", "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
) + entry_format.ENDPOINT_VARIABLES


def serve(argv):
    """The credential_process answer (bytes) for a plain call with ``argv``, or None."""
    store = FileStore()
    request = _request(argv)
    data = read_private_file(store.folder, _record_path(store.folder, request))
    if data is None:
        return None
    header, _, recorded = data.decode("utf-8", "replace").partition("\n")
    fields = header.split(" ")
    if recorded != request or len(fields) != 3:
        return None
    key, margin, background = fields
    found = store.load_answer(key)
    if found is None:
        return None
    header, answer = found
    settings = SimpleNamespace(refresh_margin=int(margin), background_refresh=background == "1")
    if not entry_format.is_fresh(header, settings) or (
            settings.background_refresh and entry_format.refresh_due(header, settings)):
        return None
    return answer


def remember(argv, options):
    """Record that ``argv`` is served from the entry of ``options`` (file store only)."""
    if options.cache != "file" or options.policy_file:
        return  # a policy file's content is in the key, but not in the request
    store = FileStore()
    request = _request(argv)
    key = entry_format.cache_key(options)
    header = f"{key} {options.refresh_margin} {int(bool(options.background_refresh))}"
    try:
        ensure_private_folder(store.folder)
        write_private_file(store.folder, _record_path(store.folder, request),
                           f"{header}\n{request}".encode())
        # Every config edit leaves the records of the old file behind.  One not
        # rewritten for a day costs, at worst, one full-path call to write it again.
        remove_old_files(store.folder, lambda name: name.endswith(SUFFIX), RECORD_LIFETIME)
    except (OSError, UnsafeFolder):
        pass  # only a shortcut: the full path works without it (and has warned)


def _request(argv):
    """Everything a plain call's entry depends on, as one line of text."""
    config = os.path.expanduser(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config")
    try:
        info = os.stat(config)
        config_identity = (info.st_ino, info.st_size, info.st_mtime_ns)
    except OSError:
        config_identity = None
    return repr((tuple(argv), [os.environ.get(name) for name in _VARIABLES], config_identity))


def _record_path(folder, request):
    # Two requests sharing a checksum overwrite each other's record: a miss, never a wrong entry.
    return os.path.join(folder, f"{zlib.crc32(request.encode()):08x}{SUFFIX}")
