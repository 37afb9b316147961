"""A profile's ``credential_process_*`` keys, read and validated into one object.

Every key has a command-line flag that overrides it: the key without its
prefix, ``_`` turned into ``-`` (``credential_process_role_arn`` is
``--role-arn``).  This module is on the cache-hit path: standard library only.
"""

import json
import os
import re

from credential_process import flow_table
from credential_process.aws_config import config_path, profile_sections, read_ini, resolve_profile_name
from credential_process.durations import duration as _duration
from credential_process.durations import format_duration
from credential_process.errors import ConfigError, one_line

PREFIX = "credential_process_"
DEFAULT_REGION = "us-east-1"
MAX_VALUE_LENGTH = 64 * 1024  # no option has a reason to be longer

_NAME_CHARS = re.compile(r"^[\w+=,.@-]*$")
# The account is digits, or "aws" for AWS managed policies (arn:aws:iam::aws:policy/...).
_ARN = re.compile(r"^arn:aws[\w-]*:[\w-]+:[\w-]*:(?:\d*|aws):\S+$")


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

    parse.choices = allowed  # for --help and shell completion (commands/_flags.py)
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


_MFA_SERIAL = re.compile(r"^[\w+=/:,.@-]{9,256}$")
MFA_CODE = re.compile(r"^\d{6}$")  # what every MFA device shows


def _mfa_serial(value, key):
    if not _MFA_SERIAL.match(value):
        raise ConfigError(f"{key} must be an MFA device ARN or serial number, not {value!r}")
    return value


def _mfa_code(value, key):
    if not MFA_CODE.match(value):
        raise ConfigError(f"{key} must be the 6 digits the MFA device shows")
    return value


def _account_id(value, key):
    if not re.match(r"^\d{12}$", value):
        raise ConfigError(f"{key} must be a 12-digit AWS account ID, not {value!r}")
    return value


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
    except RecursionError:  # json's parser recurses per nesting level
        raise ConfigError(f"{key} is nested too deeply to be a policy document") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{key} must be a JSON object (a policy document)")
    # Normalised so that formatting changes do not split the cache.
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


class Spec:
    """One ``credential_process_*`` key."""

    __slots__ = ("name", "parse", "default", "help", "affects_answer", "flag_only", "attribute")

    def __init__(self, name, parse, default, help, affects_answer=True, flag_only=False, attribute=None):
        self.name = name
        # The Options attribute holding the value: the name, but for credential_process_method,
        # which users write as they always have and the code calls the flow.
        self.attribute = attribute or name
        self.parse = parse
        self.default = default
        self.help = help
        # False for keys that change how we work, not which credentials STS returns.
        self.affects_answer = affects_answer
        # True for command-line flags that have no config key (--mfa-code).
        self.flag_only = flag_only

    @property
    def key(self):
        return PREFIX + self.name

    @property
    def flag(self):
        return "--" + self.name.replace("_", "-")


MIN_DURATION = flow_table.MIN_DURATION

