"""One module per subcommand: ``DESCRIPTION``, ``add_arguments(parser)`` and
``run(args)``, which returns the exit code."""

import os
import sys

TOOL_NAME = "credential-process"


def own_command():
    """The absolute path of this command, for config lines that run it again.

    The path as run (a venv's or pipx's bin/ entry) rather than its resolved
    target, so that the line survives upgrades that move the target.
    """
    ran_as = sys.argv[0]
    if os.path.basename(ran_as) == TOOL_NAME and os.path.isfile(ran_as):
        return os.path.abspath(ran_as)
    import shutil

    found = shutil.which(TOOL_NAME)
    if found:
        return os.path.abspath(found)
    from credential_process.errors import ConfigError

    raise ConfigError(f"cannot tell where the {TOOL_NAME} command is installed: put it on PATH")
