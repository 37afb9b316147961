"""Where a profile's base credentials come from: a source profile (resolved
the way botocore does, or in this process when the source is served by this
tool too), the environment, or the instance/container metadata services.

Base credentials are a dict with AccessKeyId, SecretAccessKey, SessionToken
(None for long-term keys) and ``flow``: the flow that produced them when
this tool did, else None.
"""

import json
import os
import re
import shlex

import botocore.credentials
import botocore.exceptions

from credential_process import TOOL_NAME, aws_config
from credential_process import options as options_module
from credential_process.cache import entry as entry_format
from credential_process.errors import AwsError, ConfigError, NeedsPersonError, one_line, redact
from credential_process.markers import CHAIN_VARIABLE

# What resolver.guard_loop says, as it reaches us inside botocore's error.
# The last such line counts: a child run with --debug prints its traceback first.
_LOOP_REPORT = re.compile(r"credential-process: (profile chain loops: [^\s']+(?: -> [^\s']+)+)")


def check_source_chain(profiles, options):
    """Follow source profiles through the config; fail at once on a cycle."""
    walked = [options.profile]
    current, section = options.profile, options.section
    following = options.source_profile
    while following:
        if following == current and ("aws_access_key_id" in section or not options_module.has_our_keys(section)):
            # botocore's "source_profile = itself": the profile's own static keys (also
            # any_profile.py's GetSessionToken over a botocore profile's keys).
            return
        if following in walked:
            raise ConfigError(f"profile chain loops: {' -> '.join(walked + [following])}")
        walked.append(following)
        current, section = following, profiles.get(following, {})
        following = section.get(options_module.PREFIX + "source_profile") or section.get("source_profile")


def base_credentials(options, chain, resolve_profile):
    """The credentials that sign this profile's STS call.

    ``resolve_profile(options, chain)`` serves a profile of this tool in this
    process (same cache and lock), used when the source profile is ours too.
    """
    if options.credential_source:
        return _from_credential_source(options.credential_source)
    if options.source_keyring:
        from credential_process.os_keyring import iam_keys  # imports keyring: only on this path

        return iam_keys.base_credentials(options.source_keyring)
    if not options.source_profile:
        raise ConfigError(
            f"profile {options.profile!r} names no base credentials: set "
            f"{options_module.PREFIX}source_profile, {options_module.PREFIX}credential_source "
            f"or {options_module.PREFIX}source_keyring"
        )
    profiles = aws_config.profile_sections(aws_config.read_ini(options.config_path))
    check_source_chain(profiles, options)
    source_options = _served_by_this_tool(profiles, options.source_profile)
    if source_options is not None:
        entry = resolve_profile(source_options, list(chain) + [options.profile])
        return dict(entry["credentials"], flow=entry_format.flow_of(entry))
    return from_botocore(options.source_profile, list(chain) + [options.profile])


def _served_by_this_tool(profiles, name):
    """The source's options when its credential_process is plainly this tool for
    itself, or when it has no credential_process but keys of this tool (a
    ``credential_process_command`` profile used only as a source)."""
    section = profiles.get(name)
    command = (section or {}).get("credential_process")
    if not command:
        if options_module.has_our_keys(section):
            return options_module.load(name, profiles=profiles)
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words or os.path.basename(words[0]) != TOOL_NAME or words[1:] != ["--profile", name]:
        return None
    return options_module.load(name, profiles=profiles)


def from_botocore(profile, chain, served=False):
    """Base credentials of ``profile`` as botocore resolves it, plus
    ``expires_at`` (epoch seconds, None for long-term keys), ``provider``
    (botocore's name for the provider that answered) and ``AccountId`` when
    botocore knows it.  ``served``: the profile is the one a command serves,
    not a source profile (the messages say which)."""
    from credential_process.sts import botocore_session

    what = f"profile {profile!r}" if served else f"source profile {profile!r}"
    previous = os.environ.get(CHAIN_VARIABLE)
    os.environ[CHAIN_VARIABLE] = json.dumps(chain)
    try:
        session = botocore_session()
        if profile not in session.full_config.get("profiles", {}):
            raise ConfigError(f"{what} is not in the AWS config or credentials file")
        session.set_config_variable("profile", profile)
        credentials = session.get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials else None
    except botocore.exceptions.BotoCoreError as error:
        raise _translate(error, profile, chain, what) from None
    except botocore.exceptions.ClientError as error:
        raise AwsError(f"{what}: {redact(error)}") from None
    finally:
        if previous is None:
            os.environ.pop(CHAIN_VARIABLE, None)
        else:
            os.environ[CHAIN_VARIABLE] = previous
    if frozen is None or not frozen.access_key:
        raise ConfigError(f"{what} has no credentials{_login_hint(session, profile)}")
    base = _as_base(frozen)
    # botocore keeps a refreshable credential's end in a private attribute (the
    # AWS CLI's own `configure export-credentials` reads it the same way).
    expiry = getattr(credentials, "_expiry_time", None)
    base["expires_at"] = expiry.timestamp() if expiry is not None else None
    base["provider"] = getattr(credentials, "method", None)
    account = getattr(credentials, "account_id", None)
    if isinstance(account, str) and account.isdigit():
        base["AccountId"] = account
    return base


