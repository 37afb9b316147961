"""The plain-call shortcut: the call SDKs make on every credential refresh,
``credential-process --profile NAME``, served without the config parser, the
cache key's hash or JSON (the entry file's header and answer lines serve it):
together most of a hit's cost.

The same shortcut serves ``eks token`` (kubectl runs it before every
command): its answer is the ExecCredential around the token entry's answer
line, in the apiVersion the full path printed.

A record (``<16 hex>.shortcut`` in the cache folder) maps one call to the
entry the full path served it from.  It is found by a digest of every input
of the answer (call_inputs.py: the arguments, every ``AWS_*`` and
``CREDENTIAL_PROCESS_*`` variable, KUBERNETES_EXEC_INFO, HOME and the user,
the identities of the config, credentials and keys-index files), the same
list the cache key reads, and holds:

    cp-shortcut 2 <inputs digest> <entry key> <entry file digest> <margin> <background> <form> <check>

``form`` is ``credentials`` (the answer line as it is) or an ExecCredential
apiVersion; ``check`` is a digest of the rest of the line, so that a damaged
field is a miss, not another answer.

It is served only when all of these hold; anything else (no record, another
digest, a damaged record or entry, an entry near its end) is a miss, and the
full path, which decides by reading everything, serves the call and writes
the record again:

- the full digest of the inputs matches (the file name is only a prefix);
- the entry file is byte for byte the one the full path read, judged sound
  (header and JSON line agreeing) and whose answer line it found to give
  exactly what it printed (the record holds the file's digest), so a damaged
  payload behind a sound header is never served, and a renewed entry is
  served only once the full path has read it;
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
import time
from types import SimpleNamespace

from credential_process import call_inputs
from credential_process.cache import entry as entry_format
from credential_process.cache.files import FileStore, parse, read_header
from credential_process.private_files import (
    UnsafeFolder, ensure_private_folder, read_private_file, remove_old_files, write_private_file,
)

SUFFIX = ".shortcut"
RECORD_LIFETIME = 24 * 3600
RACY_SECONDS = 2
_MAGIC, _LAYOUT = "cp-shortcut", "2"
CREDENTIALS = "credentials"  # the form of a credential_process answer
_EXEC_API_GROUP = "client.authentication.k8s.io/"
_NAME_LENGTH = 16  # hex digits of the inputs digest in the record's file name
_KEY_LENGTH = 40


class PlainCall:
    """A call the shortcut may serve: its arguments, and its inputs identified
    when it starts, before the full path reads any of them."""

    def __init__(self, argv):
        self.argv = tuple(argv)
        self.started = time.time()
        self.inputs = call_inputs.snapshot()

    def serve(self):
        return serve(self.argv, self.inputs)

    def remember(self, options, key, printed, form=CREDENTIALS, background=False):
        remember(self.argv, options, key, printed, self.inputs, self.started, form, background)


def serve(argv, inputs):
    """The answer (bytes) for a plain call with ``argv`` and ``inputs``
    (call_inputs.snapshot()), or None: never raises."""
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
    _, key, entry_digest, margin, background, form = fields
    found = store.load_answer(key)
    if found is None:
        return None
    header, line, data = found
    if call_inputs.digest(data) != entry_digest or header["kind"] != _kind_of(form):
        return None
    settings = SimpleNamespace(refresh_margin=margin, background_refresh=background)
    if not entry_format.is_fresh(header, settings) or (
            background and entry_format.refresh_due(header, settings)):
        return None  # the full path judges it and starts the background refresh
    return answer(form, line)


def answer(form, line):
    """What a call of ``form`` prints (without the newline) for an entry's answer line."""
    if form == CREDENTIALS:
        return line
    # The document eks.exec_credential() gives, as json.dumps writes it: remember()
    # records a call only when this is byte for byte what the full path printed.
    return b'{"kind": "ExecCredential", "apiVersion": "%s", "spec": {}, "status": %s}' % (form.encode(), line)


def remember(argv, options, key, printed, inputs, started, form=CREDENTIALS, background=False):
    """After the full path printed ``printed`` (bytes, no newline) from the
    entry under ``key`` for ``options``: record that this call is served from
    it, if nothing it read changed since ``inputs`` was taken at ``started``
    (file store only)."""
    if options.cache != "file" or options.policy_file:
        return  # a policy file's content is in the key, but not in the inputs
    store = FileStore()
    data = read_private_file(store.folder, store.path(key))
    stored = parse(data) if data else None
    if stored is None or not _header_agrees(data, stored):
        return  # not saved (a read-only folder), or damaged: nothing to point at
    if answer(form, data.split(b"\n")[2]) != printed:
        return  # replaced since, or its answer line is not what the full path printed: never serve it
    if call_inputs.snapshot() != inputs or call_inputs.changed_after(inputs, started - RACY_SECONDS):
        return
    request = _digest(argv, inputs)
    fields = (_MAGIC, _LAYOUT, request, key, call_inputs.digest(data),
              str(int(options.refresh_margin)), str(int(bool(background))), form)
    line = " ".join(fields + (_check(fields),))
    try:
        ensure_private_folder(store.folder)
        write_private_file(store.folder, _record_path(store.folder, request), f"{line}\n".encode())
        # Every change of an input leaves the records of the old inputs behind.  One not
        # rewritten for a day costs, at worst, one full-path call to write it again.
        remove_old_files(store.folder, lambda name: name.endswith((SUFFIX, ".request")), RECORD_LIFETIME)
    except (OSError, UnsafeFolder):
        pass  # only a shortcut: the full path works without it (and has warned)


def _header_agrees(data, stored):
    """True when the entry file's header (what the shortcut judges freshness
    by) says what its JSON line (what the full path judges by) says."""
    header = read_header(data.split(b"\n")[0])
    return header is not None and header == {
        "expires_at": float(stored["expires_at"]), "skew": float(stored.get("skew", 0)),
        "duration": float(stored["duration"]), "kind": entry_format.kind_of(stored)}


def _kind_of(form):
    return entry_format.CREDENTIALS if form == CREDENTIALS else entry_format.EKS_TOKEN


def _check(fields):
    return call_inputs.digest(" ".join(fields))[:16]


def _fields(record):
    """(inputs digest, key, entry digest, margin, background, form) of a sound record, or None."""
    if not record or not record.endswith(b"\n"):
        return None
    fields = record[:-1].decode("ascii").split(" ")
    if len(fields) != 9 or fields[:2] != [_MAGIC, _LAYOUT] or fields[8] != _check(tuple(fields[:8])):
        return None
    _, _, request, key, entry_digest, margin, background, form, _ = fields
    if form != CREDENTIALS and not (form.startswith(_EXEC_API_GROUP) and form.replace("/", "").replace(".", "").isalnum()):
        return None
    # The key names a file: only hex, so a damaged record cannot point outside the folder.
    if len(key) != _KEY_LENGTH or not _is_hex(key) or not (_is_hex(request) and _is_hex(entry_digest)):
        return None
    if not margin.isdigit() or background not in ("0", "1"):
        return None
    return request, key, entry_digest, int(margin), background == "1", form


def _is_hex(text):
    return bool(text) and all(char in "0123456789abcdef" for char in text)


def _digest(argv, inputs):
    return call_inputs.digest(repr((tuple(argv), inputs)))


def _record_path(folder, request):
    # Two calls sharing a name prefix overwrite each other's record: a miss, never a
    # wrong entry, as the record holds the full digest.
    return os.path.join(folder, request[:_NAME_LENGTH] + SUFFIX)
