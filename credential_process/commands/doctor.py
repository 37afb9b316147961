"""Check the AWS config for what makes credential-process fail, or run far too often."""

import os
import shlex
import shutil
import stat
import sys

from credential_process import aws_config
from credential_process import flow_table
from credential_process import options as options_module
from credential_process import TOOL_NAME
from credential_process.errors import EXIT_CONFIG, ConfigError
from credential_process.flow_table import ASSUMED_ROLE_FLOWS, BY_NAME, CHAINED_MAX_DURATION, SOURCE_KEYS

DESCRIPTION = (
    "check every profile served by credential-process (or one) and the cache folder; "
    "print each problem with its fix; exit 0 when clean, 2 otherwise"
)
PREFIX = options_module.PREFIX
# botocore re-runs the process on every credential access once fewer than 15
# minutes remain, and we refresh ahead too: shorter sessions mean a run per call.
MIN_COMFORTABLE_SESSION = 45 * 60
STATIC_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
# botocore's keys that make a profile's credentials a role session, so that
# assuming a role with them is role chaining (STS caps those at one hour).
ROLE_SESSION_KEYS = ("role_arn", "sso_role_name")


class Finding:
    def __init__(self, where, problem, fix):
        self.where = where
        self.problem = problem
        self.fix = fix


class Profile:
    """What the checks of one profile look at."""

    def __init__(self, name, profiles, credentials_sections):
        self.name = name
        self.section = profiles[name]
        self.profiles = profiles
        self.credentials_sections = credentials_sections
        self.options = None  # set when the profile's keys load


def add_arguments(parser):
    parser.add_argument("--profile", help="check only this profile (default: every profile with a credential_process)")


def run(args):
    missing = _config_file_problem(aws_config.config_path())
    if missing:
        report([missing], [])
        return EXIT_CONFIG
    profiles = aws_config.profile_sections(aws_config.read_ini(aws_config.config_path()))
    credentials = aws_config.read_ini(aws_config.credentials_path())
    credentials_sections = {name: dict(credentials.items(name)) for name in credentials.sections()}
    if args.profile and args.profile not in profiles:
        raise ConfigError(f"profile {args.profile!r} is not in {aws_config.config_path()}")
    names = [args.profile] if args.profile else [name for name in profiles if uses_a_process(profiles[name])]
    findings = list(check_environment(names))
    for name in names:
        findings.extend(check_profile(Profile(name, profiles, credentials_sections)))
    findings.extend(check_cache_folder())
    findings.extend(check_keyring([profiles[name] for name in names]))
    report(findings, names)
    return EXIT_CONFIG if findings else 0


def uses_a_process(section):
    """Profiles with a credential_process line (this tool's or another's) or our keys."""
    return "credential_process" in section or options_module.has_our_keys(section)


def check_profile(profile):
    for check in PROFILE_CHECKS:
        for finding in check(profile):
            yield finding


def report(findings, names):
    for finding in findings:
        sys.stdout.write(f"{finding.where}: {finding.problem}\n    fix: {finding.fix}\n")
    checked = f"{len(names)} profile{'s' if len(names) != 1 else ''} checked"
    if findings:
        sys.stdout.write(f"{len(findings)} problem{'s' if len(findings) != 1 else ''} found ({checked})\n")
    else:
        sys.stdout.write(f"no problems found ({checked})\n")


# -- checks of one profile, in the order they are reported --------------------
def _role_arn_beside_process(profile):
    if "role_arn" in profile.section and "credential_process" in profile.section:
        yield Finding(
            _where(profile),
            "sets both role_arn and credential_process: botocore then assumes role_arn itself "
            "(and wants source_profile), the Go SDK uses the process as the source, the JS SDK ignores role_arn",
            f"rename role_arn to {PREFIX}role_arn (and source_profile / credential_source to "
            f"{PREFIX}source_profile / {PREFIX}credential_source) so that only credential-process reads them",
        )


def _static_keys_beside_process(profile):
    if "credential_process" not in profile.section:
        return
    found = [key for key in STATIC_KEYS if key in profile.credentials_sections.get(profile.name, {})]
    if found:
        yield Finding(
            _where(profile),
            f"[{profile.name}] in {aws_config.credentials_path()} has {', '.join(found)}: "
            "the SDKs use those static keys before credential_process, which never runs",
            f"remove {', '.join(found)} from [{profile.name}] in {aws_config.credentials_path()}",
        )


