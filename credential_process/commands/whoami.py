"""whoami: who the profile's credentials are, and how long they have left.

Any profile the SDKs can resolve (any_profile.py).  When STS cannot be
reached, it still prints what the cache entry tells (account, role, flow,
expiry) and marks what it could not ask; a refusal stays an error (exit 1).
"""

import json
import sys

from credential_process.cache.entry import remaining
from credential_process.commands import _profile
from credential_process.errors import AwsError, one_line
from credential_process.output import time_left

DESCRIPTION = "show the caller identity of a profile's credentials (STS GetCallerIdentity)"
NOT_ASKED = "? (STS not reached)"


def add_arguments(parser):
    parser.add_argument("--json", action="store_true", help="print one JSON object, for scripts")
    _profile.add_arguments(parser)


def run(args):
    from credential_process import flows, sts

    options, entry = _profile.resolve_any(args)
    credentials = entry["credentials"]
    try:
        identity, _ = sts.call(sts.client(options, credentials), "GetCallerIdentity")
        unreached = None
    except AwsError as error:
        if hasattr(error, "code"):  # STS answered, and refused: the credentials are bad
            raise
        identity, unreached = {}, one_line(error)
        sys.stderr.write(f"credential-process: {unreached}; showing what the cache knows\n")
    known_account = credentials.get("AccountId") or flows.account_of(entry.get("role_arn"))
    seconds = int(remaining(entry)) if entry.get("expires_at") is not None else None
    report = {
        "Profile": options.profile,
        "Account": identity.get("Account") or known_account,
        "Arn": identity.get("Arn"),
        "UserId": identity.get("UserId"),
        "Flow": entry.get("method"),
        "Expiration": credentials.get("Expiration"),
        "ExpiresInSeconds": seconds,
    }
    if unreached:
        report["RoleArn"] = entry.get("role_arn")
        report["NotAsked"] = unreached
    if args.json:
        sys.stdout.write(json.dumps(report) + "\n")
        return 0
    rows = [
        ("profile", report["Profile"]),
        ("account", report["Account"] or NOT_ASKED),
        ("arn", report["Arn"] or (f"role {report['RoleArn']} {NOT_ASKED}" if report.get("RoleArn")
                                  else NOT_ASKED)),
        ("user id", report["UserId"] or NOT_ASKED),
        ("flow", report["Flow"] or "-"),
        ("expires", f"{report['Expiration']} (in {time_left(seconds)})" if seconds is not None
         else "never (long-term keys, or an answer without Expiration)"),
    ]
    sys.stdout.write("".join(f"{name:<9} {value}\n" for name, value in rows))
    return 0
