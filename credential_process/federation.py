"""The AWS federation endpoint: temporary credentials in, a console sign-in URL out.

Two requests make a console session (the "custom identity broker" exchange):
``getSigninToken`` sends the credentials as a ``Session`` JSON document and gets
a sign-in token, valid 15 minutes; ``Action=login`` with that token is the URL
the browser opens.  Each partition has its own sign-in and console hosts.

CREDENTIAL_PROCESS_FEDERATION_ENDPOINT replaces the federation URL, for tests:
it receives the secret key and session token, so only https:// or a loopback
http:// address is accepted, and its use is always said on stderr.
"""

import ipaddress
import json
import re
import urllib.error
import urllib.parse
import urllib.request

from credential_process.errors import AwsError, ConfigError

ENDPOINT_VARIABLE = "CREDENTIAL_PROCESS_FEDERATION_ENDPOINT"
ISSUER = "credential-process"
# The sign-in token is good for 15 minutes; a slow endpoint is not waited on longer than this.
TIMEOUT_SECONDS = 10
MAX_ANSWER_BYTES = 64 * 1024
# AWS's range for SessionDuration (the console session), in seconds.
MIN_SESSION_DURATION = 900
MAX_SESSION_DURATION = 43200

# partition -> (sign-in host, console host).  aws, aws-us-gov and aws-cn are the
# documented federation hosts.  aws-eusc: botocore's signin endpoint rules
# (botocore/data/signin/2023-01-01/endpoint-rule-set-1.json) give
# https://{Region}.signin.amazonaws-eusc.eu, so the regional host is used, with
# the console host named the same way.
HOSTS = {
    "aws": ("signin.aws.amazon.com", "console.aws.amazon.com"),
    "aws-us-gov": ("signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com"),
    "aws-cn": ("signin.amazonaws.cn", "console.amazonaws.cn"),
    "aws-eusc": ("{region}.signin.amazonaws-eusc.eu", "console.amazonaws-eusc.eu"),
}


def partition_of(region):
    """The partition a region belongs to, from botocore's partitions data."""
    from botocore.loaders import create_loader

    try:
        partitions = create_loader().load_data("partitions")["partitions"]
    except Exception:  # no data: the commercial partition, as botocore assumes
        return "aws"
    for partition in partitions:
        if region in partition.get("regions", {}):
            return partition["id"]
    for partition in partitions:
        if re.match(partition.get("regionRegex", "$^"), region or ""):
            return partition["id"]
    return "aws"


def hosts(region):
    """(sign-in host, console host) of the region's partition."""
    partition = partition_of(region)
    if partition not in HOSTS:
        raise ConfigError(
            f"console sign-in is not available in partition {partition} (region {region}); "
            f"this tool knows {', '.join(sorted(HOSTS))}"
        )
    signin, console = HOSTS[partition]
    return signin.format(region=region), console


def endpoint(region):
    """The federation URL: the override (checked) or the partition's own."""
    import os

    override = os.environ.get(ENDPOINT_VARIABLE)
    if override:
        return checked_override(override)
    return f"https://{hosts(region)[0]}/federation"


def checked_override(url):
    """The override URL when it is https:// or http:// on a loopback address."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and _is_loopback(host):
        return url
    raise ConfigError(
        f"{ENDPOINT_VARIABLE} must be an https:// URL or an http:// URL on a loopback address "
        f"(it receives the secret key and session token), not {_without_query(url)!r}"
    )


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _without_query(url):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def console_url(region, service=None, destination=None):
    """Where the console opens: --destination, else a service's page, else the home page."""
    if destination:
        if urllib.parse.urlsplit(destination).scheme != "https":
            raise ConfigError(f"--destination must be an https:// console URL, not {destination!r}")
        return destination
    console = hosts(region)[1]
    path = f"{service.strip('/')}/" if service else "console/"
    return f"https://{console}/{path}home?region={urllib.parse.quote(region)}"


def signin_token(federation_url, credentials, session_duration=None):
    """The sign-in token for temporary credentials (getSigninToken)."""
    session = json.dumps({
        "sessionId": credentials["AccessKeyId"],
        "sessionKey": credentials["SecretAccessKey"],
        "sessionToken": credentials["SessionToken"],
    })
    query = {"Action": "getSigninToken"}
    if session_duration is not None:
        query["SessionDuration"] = str(int(session_duration))
    query["Session"] = session
    request = urllib.request.Request(
        f"{federation_url}?{urllib.parse.urlencode(query)}",
        headers={"User-Agent": ISSUER, "Accept": "application/json"},
    )
    where = _without_query(federation_url)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            body = answer.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as error:
        # Never the URL (it holds the session) nor the body (AWS answers with a page).
        raise AwsError(
            f"the federation endpoint {where} refused the credentials (HTTP {error.code})"
            + (": it refuses SessionDuration for chained role sessions" if session_duration else "")
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise AwsError(f"the federation endpoint {where} could not be reached: {reason}") from None
    try:
        token = json.loads(body.decode("utf-8"))["SigninToken"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        token = None
    if not isinstance(token, str) or not token:
        raise AwsError(f"the federation endpoint {where} answered without a SigninToken")
    return token


def login_url(federation_url, token, destination):
    """The URL that signs the browser in and opens ``destination``."""
    query = urllib.parse.urlencode({
        "Action": "login", "Issuer": ISSUER, "Destination": destination, "SigninToken": token,
    })
    return f"{federation_url}?{query}"
