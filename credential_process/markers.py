"""The environment variables this tool sets for the processes it starts
(a background refresher, a source profile resolved through botocore, the
command of ``exec``), and what they tell the process that finds them.

Standard library only: read on the cache-hit path.
"""

import json
import os

# The profiles being served by this tool's ancestors, carried into the
# children that resolve credentials, so a loop through botocore or another
# process is seen as a loop.
CHAIN_VARIABLE = "CREDENTIAL_PROCESS_CHAIN"


def inherited_chain():
    try:
        chain = json.loads(os.environ.get(CHAIN_VARIABLE, "[]"))
    except ValueError:
        return []
    return [name for name in chain if isinstance(name, str)] if isinstance(chain, list) else []


# Set in a refresher's environment: the key of the entry it renews.  Its mere
# presence also stops that process from starting refreshers of its own.
REFRESH_VARIABLE = "CREDENTIAL_PROCESS_REFRESHING"


def in_background_refresh():
    """True in a refresher: nobody is there to type a code or log in."""
    return REFRESH_VARIABLE in os.environ
