"""The STS client every flow uses: one place for region, endpoint, timeouts,
retries and the translation of botocore's errors into ours.

Timeout budget (written down because the Go SDK kills a credential_process
after 60 s): connect 3 s, read 9 s, 3 attempts in botocore's standard retry
mode, whose backoff before attempts 2 and 3 is at most 1 s and 2 s (recent
botocore waits only 0.05 s and 0.1 s after a timeout; x-amz-retry-after can
add up to 5 s, but only after a quick throttling answer, not a timeout).
Worst case, every attempt timing out: 3 x (3 + 9) + 1 + 2 = 39 s, under 45 s.

Those are per-read limits: a server that sends one byte every few seconds
never trips them, and botocore has no limit on a call's total time.  So each
call also has one overall deadline, CALL_SECONDS (the 39 s above), or what is
left of the call's time budget (budget.py) when that ends first, covering
every attempt, backoff and body read.  It is enforced by running the botocore
call in a daemon worker thread and no longer waiting for it at the deadline:
the caller gets an AwsError (exit 1), leaves its ``with`` blocks (the entry
lock is released) and the process exits, which ends the thread and closes its
socket.  A ``before-send`` hook also stops an abandoned worker from starting
another attempt.  (The alternative, a socket-level deadline under urllib3,
would reach into botocore's private HTTP plumbing.)  A long-lived process
(``exec --server``) keeps such a thread until the server stops dripping, but
never waits for it.
"""

import threading
import time
from email.utils import parsedate_to_datetime

import botocore.config
import botocore.exceptions
import botocore.session
from botocore import UNSIGNED, xform_name

from credential_process import __version__, budget, trace
from credential_process.errors import AwsError, ConfigError, RefusedError

CONNECT_TIMEOUT = 3
READ_TIMEOUT = 9
MAX_ATTEMPTS = 3
# One call in all: every attempt, backoff and body read (3 x (3 + 9) + 1 + 2).
CALL_SECONDS = MAX_ATTEMPTS * (CONNECT_TIMEOUT + READ_TIMEOUT) + 1 + 2


def botocore_session(profile=None):
    """A botocore session reading the profile's region and endpoint settings."""
    session = botocore.session.Session()
    if profile is not None and profile in session.available_profiles:
        session.set_config_variable("profile", profile)
    else:
        # The served profile may exist only as command-line flags.
        session.set_config_variable("profile", None)
    return session


def client(options, credentials=None, service="sts", region=None):
    """A client for the profile's STS endpoint; unsigned when no credentials.

    ``region`` overrides the profile's (e.g. where an EKS cluster lives)."""
    session = botocore_session(options.profile)
    config = botocore.config.Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        # total_max_attempts counts the first call; "max_attempts" would not (4 calls, 48 s).
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        user_agent_extra=f"credential-process/{__version__}",
        signature_version=UNSIGNED if credentials is None else None,
    )
    keys = {}
    if credentials is not None:
        keys = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials.get("SessionToken"),
        }
    try:
        made = session.create_client(service, region_name=region or options.region, config=config, **keys)
    except botocore.exceptions.BotoCoreError as error:
        raise ConfigError(f"cannot set up the {service.upper()} client: {error}") from None
    # The key ID (never the secret) that signs, for refusal messages (refusals.py).
    made.credential_process_key_id = credentials["AccessKeyId"] if credentials else None
    return made


def call(sts_client, operation, **params):
    """Run one API call; returns (response, server clock minus ours in seconds)."""
    method = getattr(sts_client, xform_name(operation))
    seconds, cut_by_budget = budget.limit(CALL_SECONDS), budget.limited(CALL_SECONDS)
    where = f"{_service(sts_client)} at {sts_client.meta.endpoint_url}"
    if seconds <= 0:
        raise AwsError(f"{where} was not called: {budget.describe()} is used up")
    before = time.time()
    try:
        response = _within(sts_client, method, params, seconds)
    except _TooLate:
        why = f", the rest of {budget.describe()}" if cut_by_budget else ""
        raise AwsError(f"{where} gave no complete answer within {seconds:.0f} s{why}; stopped waiting") from None
    except botocore.exceptions.ClientError as error:
        details = error.response.get("Error", {})
        raise RefusedError(_service(sts_client), operation, details.get("Code"), details.get("Message"),
                           key_id=getattr(sts_client, "credential_process_key_id", None)) from None
    except (botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectTimeoutError,
            botocore.exceptions.ReadTimeoutError) as error:
        raise AwsError(
            f"{_service(sts_client)} at {sts_client.meta.endpoint_url} could not be reached: {error}"
        ) from None
    except botocore.exceptions.BotoCoreError as error:
        raise AwsError(f"{_service(sts_client)} {operation} failed: {error}") from None
    trace.note(f"{where}: {operation} answered in {time.time() - before:.2f} s")
    return response, _skew(response, (before + time.time()) / 2)


class _TooLate(Exception):
    """The call's deadline passed before botocore returned."""


def _within(sts_client, method, params, seconds):
    """``method(**params)`` in a daemon thread, waited for at most ``seconds``;
    its result, or its exception raised here, or _TooLate."""
    deadline = time.monotonic() + seconds
    outcome = {}

    def refuse_late_attempt(**_kwargs):
        # An abandoned worker must not start another attempt (or retry) after the deadline.
        if time.monotonic() >= deadline:
            raise _TooLate()

    def work():
        try:
            outcome["response"] = method(**params)
        except BaseException as error:  # handed to the caller's thread as it is
            outcome["error"] = error

    sts_client.meta.events.register("before-send", refuse_late_attempt)
    worker = threading.Thread(target=work, name="sts-call", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _TooLate()
    sts_client.meta.events.unregister("before-send", refuse_late_attempt)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"]


def _skew(response, local_time):
    date = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return parsedate_to_datetime(date).timestamp() - local_time
    except (TypeError, ValueError):
        return 0.0


def _service(sts_client):
    return sts_client.meta.service_model.service_id.upper()
