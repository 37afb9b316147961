"""IAM Identity Center: the portal's GetRoleCredentials with the sso-session's
access token (sso/tokens.py finds, renews or signs in for it).  The answer goes
through the regular cache, refresh margin and background refresh."""

import datetime
import time

from credential_process import sts
from credential_process.errors import AwsError, ConfigError, NeedsPersonError
from credential_process.flows import answer_member, session_entry
from credential_process.markers import in_background_refresh
from credential_process.sso import oidc, session_config, tokens



def fetch(options, base):
    session = session_config.load(options.sso_session, options.config_path, options.sso_token_store or "file")
    token = tokens.access_token(session, options.lock_timeout, may_sign_in=not in_background_refresh(),
                                profile=options.profile)
    portal = oidc.portal_client(session, options.profile)
    try:
        response, skew = sts.call(portal, "GetRoleCredentials", roleName=options.sso_role_name,
                                  accountId=options.sso_account_id, accessToken=token)
    except AwsError as error:
        if getattr(error, "code", None) == "UnauthorizedException":
            # Signed out elsewhere, or the Identity Center session was ended by an administrator.
            raise NeedsPersonError(f"the sign-in of sso-session {session.name!r} is no longer accepted: "
                                   f"run `{session.login_command()}`") from None
        raise
    role = answer_member(response, "GetRoleCredentials", "roleCredentials")
    expiration = answer_member(response, "GetRoleCredentials", "roleCredentials", "expiration")
    if not isinstance(expiration, (int, float)) or isinstance(expiration, bool):
        raise AwsError("STS GetRoleCredentials answered an expiration that is not a time: not a usable answer")
    expires_at = expiration / 1000
    # In the shape of STS's Credentials member, so session_entry checks it as it checks theirs.
    credentials = {
        "AccessKeyId": role.get("accessKeyId"),
        "SecretAccessKey": role.get("secretAccessKey"),
        "SessionToken": role.get("sessionToken"),
        "Expiration": datetime.datetime.fromtimestamp(expires_at, datetime.timezone.utc),
    }
    # The session length is the permission set's, not ours to ask: the time left now.
    duration = max(expires_at - time.time(), 1)
    return session_entry(options, "GetRoleCredentials", {"Credentials": credentials}, skew, duration,
                         options.sso_account_id)


def can_refresh_unattended(options):
    try:
        session = session_config.load(options.sso_session, options.config_path, options.sso_token_store or "file")
    except ConfigError:
        return False
    return tokens.renewable_unattended(session)
