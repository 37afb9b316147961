"""AssumeRole: role credentials signed by the profile's base credentials."""

import getpass
import re
import socket

from credential_process import sts
from credential_process.flows import account_of, session_entry

NEEDS_BASE = True
DEFAULT_DURATION = 3600


def fetch(options, base):
    duration = options.duration_seconds or DEFAULT_DURATION
    params = {
        "RoleArn": options.role_arn,
        "RoleSessionName": options.role_session_name or default_session_name(),
        "DurationSeconds": duration,
    }
    optional = {
        "ExternalId": options.external_id,
        "Policy": options.policy,
        "PolicyArns": [{"arn": arn} for arn in options.policy_arns],
        "Tags": [{"Key": key, "Value": value} for key, value in options.tags],
        "TransitiveTagKeys": list(options.transitive_tag_keys),
        "SourceIdentity": options.source_identity,
    }
    params.update({name: value for name, value in optional.items() if value})
    response, skew = sts.call(sts.client(options, base), "AssumeRole", **params)
    account = account_of(response["AssumedRoleUser"]["Arn"])
    return session_entry(options, response["Credentials"], skew, duration, account)


def default_session_name():
    """user@host, made valid for STS (2-64 of [\\w+=,.@-]) and stable across runs."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "user"
    name = re.sub(r"[^\w+=,.@-]", "-", f"{user}@{socket.gethostname()}")[:64]
    return name if len(name) >= 2 else "credential-process"