def _process_line(profile):
    line = profile.section.get("credential_process")
    if line is None:
        return
    words = _words(line)
    if not words:
        yield Finding(_where(profile), f"credential_process cannot be read as a command: {line!r}",
                      f"run: {TOOL_NAME} configure --profile {profile.name}")
        return
    problem = _program_problem(words[0])
    if problem:
        yield Finding(_where(profile), problem,
                      f"use an absolute path; {TOOL_NAME} configure --profile {profile.name} "
                      "writes the line with this command's absolute path")
    yield from _served_profile(profile, line)


def _served_profile(profile, line):
    """The profile this tool's line serves: another one while this profile has keys of its
    own (a copied section), or one this tool cannot serve."""
    from credential_process.commands.profiles import _our_command_for

    served = _our_command_for(line)
    if served is None:
        return
    own_keys = options_module.has_our_keys(profile.section)
    if served != profile.name and own_keys:
        yield Finding(
            _where(profile),
            f"has {PREFIX}* keys of its own, but its credential_process line serves profile {served!r} "
            f"(--profile {served}): everything using {profile.name!r} gets {served!r}'s credentials "
            "and these keys are never read",
            f"end the line with --profile {profile.name} ({TOOL_NAME} configure --profile "
            f"{profile.name} writes it), or remove the keys if {profile.name!r} is meant as an alias",
        )
    elif served != profile.name and not options_module.has_our_keys(profile.profiles.get(served)):
        where = "is not in" if served not in profile.profiles else "sets no {PREFIX}* key in"
        yield Finding(
            _where(profile),
            f"its credential_process line serves profile {served!r}, which this tool cannot serve: it "
            f"{where.format(PREFIX=PREFIX)} {aws_config.config_path()}",
            f"point --profile at a profile with {PREFIX}* keys, or give {served!r} its keys "
            f"({TOOL_NAME} configure --profile {served})",
        )
    elif served == profile.name and not own_keys:
        yield Finding(
            _where(profile),
            f"its credential_process line runs this tool for {profile.name!r}, which sets no {PREFIX}* "
            "key: this tool cannot serve it (it does not read botocore's role_arn, source_profile, ...)",
            f"add the keys ({TOOL_NAME} configure --profile {profile.name} --role-arn ARN "
            "--source-profile NAME)",
        )


def _this_tool_without_keys(profile):
    """The SDKs run this tool for a profile it refuses: one without our keys
    (botocore's own role_arn/sso_session/login_session... or nothing at all)."""
    words = _words(profile.section.get("credential_process", ""))
    if not words or os.path.basename(words[0]) != TOOL_NAME:
        return
    served = next((word.split("=", 1)[1] for word in words[1:] if word.startswith("--profile=")), None)
    if "--profile" in words[1:-1]:
        served = words[words.index("--profile", 1) + 1]
    if served != profile.name:
        return  # an alias: it serves another profile
    if options_module.has_our_keys(profile.section) or any(
            word.startswith("--") and word != "--profile" and not word.startswith("--profile=")
            for word in words[1:]):
        return
    yield Finding(
        _where(profile),
        f"credential_process runs {TOOL_NAME}, but the profile sets no {PREFIX}* key: every SDK call "
        "fails (exit 2); the tool does not serve botocore's own keys to an SDK, which would loop",
        f"prefix the profile's keys with {PREFIX} ({TOOL_NAME} configure --profile {profile.name}), or "
        f"remove the credential_process line: botocore then resolves the profile itself, and "
        f"{TOOL_NAME} export/exec/whoami take it as it is",
    )


def _key_values(profile):
    """Every credential_process_* value its parser refuses, then what only the whole profile shows."""
    bad = False
    for spec in options_module.SPECS:
        raw = profile.section.get(spec.key)
        if raw is None:
            continue
        try:
            spec.parse(raw.strip(), spec.key)
        except ConfigError as error:
            bad = True
            yield Finding(_where(profile), str(error), _value_fix(spec))
    if bad or not options_module.has_our_keys(profile.section):
        return
    try:
        profile.options = options_module.load(profile.name, profiles=profile.profiles)
    except ConfigError as error:
        named = [spec for spec in options_module.SPECS if spec.key in str(error)]
        yield Finding(_where(profile), str(error), _value_fix(named[0]) if named else f"see: {TOOL_NAME} --help")


