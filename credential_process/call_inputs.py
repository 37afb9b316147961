"""The inputs of a call's answer, in one place: the environment variables
and the files that the full path (options, sources, the cache key, botocore
resolving a source profile) reads to decide which credentials it returns.

Both the plain-call shortcut (cache/shortcut.py) and the cache key
(cache/entry.py, cache/base_inputs.py) read them from here, so that a new
input cannot be known to one and forgotten by the other.  The environment is
taken by prefix, not name by name: botocore and this tool read dozens of
``AWS_*`` variables and every SDK release adds some; a variable that turns out
not to matter costs the shortcut one full-path call, never a wrong answer.

On the cache-hit path: standard library only, and cheap (no hashlib, whose
OpenSSL import costs a hit milliseconds; the builtin BLAKE2 costs ~0.2 ms).
"""

import os

from credential_process import __version__

# Every variable whose name starts with one of these is an input.
PREFIXES = ("AWS_", "CREDENTIAL_PROCESS_", "PYTHON_KEYRING_")
# And these: HOME (~ in every path), the user and host (the default role
# session name), where keyring finds its configuration and its service, and
# the ExecCredential apiVersion kubectl asks `eks token` for.
NAMES = (
    "HOME", "USERPROFILE", "USER", "LOGNAME", "LNAME", "USERNAME", "COMPUTERNAME",
    "XDG_CONFIG_HOME", "XDG_DATA_HOME", "DBUS_SESSION_BUS_ADDRESS", "KUBERNETES_EXEC_INFO",
)

try:  # the builtin module: importing hashlib loads OpenSSL first
    from _blake2 import blake2b as _hash
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import sha256 as _hash


def digest(data):
    """A collision-resistant digest (hex) of ``data`` (bytes or text)."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return _hash(data).hexdigest()


def environment(environ=None):
    """The input variables as sorted (name, value) pairs."""
    environ = os.environ if environ is None else environ
    return sorted((name, value) for name, value in environ.items()
                  if name.startswith(PREFIXES) or name in NAMES)


def config_path():
    return os.path.expanduser(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config")


def credentials_path():
    return os.path.expanduser(os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials")


def keys_index_path():
    """The index of keys stored in the keyring (os_keyring.iam_keys.index()): the cache
    key of a ``source_keyring`` profile reads the stored key's row there."""
    return os.path.expanduser("~/.aws/credential-process/keys-index.json")


def file_paths():
    """The files the full path reads to decide a plain call's answer.  (A
    policy_file is named by the config only: the shortcut records no call of
    a profile that has one.)"""
    return (config_path(), credentials_path(), keys_index_path())


def file_identity(path):
    """What tells one version of a file from another without reading it; a
    missing or unreadable file is identified by its error."""
    try:
        info = os.stat(path)
    except OSError as error:
        return (path, "error", error.errno)
    return (path, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def snapshot():
    """Every input of a plain call's answer, to be taken before any is read."""
    host = os.uname().nodename if hasattr(os, "uname") else None
    user = os.getuid() if hasattr(os, "getuid") else None
    return (__version__, host, user, environment(), tuple(file_identity(path) for path in file_paths()))


def changed_after(inputs, moment):
    """True when a file of ``inputs`` (a snapshot) was changed at ``moment``
    (epoch seconds) or later, by its modification or change time."""
    limit = int(moment * 1e9)
    return any(len(identity) == 6 and max(identity[4], identity[5]) >= limit for identity in inputs[4])
