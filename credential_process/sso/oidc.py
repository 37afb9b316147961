"""Clients of SSO OIDC (sign-in tokens) and the SSO portal (role credentials,
accounts), unsigned, in the sso-session's region.  Endpoints are botocore's:
``AWS_ENDPOINT_URL_SSO_OIDC``, ``AWS_ENDPOINT_URL_SSO``, ``AWS_ENDPOINT_URL``
and the profile's ``endpoint_url``/``services``.  Errors come back as the STS
flows' do (``sts.call``): one line, with ``.code`` for the ones we act on."""

import time
from types import SimpleNamespace

from credential_process import sts
from credential_process.sso import token_cache

CLIENT_NAME = "credential-process"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REDIRECT_PATH = "/oauth/callback"
# Refusals after which a refresh token is worth no more (another tool may have
# rotated it, or the Identity Center session ended).
DEAD_GRANT_CODES = ("InvalidGrantException", "InvalidClientException", "ExpiredTokenException",
                    "UnauthorizedClientException", "AccessDeniedException")


def client(session, service, profile=None):
    # sts.client reads only .profile (whose endpoint_url applies) when given the region.
    return sts.client(SimpleNamespace(profile=profile), None, service=service, region=session.region)


def oidc_client(session, profile=None):
    return client(session, "sso-oidc", profile)


def portal_client(session, profile=None):
    return client(session, "sso", profile)


def register(oidc, session, for_pkce):
    """A new public client, registered for a refresh token (sso:account:access)."""
    params = {"clientName": CLIENT_NAME, "clientType": "public", "scopes": list(session.scopes)}
    if for_pkce:
        params.update(grantTypes=["authorization_code", "refresh_token"],
                      redirectUris=[f"http://127.0.0.1{REDIRECT_PATH}"], issuerUrl=session.start_url)
    registered, _ = sts.call(oidc, "RegisterClient", **params)
    return registered


def token_record(session, answer, client_id, client_secret, registration_expires):
    """The token file's fields (as the AWS CLI writes them) from a CreateToken answer."""
    record = {
        "startUrl": session.start_url,
        "region": session.region,
        "accessToken": answer["accessToken"],
        "expiresAt": token_cache.timestamp(time.time() + answer["expiresIn"]),
        "clientId": client_id,
        "clientSecret": client_secret,
        "registrationExpiresAt": registration_expires,
    }
    if answer.get("refreshToken"):
        record["refreshToken"] = answer["refreshToken"]
    return record


def refresh(oidc, session, token):
    """A renewed token from the refresh_token grant (raises AwsError with .code)."""
    answer, _ = sts.call(oidc, "CreateToken", grantType="refresh_token", clientId=token["clientId"],
                         clientSecret=token["clientSecret"], refreshToken=token["refreshToken"])
    record = token_record(session, answer, token["clientId"], token["clientSecret"],
                          token["registrationExpiresAt"])
    if "refreshToken" not in record:  # not rotated: the old one stays good
        record["refreshToken"] = token["refreshToken"]
    return record


def refreshable(token):
    return bool(token and all(isinstance(token.get(key), str) and token[key] for key in
                              ("refreshToken", "clientId", "clientSecret", "registrationExpiresAt"))
                and token_cache.seconds_left(token, "registrationExpiresAt") > 0)
