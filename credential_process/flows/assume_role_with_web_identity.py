"""AssumeRoleWithWebIdentity: an unsigned call with an OIDC token, read afresh
at every refresh because EKS, GitHub Actions and other CI systems rotate it."""

import base64
import binascii
import json
import time

from credential_process import sts
from credential_process.errors import NeedsPersonError
from credential_process.flow_table import BY_NAME
from credential_process.flows import account_of, answer_member, policy_params, read_token_input, session_entry
from credential_process.flows.assume_role import default_session_name
from credential_process.output import utc_timestamp

DEFAULT_DURATION = BY_NAME["assume-role-with-web-identity"].default_duration
TOKEN_PROCESS_TIMEOUT = 60


def fetch(options, base):
    token, source = read_token_input(
        options, "web_identity_token_file", "web_identity_token_process", TOKEN_PROCESS_TIMEOUT)
    if not token:
        raise NeedsPersonError(f"the web identity token from {source} is empty")
    _check_not_expired(token, source)
    duration = options.duration_seconds or DEFAULT_DURATION
    params = {
        "RoleArn": options.role_arn,
        "RoleSessionName": options.role_session_name or default_session_name(),
        "WebIdentityToken": token,
        "DurationSeconds": duration,
    }
    if options.provider_id:
        params["ProviderId"] = options.provider_id
    params.update(policy_params(options))
    response, skew = sts.call(sts.client(options, None), "AssumeRoleWithWebIdentity", **params)
    account = account_of(answer_member(response, "AssumeRoleWithWebIdentity", "AssumedRoleUser", "Arn"))
    return session_entry(options, "AssumeRoleWithWebIdentity", response, skew, duration, account)


def _check_not_expired(token, source):
    expires = jwt_expiry(token)
    if expires is not None and expires <= time.time():
        raise NeedsPersonError(
            f"the web identity token from {source} expired at {utc_timestamp(expires)}: "
            "whatever writes it (the identity provider, the CI system) must issue a new one"
        )


def jwt_expiry(token):
    """The ``exp`` claim of a JWT, or None when the token is not a JWT (OAuth 2.0 tokens)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    expires = claims.get("exp") if isinstance(claims, dict) else None
    return expires if isinstance(expires, (int, float)) and not isinstance(expires, bool) else None
