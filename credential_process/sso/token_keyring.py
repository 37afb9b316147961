"""The sign-in token of an sso-session as one OS keyring item, for users who
keep their sessions in the keyring (``credential_process_sso_token_store =
keyring``): service ``credential-process-sso``, name = the sso-session name,
secret = the same JSON record the AWS CLI's token file holds.

Nothing is written to ``~/.aws/sso/cache``: the price is that the AWS CLI and
the SDKs' own ``sso_session`` profiles no longer share this sign-in.
The locks stay files in our cache folder (sso/signin.py): no secret in them.
"""

import json

from credential_process.os_keyring import backend

SERVICE = "credential-process-sso"


def load(session):
    """The token dict, or None when there is none or it is unreadable."""
    secret = backend.get(SERVICE, session.name)
    if secret is None:
        return None
    try:
        token = json.loads(secret)
    except ValueError:
        return None
    if not isinstance(token, dict) or not isinstance(token.get("accessToken"), str):
        return None
    return token


def save(session, token):
    backend.put(SERVICE, session.name, json.dumps(token, indent=None))


def delete(session):
    return backend.delete(SERVICE, session.name)