def _source(profile):
    options = profile.options
    if options is None or not BY_NAME[options.flow].needs_base:
        return
    if not any(getattr(options, name) for name in SOURCE_KEYS):
        yield Finding(_where(profile), "names no base credentials to call STS with",
                      f"set {PREFIX}source_profile (a profile with credentials), {PREFIX}credential_source "
                      f"or {PREFIX}source_keyring")
        return
    if options.source_profile is None:
        return
    source = options.source_profile
    if source not in profile.profiles and source not in profile.credentials_sections:
        yield Finding(_where(profile),
                      f"its source profile {source!r} is in neither {aws_config.config_path()} "
                      f"nor {aws_config.credentials_path()}",
                      f"add profile {source!r}, or point {PREFIX}source_profile at one that exists")
        return
    from credential_process.sources import check_source_chain

    try:
        check_source_chain(profile.profiles, options)
    except ConfigError as error:
        yield Finding(_where(profile), str(error),
                      "make one profile in the loop take its credentials from somewhere else "
                      "(static keys, SSO, credential_source)")
        return
    yield from _source_without_credentials(profile, source)
    yield from _expired_sign_in(profile, source)


def _expired_sign_in(profile, source):
    """An IAM Identity Center sign-in (botocore's token cache) that has ended behind a source."""
    from credential_process.commands.profiles import sso_state

    section = profile.profiles.get(source, {})
    if options_module.has_our_keys(section):
        return
    if section.get("login_session") and not _login_token_exists(section["login_session"]):
        yield Finding(
            _where(profile),
            f"its source profile {source!r} uses the `aws login` session {section['login_session']!r}, "
            "which has no sign-in on this machine (none made, or it was removed): every refresh fails",
            f"aws login --profile {source}",
        )
    if not (section.get("sso_session") or section.get("sso_start_url")):
        return
    state, expires = sso_state(section, profile.profiles)
    if state == "valid":
        return
    ended = f"ended at {expires}" if expires else "has not been made on this machine"
    yield Finding(
        _where(profile),
        f"its source profile {source!r} signs in with IAM Identity Center, and that sign-in {ended}: "
        "every refresh fails until a person signs in again",
        f"aws sso login --profile {source}",
    )


def _source_without_credentials(profile, source):
    """A source profile left with nothing to sign with (its keys moved to the keyring, say)."""
    from credential_process.dependents import has_credentials

    if has_credentials(source, profile.profiles, profile.credentials_sections):
        return
    yield Finding(
        _where(profile),
        f"its source profile {source!r} has no credentials (no aws_access_key_id in "
        f"{aws_config.credentials_path()}, no credential_process, role_arn or SSO settings)",
        f"if its keys are in the keyring, replace {PREFIX}source_profile = {source} with "
        f"{PREFIX}source_keyring = NAME ({TOOL_NAME} keys list shows the names); "
        f"else give [{source}] credentials",
    )


def _short_session(profile):
    options = profile.options
    if options is not None and options.duration_seconds and options.duration_seconds < MIN_COMFORTABLE_SESSION:
        yield Finding(
            _where(profile),
            f"sessions of {options.duration_seconds} s: the SDKs refresh within 15 minutes of expiry, so a "
            f"session shorter than {MIN_COMFORTABLE_SESSION // 60} minutes spends much of its life "
            "re-running credential-process on every API call",
            f"set {PREFIX}duration_seconds to 3600 or more (at least {MIN_COMFORTABLE_SESSION})",
        )


def _chained_role_duration(profile):
    options = profile.options
    if (options is None or options.flow != "assume-role" or not options.source_profile
            or (options.duration_seconds or 0) <= CHAINED_MAX_DURATION):
        return
    if _is_role_session(profile, options.source_profile):
        yield Finding(
            _where(profile),
            f"asks for {options.duration_seconds} s, but its source {options.source_profile!r} is a role "
            f"session: STS refuses chained role sessions longer than {CHAINED_MAX_DURATION} s",
            f"set {PREFIX}duration_seconds to {CHAINED_MAX_DURATION} or less, or use long-term credentials as the source",
        )


def _sso_session(profile):
    """IAM Identity Center (flows/sso.py): the [sso-session] section the profile names."""
    options = profile.options
    if options is None or options.flow != "sso":
        return
    from credential_process.sso import session_config

    try:
        session_config.load(options.sso_session)
    except ConfigError as error:
        yield Finding(_where(profile), str(error),
                      f"add the section with sso_start_url and sso_region (aws configure sso-session writes it), "
                      f"or point {PREFIX}sso_session at one that exists")


PROFILE_CHECKS = (
    _role_arn_beside_process,
    _this_tool_without_keys,
    _static_keys_beside_process,
    _process_line,
    _key_values,
    _source,
    _short_session,
    _chained_role_duration,
    _sso_session,
)


