"""A valid access token for an sso-session, with a person only when nothing
else will do: the cached token while it has time left; else the refresh_token
grant, under a lock so N processes make one CreateToken; else a sign-in,
started once (signin.py) and waited for within the caller's time budget."""

import time

from credential_process.errors import AwsError, NeedsPersonError
from credential_process.sso import oidc, signin, token_cache

# Renewed when fewer seconds than this remain: botocore's own window, so that
# SDKs reading the same file find it fresh and never race us to refresh it.
REFRESH_WINDOW = 15 * 60
# Still used, when it cannot be renewed, while more than this remains.
MIN_USABLE = 60


def access_token(session, lock_timeout, may_sign_in, profile=None):
    """The access token; raises NeedsPersonError when a person must sign in."""
    token = token_cache.load(session)
    if token_cache.seconds_left(token) > REFRESH_WINDOW:
        return token["accessToken"]
    deadline = time.monotonic() + lock_timeout
    import filelock

    guard = signin.lock(session, "token", lock_timeout)
    try:
        guard.acquire()
    except filelock.Timeout:
        raise AwsError(f"waited {lock_timeout} s for another process renewing the sign-in of "
                       f"sso-session {session.name!r}; try again") from None
    try:
        token = token_cache.load(session)  # another process may have renewed it meanwhile
        if token_cache.seconds_left(token) > REFRESH_WINDOW:
            return token["accessToken"]
        renewed = _refreshed(session, token, profile)
        if renewed is not None:
            return renewed["accessToken"]
        if not may_sign_in:
            raise NeedsPersonError(f"the sign-in of sso-session {session.name!r} has ended and a background "
                                   f"refresh cannot ask for a new one: run `{session.login_command()}`")
        if not signin.in_progress(session):
            if not signin.person_reachable():
                raise NeedsPersonError(
                    f"sso-session {session.name!r} needs a sign-in, and no browser or terminal is "
                    f"here to do it: run `{session.login_command()}`")
            signin.start_detached(session)
    finally:
        guard.release()
    # Outside the token lock: callers of other profiles over the same sign-in
    # wait on the sign-in lock too, and all see the token as soon as it is written.
    waited = round(lock_timeout)
    if not signin.wait_for(session, deadline - time.monotonic()):
        raise NeedsPersonError(
            f"a sign-in to sso-session {session.name!r} is in progress (waited {waited} s): complete it "
            f"in the browser or with the code shown, then try again, or run `{session.login_command()}`")
    token = token_cache.load(session)
    if token_cache.seconds_left(token) > MIN_USABLE:
        return token["accessToken"]
    raise NeedsPersonError(f"the sign-in to sso-session {session.name!r} did not complete: "
                           f"run `{session.login_command()}`")


def _refreshed(session, token, profile):
    """A token good for use: renewed with the refresh token, or re-read after
    another tool renewed it, or the current one while it lasts; None otherwise."""
    if oidc.refreshable(token):
        try:
            renewed = oidc.refresh(oidc.oidc_client(session, profile), session, token)
        except AwsError as error:
            if getattr(error, "code", None) not in oidc.DEAD_GRANT_CODES:
                if token_cache.seconds_left(token) > MIN_USABLE:
                    return token  # OIDC unreachable: the current token still serves
                raise
            # The AWS CLI or an SDK may have rotated the refresh token without our lock.
            again = token_cache.load(session)
            if again and again.get("accessToken") != token.get("accessToken") and \
                    token_cache.seconds_left(again) > MIN_USABLE:
                return again
            return None
        token_cache.save(session, renewed)
        return renewed
    if token_cache.seconds_left(token) > MIN_USABLE:
        return token
    return None


def renewable_unattended(session):
    """True when a token can be had without a person (for the background refresh)."""
    token = token_cache.load(session)
    return token_cache.seconds_left(token) > MIN_USABLE or oidc.refreshable(token)
