"""whoami: who the profile's credentials are, and how long they have left."""

import json
import sys

from credential_process.cache.entry import flow_of, remaining
from credential_process.commands import _profile
from credential_process.output import time_left

DESCRIPTION = "show the caller identity of a profile's credentials (STS GetCallerIdentity)"


def add_arguments(parser):
    parser.add_argument("--json", action="store_true", help="print one JSON object, for scripts")
    _profile.add_positional(parser)
    _profile.add_arguments(parser)


def run(args):
    from credential_process import sts

    _profile.take_positional(args)
    options, entry = _profile.resolve(args)
    identity, _ = sts.call(sts.client(options, entry["credentials"]), "GetCallerIdentity")
    seconds = int(remaining(entry))
    report = {  # snake_case, as every command's --json (cache list --json)
        "profile": options.profile,
        "account": identity["Account"],
        "arn": identity["Arn"],
        "user_id": identity["UserId"],
        "flow": flow_of(entry),
        "expiration": entry["credentials"]["Expiration"],
        "expires_in_seconds": seconds,
    }
    if args.json:
        sys.stdout.write(json.dumps(report) + "\n")
        return 0
    rows = [
        ("profile", report["profile"]),
        ("account", report["account"]),
        ("arn", report["arn"]),
        ("user id", report["user_id"]),
        ("flow", report["flow"] or "-"),
        ("expires", f"{report['expiration']} (in {time_left(seconds)})"),
    ]
    sys.stdout.write("".join(f"{name:<9} {value}\n" for name, value in rows))
    return 0
