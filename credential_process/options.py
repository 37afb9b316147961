"""A profile's ``credential_process_*`` keys, read and validated into one object.

Every key has a command-line flag that overrides it: the key without its
prefix, ``_`` turned into ``-`` (``credential_process_role_arn`` is
``--role-arn``).  This module is on the cache-hit path: standard library only.
"""

import configparser
import json
import os
import re

from credential_process.errors import ConfigError

PREFIX = "credential_process_"
MAX_VALUE_LENGTH = 64 * 1024  # no option has a reason to be longer

_NAME_CHARS = re.compile(r"^[\w+=,.@-]*$")
_ARN = re.compile(r"^arn:aws[\w-]*:[\w-]+:[\w-]*:\d*:\S+$")


# -- value parsers: each takes the raw text and the key name, returns the value
def _text(value, key):
    return value


def _arn(value, key):
    if not _ARN.match(value):
        raise ConfigError(f"{key} is not an ARN: {value!r}")
    return value


def _choice(*allowed):
    def parse(value, key):
        if value not in allowed:
            raise ConfigError(f"{key} must be one of {', '.join(allowed)}, not {value!r}")
        return value

    return parse


def _integer(low, high):
    def parse(value, key):
        try:
            number = int(value.strip())
        except ValueError:
            raise ConfigError(f"{key} must be a whole number of seconds, not {value!r}") from None
        if not low <= number <= high:
            raise ConfigError(f"{key} must be between {low} and {high}, not {number}")
        return number

    return parse


def _boolean(value, key):
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "1", "on"):
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    raise ConfigError(f"{key} must be true or false, not {value!r}")


def _name(low, high):
    """An STS name (session name, source identity): low..high of [\\w+=,.@-]."""

    def parse(value, key):
        if not (low <= len(value) <= high and _NAME_CHARS.match(value)):
            raise ConfigError(
                f"{key} must be {low} to {high} characters of letters, digits and +=,.@_-"
            )
        return value

    return parse


def _comma_list(value, key):
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _arn_list(value, key):
    return tuple(_arn(item, key) for item in _comma_list(value, key))


def _tags(value, key):
    tags = []
    for item in _comma_list(value, key):
        name, equals, tag_value = item.partition("=")
        if not equals or not name.strip():
            raise ConfigError(f"{key} must look like key=value,key2=value2; {item!r} does not")
        tags.append((name.strip(), tag_value.strip()))
    return tuple(tags)


def _policy_json(value, key):
    try:
        document = json.loads(value)
    except ValueError as error:
        raise ConfigError(f"{key} is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{key} must be a JSON object (a policy document)")
    # Normalised so that formatting changes do not split the cache.
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


class Spec:
    """One ``credential_process_*`` key."""

    __slots__ = ("name", "parse", "default", "help", "affects_answer")

    def __init__(self, name, parse, default, help, affects_answer=True):
        self.name = name
        self.parse = parse
        self.default = default
        self.help = help
        # False for keys that change how we work, not which credentials STS returns.
        self.affects_answer = affects_answer

    @property
    def key(self):
        return PREFIX + self.name

    @property
    def flag(self):
        return "--" + self.name.replace("_", "-")


SPECS = (
    Spec("method", _choice("assume-role"), None,
         "the STS flow; inferred from the other keys when absent"),
    Spec("role_arn", _arn, None, "the role to assume"),
    Spec("role_session_name", _name(2, 64), None,
         "the session name (default: derived from the user and host)"),
    Spec("external_id", _name(2, 1224), None, "the external ID the role's trust policy asks for"),
    Spec("duration_seconds", _integer(900, 43200), None, "session length in seconds"),
    Spec("policy", _policy_json, None, "an inline session policy (JSON)"),
    Spec("policy_file", _text, None, "a file holding an inline session policy (JSON)"),
    Spec("policy_arns", _arn_list, (), "managed session policies, comma-separated ARNs"),
    Spec("tags", _tags, (), "session tags: key=value,key2=value2"),
    Spec("transitive_tag_keys", _comma_list, (), "tag keys passed on to chained roles"),
    Spec("source_identity", _name(2, 64), None, "the source identity to set"),
    Spec("source_profile", _text, None, "the profile whose credentials call STS"),
    Spec("credential_source", _choice("Environment", "Ec2InstanceMetadata", "EcsContainer"),
         None, "where the base credentials come from, instead of a source profile"),
    Spec("source_keyring", _name(1, 64), None,
         "the name of keys stored with 'credential-process keys add' to use as base credentials"),
    Spec("cache", _choice("file", "keyring", "none"), "file", "where sessions are cached",
         affects_answer=False),
    Spec("lock_timeout", _integer(1, 3600), 55, "seconds to wait for another process's refresh",
         affects_answer=False),
    Spec("refresh_margin", _integer(0, 43200), 1200,
         "refresh when fewer seconds than this remain (capped at a third of the session)",
         affects_answer=False),
)

