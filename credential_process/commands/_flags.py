"""The flags of the commands that serve a profile: --profile and one flag per
credential_process_* key (options.SPECS), grouped in --help by what they are
about.  The flags few people type (a flow's own keys, session details) are left
out of --help and its usage line; --help-all lists every one.
"""

import argparse

from credential_process import options as options_module

# (group title, spec names); a spec in no group is listed by --help-all only.
GROUPS = (
    ("profile", ("method", "role_arn", "source_profile", "credential_source", "source_keyring")),
    ("session", ("duration_seconds", "role_session_name", "external_id", "policy", "policy_arns", "tags")),
    ("MFA", ("mfa_serial", "mfa_code", "mfa_process", "mfa_prompt", "mfa_session_duration")),
    ("cache", ("cache", "lock_timeout", "refresh_margin", "background_refresh")),
)
_HIDDEN_HELP = "_credential_process_help"  # where a hidden flag keeps its help text


def add_flags(parser):
    """Add --profile and one flag per key to an argparse parser."""
    grouped = {name: title for title, names in GROUPS for name in names}
    groups = {title: parser.add_argument_group(f"{title} options") for title, _ in GROUPS}
    groups["profile"].add_argument("--profile",
                                   help="the profile to serve (default: $AWS_PROFILE, else default)")
    other = parser.add_argument_group(
        "other options (keys of one flow: SAML, web identity, SSO, federation; session details)")
    for spec in options_module.SPECS:
        choices = getattr(spec.parse, "choices", None)
        action = (groups[grouped[spec.name]] if spec.name in grouped else other).add_argument(
            spec.flag, dest="opt_" + spec.name, metavar="{" + ",".join(choices) + "}" if choices else "VALUE",
            help=spec.help)
        action.completion_values = choices  # commands/completion.py offers them
        if spec.name not in grouped:
            setattr(action, _HIDDEN_HELP, action.help)
            action.help = argparse.SUPPRESS
    parser.add_argument("--help-all", action=_HelpAll, nargs=0, dest=argparse.SUPPRESS,
                        default=argparse.SUPPRESS,
                        help="show this help with every flag (each credential_process_* key has one)")


class _HelpAll(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        for action in parser._actions:
            if hasattr(action, _HIDDEN_HELP):
                action.help = getattr(action, _HIDDEN_HELP)
        parser.print_help()
        parser.exit()