SPECS = (
    Spec("method", _choice(*flow_table.NAMES), None,
         "the STS flow; inferred from the other keys when absent", attribute="flow"),
    Spec("role_arn", _arn, None, "the role to assume"),
    Spec("role_session_name", _name(2, 64), None,
         "the session name (default: derived from the user and host)"),
    Spec("external_id", _name(2, 1224), None, "the external ID the role's trust policy asks for"),
    # Checked against the flow's own range once the flow is known (_check_duration).
    Spec("duration_seconds", _duration(0, float("inf")), None,
         f"session length: seconds, or 90m, 1h, 12h, 1h30m ({flow_table.duration_ranges()})"),
    Spec("policy", _policy_json, None, "an inline session policy (JSON)"),
    Spec("policy_file", _text, None, "a file holding an inline session policy (JSON)"),
    Spec("policy_arns", _arn_list, (), "managed session policies, comma-separated ARNs"),
    Spec("tags", _tags, (), "session tags: key=value,key2=value2"),
    Spec("transitive_tag_keys", _comma_list, (), "tag keys passed on to chained roles"),
    Spec("source_identity", _name(2, 64), None, "the source identity to set"),
    Spec("source_profile", _text, None, "the profile whose credentials call STS"),
    Spec("credential_source", _choice("Environment", "Ec2InstanceMetadata", "EcsContainer"),
         None, "where the base credentials come from, instead of a source profile"),
    Spec("mfa_serial", _mfa_serial, None, "the MFA device (its ARN, or a hardware serial number)"),
    Spec("mfa_session_duration", _duration(MIN_DURATION, flow_table.BY_NAME["get-session-token"].max_duration), None,
         "length of the MFA session shared by role profiles (default 43200)"),
    Spec("mfa_process", _text, None,
         "a shell command that prints the MFA code", affects_answer=False),
    Spec("mfa_prompt", _choice("auto", "terminal", "dialog", "none"), "auto",
         "where to ask for the MFA code when there is no mfa_process", affects_answer=False),
    Spec("mfa_code", _mfa_code, None, "the current MFA code (a flag only)",
         affects_answer=False, flag_only=True),
    Spec("saml_assertion_process", _text, None,
         "a shell command that prints the base64 SAMLResponse"),
    Spec("saml_assertion_file", _text, None, "a file holding the base64 SAMLResponse"),
    Spec("principal_arn", _arn, None,
         "the SAML provider (default: the one paired with the role in the assertion)"),
    Spec("web_identity_token_file", _text, None,
         "a file holding the OIDC token (read again at every refresh)"),
    Spec("web_identity_token_process", _text, None, "a shell command that prints the OIDC token"),
    Spec("provider_id", _name(4, 2048), None,
         "the OAuth 2.0 provider of the web identity token (www.amazon.com, graph.facebook.com)"),
    Spec("federation_name", _name(2, 32), None, "the federated user's name (get-federation-token)"),
    Spec("source_keyring", _name(1, 64), None,
         "the name of keys stored with 'credential-process keys add' to use as base credentials"),
    # IAM Identity Center (flows/sso.py, sso/)
    Spec("sso_session", _name(1, 256), None,
         "the [sso-session NAME] section to sign in with (IAM Identity Center)"),
    Spec("sso_account_id", _account_id, None, "the AWS account of the IAM Identity Center role"),
    Spec("sso_role_name", _name(1, 64), None, "the IAM Identity Center role (permission set) name"),
    # No default here: a flow-specific key with a value would count as set for every flow.
    Spec("sso_token_store", _choice("file", "keyring"), None,
         "where the sign-in token is kept: file (default; the AWS CLI's, shared with it) or keyring "
         "(not shared)", affects_answer=False),
    # Another tool's credential_process (flows/process.py)
    Spec("command", _text, None,
         "a shell command that prints credential_process JSON (another tool's credential_process)"),
    Spec("command_interactive", _boolean, True,
         "whether credential_process_command may need a person (false: it may run in a "
         "background refresh)", affects_answer=False),
    Spec("cache", _choice("file", "keyring", "none"), "file", "where sessions are cached",
         affects_answer=False),
    Spec("lock_timeout", _duration(1, 3600), 55, "seconds to wait for another process's refresh",
         affects_answer=False),
    Spec("refresh_margin", _duration(0, 43200), 1200,
         "refresh when fewer seconds than this remain (capped at a third of the session)",
         affects_answer=False),
    Spec("background_refresh", _boolean, True,
         "when a served session nears its refresh margin, renew it in a detached process",
         affects_answer=False),
)

SPECS_BY_NAME = {spec.name: spec for spec in SPECS}


