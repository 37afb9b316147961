"""The AWS config and credentials files, read as botocore reads them.

This module is on the cache-hit path: standard library only.
"""

import configparser
import os

# The files' paths are inputs of every answer: defined once, with the others.
from credential_process.call_inputs import config_path, credentials_path  # noqa: F401 (part of this API)
from credential_process.errors import ConfigError, one_line


def read_ini(path):
    """Parse an AWS INI file the way botocore does; a missing file is empty."""
    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError, configparser.Error) as error:
        raise ConfigError(f"cannot read {path}: {one_line(error)}") from None
    return parser


def profile_sections(parser):
    """{profile name: {key: value}} from a config file, as botocore maps them."""
    profiles = {}
    for section in parser.sections():
        if section == "default":
            profiles.setdefault("default", dict(parser.items(section)))
        elif section.startswith("profile "):
            profiles[section[len("profile "):].strip()] = dict(parser.items(section))
    return profiles


def section_name(profile):
    """The config file's section for a profile: [default] or [profile NAME]."""
    return "default" if profile == "default" else f"profile {profile}"


def resolve_profile_name(requested):
    """--profile, else AWS_PROFILE, else AWS_DEFAULT_PROFILE, else default.

    An empty --profile is a mistake (a variable that expanded to nothing), not
    a request for the default profile.  An empty AWS_PROFILE counts as unset,
    as the Go and JS SDKs read it (botocore refuses it before it would run us)."""
    if requested is not None and not requested.strip():
        raise ConfigError("--profile is empty: name the profile to serve (or leave --profile out for "
                          "$AWS_PROFILE, else default)")
    return requested or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE") or "default"
