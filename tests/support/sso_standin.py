"""A loopback stand-in of IAM Identity Center: SSO OIDC and the SSO portal.

No moto service speaks either, so this answers botocore's ``sso-oidc`` and
``sso`` clients in their wire format (rest-json, as botocore's service
models describe it) and checks what the real service checks:

    standin = SsoStandIn().start()
    env["AWS_ENDPOINT_URL_SSO_OIDC"] = standin.url
    env["AWS_ENDPOINT_URL_SSO"] = standin.url
    standin.count("CreateToken")          # calls per operation (also "Authorize")
    standin.grants                        # grant types of every CreateToken, in order
    standin.access_token_seconds = 3600   # life of access tokens issued from now on
    standin.client_secret_seconds = 90 * 86400
    standin.expire_access_tokens()        # every issued access token is now expired
    standin.device_approve_after = 1      # device codes approve after N pending polls (None: never)
    standin.on_refresh = hook             # hook(standin, request body) runs before a refresh_token grant
                                          # (e.g. "another tool" rotating that refresh token first:
                                          # standin.rotate(refresh_token) -> the CreateToken answer it got)
    standin.stop()

OIDC: RegisterClient (POST /client/register), StartDeviceAuthorization
(POST /device_authorization), CreateToken (POST /token) with the
authorization_code grant (PKCE S256: the verifier must hash to the challenge;
the redirect URI must be the authorize request's), device_code
(authorization_pending until approved; slow down not modelled) and
refresh_token (rotated: the old one is then invalid_grant); an expired client
secret is InvalidClientException.  GET /authorize answers as a browser whose
person is signed in and consents: a 302 to the redirect URI with code and state.
Portal: GetRoleCredentials, ListAccounts, ListAccountRoles, Logout, with the
bearer token in ``x-amz-sso_bearer_token``; an unknown or expired token is
UnauthorizedException.  Role credentials are fixed-format keys, one new pair
per call (``ASIASSO...`` numbered), so tests can tell sessions apart.
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

__all__ = ["SsoStandIn", "ACCOUNTS"]

# account id -> (account name, roles)
ACCOUNTS = {
    "111111111111": ("Dev Account", ["Admin", "ReadOnly"]),
    "222222222222": ("prod", ["ReadOnly"]),
}


class _Refusal(Exception):
    def __init__(self, status, error_type, oauth_error, description):
        super().__init__(description)
        self.status, self.error_type, self.oauth_error = status, error_type, oauth_error


def _oidc_error(status, error_type, oauth_error, description):
    return _Refusal(status, error_type, oauth_error, description)


class SsoStandIn:
    def __init__(self, accounts=None, role_seconds=3600):
        self.accounts = dict(accounts or ACCOUNTS)
        self.role_seconds = role_seconds
        self.access_token_seconds = 8 * 3600
        self.client_secret_seconds = 90 * 86400
        self.device_approve_after = 1
        self.on_refresh = None
        self.counts = Counter()
        self.grants = []
        self.issued_keys = []
        self._lock = threading.Lock()
        self._clients = {}        # client id -> {secret, expires, scopes, redirect_uris, grant_types}
        self._codes = {}          # authorization code -> {client, redirect_uri, challenge}
        self._devices = {}        # device code -> {client, user_code, polls, approved, expires}
        self._access = {}         # access token -> expires (epoch s)
        self._refresh = {}        # refresh token -> client id
        self._serial = itertools.count(1)
        self._server = None

    # -- lifecycle -------------------------------------------------------------
    def start(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                standin._handle(self, "GET")

            def do_POST(self):
                standin._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def count(self, operation):
        return self.counts[operation]

    def expire_access_tokens(self):
        with self._lock:
            for token in self._access:
                self._access[token] = 0

    def env(self):
        """The variables that point botocore's sso-oidc and sso clients here."""
        return {"AWS_ENDPOINT_URL_SSO_OIDC": self.url, "AWS_ENDPOINT_URL_SSO": self.url}

    # -- dispatch --------------------------------------------------------------
    _ROUTES = {
        ("POST", "/client/register"): "RegisterClient",
        ("POST", "/device_authorization"): "StartDeviceAuthorization",
        ("POST", "/token"): "CreateToken",
        ("GET", "/authorize"): "Authorize",
        ("GET", "/federation/credentials"): "GetRoleCredentials",
        ("GET", "/assignment/accounts"): "ListAccounts",
        ("GET", "/assignment/roles"): "ListAccountRoles",
        ("POST", "/logout"): "Logout",
    }

    def _handle(self, request, method):
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        operation = self._ROUTES.get((method, parts.path))
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        with self._lock:
            self.counts[operation or "-"] += 1
        if operation is None:
            return self._send(request, 404, {"message": f"no route {method} {parts.path}"})
        try:
            body = json.loads(raw) if raw else {}
            if operation == "Authorize":
                return self._authorize(request, query)
            handler = getattr(self, "_" + operation)
            with self._lock:
                answer = handler(body, query, request.headers)
        except _Refusal as refusal:
            payload = {"error": refusal.oauth_error, "error_description": str(refusal),
                       "message": str(refusal)}
            return self._send(request, refusal.status, payload, {"x-amzn-ErrorType": refusal.error_type})
        except ValueError as error:
            return self._send(request, 400, {"error": "invalid_request", "error_description": str(error)},
                              {"x-amzn-ErrorType": "InvalidRequestException"})
        self._send(request, 200, answer)

    def _send(self, request, status, payload, headers=None, location=None):
        data = json.dumps(payload).encode() if payload is not None else b""
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.send_header("x-amzn-RequestId", secrets.token_hex(8))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        if location:
            request.send_header("Location", location)
        request.end_headers()
        request.wfile.write(data)

    # -- OIDC ------------------------------------------------------------------
    def _RegisterClient(self, body, query, headers):
        if not body.get("clientName") or body.get("clientType") != "public":
            raise _oidc_error(400, "InvalidClientMetadataException", "invalid_client_metadata",
                              "clientName and clientType=public are required")
        client_id = "client-" + secrets.token_urlsafe(12)
        now = int(time.time())
        self._clients[client_id] = {
            "secret": "secret-" + secrets.token_urlsafe(32),
            "expires": now + self.client_secret_seconds,
            "scopes": list(body.get("scopes") or []),
            "redirect_uris": list(body.get("redirectUris") or []),
            "grant_types": list(body.get("grantTypes") or []),
        }
        client = self._clients[client_id]
        return {"clientId": client_id, "clientSecret": client["secret"], "clientIdIssuedAt": now,
                "clientSecretExpiresAt": client["expires"]}

    def _client(self, body):
        client = self._clients.get(body.get("clientId"))
        if client is None or client["secret"] != body.get("clientSecret"):
            raise _oidc_error(401, "InvalidClientException", "invalid_client", "unknown client or wrong secret")
        if client["expires"] <= time.time():
            raise _oidc_error(401, "InvalidClientException", "invalid_client", "the client secret has expired")
        return client

    def _StartDeviceAuthorization(self, body, query, headers):
        self._client(body)
        if not body.get("startUrl"):
            raise ValueError("startUrl is required")
        device_code = secrets.token_urlsafe(24)
        user_code = f"{secrets.randbelow(10**4):04d}-{secrets.randbelow(10**4):04d}"
        self._devices[device_code] = {"client": body["clientId"], "user_code": user_code, "polls": 0,
                                      "approved": False, "expires": time.time() + 600}
        return {"deviceCode": device_code, "userCode": user_code,
                "verificationUri": f"{self.url}/device",
                "verificationUriComplete": f"{self.url}/device?user_code={user_code}",
                "expiresIn": 600, "interval": 1}

    def _CreateToken(self, body, query, headers):
        self._client(body)  # an unknown client, a wrong or expired secret: refused
        grant = body.get("grantType")
        self.grants.append(grant)
        client_id = body["clientId"]
        if grant == "authorization_code":
            pending = self._codes.pop(body.get("code"), None)
            if pending is None or pending["client"] != client_id:
                raise _oidc_error(400, "InvalidGrantException", "invalid_grant", "unknown or used code")
            if body.get("redirectUri") != pending["redirect_uri"]:
                raise _oidc_error(400, "InvalidGrantException", "invalid_grant",
                                  "redirectUri differs from the authorize request's")
            verifier = body.get("codeVerifier") or ""
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if digest != pending["challenge"]:
                raise _oidc_error(400, "InvalidGrantException", "invalid_grant",
                                  "code_verifier does not match the code_challenge")
        elif grant == "urn:ietf:params:oauth:grant-type:device_code":
            device = self._devices.get(body.get("deviceCode"))
            if device is None or device["client"] != client_id:
                raise _oidc_error(400, "InvalidGrantException", "invalid_grant", "unknown device code")
            if device["expires"] <= time.time():
                raise _oidc_error(400, "ExpiredTokenException", "expired_token", "the device code expired")
            device["polls"] += 1
            after = self.device_approve_after
            if not device["approved"] and (after is None or device["polls"] <= after):
                raise _oidc_error(400, "AuthorizationPendingException", "authorization_pending",
                                  "the person has not approved yet")
            del self._devices[body["deviceCode"]]
        elif grant == "refresh_token":
            if self.on_refresh:
                self.on_refresh(self, body)
            owner = self._refresh.pop(body.get("refreshToken"), None)
            if owner != client_id:
                raise _oidc_error(400, "InvalidGrantException", "invalid_grant", "unknown or used refresh token")
        else:
            raise _oidc_error(400, "UnsupportedGrantTypeException", "unsupported_grant_type", str(grant))
        return self._issue(client_id)

    def rotate(self, refresh_token):
        """What another tool's refresh_token grant gets (call from on_refresh: the lock is held)."""
        self.grants.append("refresh_token (another tool)")
        return self._issue(self._refresh.pop(refresh_token))

    def _issue(self, client_id):
        client = self._clients[client_id]
        access = "access-" + secrets.token_urlsafe(32)
        self._access[access] = time.time() + self.access_token_seconds
        answer = {"accessToken": access, "tokenType": "Bearer", "expiresIn": self.access_token_seconds}
        if "sso:account:access" in client["scopes"]:
            refresh = "refresh-" + secrets.token_urlsafe(32)
            self._refresh[refresh] = client_id
            answer["refreshToken"] = refresh
        return answer

    def _authorize(self, request, query):
        """What a browser whose person is signed in and consents ends with."""
        with self._lock:
            client = self._clients.get(query.get("client_id"))
            redirect = query.get("redirect_uri") or ""
            target = urlsplit(redirect)
            problem = None
            if client is None:
                problem = "unknown client_id"
            elif query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
                problem = "response_type=code and code_challenge_method=S256 are required"
            elif not query.get("code_challenge") or not query.get("state"):
                problem = "code_challenge and state are required"
            elif target.hostname != "127.0.0.1" or not any(
                    urlsplit(uri).path == target.path for uri in client["redirect_uris"]):
                problem = f"redirect_uri {redirect!r} is not registered"
            if problem:
                return self._send(request, 400, {"error": "invalid_request", "error_description": problem})
            code = secrets.token_urlsafe(24)
            self._codes[code] = {"client": query["client_id"], "redirect_uri": redirect,
                                 "challenge": query["code_challenge"]}
        location = f"{redirect}?{urlencode({'code': code, 'state': query['state']})}"
        self._send(request, 302, None, location=location)

    # -- portal ----------------------------------------------------------------
    def _bearer(self, headers):
        expires = self._access.get(headers.get("x-amz-sso_bearer_token"))
        if expires is None or expires <= time.time():
            raise _Refusal(401, "UnauthorizedException", "unauthorized", "Session token not found or invalid")

    def _GetRoleCredentials(self, body, query, headers):
        self._bearer(headers)
        account, role = query.get("account_id"), query.get("role_name")
        if account not in self.accounts or role not in self.accounts[account][1]:
            raise _Refusal(403, "ForbiddenException", "forbidden", "No access")
        number = next(self._serial)
        key = f"ASIASSO{number:013d}"
        self.issued_keys.append(key)
        expiration = int((time.time() + self.role_seconds) * 1000)
        return {"roleCredentials": {
            "accessKeyId": key, "secretAccessKey": secrets.token_urlsafe(30)[:40],
            "sessionToken": "sso-session-" + secrets.token_urlsafe(48), "expiration": expiration}}

    def _ListAccounts(self, body, query, headers):
        self._bearer(headers)
        return {"accountList": [{"accountId": account, "accountName": name,
                                 "emailAddress": f"{account}@example.com"}
                                for account, (name, _) in sorted(self.accounts.items())]}

    def _ListAccountRoles(self, body, query, headers):
        self._bearer(headers)
        account = query.get("account_id")
        roles = self.accounts.get(account, ("", []))[1]
        return {"roleList": [{"roleName": role, "accountId": account} for role in roles]}

    def _Logout(self, body, query, headers):
        self._bearer(headers)
        self._access.pop(headers.get("x-amz-sso_bearer_token"), None)
        return {}
