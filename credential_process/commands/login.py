"""login: open the AWS console signed in with a profile's credentials.

The federation endpoint takes role and federated-user sessions only.  Role
sessions (AssumeRole, SAML, web identity) and GetFederationToken sessions are
used as they are.  A GetSessionToken profile (with or without MFA) is turned
into a federated user's session first, with GetFederationToken signed by the
long-term keys behind it, as aws-vault does.

SessionDuration (the console session's length) is sent only for a single,
unchained AssumeRole* session: the endpoint refuses it for chained roles, and a
federated user's console session lasts as long as its token.  When it cannot be
told whether a role session was chained, it is not sent.
"""

import getpass
import os
import re
import sys

from credential_process.stderr import notice
from credential_process import any_profile, aws_config
from credential_process import federation
from credential_process import options as options_module
from credential_process.commands import _profile
from credential_process.errors import ConfigError
from credential_process.cache.entry import flow_of
from credential_process.markers import inherited_chain
from credential_process.resolver import get_entry, guard_loop

DESCRIPTION = (
    "open the AWS console in the browser, signed in with a profile's credentials:\n"
    "  credential-process login dev\n"
    "  credential-process login dev --service s3 --print     (print the URL instead)"
)
# A federated user's console session when the profile names no duration.
DEFAULT_FEDERATION_SECONDS = 3600
CHAINED_CONSOLE_SECONDS = 3600
ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
_ROLE_SESSIONS = ("assume-role", "assume-role-with-saml", "assume-role-with-web-identity")


def add_arguments(parser):
    parser.add_argument("profile_name", nargs="?", metavar="PROFILE",
                        help="the profile to sign in with (or --profile)")
    parser.add_argument("-s", "--print", dest="print_url", action="store_true",
                        help="print the sign-in URL (valid 15 minutes) instead of opening a browser")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--destination", metavar="URL", help="the console page to open (an https:// URL)")
    where.add_argument("--service", metavar="NAME", help="the console of one service, e.g. s3, ec2, iam")
    parser.add_argument("--region", help="the region the console opens in (default: the profile's)")
    _profile.add_arguments(parser)


def run(args):
    _profile.take_positional(args)
    _profile.apply_region(args)  # the STS calls are made there too
    if os.environ.get(federation.ENDPOINT_VARIABLE):
        notice(f"warning: {federation.ENDPOINT_VARIABLE} is set: the credentials go to "
             f"{os.environ[federation.ENDPOINT_VARIABLE].split('?')[0]} (a testing aid)")
    # Any profile the SDKs can resolve; long-term keys are asked for a federated user's session.
    options = any_profile.options_for(args, session=True)
    region = options.region
    federation_url = federation.endpoint(region)  # a bad override fails before any STS call
    destination = federation.console_url(region, args.service, args.destination)
    credentials, session_duration = console_credentials(options)
    token = federation.signin_token(federation_url, credentials, session_duration)
    url = federation.login_url(federation_url, token, destination)
    if args.print_url:
        sys.stdout.write(url + "\n")
        return 0
    open_browser(url)
    return 0


def console_credentials(options):
    """(credentials the federation endpoint takes, SessionDuration or None)."""
    if options.flow == "get-session-token":
        return _federated_user(options), None
    entry = get_entry(options)
    flow = flow_of(entry)
    if flow not in _ROLE_SESSIONS:
        return entry["credentials"], None  # a federated user's session: as it is
    if flow == "assume-role" and not base_is_long_term(options):
        notice(f"profile {options.profile!r} assumes its role with credentials that are (or may be) a "
             "role session: no SessionDuration is sent, and AWS caps a chained role's console session "
             f"at {CHAINED_CONSOLE_SECONDS // 3600} hour")
        return entry["credentials"], None
    duration = min(max(int(entry["duration"]), federation.MIN_SESSION_DURATION),
                   federation.MAX_SESSION_DURATION)
    return entry["credentials"], duration


def _federated_user(options):
    """GetFederationToken, allow-all, signed by the long-term keys behind the profile."""
    from credential_process import sts
    from credential_process.sources import base_credentials

    chain = inherited_chain()
    guard_loop(options.profile, chain)
    base = base_credentials(options, chain, get_entry)
    if base.get("SessionToken"):
        raise ConfigError(
            f"profile {options.profile!r} gives a session token and no long-term keys are reachable "
            "behind it: the console takes role or federated-user sessions only, and "
            "GetFederationToken needs an IAM user's access keys"
        )
    notice("the console session is a federated user's (GetFederationToken): it carries no MFA "
         "context, and its permissions are the intersection of the IAM user's own policies with "
         "an allow-all session policy: what the user may do")
    params = {"Name": federation_name(), "Policy": ALLOW_ALL,
              "DurationSeconds": options.duration_seconds or DEFAULT_FEDERATION_SECONDS}
    response, _ = sts.call(sts.client(options, base), "GetFederationToken", **params)
    answer = response["Credentials"]
    return {"AccessKeyId": answer["AccessKeyId"], "SecretAccessKey": answer["SecretAccessKey"],
            "SessionToken": answer["SessionToken"]}


def federation_name():
    """The federated user's name: the local user, made valid (2-32 of [\\w+=,.@-])."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = ""
    name = re.sub(r"[^\w+=,.@-]", "-", user)[:32]
    return name if len(name) >= 2 else "credential-process"


def base_is_long_term(options):
    """True when the profile's AssumeRole is signed by long-term keys (or by a
    GetSessionToken session over them): a single role call, not a chain.  False
    when it is chained, or when that cannot be told without resolving the source."""
    if options.source_keyring:
        return True
    if not options.source_profile:
        return False  # Environment: unknown; instance or container metadata: a role session
    profiles = aws_config.profile_sections(aws_config.read_ini(options.config_path))
    section = profiles.get(options.source_profile, {})
    if options_module.has_our_keys(section):
        try:
            source = options_module.load(options.source_profile, profiles=profiles)
        except ConfigError:
            return False
        return source.flow == "get-session-token"
    return botocore_gives_keys(options.source_profile, section)


def botocore_gives_keys(name, section):
    """True when botocore resolves the profile to long-term keys, by its own provider order."""
    return any_profile.gives_long_term_keys(section, any_profile.credentials_section(name))


def open_browser(url):
    """Open ``url`` in the user's browser (BROWSER honoured), with our stdout
    pointed at stderr meanwhile: whatever the browser prints is not our output."""
    import webbrowser

    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no stdout at all: nothing to protect
        saved = None
    try:
        if saved is not None:
            os.dup2(2, 1)
        opened = webbrowser.open(url)
    finally:
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)
    if not opened:
        raise ConfigError("no web browser could be started: set BROWSER, or use --print to get the URL")
