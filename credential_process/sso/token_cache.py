"""Where the sign-in token of an sso-session is kept: load, save, delete.

Two stores behind these three calls, chosen by ``session.token_store``
(``credential_process_sso_token_store``):

``file`` (the default): the file the AWS CLI and every SDK's ``sso_session``
profiles share, ``~/.aws/sso/cache/<sha1 hex of the sso-session name>.json``,
with the fields botocore's SSOTokenLoader and SSOTokenProvider read and write.
It holds secrets (the access and refresh tokens, the client secret) outside
our own store: that is the price of sharing the sign-in with the AWS CLI, and
the reason it is written atomically, mode 0600, in a folder only we can write.

``keyring``: the same record as one OS keyring item (sso/token_keyring.py),
never written to a file; the AWS CLI and the SDKs no longer see the sign-in.
"""

import datetime
import json
import os
import time

from credential_process.private_files import UnsafeFolder, ensure_private_folder, write_private_file
from credential_process.errors import ConfigError

MAX_BYTES = 64 * 1024


def folder():
    # botocore fixes the folder as ~/.aws/sso/cache; it knows no variable to move it.
    return os.path.expanduser(os.path.join("~", ".aws", "sso", "cache"))


def path(session):
    return os.path.join(folder(), session.key + ".json")


def load(session):
    """The token dict, or None when there is none or it is unreadable."""
    if _in_keyring(session):
        from credential_process.sso import token_keyring

        return token_keyring.load(session)
    try:
        with open(path(session), "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
        token = json.loads(data)
    except (OSError, ValueError):
        return None
    if not isinstance(token, dict) or not isinstance(token.get("accessToken"), str):
        return None
    return token


def save(session, token):
    if _in_keyring(session):
        from credential_process.sso import token_keyring

        return token_keyring.save(session, token)
    where = folder()
    try:
        ensure_private_folder(where)
        write_private_file(where, path(session), json.dumps(token, indent=None).encode())
    except (OSError, UnsafeFolder) as error:
        raise ConfigError(f"cannot write the sign-in token in {where}: {error}") from None


def delete(session):
    """Remove the token; True when there was one."""
    if _in_keyring(session):
        from credential_process.sso import token_keyring

        return token_keyring.delete(session)
    try:
        os.unlink(path(session))
        return True
    except FileNotFoundError:
        return False


def _in_keyring(session):
    return getattr(session, "token_store", "file") == "keyring"


def timestamp(epoch):
    """The format botocore writes (``_serialize_utc_timestamp``)."""
    return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(text):
    """Seconds since the epoch of an ``expiresAt``-style time; 0 when unreadable
    (the AWS CLI has written ``...Z``, ``...UTC`` and ``+00:00`` forms)."""
    if not isinstance(text, str):
        return 0
    text = text.strip()
    for suffix in ("UTC", "Z"):
        if text.endswith(suffix):
            text = text[: -len(suffix)] + "+00:00"
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def seconds_left(token, field="expiresAt"):
    return epoch((token or {}).get(field)) - time.time()
