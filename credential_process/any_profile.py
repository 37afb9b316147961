"""Options for any profile the AWS SDKs can resolve, for the commands a person
runs (export, exec, whoami, eks, login).

A profile with ``credential_process_*`` keys (or flags) is served by this
tool's flows and cache, as by the default command.  Any other profile is
resolved by botocore, as the SDKs would (flows/botocore_profile.py).  The
default command keeps refusing those: an SDK that runs this tool for a
profile without our keys is a loop or a mistake (doctor says which).

Long-term keys are not handed out as they are when a command asks for a
session (``exec`` and ``export`` unless --no-session, as aws-vault does):
the profile is served as GetSessionToken over itself, with its
``mfa_serial`` when it has one, through the regular cache and MFA session.
"""

import os

from credential_process import aws_config, flow_table
from credential_process import options as options_module
from credential_process.errors import ConfigError


def options_for(args, session=False):
    """The options of the profile the command line names (``args.profile`` and
    any ``opt_*`` flags)."""
    name = aws_config.resolve_profile_name(args.profile)
    flags = {spec.name: getattr(args, "opt_" + spec.name, None) for spec in options_module.SPECS}
    return load(name, flags, session)


def load(name, flags=None, session=False):
    path = aws_config.config_path()
    profiles = aws_config.profile_sections(aws_config.read_ini(path))
    given = {key: value for key, value in (flags or {}).items() if value is not None}
    section = profiles.get(name, {})
    # A flag with a config key makes the profile ours, as for the default command;
    # a flag-only one (--mfa-code) does not.
    if options_module.has_our_keys(section) or any(not options_module.SPECS_BY_NAME[key].flag_only for key in given):
        return options_module.load(name, given, profiles)
    stored = credentials_section(name)
    if name not in profiles and stored is None:
        if name == "default" and not (os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")):
            raise ConfigError(options_module.no_profile_named(profiles))
        raise ConfigError(f"profile {name!r} is in neither {path} nor {aws_config.credentials_path()}")
    if session and gives_long_term_keys(section, stored):
        mfa_serial = section.get("mfa_serial")
        session_flags = dict(given, method="get-session-token", source_profile=name)
        if mfa_serial:
            session_flags["mfa_serial"] = mfa_serial
        return options_module.load(name, session_flags, profiles)
    values = {spec.attribute: spec.default for spec in options_module.SPECS}
    # source_profile names the profile itself: what the cache key digests
    # (cache/base_inputs.py) for entries made over it (an EKS token).
    values.update(flow=flow_table.BOTOCORE.name, source_profile=name)
    return options_module.Options(name, path, section, values)


def gives_long_term_keys(section, stored=None):
    """True when botocore resolves the profile to long-term keys, by its own
    provider order (the credentials file's keys first)."""
    if any(section.get(key) for key in ("role_arn", "web_identity_token_file", "sso_session",
                                        "sso_start_url")):
        return False
    if stored and stored.get("aws_access_key_id"):
        return not stored.get("aws_session_token")
    if section.get("login_session") or section.get("credential_process"):
        return False
    return bool(section.get("aws_access_key_id")) and not section.get("aws_session_token")


def credentials_section(name):
    """The profile's section of the credentials file, or None."""
    try:
        stored = aws_config.read_ini(aws_config.credentials_path())
    except ConfigError:
        return None
    return dict(stored.items(name)) if stored.has_section(name) else None
