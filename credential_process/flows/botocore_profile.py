"""A profile botocore resolves by itself (static keys, role_arn/source_profile,
sso_session, login_session, another tool's credential_process, web identity),
served to the commands a person runs (export, exec, whoami, eks, login):
any_profile.py builds its options, never from a config key.

Its credentials are botocore's, with botocore's own caches (the AWS CLI's
SSO and login token files): this tool does not cache them again, so the
entry is served and never stored (cache/entry.py is_cacheable).
"""

import time

from credential_process.cache.entry import make_entry
from credential_process.output import utc_timestamp

NEEDS_BASE = False
METHOD = "botocore"


def fetch(options, base):
    from credential_process.markers import inherited_chain
    from credential_process.sources import from_botocore

    resolved = from_botocore(options.profile, inherited_chain() + [options.profile], served=True)
    credentials = {name: resolved[name] for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")
                   if resolved.get(name)}
    expires_at = resolved.get("expires_at")
    if resolved.get("AccountId"):
        credentials["AccountId"] = resolved["AccountId"]
    if expires_at is not None:
        credentials["Expiration"] = utc_timestamp(expires_at)
    # Which of botocore's providers answered ("shared-credentials-file", "assume-role", "sso", "login", ...).
    flow = f"{METHOD}:{resolved.get('provider') or 'unknown'}"
    duration = max(expires_at - time.time(), 1) if expires_at is not None else 0
    entry = make_entry(options, credentials, expires_at, duration, 0, flow)
    entry["not_cached"] = True
    return entry
