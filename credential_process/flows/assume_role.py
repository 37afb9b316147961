"""AssumeRole, with MFA and role chaining.

MFA: over long-term keys, AssumeRole is signed with the shared MFA session
(GetSessionToken with the code, cached apart from the profile) and needs no
code; over temporary keys (GetSessionToken refuses them) the code goes to
AssumeRole itself.

Chaining: AWS caps a role session signed by another role session at one
hour.  When this tool made the base credentials we know their flow; when it
did not and they are temporary, STS's ValidationError tells, and we retry
once at the cap.
"""

import getpass
import re
import socket

from credential_process import sts
from credential_process.errors import RefusedError
from credential_process.flow_table import ASSUMED_ROLE_FLOWS, BY_NAME, CHAINED_MAX_DURATION
from credential_process.flows import (
    account_of, answer_member, call_with_mfa, policy_params, session_entry, tag_params,
)
from credential_process.stderr import notice

DEFAULT_DURATION = BY_NAME["assume-role"].default_duration
# STS's words for a session token it does not accept (here: the shared MFA session's).
SESSION_NOT_TAKEN = ("InvalidClientTokenId", "ExpiredToken")


def fetch(options, base):
    params = _params(options)
    signing = base
    with_mfa_session = options.mfa_serial and not base.get("SessionToken")
    if options.mfa_serial and not with_mfa_session:
        from credential_process.prompt import mfa_code

        params.update(SerialNumber=options.mfa_serial, TokenCode=mfa_code(options, options.mfa_serial))
    if with_mfa_session:
        from credential_process.flows.get_session_token import mfa_session

        signing = dict(mfa_session(options, base)["credentials"], flow="get-session-token")
    if signing.get("flow") in ASSUMED_ROLE_FLOWS:
        params["DurationSeconds"] = _chained_duration(options, params["DurationSeconds"])
    try:
        response, skew = _assume_role(options, signing, params)
    except RefusedError as error:
        if not (with_mfa_session and error.code in SESSION_NOT_TAKEN):
            raise
        # The shared MFA session is good in every region its key says, but a session
        # from the global endpoint is not taken in opt-in regions, and a revoked one
        # nowhere: drop it and ask for one new code, once.
        notice(f"STS did not take the MFA session of {options.mfa_serial} for profile {options.profile!r} "
               f"({error.code}): asking for a new code")
        renewed = mfa_session(options, base, rejected_key_id=signing["AccessKeyId"])
        signing = dict(renewed["credentials"], flow="get-session-token")
        response, skew = _assume_role(options, signing, params)
    account = account_of(answer_member(response, "AssumeRole", "AssumedRoleUser", "Arn"))
    return session_entry(options, "AssumeRole", response, skew, params["DurationSeconds"], account)


def _params(options):
    params = {
        "RoleArn": options.role_arn,
        "RoleSessionName": options.role_session_name or default_session_name(),
        "DurationSeconds": options.duration_seconds or DEFAULT_DURATION,
    }
    optional = {
        "ExternalId": options.external_id,
        "TransitiveTagKeys": list(options.transitive_tag_keys),
        "SourceIdentity": options.source_identity,
    }
    params.update({name: value for name, value in optional.items() if value})
    params.update(tag_params(options))
    params.update(policy_params(options))
    return params


def _assume_role(options, signing, params):
    client = sts.client(options, signing)
    try:
        return call_with_mfa(client, "AssumeRole", options.mfa_serial, **params)
    except RefusedError as error:
        # Temporary base credentials from elsewhere: only STS knows whether they are a role session.
        unknown_base = signing.get("flow") is None and signing.get("SessionToken")
        if not (unknown_base and _is_chaining_limit(error) and params["DurationSeconds"] > CHAINED_MAX_DURATION):
            raise
    params["DurationSeconds"] = _chained_duration(options, params["DurationSeconds"])
    return call_with_mfa(client, "AssumeRole", options.mfa_serial, **params)


def _chained_duration(options, asked):
    if asked > CHAINED_MAX_DURATION:
        notice(
            f"profile {options.profile!r} asks for {asked} s, but its base credentials are a role "
            f"session and AWS caps a chained role session at {CHAINED_MAX_DURATION} s: using that"
        )
    return min(asked, CHAINED_MAX_DURATION)


def _is_chaining_limit(error):
    return error.code == "ValidationError" and "chaining" in error.message.lower()


def default_session_name():
    """user@host, made valid for STS (2-64 of [\\w+=,.@-]) and stable across runs."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "user"
    name = re.sub(r"[^\w+=,.@-]", "-", f"{user}@{socket.gethostname()}")[:64]
    return name if len(name) >= 2 else "credential-process"
