"""Write or update one profile's section of the AWS config file."""

import re
import shlex
import sys

from credential_process import aws_config
from credential_process import inifile, stderr
from credential_process.stderr import warn
from credential_process import options as options_module
from credential_process.commands import _flags, own_command
from credential_process.commands._profile import checked_region
from credential_process.errors import ConfigError, NeedsPersonError
from credential_process.flow_table import SOURCE_KEYS

DESCRIPTION = (
    "write or update a profile's section of the AWS config file: its credential_process line and "
    "the credential_process_* keys given as flags (or asked for on the terminal when none is given); "
    "every other line of the file is kept as it is, after a backup"
)
# Asked for interactively, in this order, when the spec exists.
PROMPTED = ("role_arn", "source_profile", "credential_source", "mfa_serial", "duration_seconds",
            "role_session_name", "external_id")
_PROFILE_NAME = re.compile(r"^[^\s\[\]#;]+$")


def add_arguments(parser):
    parser.add_argument("--region", help="the profile's region (botocore's own region key)")
    parser.add_argument("--unset", action="append", default=[], metavar="KEY",
                        help="remove a key: a flag's name (duration-seconds), its "
                             "credential_process_* key, or region; may be repeated")
    _flags.add_flags(parser)


def run(args):
    profile = _profile_name(args.profile)
    path = aws_config.config_path()
    profiles = aws_config.profile_sections(aws_config.read_ini(path))
    current = profiles.get(profile, {})
    given = {spec.name: value.strip() for spec in options_module.SPECS
             for value in [getattr(args, "opt_" + spec.name, None)] if value is not None}
    flag_only = [spec.flag for spec in options_module.SPECS if spec.flag_only and spec.name in given]
    if flag_only:
        raise ConfigError(f"{', '.join(flag_only)} cannot be kept in the config: give it when running the profile")
    unset = [_config_key(name) for name in args.unset]
    if not given and not unset and not args.region:
        given = ask(current)
    # Setting one source of base credentials replaces the other.
    replaced = [options_module.PREFIX + name for name in SOURCE_KEYS
                if name not in given and any(source in given for source in SOURCE_KEYS)]
    updates = {options_module.SPECS_BY_NAME[name].key: value for name, value in given.items()}
    if args.region:
        updates["region"] = checked_region(args.region.strip())
    clash = [key for key in unset if key in updates]
    if clash:
        raise ConfigError(f"{clash[0]} is both set and unset: choose one")
    updates["credential_process"] = command_line(profile)
    removed = replaced + unset
    after = {key: value for key, value in current.items() if key not in removed}
    after.update(updates)
    # Validate the section as it will be, before a byte is written.
    options_module.load(profile, profiles=dict(profiles, **{profile: after}))
    _warn_about_source(after.get(options_module.PREFIX + "source_profile"), profiles)
    backup = inifile.update_section(path, aws_config.section_name(profile), updates,
                                    remove=[key for key in removed if key in current])
    saved = f" (the previous file is in {backup})" if backup else ""
    sys.stdout.write(f"profile {profile!r} written to {path}{saved}\n")
    return 0


def _config_key(name):
    """The config key ``--unset NAME`` means; only keys this command writes."""
    bare = name.strip().lstrip("-").replace("-", "_")
    if bare.startswith(options_module.PREFIX):
        bare = bare[len(options_module.PREFIX):]
    if bare == "region":
        return "region"
    spec = options_module.SPECS_BY_NAME.get(bare)
    if spec is None or spec.flag_only:
        raise ConfigError(f"--unset {name}: not a key configure writes (a credential_process_* key "
                          "without its prefix, such as duration-seconds, or region)")
    return spec.key


def _warn_about_source(source, profiles):
    """A source profile that exists nowhere is written anyway (it may be added next), with a warning."""
    if not source:
        return
    credentials = aws_config.read_ini(aws_config.credentials_path())
    if source.strip() not in profiles and not credentials.has_section(source.strip()):
        warn(f"source profile {source.strip()!r} is in neither {aws_config.config_path()} nor "
             f"{aws_config.credentials_path()} (a typo?): the profile fails until it exists")


def command_line(profile):
    """The credential_process line that serves ``profile`` with this command."""
    return f"{shlex.quote(own_command())} --profile {shlex.quote(profile)}"


def ask(current):
    """Ask on the terminal for the prompted keys; an empty answer keeps the current value."""
    if not sys.stdin.isatty():
        raise NeedsPersonError(
            "configure needs the keys as flags (e.g. --role-arn ARN --source-profile NAME), "
            "or a terminal to ask for them"
        )
    answers = {}
    for name in PROMPTED:
        spec = options_module.SPECS_BY_NAME.get(name)
        if spec is not None:
            answer = _ask_one(spec, current.get(spec.key))
            if answer:
                answers[name] = answer
    return answers


def _ask_one(spec, current):
    shown = f" [{current}]" if current else ""
    while True:
        stderr.write(f"{spec.key} ({spec.help}){shown}: ")
        line = sys.stdin.readline()
        if not line:
            raise ConfigError("no answer (end of input): nothing written")
        answer = line.strip()
        if not answer:
            return None
        try:
            spec.parse(answer, spec.key)
        except ConfigError as error:
            stderr.write(f"  {error}\n")
            continue
        return answer


def _profile_name(requested):
    if not requested:
        raise ConfigError("configure needs --profile NAME")
    if not _PROFILE_NAME.match(requested):
        raise ConfigError(f"{requested!r} cannot be a profile name: no spaces, brackets, # or ;")
    return requested
