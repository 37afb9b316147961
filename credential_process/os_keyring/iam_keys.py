"""Long-term IAM keys kept in the OS keyring, one item per name.

Item: service ``credential-process``, username NAME, value the JSON
``{"AccessKeyId", "SecretAccessKey", "added"}``.  The keyring API cannot list
items, so a 0600 index file beside the cache (names, masked key IDs, dates;
never a secret) remembers what we stored; the keyring is the truth when the
two disagree.
"""

import json
import re
import time

from credential_process import call_inputs
from credential_process.errors import ConfigError
from credential_process.os_keyring import backend as keyring_backend
from credential_process.os_keyring.name_index import NameIndex
from credential_process.output import utc_timestamp

# AWS: an access key ID is 16-128 word characters; long-term ones start AKIA,
# temporary (STS) ones ASIA.  A secret access key is 40 characters of base64.
_ACCESS_KEY_ID = re.compile(r"^AKIA\w{12,124}$")
_SECRET_ACCESS_KEY = re.compile(r"^[A-Za-z0-9+/]{40}$")
_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


def index():
    """Names, masked key IDs and dates of what we stored: never a secret."""
    return NameIndex(call_inputs.keys_index_path())


# -- validation ------------------------------------------------------------------
def check_name(name):
    if not _NAME.match(name or ""):
        raise ConfigError(f"a key name is 1 to 64 characters of letters, digits and +=,.@_-, not {name!r}")
    return name


def check_access_key_id(value):
    value = (value or "").strip()
    if value.startswith("ASIA"):
        raise ConfigError("that access key ID (ASIA...) belongs to temporary credentials: "
                          "store long-term IAM user keys (AKIA...) only")
    if not _ACCESS_KEY_ID.match(value):
        raise ConfigError("an access key ID is 16 to 128 letters and digits starting with AKIA; "
                          f"{mask(value) or 'an empty value'} is not one")
    return value


def check_secret_access_key(value):
    value = (value or "").strip()
    if not _SECRET_ACCESS_KEY.match(value):
        # Never show any of it: a typo'd secret is still mostly the secret.
        raise ConfigError(f"a secret access key is 40 characters of A-Z a-z 0-9 + /; "
                          f"the one given has {len(value)} characters or others")
    return value


def mask(access_key_id):
    """AKIA...WXYZ: enough to recognise a key, not to copy it."""
    if len(access_key_id) < 12:
        return "*" * len(access_key_id)
    return f"{access_key_id[:4]}...{access_key_id[-4:]}"


# -- the keyring items -------------------------------------------------------------
def store(name, access_key_id, secret_access_key):
    """Validate and store a key pair under ``name``; returns the record without the secret."""
    record = {
        "AccessKeyId": check_access_key_id(access_key_id),
        "SecretAccessKey": check_secret_access_key(secret_access_key),
        "added": utc_timestamp(time.time()),
    }
    keyring_backend.put(keyring_backend.KEYS_SERVICE, check_name(name), json.dumps(record))
    index().update(name, {"AccessKeyId": mask(record["AccessKeyId"]), "added": record["added"]})
    return {"AccessKeyId": record["AccessKeyId"], "added": record["added"]}


def load(name):
    """The stored record of ``name`` (with its secret), or None."""
    text = keyring_backend.get(keyring_backend.KEYS_SERVICE, check_name(name))
    if text is None:
        return None
    try:
        record = json.loads(text)
        if all(isinstance(record.get(field), str) for field in ("AccessKeyId", "SecretAccessKey")):
            return record
    except (ValueError, AttributeError):
        pass
    raise ConfigError(f"the keyring item {name!r} of service {keyring_backend.KEYS_SERVICE!r} "
                      "is not a key pair stored by credential-process")


def remove(name):
    """Delete ``name`` from the keyring and the index; True when the keyring had it."""
    found = keyring_backend.delete(keyring_backend.KEYS_SERVICE, check_name(name))
    index().update(name, None)
    return found


def base_credentials(name):
    """The base credentials of a profile with ``credential_process_source_keyring = name``."""
    record = load(name)
    if record is None:
        raise ConfigError(f"no keys named {name!r} in the keyring ({keyring_backend.backend_name()}): "
                          f"store them with 'credential-process keys add {name}'")
    return {"AccessKeyId": record["AccessKeyId"], "SecretAccessKey": record["SecretAccessKey"],
            "SessionToken": None, "flow": None}


def names_holding(access_key_id):
    """The indexed names whose stored key is ``access_key_id`` (the index
    keeps only masked IDs, so each candidate is read from the keyring)."""
    masked = mask(access_key_id)
    names = []
    for name, row in sorted(index().read().items()):
        if isinstance(row, dict) and row.get("AccessKeyId") not in (None, masked):
            continue
        record = load(name)
        if record is not None and record["AccessKeyId"] == access_key_id:
            names.append(name)
    return names


def listing():
    """[(name, masked key ID, added)] of the indexed names the keyring still holds.

    Names the keyring no longer has are dropped from the index.
    """
    keyring_backend.backend()  # a refused or missing keyring says so even when nothing is indexed
    rows = []
    for name in sorted(index().read()):
        record = load(name)
        if record is None:
            index().update(name, None)
            continue
        rows.append((name, mask(record["AccessKeyId"]), record.get("added", "?")))
    return rows

