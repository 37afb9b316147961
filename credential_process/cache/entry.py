"""What a cache entry holds, what its key is made of, and when it is fresh.

An entry is a JSON object: metadata (profile, flow, role, source: never a
secret) beside its payload.  ``kind`` says what the payload is: "credentials"
(the default, and the only kind before ``kind`` existed) holds the
credential_process answer under ``credentials``; "eks-token" holds an EKS
bearer token under ``token``.
``expires_at`` is the STS Expiration as epoch seconds and ``skew`` the STS
server's clock minus ours when the entry was made, so freshness is judged by
whichever clock is later: the SDK checks Expiration against the local clock,
STS against its own, and neither may see expired credentials.
"""

import os
import time

FORMAT = 1
CREDENTIALS = "credentials"
EKS_TOKEN = "eks-token"
# kind -> (the member holding the payload, its fields that must be non-empty strings)
_PAYLOADS = {
    CREDENTIALS: ("credentials", ("AccessKeyId", "SecretAccessKey", "Expiration")),
    EKS_TOKEN: ("token", ("token", "expirationTimestamp")),
}
# An EKS token is served while more than this many seconds remain: kubectl
# uses it at once and asks again after expirationTimestamp.
EKS_TOKEN_MARGIN = 60
# Inputs from the environment that change the endpoint STS is asked at (the
# region is keyed as resolved, so AWS_REGION=x and region = x share an entry).
ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL",
    "AWS_STS_REGIONAL_ENDPOINTS", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)
_ENDPOINT_KEYS = (
    "sts_regional_endpoints", "endpoint_url", "services", "use_fips_endpoint",
    "use_dualstack_endpoint", "ignore_configured_endpoint_urls",
)


def base_identity(options):
    """Where the base credentials come from, as far as it is cheap to tell."""
    if options.credential_source == "Environment":
        return ["environment", os.environ.get("AWS_ACCESS_KEY_ID", "")]
    if options.credential_source:
        return ["credential_source", options.credential_source]
    if getattr(options, "source_keyring", None):
        return ["keyring", options.source_keyring]
    return ["profile", options.source_profile]


def cache_key(options, extra=None):
    """A hash of everything that changes the answer STS would give, the base
    credentials included (cache/base_inputs.py)."""
    from credential_process.cache import base_inputs  # reads the files: not on the shortcut's hit

    material = {
        "format": FORMAT,
        "profile": options.profile,
        "options": options.answer_inputs(),
        "base": base_identity(options),
        "base_inputs": base_inputs.material(options),
        "endpoint": endpoint_inputs(options),
        "extra": extra,
    }
    return hash_key(material)


def endpoint_inputs(options):
    """Everything that decides which STS endpoint (and so which account's STS) answers."""
    return {
        "region": options.region,
        "environment": {name: os.environ.get(name) for name in ENDPOINT_VARIABLES},
        "profile": {key: options.section.get(key) for key in _ENDPOINT_KEYS},
    }


def hash_key(material):
    # Imported here, not at the top: a hit through the plain-call shortcut needs
    # neither, and loading them (OpenSSL; re) costs it milliseconds.
    import hashlib
    import json

    encoded = json.dumps(material, sort_keys=True, default=list).encode()
    return hashlib.sha256(encoded).hexdigest()[:40]


def refresh_margin(options, duration):
    """Seconds of life below which an entry is no longer served."""
    return min(options.refresh_margin, duration / 3)


def remaining(entry, now=None):
    """Seconds until the entry expires, by the later of our clock and STS's."""
    now = time.time() if now is None else now
    return entry["expires_at"] - now - max(entry.get("skew", 0), 0)


def kind_of(entry):
    return entry.get("kind", CREDENTIALS)


def margin_of(entry, options):
    """Seconds of life below which this entry is no longer served."""
    if kind_of(entry) == EKS_TOKEN:
        return EKS_TOKEN_MARGIN
    return refresh_margin(options, entry["duration"])