def _login_token_exists(session_name):
    """Whether botocore's token file of an `aws login` session exists (its own path rule)."""
    try:
        from botocore.utils import generate_login_cache_key, get_login_token_cache_directory
    except ImportError:  # a botocore without `aws login` support: nothing to tell
        return True
    folder = get_login_token_cache_directory()
    return os.path.exists(os.path.join(folder, generate_login_cache_key(session_name) + ".json"))


# -- checks of the surroundings --------------------------------------------------
def _config_file_problem(path):
    """A config file that is missing or cannot be read: nothing else can be checked."""
    if not os.path.exists(path):
        return Finding("config", f"{path} does not exist: there is no profile to check",
                       f"create a profile: {TOOL_NAME} configure --profile NAME --role-arn ARN "
                       "--source-profile NAME (or point AWS_CONFIG_FILE at your config file)")
    try:
        aws_config.read_ini(path)
    except ConfigError as error:
        return Finding("config", str(error), f"make {path} a readable INI file (its owner, mode, syntax)")
    return None


def check_environment(names):
    if names and os.environ.get("AWS_ACCESS_KEY_ID"):
        yield Finding(
            "environment",
            "AWS_ACCESS_KEY_ID is set: the SDKs use it before any profile, so credential_process never runs",
            "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN",
        )


def check_cache_folder():
    from credential_process.cache.files import default_folder
    from credential_process.private_files import UnsafeFolder, check_private_folder

    folder = default_folder()
    if not os.path.lexists(folder):
        return
    try:
        check_private_folder(folder)
    except UnsafeFolder as error:
        yield Finding("cache", f"{error}: the cache is not used", _folder_fix(folder))
        return
    except OSError as error:
        yield Finding("cache", f"{folder} cannot be checked: {error.strerror}", _folder_fix(folder))
        return
    mode = stat.S_IMODE(os.lstat(folder).st_mode)
    if os.name == "posix" and mode & 0o077:
        yield Finding("cache", f"{folder} is open to other users (mode {mode:o})", f"chmod 700 {shlex.quote(folder)}")


def check_keyring(sections):
    """The keyring backend, when a checked profile keeps keys or sessions there."""
    if not any(section.get(PREFIX + "source_keyring") or section.get(PREFIX + "cache") == "keyring"
               for section in sections):
        return
    from credential_process.errors import CredentialProcessError
    from credential_process.os_keyring import backend as keyring_backend

    try:
        keyring_backend.backend()
    except CredentialProcessError as error:
        problem, _, fix = str(error).partition(": install")
        yield Finding("keyring", problem, f"install{fix}" if fix else "see the keyring section of the README")


# -- helpers ----------------------------------------------------------------------
def _is_role_session(profile, name):
    """Whether profile ``name``'s credentials are a role session (botocore's or ours)."""
    section = profile.profiles.get(name, {})
    if any(key in section for key in ROLE_SESSION_KEYS):
        return True
    if not options_module.has_our_keys(section):
        return False
    try:
        return options_module.load(name, profiles=profile.profiles).flow in ASSUMED_ROLE_FLOWS
    except ConfigError:
        return False  # reported with that profile


def _words(line):
    try:
        return shlex.split(line)
    except ValueError:
        return []


def _program_problem(program):
    """Why the SDKs would fail to start ``program``, or None."""
    if "~" in program:
        return (f"credential_process starts with {program!r}: botocore (AWS CLI, boto3) runs the line "
                "without a shell, so ~ is not expanded")
    if not os.path.isabs(program):
        if os.sep in program or "/" in program:
            return (f"credential_process runs the relative path {program!r}: it depends on the "
                    "current folder of whatever runs the SDK")
        if shutil.which(program) is None:
            return f"credential_process runs {program!r}, which is not on PATH"
        return None
    if not (os.path.isfile(program) and os.access(program, os.X_OK)):
        return f"credential_process runs {program}, which does not exist or is not executable"
    return None


def _value_fix(spec):
    if spec.name == "duration_seconds":
        return (f"correct {spec.key}: STS allows {flow_table.duration_ranges()} seconds (for roles at "
                f"most the role's maximum session duration, {CHAINED_MAX_DURATION} when chained)")
    return f"correct {spec.key} ({spec.help})"


def _folder_fix(folder):
    quoted = shlex.quote(folder)
    return (f"remove it (rm -r {quoted}) and let credential-process create it again, "
            f"or point CREDENTIAL_PROCESS_CACHE_DIR at a private folder")


def _where(profile):
    return f"profile {profile.name!r}"
