"""What a cache entry holds, what its key is made of, and when it is fresh.

An entry is a JSON object: metadata (profile, flow, role, source: never a
secret) beside ``credentials``, the credential_process answer itself.
``expires_at`` is the STS Expiration as epoch seconds and ``skew`` the STS
server's clock minus ours when the entry was made, so freshness is judged by
whichever clock is later: the SDK checks Expiration against the local clock,
STS against its own, and neither may see expired credentials.
"""

import hashlib
import json
import os
import time

FORMAT = 1
# Inputs from the environment that change the region or endpoint STS is asked at.
_ENDPOINT_VARIABLES = (
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL",
    "AWS_STS_REGIONAL_ENDPOINTS", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)
_ENDPOINT_KEYS = (
    "region", "sts_regional_endpoints", "endpoint_url", "services", "use_fips_endpoint",
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
    """A hash of everything that changes the answer STS would give."""
    material = {
        "format": FORMAT,
        "profile": options.profile,
        "options": options.answer_inputs(),
        "base": base_identity(options),
        "endpoint": endpoint_inputs(options),
        "extra": extra,
    }
    return hash_key(material)


def endpoint_inputs(options):
    """Everything that decides which STS endpoint (and so which account's STS) answers."""
    return {
        "environment": {name: os.environ.get(name) for name in _ENDPOINT_VARIABLES},
        "profile": {key: options.section.get(key) for key in _ENDPOINT_KEYS},
    }


def hash_key(material):
    encoded = json.dumps(material, sort_keys=True, default=list).encode()
    return hashlib.sha256(encoded).hexdigest()[:40]


def refresh_margin(options, duration):
    """Seconds of life below which an entry is no longer served."""
    return min(options.refresh_margin, duration / 3)


def remaining(entry, now=None):
    """Seconds until the entry expires, by the later of our clock and STS's."""
    now = time.time() if now is None else now
    return entry["expires_at"] - now - max(entry.get("skew", 0), 0)


def is_fresh(entry, options, now=None):
    return remaining(entry, now) > refresh_margin(options, entry["duration"])


def is_valid(entry):
    """True when a parsed entry has the shape this version writes."""
    try:
        credentials = entry["credentials"]
        return (
            entry["format"] == FORMAT
            and isinstance(entry["expires_at"], (int, float))
            and isinstance(entry.get("skew", 0), (int, float))
            and isinstance(entry["duration"], (int, float)) and entry["duration"] > 0
            and all(isinstance(credentials[name], str) and credentials[name]
                    for name in ("AccessKeyId", "SecretAccessKey", "Expiration"))
        )
    except (KeyError, TypeError):
        return False


def make_entry(options, credentials, expires_at, duration, skew, method=None):
    """A new entry; ``credentials`` is the credential_process answer without Version."""
    return {
        "format": FORMAT,
        "profile": options.profile,
        "method": method or options.method,
        "role_arn": options.role_arn,
        "source": base_identity(options)[:1] + [_source_name(options)],
        "created_at": time.time(),
        "expires_at": expires_at,
        "duration": duration,
        "skew": skew,
        "credentials": credentials,
    }


def _source_name(options):
    # The environment's access key ID is part of the key but not worth recording.
    kind, name = base_identity(options)
    return "AWS_ACCESS_KEY_ID" if kind == "environment" else name