def is_cacheable(entry):
    """False for credentials that came without an Expiration (flows/process.py):
    served once, never stored, never refreshed in the background."""
    return not entry.get("not_cached")


def is_fresh(entry, options, now=None):
    return remaining(entry, now) > margin_of(entry, options)


# How long before the refresh margin a served entry is renewed in the background:
# at most 10 minutes, and a third of the session, so that a fresh 15-minute
# session is not renewed at once.
EARLY_REFRESH_SECONDS = 600


def refresh_due(entry, options, now=None):
    """True when a (still served) entry should be renewed in the background."""
    duration = entry["duration"]
    early = min(EARLY_REFRESH_SECONDS, duration / 3)
    return remaining(entry, now) < refresh_margin(options, duration) + early


def answer_line(entry):
    """The entry file's answer line (cache/files.py), from which the plain-call
    shortcut prints a hit without reading JSON: the credential_process answer,
    or an EKS token's ExecCredential status (kubectl's document around it is
    cache/shortcut.answer); "" for a kind it does not serve."""
    kind = kind_of(entry)
    if kind == CREDENTIALS:
        from credential_process.output import process_json

        return process_json(entry["credentials"])
    if kind == EKS_TOKEN:
        import json

        return json.dumps(token_status(entry["token"]))
    return ""


def token_status(token):
    """The ExecCredential status of an EKS token entry's payload, in the order kubectl's document has it."""
    return {"expirationTimestamp": token["expirationTimestamp"], "token": token["token"]}


def is_valid(entry):
    """True when a parsed entry has the shape this version writes."""
    try:
        member, fields = _PAYLOADS[kind_of(entry)]
        payload = entry[member]
        return (
            entry["format"] == FORMAT
            and isinstance(entry["expires_at"], (int, float))
            and isinstance(entry.get("skew", 0), (int, float))
            and isinstance(entry["duration"], (int, float)) and entry["duration"] > 0
            and all(isinstance(payload[name], str) and payload[name] for name in fields)
        )
    except (KeyError, TypeError):
        return False


def make_entry(options, credentials, expires_at, duration, skew, flow=None):
    """A new entry; ``credentials`` is the credential_process answer without Version."""
    return dict(_metadata(options, flow or options.flow, expires_at, duration, skew),
                credentials=credentials)


def make_token_entry(options, cluster, token, expires_at, duration, role_arn=None):
    """A new EKS token entry; ``token`` holds ``token`` and ``expirationTimestamp``."""
    entry = _metadata(options, EKS_TOKEN, expires_at, duration, skew=0)
    entry.update(kind=EKS_TOKEN, cluster=cluster, token=token)
    if role_arn:
        entry["role_arn"] = role_arn  # the role assumed on top of the profile signs the token
    return entry


# The profile name of the shared MFA session's entry (flows/get_session_token.py):
# "MFA session of <device>"; cache list and profiles tell it apart by this.
MFA_SESSION_LABEL = "MFA session of "


def mfa_session_label(serial):
    return MFA_SESSION_LABEL + serial


def mfa_device_of(entry):
    """The MFA device of a shared MFA session's entry; None for any other entry."""
    profile = entry.get("profile")
    if isinstance(profile, str) and profile.startswith(MFA_SESSION_LABEL):
        return profile[len(MFA_SESSION_LABEL):]
    return None


def flow_of(entry):
    """The flow that made an entry; entries written by earlier versions call it "method"."""
    return entry.get("flow", entry.get("method"))


def _metadata(options, flow, expires_at, duration, skew):
    return {
        "format": FORMAT,
        "profile": options.profile,
        "flow": flow,
        "role_arn": options.role_arn,
        "region": options.region,  # where STS answered (cache list tells entries apart by it)
        "source": base_identity(options)[:1] + [_source_name(options)],
        "created_at": time.time(),
        "expires_at": expires_at,
        "duration": duration,
        "skew": skew,
    }


def _source_name(options):
    # The environment's access key ID is part of the key but not worth recording.
    kind, name = base_identity(options)
    return "AWS_ACCESS_KEY_ID" if kind == "environment" else name