class Options:
    """The validated options of one profile; attribute names are the spec names."""

    def __init__(self, profile, config_path, section, values, flags=None):
        self.profile = profile
        self.config_path = config_path
        self.section = section  # the profile's whole section, for region and endpoints
        # {spec name: raw text} given on the command line; a background refresh replays them
        self.flags = dict(flags or {})
        for attribute, value in values.items():
            setattr(self, attribute, value)

    @property
    def region(self):
        """The region STS is asked in: AWS_REGION, then botocore's own order
        (AWS_DEFAULT_REGION, the profile's region), then us-east-1."""
        return (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                or self.section.get("region") or DEFAULT_REGION)

    def replace(self, **changes):
        """A copy with some values changed (e.g. another role on top of this profile)."""
        values = {spec.attribute: getattr(self, spec.attribute) for spec in SPECS}
        values.update(changes)
        return Options(self.profile, self.config_path, self.section, values)

    def answer_inputs(self):
        """Everything in these options that changes which credentials STS returns."""
        # Keyed by key name ("method", not "flow"): the cache keys of entries on disk stay the same.
        return {spec.name: getattr(self, spec.attribute) for spec in SPECS if spec.affects_answer}




def has_our_keys(section):
    """True when a profile's section sets any credential_process_* key."""
    return any(key.startswith(PREFIX) for key in section or {})


def from_args(args):
    """Options for the profile named on the command line, its flags over the file's keys."""
    flags = {spec.name: getattr(args, "opt_" + spec.name, None) for spec in SPECS}
    name = resolve_profile_name(args.profile)
    if name == "default" and args.profile is None and not any(value is not None for value in flags.values()):
        profiles = profile_sections(read_ini(config_path()))
        if "default" not in profiles:
            raise ConfigError(no_profile_named(profiles))
        return load(name, flags, profiles)
    return load(name, flags)


def no_profile_named(profiles):
    """The error when nothing names a profile and there is no [default] to fall back on."""
    names = ", ".join(sorted(profiles)) or "none"
    return (f"no profile named: give --profile NAME (or set AWS_PROFILE); there is no [default] "
            f"in {config_path()}. Profiles there: {names}")


def load(name, flags=None, profiles=None):
    """Options of profile ``name``; ``flags`` ({spec name: raw text}) override its keys."""
    path = config_path()
    if profiles is None:
        profiles = profile_sections(read_ini(path))
    given = {key: value for key, value in (flags or {}).items() if value is not None}
    if name not in profiles and not given:
        raise ConfigError(f"profile {name!r} is not in {path}")
    section = profiles.get(name, {})
    keyed_flags = [key for key in given if not SPECS_BY_NAME[key].flag_only]
    if not keyed_flags and not has_our_keys(section):
        raise ConfigError(
            f"profile {name!r} sets no {PREFIX}role_arn nor any other {PREFIX}* key: this tool "
            f"does not read botocore's own keys (role_arn, source_profile, ...); prefix them with {PREFIX} "
            "(export, exec, whoami, eks and login take such a profile as botocore resolves it)"
        )
    values = {}
    for spec in SPECS:
        if spec.name in given:  # an error names what the user typed: the flag, not a key
            values[spec.name] = _parse(spec, given[spec.name], name, spec.flag)
        else:
            raw = None if spec.flag_only else section.get(spec.key)
            values[spec.name] = spec.default if raw is None else _parse(spec, raw, name)
    for group in EXCLUSIVE_KEYS:
        _check_at_most_one(values, group, name)
    values["method"], chosen_by = choose_flow(values)
    if values["method"] == "assume-role-with-web-identity":
        _web_identity_defaults(values, name)
    _check_keys_fit_flow(values, chosen_by, name)
    _check_required(values, name)
    _check_duration(values, name, str(given.get("duration_seconds", section.get(PREFIX + "duration_seconds"))))
    if values["policy_file"] is not None:
        if values["policy"] is not None:
            raise ConfigError(f"profile {name!r} sets both {PREFIX}policy and {PREFIX}policy_file")
        values["policy"] = _parse(SPECS_BY_NAME["policy"], _read_policy_file(values["policy_file"]), name)
    attributes = {SPECS_BY_NAME[spec_name].attribute: value for spec_name, value in values.items()}
    return Options(name, path, section, attributes, flags=given)


