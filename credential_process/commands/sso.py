"""``sso``: sign in to IAM Identity Center, sign out, list or write the profiles
the signed-in person can use."""

import argparse
import re
import shlex
import sys

from credential_process.stderr import notice
from credential_process import aws_config
from credential_process import inifile
from credential_process.commands import own_command
from credential_process.errors import AwsError, ConfigError, NeedsPersonError

DESCRIPTION = (
    "IAM Identity Center: 'sso login' signs in (browser with PKCE, or --use-device-code) and keeps "
    "the token where the AWS CLI and the SDKs find it; 'sso logout' ends the sign-in; "
    "'sso profiles' lists (--write: adds) a profile per account and role"
)
_INVALID_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def add_arguments(parser):
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    login = actions.add_parser("login", help="sign in (one sign-in even when many processes ask)")
    login.add_argument("--sso-session", required=True, metavar="NAME", help="the [sso-session NAME] section")
    _token_store_argument(login)
    login.add_argument("--use-device-code", action="store_true",
                       help="show a code to approve from any browser, instead of opening one here")
    # A sign-in started by a credential_process call, detached from it (sso/signin.py).
    login.add_argument("--for-caller", action="store_true", help=argparse.SUPPRESS)
    logout = actions.add_parser("logout", help="end the sign-in at the portal and remove the token")
    logout.add_argument("--sso-session", required=True, metavar="NAME")
    _token_store_argument(logout)
    profiles = actions.add_parser("profiles", help="every account and role the sign-in reaches")
    profiles.add_argument("--sso-session", required=True, metavar="NAME")
    _token_store_argument(profiles)
    profiles.add_argument("--write", action="store_true",
                          help="add a profile <account-name>.<role> for each to the config (after a backup)")


def _token_store_argument(parser):
    parser.add_argument("--token-store", choices=("file", "keyring"), default=None,
                        help="where the sign-in token is kept: the AWS CLI's file or the OS keyring "
                             "(default: what credential_process_sso_token_store says in the profiles "
                             "using this sso-session, else the file)")


def token_store_of(session_name):
    """The token store the profiles using ``session_name`` name; "file" when none names one.
    Profiles that disagree are a configuration error: which sign-in would be meant?"""
    from credential_process.options import PREFIX

    profiles = aws_config.profile_sections(aws_config.read_ini(aws_config.config_path()))
    stores = {(section.get(PREFIX + "sso_token_store") or "file").strip()
              for section in profiles.values()
              if (section.get(PREFIX + "sso_session") or "").strip() == session_name}
    if len(stores) > 1:
        raise ConfigError(f"the profiles using sso-session {session_name!r} keep its token in "
                          f"{' and '.join(sorted(stores))}: make them agree, or pass --token-store")
    return stores.pop() if stores else "file"


def run(args):
    from credential_process.sso import session_config

    store = args.token_store or token_store_of(args.sso_session)
    session = session_config.load(args.sso_session, token_store=store)
    return {"login": _login, "logout": _logout, "profiles": _profiles}[args.action](session, args)


def _login(session, args):
    from credential_process.sso import signin, token_cache, tokens

    if args.for_caller:
        return signin.run_for_caller(session)
    # One sign-in at a time: wait for one in progress, which may make ours needless.
    if signin.in_progress(session):
        notice("waiting for the sign-in in progress")
        if not signin.wait_for(session, signin.MAX_SECONDS):
            raise NeedsPersonError("the sign-in in progress did not end in time")
        if token_cache.seconds_left(token_cache.load(session)) > tokens.REFRESH_WINDOW:
            notice(f"signed in to sso-session {session.name}")
            return 0
    import filelock

    holder = signin.lock(session, "signin", signin.MAX_SECONDS)
    try:
        holder.acquire()
    except filelock.Timeout:
        raise NeedsPersonError("another sign-in holds the lock; try again") from None
    try:
        signin.sign_in(session, use_device_code=True if args.use_device_code else None)
    finally:
        holder.release()
    return 0


def _logout(session, args):
    from credential_process import sts
    from credential_process.sso import oidc, token_cache

    token = token_cache.load(session)
    if token is None:
        notice(f"sso-session {session.name} was not signed in")
        return 0
    if token_cache.seconds_left(token) > 0:
        try:
            sts.call(oidc.portal_client(session), "Logout", accessToken=token["accessToken"])
        except AwsError as error:
            if getattr(error, "code", None) != "UnauthorizedException":  # already ended there
                raise
    token_cache.delete(session)
    notice(f"signed out of sso-session {session.name}")
    return 0


def _profiles(session, args):
    pairs = _account_roles(session)
    for account_id, account_name, role in pairs:
        sys.stdout.write(f"{account_id} {account_name} {role}\n")
    if args.write:
        _write_profiles(session, pairs)
    return 0


def _account_roles(session):
    from credential_process import sts
    from credential_process.sso import oidc, tokens

    token = tokens.access_token(session, lock_timeout=55, may_sign_in=True)
    portal = oidc.portal_client(session)
    pairs = []
    for account in _paged(sts, portal, "ListAccounts", "accountList", accessToken=token):
        roles = _paged(sts, portal, "ListAccountRoles", "roleList", accessToken=token,
                       accountId=account["accountId"])
        for role in roles:
            pairs.append((account["accountId"], account.get("accountName") or account["accountId"],
                          role["roleName"]))
    return pairs


def _paged(sts, client, operation, member, **params):
    items, token = [], None
    while True:
        page, _ = sts.call(client, operation, **params, **({"nextToken": token} if token else {}))
        items.extend(page.get(member) or [])
        token = page.get("nextToken")
        if not token:
            return items


def profile_name(account_name, role):
    """``<account-name>.<role>``, made a name every SDK and shell takes."""
    name = _INVALID_NAME.sub("-", f"{account_name}.{role}").strip("-.")
    return name or "sso-profile"


def _write_profiles(session, pairs):
    path = aws_config.config_path()
    existing = aws_config.profile_sections(aws_config.read_ini(path))
    command = own_command()
    sections, skipped = {}, []
    for account_id, account_name, role in pairs:
        name = profile_name(account_name, role)
        if name in existing or aws_config.section_name(name) in sections:
            skipped.append(name)
            continue
        sections[aws_config.section_name(name)] = {
            "region": session.region,
            "credential_process": f"{shlex.quote(command)} --profile {shlex.quote(name)}",
            "credential_process_sso_session": session.name,
            "credential_process_sso_account_id": account_id,
            "credential_process_sso_role_name": role,
        }
    if not sections:
        notice(f"every profile is already in {path}")
        return
    backup = inifile.add_sections(path, sections)
    saved = f" (the previous file is in {backup})" if backup else ""
    kept = f"; kept existing {', '.join(skipped)}" if skipped else ""
    notice(f"added {len(sections)} profiles to {path}{saved}{kept}")

