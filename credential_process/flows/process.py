"""Another tool's credential_process (saml2aws, okta-aws-cli, gimme-aws-creds,
aws-azure-login, 1Password, ...) behind this tool's cache and lock.

``credential_process_command`` is run through the shell by the helper runner
(time limit, its own process group, no AWS secrets in its environment), and
what it prints is checked the way the SDKs check a credential_process
answer, before anything is cached or printed.  The answer goes through the
regular cache: N callers missing at once run the command once.  An answer
without Expiration is served but never cached (the SDKs too take such
credentials as never expiring: nobody could tell when to ask again).
"""

import datetime
import json
import time

from credential_process import helper_command
from credential_process.cache.entry import make_entry
from credential_process.errors import AwsError, redact
from credential_process.output import utc_timestamp

NEEDS_BASE = False
# An IdP's CLI may wait for a person at a browser or a push notification; a
# call's time budget (budget.py) shortens this for the SDKs' own calls.
COMMAND_TIMEOUT = 300
KEY = "credential_process_command"


def fetch(options, base):
    outcome = helper_command.run_capturing(options.command, KEY, COMMAND_TIMEOUT)
    # Its own words, but anything shaped like a secret is masked: a CLI in debug mode prints tokens.
    tail = redact(outcome.stderr_tail)
    said = f": {tail!r}" if tail else " (nothing on its stderr)"
    if outcome.overflow:
        _refuse(options, f"printed more than {helper_command.MAX_OUTPUT_BYTES} bytes", said)
    if outcome.returncode != 0:
        raise AwsError(f"{KEY} of profile {options.profile!r} failed (exit status "
                       f"{outcome.returncode}){said}")
    credentials, expires_at = parse_answer(outcome.stdout, lambda why: _refuse(options, why, said))
    now = time.time()
    if expires_at is None:
        # Served once, never stored (resolver.cached): the next call runs the command again.
        entry = make_entry(options, credentials, None, 0, 0)
        entry["not_cached"] = True
        return entry
    return make_entry(options, credentials, expires_at, max(expires_at - now, 1), 0)


def can_refresh_unattended(options):
    """Only a command declared non-interactive may run in a background refresh."""
    return options.command_interactive is False


def _refuse(options, why, said):
    raise AwsError(f"{KEY} of profile {options.profile!r} gave no usable credentials: it {why} "
                   f"(credential_process JSON: Version 1, AccessKeyId, SecretAccessKey){said}")


def parse_answer(data, refuse):
    """(credentials without Version, Expiration as epoch seconds or None) from
    the bytes a credential_process printed; ``refuse(why)`` raises.  No value
    ever reaches a message: they are secrets."""
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        refuse("printed something that is not UTF-8 text")
    except RecursionError:
        refuse("printed JSON nested too deeply")
    except ValueError:
        refuse("printed nothing" if not data.strip() else "printed something that is not JSON")
    if not isinstance(document, dict):
        refuse("printed JSON that is not an object")
    if document.get("Version") != 1 or isinstance(document.get("Version"), bool):
        refuse("printed no \"Version\": 1")
    credentials = {}
    for name in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
        value = document.get(name)
        if value is None and name == "SessionToken":
            continue
        if not isinstance(value, str) or not value.strip() or not value.isprintable():
            refuse(f"printed an empty or malformed {name}")
        credentials[name] = value.strip()
    account = document.get("AccountId")
    if isinstance(account, str) and account.isdigit() and len(account) == 12:
        credentials["AccountId"] = account
    if document.get("Expiration") is None:
        return credentials, None
    expires_at = _rfc3339(document["Expiration"])
    if expires_at is None:
        refuse("printed an Expiration that is not an RFC 3339 time with a zone")
    if expires_at <= time.time():
        refuse(f"printed credentials that expired at {utc_timestamp(expires_at)}")
    credentials["Expiration"] = utc_timestamp(expires_at)
    return credentials, expires_at


def _rfc3339(value):
    """Epoch seconds of an RFC 3339 date-time with a zone (Z or +hh:mm), else None."""
    if not isinstance(value, str) or "T" not in value.upper():
        return None
    text = value.strip()
    if text[-1:] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()
