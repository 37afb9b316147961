"""The SSO stand-in speaks the real wire format: botocore's own sso-oidc and sso
clients, built from botocore's service models, talk to it."""

import base64
import hashlib
import http.client
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from support.sso_standin import SsoStandIn


@pytest.fixture
def standin():
    server = SsoStandIn().start()
    yield server
    server.stop()


def clients(standin):
    session = botocore.session.Session()
    config = Config(signature_version=UNSIGNED, region_name="eu-west-1")
    return (session.create_client("sso-oidc", endpoint_url=standin.url, config=config),
            session.create_client("sso", endpoint_url=standin.url, config=config))


def authorize(standin, client_id, redirect_uri, challenge, state="s1"):
    query = urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
                       "state": state, "code_challenge_method": "S256", "code_challenge": challenge,
                       "scopes": "sso:account:access"})
    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(standin.url).port, timeout=5)
    connection.request("GET", f"/authorize?{query}")
    response = connection.getresponse()
    response.read()
    return response.status, response.getheader("Location")


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def test_botocore_clients_sign_in_with_pkce_and_get_role_credentials(standin):
    oidc, portal = clients(standin)
    registered = oidc.register_client(
        clientName="test", clientType="public", scopes=["sso:account:access"],
        grantTypes=["authorization_code", "refresh_token"], redirectUris=["http://127.0.0.1/oauth/callback"])
    verifier, challenge = pkce()
    redirect = "http://127.0.0.1:45678/oauth/callback"
    status, location = authorize(standin, registered["clientId"], redirect, challenge)
    assert status == 302 and location.startswith(redirect + "?")
    answer = parse_qs(urlsplit(location).query)
    assert answer["state"] == ["s1"]
    code = answer["code"][0]

    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(clientId=registered["clientId"], clientSecret=registered["clientSecret"],
                          grantType="authorization_code", code=code, redirectUri=redirect,
                          codeVerifier="not-the-verifier")
    # A refused code is used up, as at the real service: sign in again.
    _, location = authorize(standin, registered["clientId"], redirect, challenge)
    code = parse_qs(urlsplit(location).query)["code"][0]
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(clientId=registered["clientId"], clientSecret=registered["clientSecret"],
                          grantType="authorization_code", code=code,
                          redirectUri="http://127.0.0.1:1/oauth/callback", codeVerifier=verifier)
    _, location = authorize(standin, registered["clientId"], redirect, challenge)
    code = parse_qs(urlsplit(location).query)["code"][0]
    token = oidc.create_token(clientId=registered["clientId"], clientSecret=registered["clientSecret"],
                              grantType="authorization_code", code=code, redirectUri=redirect,
                              codeVerifier=verifier)
    assert token["refreshToken"] and token["expiresIn"] > 0

    credentials = portal.get_role_credentials(roleName="Admin", accountId="111111111111",
                                              accessToken=token["accessToken"])["roleCredentials"]
    assert credentials["accessKeyId"].startswith("ASIASSO") and credentials["expiration"] > 0
    accounts = portal.list_accounts(accessToken=token["accessToken"])["accountList"]
    assert [a["accountId"] for a in accounts] == ["111111111111", "222222222222"]
    roles = portal.list_account_roles(accessToken=token["accessToken"], accountId="111111111111")["roleList"]
    assert [r["roleName"] for r in roles] == ["Admin", "ReadOnly"]

    renewed = oidc.create_token(clientId=registered["clientId"], clientSecret=registered["clientSecret"],
                                grantType="refresh_token", refreshToken=token["refreshToken"])
    with pytest.raises(oidc.exceptions.InvalidGrantException):  # refresh tokens rotate
        oidc.create_token(clientId=registered["clientId"], clientSecret=registered["clientSecret"],
                          grantType="refresh_token", refreshToken=token["refreshToken"])
    standin.expire_access_tokens()
    with pytest.raises(portal.exceptions.UnauthorizedException):
        portal.get_role_credentials(roleName="Admin", accountId="111111111111",
                                    accessToken=renewed["accessToken"])
    assert standin.count("CreateToken") == 5 and standin.count("GetRoleCredentials") == 2


def test_device_code_is_pending_until_approved(standin):
    oidc, portal = clients(standin)
    registered = oidc.register_client(clientName="test", clientType="public", scopes=["sso:account:access"])
    device = oidc.start_device_authorization(clientId=registered["clientId"],
                                             clientSecret=registered["clientSecret"],
                                             startUrl="https://example.awsapps.com/start")
    grant = dict(clientId=registered["clientId"], clientSecret=registered["clientSecret"],
                 grantType="urn:ietf:params:oauth:grant-type:device_code", deviceCode=device["deviceCode"])
    with pytest.raises(oidc.exceptions.AuthorizationPendingException):
        oidc.create_token(**grant)
    assert oidc.create_token(**grant)["accessToken"]


def test_expired_client_secret_is_refused(standin):
    oidc, _ = clients(standin)
    standin.client_secret_seconds = -1
    registered = oidc.register_client(clientName="test", clientType="public")
    with pytest.raises(oidc.exceptions.InvalidClientException):
        oidc.start_device_authorization(clientId=registered["clientId"], clientSecret=registered["clientSecret"],
                                        startUrl="https://example.awsapps.com/start")
