"""Exception types; each carries the exit code the process ends with.

0 success, 1 AWS refused or could not be reached, 2 configuration or usage,
3 a person is needed but cannot be asked.
"""

import re

EXIT_OK = 0
EXIT_AWS = 1
EXIT_CONFIG = 2
EXIT_NEEDS_PERSON = 3


class CredentialProcessError(Exception):
    exit_code = EXIT_AWS


class AwsError(CredentialProcessError):
    """STS refused the request, or could not be reached."""

    exit_code = EXIT_AWS


class ConfigError(CredentialProcessError):
    """The configuration or the command line is wrong."""

    exit_code = EXIT_CONFIG


class NeedsPersonError(CredentialProcessError):
    """Only a person can go on (type a code, log in again, unlock a keyring)."""

    exit_code = EXIT_NEEDS_PERSON


# Secret access keys are 40 characters of base64; session tokens and SAML
# assertions are longer runs of the same alphabet.  Nothing else we print is.
_SECRET_LOOKING = re.compile(r"[A-Za-z0-9/+=_-]{40,}")


# ...except long config key names (credential_process_web_identity_token_file),
# which are lowercase words and underscores, as no secret is, and environment
# variable names (CREDENTIAL_PROCESS_ALLOW_INSECURE_KEYRING=1): random base64
# of 40+ characters never lacks lower case.
_KEY_NAME = re.compile(r"[a-z_]+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?:=\d{1,3})?")


def redact(text):
    """Replace anything shaped like a secret with a marker."""
    return _SECRET_LOOKING.sub(_redacted, str(text))


def _redacted(match):
    return match.group(0) if _KEY_NAME.fullmatch(match.group(0)) else "<redacted>"
