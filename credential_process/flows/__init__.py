"""The STS flows, one module each, behind one small interface.

A flow module has ``NEEDS_BASE`` (whether it signs its call with base
credentials) and ``fetch(options, base)``, which returns a new cache entry.
"""

import importlib
from datetime import timezone

from credential_process.cache.entry import make_entry

MODULES = {
    "assume-role": "assume_role",
}


def run(options, chain, resolve_profile):
    """A fresh entry for ``options`` from the flow it names."""
    from credential_process.sources import base_credentials

    flow = flow_module(options)
    base = base_credentials(options, chain, resolve_profile) if flow.NEEDS_BASE else None
    return flow.fetch(options, base)


def flow_module(options):
    return importlib.import_module(f"credential_process.flows.{MODULES[options.method]}")


def can_refresh_unattended(options):
    """Whether a new session can be had with nobody at the keyboard (for the
    background refresh).  A flow that may need a person (an MFA code, a SAML
    login) defines ``can_refresh_unattended(options)`` and answers True only
    when its material is at hand; the others need not define it."""
    answer = getattr(flow_module(options), "can_refresh_unattended", None)
    return answer is None or bool(answer(options))


def session_entry(options, sts_credentials, skew, duration, account_id=None, method=None):
    """A cache entry from the ``Credentials`` member of an STS response."""
    expiration = sts_credentials["Expiration"].astimezone(timezone.utc)
    credentials = {
        "AccessKeyId": sts_credentials["AccessKeyId"],
        "SecretAccessKey": sts_credentials["SecretAccessKey"],
        "SessionToken": sts_credentials["SessionToken"],
        "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if account_id:
        credentials["AccountId"] = account_id
    return make_entry(options, credentials, expiration.timestamp(), duration, skew, method)


def account_of(arn):
    """The account ID in an ARN (arn:aws:sts::123456789012:assumed-role/...)."""
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None
