"""whoami: who the profile's credentials are, and how long they have left.

Any profile the SDKs can resolve (any_profile.py).  When STS cannot be
reached, it still prints what the cache entry tells (account, role, flow,
expiry) and marks what it could not ask; a refusal stays an error (exit 1).
"""

import json
import sys

from credential_process.cache.entry import flow_of, remaining
from credential_process.commands import _profile
from credential_process.output import time_left

DESCRIPTION = "show the caller identity of a profile's credentials (STS GetCallerIdentity)"
NOT_ASKED = "? (STS not reached)"


def add_arguments(parser):
    parser.add_argument("--json", action="store_true", help="print one JSON object, for scripts")
    _profile.add_positional(parser)
    _profile.add_arguments(parser)


def run(args):
    from credential_process import flows, sts
    from credential_process.errors import AwsError, RefusedError, one_line
    from credential_process.stderr import notice

    _profile.take_positional(args)
    options, entry = _profile.resolve_any(args)
    credentials = entry["credentials"]
    try:
        identity, _ = sts.call(sts.client(options, credentials), "GetCallerIdentity")
        unreached = None
    except RefusedError:  # STS answered, and refused: the credentials are bad
        raise
    except AwsError as error:
        identity, unreached = {}, one_line(error)
        notice(f"{unreached}; showing what the cache knows")
    seconds = int(remaining(entry)) if entry.get("expires_at") is not None else None
    report = {  # snake_case, as every command's --json (cache list --json)
        "profile": options.profile,
        "account": identity.get("Account") or credentials.get("AccountId")
        or flows.account_of(entry.get("role_arn")),
        "arn": identity.get("Arn"),
        "user_id": identity.get("UserId"),
        "flow": flow_of(entry),
        "expiration": credentials.get("Expiration"),
        "expires_in_seconds": seconds,
    }
    if unreached:
        report["role_arn"] = entry.get("role_arn")
        report["not_asked"] = unreached
    if args.json:
        sys.stdout.write(json.dumps(report) + "\n")
        return 0
    rows = [
        ("profile", report["profile"]),
        ("account", report["account"] or NOT_ASKED),
        ("arn", report["arn"] or (f"role {report['role_arn']} {NOT_ASKED}" if report.get("role_arn")
                                  else NOT_ASKED)),
        ("user id", report["user_id"] or NOT_ASKED),
        ("flow", report["flow"] or "-"),
        ("expires", f"{report['expiration']} (in {time_left(seconds)})" if seconds is not None
         else "never (long-term keys, or an answer without Expiration)"),
    ]
    sys.stdout.write("".join(f"{name:<9} {value}\n" for name, value in rows))
    return 0
