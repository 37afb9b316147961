"""An AWS credential_process: every STS flow through one locked cache."""

__version__ = "0.1.0"
TOOL_NAME = "credential-process"  # the command, as SDK config lines name it
