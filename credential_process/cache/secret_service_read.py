"""A keyring-store hit without importing ``keyring``: read the item straight from
the Secret Service (D-Bus, through ``jeepney``) when keyring itself would read
it there.

Importing ``keyring`` costs about 8 interpreter starts before it has found a
backend (it scans every installed package's entry points), ``secretstorage``
almost 4 (it imports ``cryptography``), ``jeepney`` under 3.  So this module
does, with jeepney, exactly what keyring's SecretService backend does for
``get_password(service, username)``: the default collection, SearchItems on
the attributes ``service`` and ``username`` (keyring also writes
``application``, but does not search on it), the first item found, its secret.

It answers only when it knows keyring would look there: ``remember`` records,
each time the keyring store has written an item, which backend keyring chose
and the environment that choice depends on; ``read`` answers only while both
are the same and keyring's choice was the Secret Service.  Whenever it cannot
answer -- no record, another environment, no D-Bus, the collection or item
locked (keyring would prompt for the password), no such item, any error --
it returns None and the caller asks keyring, which answers or reports the
problem as usual.  tests/test_secret_service_read.py checks that both reads
agree.

The secret comes over an unencrypted ("plain") Secret Service session, which
spares importing ``cryptography``: it crosses only the user's own session bus,
and whatever can listen there runs as the user and could ask the Secret
Service for the item itself.
"""

import os
import sys

from credential_process.private_files import ensure_private_folder, read_private_file, write_private_file

RECORD_NAME = "keyring-backend"  # in the file store's folder; no secret, no .json
SECRET_SERVICE = "keyring.backends.SecretService.Keyring"
_BUS_NAME = "org.freedesktop.secrets"
_PREFIX = "org.freedesktop.Secret."
_SERVICE_PATH = "/org/freedesktop/secrets"
_DEFAULT_COLLECTION = "/org/freedesktop/secrets/aliases/default"  # secretstorage's default, as keyring uses
_TIMEOUT = 10  # seconds for one D-Bus reply; a daemon that hangs makes keyring hang too


def read(folder, service, username):
    """The secret keyring would return for (service, username), or None when
    this read cannot tell (then ask keyring)."""
    if _environment() is None or read_private_file(folder, _record_path(folder)) != _record(SECRET_SERVICE):
        return None
    try:
        return _read(service, username)
    except Exception:  # any D-Bus or daemon failure: keyring answers, and reports it properly
        return None


def remember(folder, backend):
    """Record the backend keyring chose (an instance; a chainer reads from its
    first member first) and the environment that chose it."""
    members = getattr(backend, "backends", None)
    if type(backend).__name__ == "ChainerBackend" and members:
        backend = members[0]
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if _environment() is None:
        return
    try:
        path = _record_path(folder)
        if read_private_file(folder, path) != _record(name):
            ensure_private_folder(folder)
            write_private_file(folder, path, _record(name))
    except Exception:  # only a shortcut: every read still works through keyring
        pass


def _record_path(folder):
    return os.path.join(folder, RECORD_NAME)


def _record(backend_name):
    return f"{backend_name}\n{_environment()!r}\n".encode()


def _environment():
    """What keyring's choice of backend depends on, or None where this read
    never answers: not Linux, or keyring told by KEYRING_PROPERTY_* to use
    another collection or attribute scheme."""
    if not sys.platform.startswith("linux") or any(name.startswith("KEYRING_PROPERTY_") for name in os.environ):
        return None
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    config = os.path.join(config_home, "python_keyring", "keyringrc.cfg")  # keyring's config file
    try:
        info = os.stat(config)
        config_identity = (info.st_ino, info.st_size, info.st_mtime_ns)
    except OSError:
        config_identity = None
    return (sys.prefix, os.environ.get("PYTHON_KEYRING_BACKEND"), os.environ.get("XDG_CURRENT_DESKTOP"),
            config_identity)


def _read(service, username):
    from jeepney import DBusAddress, Properties, new_method_call
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import unwrap_msg

    with open_dbus_connection(bus="SESSION") as connection:
        def call(message):
            return unwrap_msg(connection.send_and_get_reply(message, timeout=_TIMEOUT))

        def locked(path, interface):
            (_, value), = call(Properties(DBusAddress(path, _BUS_NAME, _PREFIX + interface)).get("Locked"))
            return bool(value)

        collection = DBusAddress(_DEFAULT_COLLECTION, _BUS_NAME, _PREFIX + "Collection")
        if locked(_DEFAULT_COLLECTION, "Collection"):
            return None  # keyring would ask for the keyring's password
        paths, = call(new_method_call(collection, "SearchItems", "a{ss}",
                                      ({"service": service, "username": username},)))
        if not paths or locked(paths[0], "Item"):
            return None
        _, session = call(new_method_call(DBusAddress(_SERVICE_PATH, _BUS_NAME, _PREFIX + "Service"),
                                          "OpenSession", "sv", ("plain", ("s", ""))))
        # The session ends with the connection.
        (_, _, value, _), = call(new_method_call(DBusAddress(paths[0], _BUS_NAME, _PREFIX + "Item"),
                                                 "GetSecret", "o", (session,)))
        return bytes(value).decode("utf-8")
