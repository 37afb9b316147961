"""exec: run a command with the profile's credentials in its environment."""

import argparse
import os
import signal
import subprocess

from credential_process import aws_config
from credential_process.commands import _profile
from credential_process.errors import ConfigError
from credential_process.markers import CHAIN_VARIABLE
from credential_process.output import container_json, environment_variables
from credential_process.resolver import get_entry
from credential_process.dependents import CREDENTIAL_KEYS
from credential_process.stderr import notice, warn

DESCRIPTION = (
    "run COMMAND with the profile's credentials in its environment:\n"
    "  credential-process exec dev -- terraform plan     (or exec --profile dev -- ...)\n"
    "  credential-process exec dev                       (a shell: $SHELL, with the credentials)\n"
    "With --server the credentials come from a private endpoint on 127.0.0.1 that the\n"
    "child's SDK asks again whenever they near expiry: for commands that outlive them."
)
# Set in the child: the profile its credentials belong to.
MARKER = "CREDENTIAL_PROCESS_EXEC_PROFILE"
# Also set in the child, for shell prompts (as aws-vault's AWS_VAULT).
PROFILE_MARKER = "CREDENTIAL_PROCESS_PROFILE"
# Would send the child's SDK back into a profile, or through our loop guard.
PROFILE_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", CHAIN_VARIABLE)
# Credential sources an SDK tries before the container endpoint.
COMPETING_VARIABLES = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)
FORWARDED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def add_arguments(parser):
    parser.add_argument("--server", action="store_true",
                        help="serve the credentials from a local endpoint (refreshed as needed) "
                             "instead of fixed variables")
    parser.add_argument("--allow-nested", action="store_true",
                        help="run even inside an exec of another profile")
    _profile.add_session_flag(parser)
    _profile.add_region(parser)
    _profile.add_arguments(parser)
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="[PROFILE] [-- COMMAND [ARGS ...]]")
    parser.set_defaults(parser=parser)


def run(args):
    command = split_command(args)
    if not command:  # exec dev: an interactive shell with the credentials
        command = [os.environ.get("SHELL") or "/bin/sh"]
    _profile.apply_region(args)
    refuse_nesting(aws_config.resolve_profile_name(args.profile), args.allow_nested)
    # fails before anything starts when there are no credentials
    options, entry = _profile.resolve_any(args, session=not args.no_session)
    env = child_environment(os.environ, options.profile)
    if not args.server:
        env.update(environment_variables(entry["credentials"], _profile.region(options)))
        return run_child(command, env)
    from credential_process.container_server import CredentialsServer

    warn_about_default_profile()
    _set_region(env, _profile.region(options))
    with CredentialsServer(lambda: container_json(get_entry(options)["credentials"])) as server:
        for name in COMPETING_VARIABLES:
            env.pop(name, None)
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = server.token
        return run_child(command, env)


def split_command(args):
    """The command to run, after taking the profile from its front when --profile is absent.

    ``exec dev -- cmd`` and ``exec dev cmd`` name the profile first; ``exec -- cmd``
    (AWS_PROFILE) and ``exec --profile dev -- cmd`` do not.  argparse puts every word
    after the first positional into the command, so flags written after the profile
    (``exec dev --server -- cmd``) are parsed again here."""
    words = list(args.command)
    if args.profile is None and words and words[0] != "--":
        _profile.take_positional(args, words.pop(0))
        cut = words.index("--") if "--" in words else len(words)
        if any(word.startswith("-") for word in words[:cut]):
            rest, args.command = words[cut:], []
            args.parser.parse_args(words[:cut], namespace=args)
            words = args.command + rest
    return words[1:] if words[:1] == ["--"] else words


def refuse_nesting(profile, allowed):
    outer = os.environ.get(MARKER)
    if outer and outer != profile and not allowed:
        raise ConfigError(
            f"already inside 'credential-process exec' for profile {outer!r}; "
            f"running profile {profile!r} inside it mixes two identities (use --allow-nested if meant)"
        )


def child_environment(environ, profile):
    env = {name: value for name, value in environ.items() if name not in PROFILE_VARIABLES}
    env[MARKER] = env[PROFILE_MARKER] = profile
    return env


def _set_region(env, region):
    if region:
        env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = region


def warn_about_default_profile():
    """SDKs try the default profile before the container endpoint: say when it would win."""
    for path in (aws_config.config_path(), aws_config.credentials_path()):
        try:
            section = aws_config.profile_sections(aws_config.read_ini(path)).get("default", {})
        except ConfigError:
            continue
        found = [key for key in CREDENTIAL_KEYS if section.get(key)]  # the default profile's own
        if found:
            warn(f"[default] in {path} sets {', '.join(found)}: the child's "
                 "SDK will use those credentials, not the endpoint of exec --server")


def run_child(command, env):
    """Run the command, forwarding signals; its exit code (128+N when killed by signal N)."""
    child = None
    pending = []

    def forward(signum, frame):
        if child is None:
            pending.append(signum)
        elif child.poll() is None:
            child.send_signal(signum)

    previous = {signum: signal.signal(signum, forward) for signum in FORWARDED_SIGNALS}
    try:
        try:
            child = subprocess.Popen(command, env=env)
        except OSError as error:
            # The shells' codes: 127 not found, 126 found but not runnable.
            notice(f"cannot run {command[0]}: {error.strerror}")
            return 127 if isinstance(error, FileNotFoundError) else 126
        for signum in pending:
            child.send_signal(signum)
        code = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - code if code < 0 else code
