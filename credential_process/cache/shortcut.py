"""The plain-call shortcut: the call SDKs make on every credential refresh,
``credential-process --profile NAME``, served without the config parser, the
cache key's hash or JSON (the entry file's header and answer lines serve it):
together most of a hit's cost.

A record (``<16 hex>.shortcut`` in the cache folder) maps one call to the
entry the full path served it from.  It is found by a digest of every input
of the answer (call_inputs.py: the arguments, every ``AWS_*`` and
``CREDENTIAL_PROCESS_*`` variable, HOME and the user, the identities of the
config, credentials and keys-index files), the same list the cache key reads,
and holds:

    cp-shortcut 1 <inputs digest> <entry key> <entry file digest> <margin> <background>

It is served only when all of these hold; anything else (no record, another
digest, a damaged record or entry, an entry near its end) is a miss, and the
full path, which decides by reading everything, serves the call and writes
the record again:

- the full digest of the inputs matches (the file name is only a prefix);
- the entry file is byte for byte the one the full path read, judged sound
  and whose answer line it found equal to what it prints (the record holds
  the file's digest), so a damaged payload behind a sound header is never
  served, and a renewed entry is served only once the full path has read it;
- the entry is fresh by the same rules as on the full path.

The inputs are identified BEFORE the full path reads them (run_plain takes the
snapshot first), and the record is written only if they are unchanged after
it: an edit during a cold call (a slow source, an MFA prompt) is never
recorded against the answer read before it.  Nor is a file changed within
``RACY_SECONDS`` of the call's start: a second edit inside the same timestamp
tick (coarse on some file systems: 2 s on FAT, the server's on NFS) keeps
size and times and so could not be told apart ("racy timestamps", as git
calls it).  The next call, once the file is older, writes the record.

Records hold no secret: digests of the inputs (which include secret
variables) and of the entry, the entry's key, two numbers.
"""

import os
from types import SimpleNamespace

from credential_process import call_inputs
from credential_process.cache import entry as entry_format
from credential_process.cache.files import FileStore, parse
from credential_process.private_files import (
    UnsafeFolder, ensure_private_folder, read_private_file, remove_old_files, write_private_file,
)

SUFFIX = ".shortcut"
RECORD_LIFETIME = 24 * 3600
RACY_SECONDS = 2
_MAGIC, _LAYOUT = "cp-shortcut", "1"
_NAME_LENGTH = 16  # hex digits of the inputs digest in the record's file name
_KEY_LENGTH = 40


def serve(argv, inputs):
    """The credential_process answer (bytes) for a plain call with ``argv``
    and ``inputs`` (call_inputs.snapshot()), or None: never raises."""
    try:
        return _serve(argv, inputs)
    except Exception:  # noqa: BLE001 - a shortcut: whatever went wrong, the full path decides
        return None


def _serve(argv, inputs):
    store = FileStore()
    request = _digest(argv, inputs)
    record = read_private_file(store.folder, _record_path(store.folder, request))
    fields = _fields(record)
    if fields is None or fields[0] != request:
        return None
    _, key, entry_digest, margin, background = fields
    found = store.load_answer(key)
    if found is None:
        return None
    header, answer, data = found
    if call_inputs.digest(data) != entry_digest:
        return None
    settings = SimpleNamespace(refresh_margin=margin, background_refresh=background)
    if not entry_format.is_fresh(header, settings) or (
            background and entry_format.refresh_due(header, settings)):
        return None  # the full path judges it and starts the background refresh
    return answer


def remember(argv, options, entry, inputs, started):
    """After the full path served ``entry`` for ``options``: record that this
    call is served from it, if nothing it read changed since ``inputs`` was
    taken at ``started`` (file store only)."""
    if options.cache != "file" or options.policy_file:
        return  # a policy file's content is in the key, but not in the inputs
    store = FileStore()
    key = entry_format.cache_key(options)
    data = read_private_file(store.folder, store.path(key))
    stored = parse(data) if data else None
    if stored is None or stored.get("credentials") != entry.get("credentials"):
        return  # not saved (a read-only folder), or replaced since: nothing to point at
    from credential_process.output import process_json

    if data.split(b"\n")[2] != process_json(entry["credentials"]).encode():
        return  # the answer line is not what the full path prints: never serve it
    if call_inputs.snapshot() != inputs or call_inputs.changed_after(inputs, started - RACY_SECONDS):
        return
    request = _digest(argv, inputs)
    line = " ".join((_MAGIC, _LAYOUT, request, key, call_inputs.digest(data),
                     str(int(options.refresh_margin)), str(int(bool(options.background_refresh)))))
    try:
        ensure_private_folder(store.folder)
        write_private_file(store.folder, _record_path(store.folder, request), f"{line}\n".encode())
        # Every change of an input leaves the records of the old inputs behind.  One not
        # rewritten for a day costs, at worst, one full-path call to write it again.
        remove_old_files(store.folder, lambda name: name.endswith((SUFFIX, ".request")), RECORD_LIFETIME)
    except (OSError, UnsafeFolder):
        pass  # only a shortcut: the full path works without it (and has warned)


def _fields(record):
    """(inputs digest, key, entry digest, margin, background) of a sound record, or None."""
    if not record or not record.endswith(b"\n"):
        return None
    fields = record[:-1].decode("ascii").split(" ")
    if len(fields) != 7 or fields[:2] != [_MAGIC, _LAYOUT]:
        return None
    _, _, request, key, entry_digest, margin, background = fields
    # The key names a file: only hex, so a damaged record cannot point outside the folder.
    if len(key) != _KEY_LENGTH or not _is_hex(key) or not (_is_hex(request) and _is_hex(entry_digest)):
        return None
    if not margin.isdigit() or background not in ("0", "1"):
        return None
    return request, key, entry_digest, int(margin), background == "1"


def _is_hex(text):
    return bool(text) and all(char in "0123456789abcdef" for char in text)


def _digest(argv, inputs):
    return call_inputs.digest(repr((tuple(argv), inputs)))


def _record_path(folder, request):
    # Two calls sharing a name prefix overwrite each other's record: a miss, never a
    # wrong entry, as the record holds the full digest.
    return os.path.join(folder, request[:_NAME_LENGTH] + SUFFIX)
