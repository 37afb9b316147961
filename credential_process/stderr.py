"""Everything this tool says on stderr goes through here: one line each,
behind the tool's name, so that an SDK that shows our stderr on failure
(botocore, the Go SDK) shows who is speaking.

Never stdout: that is the credential_process answer (or a command's output).
Standard library only: the cache-hit path may warn about an unsafe cache.
"""

import sys

from credential_process import TOOL_NAME


def notice(message):
    """A remark or an error (the SDK shows it only on failure; a terminal user sees it)."""
    sys.stderr.write(f"{TOOL_NAME}: {message}\n")


def warn(message):
    """Something went wrong that we work around (a cache not written, a lock not taken)."""
    notice(f"warning: {message}")


def write(text):
    """Text as it is: a question asked on stderr, a --debug traceback."""
    sys.stderr.write(text)
    sys.stderr.flush()