def choose_flow(values):
    """(flow, the spec name that chose it: "method", a marker key, or None).

    From the profile's own keys only, never the environment: inside an EKS pod
    AWS_WEB_IDENTITY_TOKEN_FILE is set for every process."""
    if values.get("method"):
        return values["method"], "method"
    return flow_table.infer(values)


# Keys that only some flows read; setting one for another flow contradicts the
# key that chose the flow.  Keys no flow lists apply to every flow.
FLOWS_OF_KEY = flow_table.flows_of_key()

# Groups of keys of which at most one may be set.
EXCLUSIVE_KEYS = (
    flow_table.SOURCE_KEYS,
    ("policy", "policy_file"),
    ("saml_assertion_process", "saml_assertion_file"),
    ("web_identity_token_file", "web_identity_token_process"),
)


def _check_at_most_one(values, names, profile):
    given = [PREFIX + name for name in names if values.get(name)]
    if len(given) > 1:
        raise ConfigError(f"profile {profile!r} sets {' and '.join(given)}: choose one")


def _check_keys_fit_flow(values, chosen_by, profile):
    flow = values["method"]
    for name, flows in FLOWS_OF_KEY.items():
        if values.get(name) and flow not in flows:
            reason = f"{PREFIX}{chosen_by} chooses {flow}" if chosen_by else f"the flow is {flow}"
            raise ConfigError(
                f"profile {profile!r} sets {PREFIX}{name}, which contradicts {PREFIX}"
                f"{chosen_by or 'method'} ({reason}; {PREFIX}{name} is for {' or '.join(flows)})"
            )


def _check_required(values, profile):
    flow = values["method"]
    for group in flow_table.BY_NAME[flow].required:
        if not any(values.get(name) for name in group):
            missing = " or ".join(PREFIX + name for name in group)
            raise ConfigError(f"profile {profile!r} uses {flow} but sets no {missing}")


def _check_duration(values, profile, raw):
    duration, flow = values["duration_seconds"], values["method"]
    longest = flow_table.BY_NAME[flow].max_duration
    if duration is not None and not MIN_DURATION <= duration <= longest:
        raise ConfigError(
            f"{PREFIX}duration_seconds of profile {profile!r} must be between "
            f"{format_duration(MIN_DURATION, raw)} and {format_duration(longest, raw)} "
            f"for {flow}, not {raw.strip()}"
        )


def _web_identity_defaults(values, profile):
    """The standard variables, as defaults, for a profile that is web identity by its own keys."""
    defaults = (
        ("web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE"),
        ("role_arn", "AWS_ROLE_ARN"),
        ("role_session_name", "AWS_ROLE_SESSION_NAME"),
    )
    for name, variable in defaults:
        if name == "web_identity_token_file" and values["web_identity_token_process"]:
            continue
        raw = os.environ.get(variable)
        if not values[name] and raw:
            values[name] = _parse(SPECS_BY_NAME[name], raw, profile)


def _parse(spec, raw, profile, name=None):
    """``name``: what the value is called in errors (the flag when it came from one)."""
    name = name or spec.key
    if len(raw) > MAX_VALUE_LENGTH:
        raise ConfigError(f"{name} of profile {profile!r} is longer than {MAX_VALUE_LENGTH} characters")
    if any(ord(char) < 32 and char not in "\t\n" for char in raw):
        raise ConfigError(f"{name} of profile {profile!r} contains control characters")
    return spec.parse(raw.strip(), name)


def _read_policy_file(path):
    try:
        with open(os.path.expanduser(path), encoding="utf-8") as handle:
            return handle.read(MAX_VALUE_LENGTH + 1)
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {PREFIX}policy_file {path}: {one_line(error)}") from None
