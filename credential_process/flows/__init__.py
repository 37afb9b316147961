"""The STS flows, one module each, behind one small interface.

What a flow is (its keys, durations, whether it needs base credentials) is
its row in flow_table.py; its module has ``fetch(options, base)``, which
returns a new cache entry (``base`` is None for flows that need none).
"""

import datetime
import importlib
import re
import time

from credential_process import flow_table, sts
from credential_process.cache.entry import make_entry
from credential_process.errors import AwsError, ConfigError, RefusedError
from credential_process.output import utc_timestamp
from credential_process.refusals import MFA_CODE_REFUSED


def run(options, chain, resolve_profile):
    """A fresh entry for ``options`` from the flow it names."""
    from credential_process.sources import base_credentials

    row = flow_table.BY_NAME[options.flow]
    base = base_credentials(options, chain, resolve_profile) if row.needs_base else None
    entry = flow_module(options).fetch(options, base)
    if base:
        # Which keys really signed (never the secret): the key holds only what
        # they are resolved from, cheap to know before resolving them.
        entry["signed_by"] = base["AccessKeyId"]
    return entry


def flow_module(options):
    return importlib.import_module(flow_table.BY_NAME[options.flow].module_path)


def can_refresh_unattended(options):
    """Whether a new session can be had with nobody at the keyboard (for the
    background refresh).  A flow that may need a person (an MFA code, a SAML
    login) names in its row a function of its module that answers True only
    when its material is at hand."""
    check = flow_table.BY_NAME[options.flow].unattended_check
    return check is None or bool(getattr(flow_module(options), check)(options))


# What a sound STS answer looks like.  An access key ID is 16-128 word
# characters (AKIA.../ASIA... in practice); STS never grants more than 36 hours.
_KEY_ID = re.compile(r"\w{16,128}")
_LONGEST_SESSION = 129600
# Slack for an Expiration past now + the asked duration: clock steps, rounding.
_EXPIRATION_SLACK = 900


def session_entry(options, operation, response, skew, duration, account_id=None, flow=None):
    """A cache entry from an STS ``response`` to ``operation``, refused (AwsError,
    exit 1) unless its credentials are sound: nothing malformed is cached or printed."""
    sts_credentials = answer_member(response, operation, "Credentials")
    expires_at = _checked_credentials(sts_credentials, operation, skew, duration)
    credentials = {
        "AccessKeyId": sts_credentials["AccessKeyId"],
        "SecretAccessKey": sts_credentials["SecretAccessKey"],
        "SessionToken": sts_credentials["SessionToken"],
        "Expiration": utc_timestamp(expires_at),
    }
    if account_id:
        credentials["AccountId"] = account_id
    return make_entry(options, credentials, expires_at, duration, skew, flow)


def answer_member(response, operation, *path):
    """``response[path[0]][path[1]]...``, or an AwsError naming STS when the answer lacks it."""
    found = response
    for name in path:
        found = found.get(name) if isinstance(found, dict) else None
        if found is None or found == "":
            raise AwsError(f"STS {operation} answered without {'.'.join(path)}: not a usable answer")
    return found


def _checked_credentials(sts_credentials, operation, skew, duration):
    """The Expiration as epoch seconds, once every member has been checked.
    Values never appear in the message: they may be secrets."""
    def refuse(what):
        raise AwsError(f"STS {operation} answered {what}: not a usable answer, nothing cached")

    key_id = sts_credentials.get("AccessKeyId")
    if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
        refuse("an AccessKeyId that is not an access key ID (16-128 letters and digits)")
    for name in ("SecretAccessKey", "SessionToken"):
        value = sts_credentials.get(name)
        if not isinstance(value, str) or not value.strip() or not value.isprintable():
            refuse(f"an empty or malformed {name}")
    expiration = sts_credentials.get("Expiration")
    if not isinstance(expiration, datetime.datetime) or expiration.tzinfo is None:
        refuse("no Expiration with a time zone")
    expires_at = expiration.timestamp()
    now = time.time()
    # Judged as the cache judges freshness: by the later of our clock and STS's.
    if expires_at - now - max(skew, 0) <= 0:
        refuse(f"an Expiration in the past ({utc_timestamp(expires_at)})")
    if expires_at - now - min(skew, 0) > min(duration, _LONGEST_SESSION) + _EXPIRATION_SLACK:
        refuse(f"an Expiration further ahead than the {duration} s asked for ({utc_timestamp(expires_at)})")
    return expires_at


def account_of(arn):
    """The account ID in an ARN (arn:aws:sts::123456789012:assumed-role/...)."""
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


def require_long_term(options, base, operation):
    """GetSessionToken and GetFederationToken refuse temporary credentials: say so plainly."""
    if base.get("SessionToken"):
        raise ConfigError(
            f"{operation} needs long-term IAM user access keys, but the base credentials of "
            f"profile {options.profile!r} are temporary (they carry a session token): point "
            "credential_process_source_profile at a profile holding an IAM user's access keys"
        )


def call_with_mfa(sts_client, operation, serial, **params):
    """``sts.call``, reporting a rejected MFA code as such."""
    try:
        return sts.call(sts_client, operation, **params)
    except RefusedError as error:
        if error.code == "AccessDenied" and "multifactorauthentication" in error.message.lower():
            raise RefusedError(
                error.service, operation, MFA_CODE_REFUSED, error.message, key_id=error.key_id,
                text=f"the MFA code for {serial} was rejected ({operation}: {error.message}); nothing was cached",
            ) from None
        raise


def tag_params(options):
    """Session tags as AssumeRole and GetFederationToken take them, when set."""
    return {"Tags": [{"Key": key, "Value": value} for key, value in options.tags]} if options.tags else {}


def policy_params(options):
    """The session-policy parameters every flow but GetSessionToken takes, when set."""
    params = {}
    if options.policy:
        params["Policy"] = options.policy
    if options.policy_arns:
        params["PolicyArns"] = [{"arn": arn} for arn in options.policy_arns]
    return params


MAX_INPUT_BYTES = 1024 * 1024


def read_token_input(options, file_spec, process_spec, timeout):
    """The text in the profile's ``file_spec`` file, or printed by its ``process_spec``
    command: a SAML assertion or an OIDC token, read afresh at every refresh."""
    import os

    from credential_process import helper_command
    from credential_process.options import PREFIX

    command = getattr(options, process_spec)
    if command:
        return helper_command.run(command, PREFIX + process_spec, timeout), PREFIX + process_spec
    path = os.path.expanduser(getattr(options, file_spec))
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"cannot read {PREFIX}{file_spec} {path}: {error.strerror or error}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise ConfigError(f"{PREFIX}{file_spec} {path} is larger than {MAX_INPUT_BYTES} bytes")
    try:
        return data.decode("utf-8").strip(), path
    except UnicodeDecodeError:
        raise ConfigError(f"{PREFIX}{file_spec} {path} is not UTF-8 text") from None
