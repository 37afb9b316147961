"""GetSessionToken, and the MFA session that role profiles share.

The MFA session is one cache entry per (base access key, MFA device, session
length, endpoint): not per profile, so ten role profiles over the same IAM
user and device cost one code per session.  It is fetched through
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
    return session_entry(options, response["Credentials"], skew, duration)


def mfa_session(options, base, duration=None):
    """The cached MFA session entry for ``base`` (long-term keys) and the profile's device;
    ``duration`` defaults to the profile's credential_process_mfa_session_duration."""
    duration = duration or options.mfa_session_duration or DEFAULT_MFA_DURATION
    from credential_process.cache import open_store
    from credential_process.cache.single_flight import cached

    serial = options.mfa_serial
    labelled = _as_mfa_session(options)
    key = mfa_session_key(options, base["AccessKeyId"], serial, duration)

    def get_session_token():
        from credential_process.prompt import mfa_code

        params = {"DurationSeconds": duration, "SerialNumber": serial,
                  "TokenCode": mfa_code(options, serial)}
        response, skew = call_with_mfa(sts.client(options, base), "GetSessionToken", serial, **params)
        return session_entry(labelled, response["Credentials"], skew, duration)

    return cached(open_store(options.cache), key, labelled, get_session_token)


def mfa_session_key(options, access_key_id, serial, duration):
    return entry_format.hash_key({
        "format": entry_format.FORMAT,
        "mfa_session": [access_key_id, serial, duration],
        "endpoint": entry_format.endpoint_inputs(options),
    })


def _as_mfa_session(options):
    """The options as the MFA session's entry and lock messages should name it."""
    labelled = copy.copy(options)
    labelled.profile = f"MFA session of {options.mfa_serial}"
    labelled.flow = "get-session-token"
    labelled.role_arn = None
    return labelled