def _login_hint(session, profile):
    """Why a login_session profile has no credentials: a botocore without its provider."""
    section = session.full_config.get("profiles", {}).get(profile, {})
    if section.get("login_session") and not hasattr(botocore.credentials, "LoginProvider"):
        return (f": it is an 'aws login' session (login_session), which botocore "
                f"{botocore.__version__} cannot read (botocore 1.41.0 and later can): "
                "pip install -U 'credential-process[login]'")
    return ""


def _from_credential_source(name):
    if name == "Environment":
        provider = botocore.credentials.EnvProvider()
    elif name == "EcsContainer":
        provider = botocore.credentials.ContainerProvider()
    else:
        provider = botocore.credentials.InstanceMetadataProvider(
            iam_role_fetcher=botocore.credentials.InstanceMetadataFetcher(timeout=2, num_attempts=2)
        )
    try:
        credentials = provider.load()
    except botocore.exceptions.BotoCoreError as error:
        raise AwsError(f"credential_source {name}: {redact(error)}") from None
    if credentials is None:
        raise ConfigError(f"credential_source {name} found no credentials")
    return _as_base(credentials.get_frozen_credentials())


def _as_base(frozen):
    return {
        "AccessKeyId": frozen.access_key,
        "SecretAccessKey": frozen.secret_key,
        "SessionToken": frozen.token or None,
        "flow": None,
    }


def _translate(error, source_profile, chain, what):
    message = redact(one_line(error))
    sso_errors = (botocore.exceptions.UnauthorizedSSOTokenError, botocore.exceptions.SSOTokenLoadError)
    if isinstance(error, sso_errors):
        return NeedsPersonError(
            f"the SSO login of {what} has expired: run 'aws sso login --profile {source_profile}'"
        )
    login_error = getattr(botocore.exceptions, "LoginError", ())
    if login_error and isinstance(error, login_error):
        # An expired or revoked `aws login` session (LoginRefreshRequired), or none at all.
        return NeedsPersonError(
            f"the 'aws login' session of {what} has expired or cannot be read ({message}): "
            f"run 'aws login --profile {source_profile}'"
        )
    missing = getattr(botocore.exceptions, "MissingDependencyException", ())
    if missing and isinstance(error, missing) and "crt" in str(error):
        return ConfigError(
            f"{what} is an 'aws login' session, which botocore reads only with its crt extra: "
            "pip install 'credential-process[login]' (botocore[crt]) where credential-process is installed"
        )
    if isinstance(error, botocore.exceptions.CredentialRetrievalError):
        loops = _LOOP_REPORT.findall(str(error))
        if loops:  # a child of this tool found the loop (its exit 2); botocore kept only its words
            return ConfigError(_loop_through(loops[-1], chain, source_profile))
        return AwsError(f"{what}: {message}")
    if isinstance(error, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError,
                          botocore.exceptions.ReadTimeoutError)):
        return AwsError(f"{what}: {message}")  # unreachable: exit 1, as for STS
    return ConfigError(f"{what}: {message}")


def _loop_through(report, chain, source_profile):
    """The whole loop, from a child's report of it.

    The child was given ``chain`` and saw only that: the source profile whose
    credential_process line ran it is not in the chain (it is not served by this
    tool, and a line that serves it with extra flags must not count as a loop),
    so it is put back where it was: dev -> dev becomes dev -> base -> dev."""
    names = report[len("profile chain loops: "):].split(" -> ")
    if names[:len(chain)] == list(chain):
        names = list(chain) + [source_profile] + names[len(chain):]
    return f"profile chain loops: {' -> '.join(names)} (through the credential_process of profile {source_profile!r})"
