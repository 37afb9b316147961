"""The OS keyring, through the ``keyring`` library: the one module that imports it.

It checks the backend keyring picked (``PYTHON_KEYRING_BACKEND`` and keyring's
own config are respected) and refuses those that keep secrets in plain text or
not at all, unless ``CREDENTIAL_PROCESS_ALLOW_INSECURE_KEYRING=1``.  Every
keyring failure leaves as one of our errors with one clear line:
a locked keyring that cannot prompt is NeedsPersonError (exit 3); no D-Bus
session, no usable backend or denied access is ConfigError (exit 2).

Only imported on paths that use the keyring: never on a file-cache hit.
"""

import contextlib
import os
import sys

import keyring
import keyring.errors

from credential_process.errors import ConfigError, NeedsPersonError, one_line

KEYS_SERVICE = "credential-process"  # long-term keys: one item per name
CACHE_SERVICE = "credential-process-cache"  # cached sessions: one item per cache key
INSECURE_VARIABLE = "CREDENTIAL_PROCESS_ALLOW_INSECURE_KEYRING"

_checked = None  # the backend once it passed the check, for this process


def backend():
    """The keyring backend to use, checked; ConfigError when it is not usable."""
    global _checked
    current = _current_backend()
    if current is not _checked:
        refusal = refusal_reason(current)
        if refusal and os.environ.get(INSECURE_VARIABLE) != "1":
            raise ConfigError(refusal)
        _checked = current
    return current


def backend_name(found=None):
    found = found or backend()
    return f"{type(found).__module__}.{type(found).__name__}"


def get(service, name):
    """The secret stored under (service, name), or None."""
    with translated_errors(f"reading {name!r} from the keyring"):
        return backend().get_password(service, name)


def put(service, name, secret):
    with translated_errors(f"storing {name!r} in the keyring"):
        backend().set_password(service, name, secret)


def delete(service, name):
    """Delete an item; True when it was there."""
    with translated_errors(f"deleting {name!r} from the keyring"):
        found = backend()
        if found.get_password(service, name) is None:
            return False
        try:
            found.delete_password(service, name)
        except keyring.errors.PasswordDeleteError:
            return False
        return True


def is_windows_vault(found=None):
    """Windows Credential Manager, whose items hold at most 2560 bytes."""
    found = found or backend()
    return type(found).__module__ == "keyring.backends.Windows"


# -- backend checks ------------------------------------------------------------
def _current_backend():
    try:
        return keyring.get_keyring()
    except Exception as error:  # keyring raises RuntimeError for a named backend it cannot start
        raise ConfigError(f"cannot start the keyring backend: {one_line(error)}{_dbus_hint()}") from None


def _writes_to(found):
    """The backend a chainer hands writes to (its first), else the backend itself."""
    members = getattr(found, "backends", None)
    if type(found).__name__ == "ChainerBackend" and members:
        return members[0]
    return found


def refusal_reason(found):
    """Why this backend must not hold secrets, or None when it may."""
    target = _writes_to(found)
    module = type(target).__module__
    name = f"{module}.{type(target).__name__}"
    advice = (
        f"install a real keyring (Secret Service e.g. gnome-keyring or KWallet on Linux; "
        f"macOS Keychain and Windows Credential Manager work as they are), or set "
        f"PYTHON_KEYRING_BACKEND; {INSECURE_VARIABLE}=1 accepts it anyway"
    )
    empty_chainer = type(found).__name__ == "ChainerBackend" and target is found
    if module in ("keyring.backends.fail", "keyring.backends.null") or empty_chainer:
        return f"no usable keyring was found{_dbus_hint()}; keyring chose {name}, which stores nothing: {advice}"
    if module.startswith("keyrings.alt") and "plaintext" in type(target).__name__.lower():
        return f"the keyring backend {name} keeps secrets in plain text on disk{_dbus_hint()}: {advice}"
    return None


# -- error translation -----------------------------------------------------------
@contextlib.contextmanager
def translated_errors(action):
    """Turn whatever a backend raises into one line with the right exit code."""
    try:
        yield
    except (ConfigError, NeedsPersonError):
        raise
    except keyring.errors.KeyringLocked:
        raise NeedsPersonError(
            f"{action}: the keyring is locked and cannot ask for its password here; "
            "unlock it (log in to the desktop session, or unlock it with your keyring tool) and try again"
        ) from None
    except Exception as error:
        if _is_access_denied(error):
            raise ConfigError(f"{action}: access to the keyring was denied: {one_line(error)}") from None
        if _is_dbus_failure(error):
            raise ConfigError(f"{action}: the Secret Service is not reachable over D-Bus: "
                              f"{one_line(error)}{_dbus_hint()}") from None
        if isinstance(error, keyring.errors.KeyringError):
            raise ConfigError(f"{action} failed: {one_line(error) or type(error).__name__}") from None
        raise


def _is_access_denied(error):
    text = f"{type(error).__name__} {error}".lower()
    return "accessdenied" in text.replace(" ", "") or "access denied" in text or "permission denied" in text


def _is_dbus_failure(error):
    # secretstorage and jeepney errors escape keyring's SecretService backend unwrapped.
    module = type(error).__module__ or ""
    return module.startswith(("secretstorage", "jeepney", "dbus")) or isinstance(error, keyring.errors.InitError)


def _dbus_hint():
    if sys.platform.startswith("linux") and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return " (there is no D-Bus session: DBUS_SESSION_BUS_ADDRESS is unset)"
    return ""
