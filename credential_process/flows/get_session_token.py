"""GetSessionToken, and the MFA session that role profiles share.

The MFA session is one cache entry per (base access key, MFA device, session
length, kind of endpoint): not per profile nor per region, so ten role profiles
over the same IAM user and device, in any regions, cost one code per session.  It is fetched through
``cache.single_flight.cached``, whose lock is held while the code is being asked: N
processes starting together see one prompt.  Callers already hold their own
profile's lock, so the order is always profile entry, then MFA entry.
"""

import copy

from credential_process import sts
from credential_process.cache import entry as entry_format
from credential_process.flow_table import BY_NAME
from credential_process.flows import call_with_mfa, require_long_term, session_entry

DEFAULT_DURATION = BY_NAME["get-session-token"].default_duration
DEFAULT_MFA_DURATION = 43200


def fetch(options, base):
    require_long_term(options, base, "GetSessionToken")
    if options.mfa_serial:
        # The profile IS the shared MFA session; its own duration decides the length.
        shared = mfa_session(options, base, options.duration_seconds or DEFAULT_MFA_DURATION)
        return dict(shared, profile=options.profile)
    duration = options.duration_seconds or DEFAULT_DURATION
    response, skew = sts.call(sts.client(options, base), "GetSessionToken", DurationSeconds=duration)
    return session_entry(options, "GetSessionToken", response, skew, duration)


def mfa_session(options, base, duration=None, rejected_key_id=None):
    """The cached MFA session entry for ``base`` (long-term keys) and the profile's device;
    ``duration`` defaults to the profile's credential_process_mfa_session_duration.
    ``rejected_key_id``: STS refused the cached session with that key ID; it is dropped
    (unless another process has replaced it already) and a new code is asked."""
    duration = duration or options.mfa_session_duration or DEFAULT_MFA_DURATION
    from credential_process.cache import open_store
    from credential_process.cache.single_flight import cached

    serial = options.mfa_serial
    labelled = _as_mfa_session(options)
    client = sts.client(options, base)
    key = mfa_session_key(options, base["AccessKeyId"], serial, duration, client)
    store = open_store(options.cache)
    if rejected_key_id:
        found = store.load(key)
        if found is not None and found["credentials"].get("AccessKeyId") == rejected_key_id:
            store.delete(key)

    def get_session_token():
        from credential_process.prompt import mfa_code

        params = {"DurationSeconds": duration, "SerialNumber": serial,
                  "TokenCode": mfa_code(options, serial)}
        response, skew = call_with_mfa(client, "GetSessionToken", serial, **params)
        return session_entry(labelled, "GetSessionToken", response, skew, duration)

    return cached(store, key, labelled, get_session_token)


def mfa_session_key(options, access_key_id, serial, duration, client=None):
    """The MFA session's cache key: the base key, the device, the length and where
    STS answers, but not the region.  A session from a regional endpoint is good in
    every region of its partition, so all regional endpoints of a partition share
    one; the global endpoint (sts_regional_endpoints = legacy), a FIPS or dual-stack
    endpoint and any endpoint_url override each keep their own.  ``client``: the
    profile's STS client, to read the endpoint botocore resolved (made when None)."""
    client = client or sts.client(options, None)
    return entry_format.hash_key({
        "format": entry_format.FORMAT,
        "mfa_session": [access_key_id, serial, duration],
        "endpoint": endpoint_class(client.meta.endpoint_url, client.meta.partition, options.region),
    })


def endpoint_class(endpoint_url, partition, region):
    """["regional", partition, DNS suffix] for the standard endpoint of ``region``
    (https://sts.REGION.SUFFIX), else ["endpoint", URL]."""
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint_url)
    prefix = f"sts.{region}."
    if region and parts.scheme == "https" and parts.path in ("", "/") and not parts.port \
            and (parts.hostname or "").startswith(prefix):
        return ["regional", partition, parts.hostname[len(prefix):]]
    return ["endpoint", endpoint_url]


def _as_mfa_session(options):
    """The options as the MFA session's entry and lock messages should name it."""
    labelled = copy.copy(options)
    labelled.profile = entry_format.mfa_session_label(options.mfa_serial)
    labelled.flow = "get-session-token"
    labelled.role_arn = None
    return labelled