SPECS_BY_NAME = {spec.name: spec for spec in SPECS}


class Options:
    """The validated options of one profile; attribute names are the spec names."""

    def __init__(self, profile, config_path, section, values):
        self.profile = profile
        self.config_path = config_path
        self.section = section  # the profile's whole section, for region and endpoints
        for name, value in values.items():
            setattr(self, name, value)

    def answer_inputs(self):
        """Everything in these options that changes which credentials STS returns."""
        return {spec.name: getattr(self, spec.name) for spec in SPECS if spec.affects_answer}


def add_flags(parser):
    """Add --profile and one flag per key to an argparse parser."""
    parser.add_argument("--profile", help="the profile to serve (default: $AWS_PROFILE, else default)")
    for spec in SPECS:
        parser.add_argument(spec.flag, dest="opt_" + spec.name, metavar="VALUE", help=spec.help)


def config_path():
    return os.path.expanduser(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config")


def credentials_path():
    return os.path.expanduser(os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials")


def read_ini(path):
    """Parse an AWS INI file the way botocore does; a missing file is empty."""
    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError, configparser.Error) as error:
        raise ConfigError(f"cannot read {path}: {_one_line(error)}") from None
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


def resolve_profile_name(requested):
    return requested or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE") or "default"


def from_args(args):
    """Options for the profile named on the command line, its flags over the file's keys."""
    flags = {spec.name: getattr(args, "opt_" + spec.name, None) for spec in SPECS}
    return load(resolve_profile_name(args.profile), flags)


def load(name, flags=None, profiles=None):
    """Options of profile ``name``; ``flags`` ({spec name: raw text}) override its keys."""
    path = config_path()
    if profiles is None:
        profiles = profile_sections(read_ini(path))
    given = {key: value for key, value in (flags or {}).items() if value is not None}
    if name not in profiles and not given:
        raise ConfigError(f"profile {name!r} is not in {path}")
    section = profiles.get(name, {})
    values = {}
    for spec in SPECS:
        raw = given.get(spec.name, section.get(spec.key))
        values[spec.name] = spec.default if raw is None else _parse(spec, raw, name)
    values["method"] = values["method"] or infer_method(values)
    _check_one_source(values, name)
    if values["policy_file"] is not None:
        if values["policy"] is not None:
            raise ConfigError(f"profile {name!r} sets both {PREFIX}policy and {PREFIX}policy_file")
        values["policy"] = _parse(SPECS_BY_NAME["policy"], _read_policy_file(values["policy_file"]), name)
    return Options(name, path, section, values)


def infer_method(values):
    """The flow a profile asks for, from its own keys only (never the environment)."""
    if values["role_arn"]:
        return "assume-role"
    raise ConfigError(f"the profile sets no {PREFIX}role_arn: nothing to assume")


# Where base credentials come from: at most one may be set.
SOURCE_KEYS = ("source_profile", "credential_source", "source_keyring")


def _check_one_source(values, profile):
    given = [PREFIX + name for name in SOURCE_KEYS if values.get(name)]
    if len(given) > 1:
        raise ConfigError(f"profile {profile!r} sets {' and '.join(given)}: choose one")


def _parse(spec, raw, profile):
    if len(raw) > MAX_VALUE_LENGTH:
        raise ConfigError(f"{spec.key} of profile {profile!r} is longer than {MAX_VALUE_LENGTH} characters")
    if any(ord(char) < 32 and char not in "\t\n" for char in raw):
        raise ConfigError(f"{spec.key} of profile {profile!r} contains control characters")
    return spec.parse(raw.strip(), spec.key)


def _read_policy_file(path):
    try:
        with open(os.path.expanduser(path), encoding="utf-8") as handle:
            return handle.read(MAX_VALUE_LENGTH + 1)
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {PREFIX}policy_file {path}: {_one_line(error)}") from None


def _one_line(error):
    return " ".join(str(error).split())
