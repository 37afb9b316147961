"""Exception types; each carries the exit code the process ends with.

0 success, 1 AWS refused or could not be reached, 2 configuration or usage,
3 a person is needed but cannot be asked.
"""

EXIT_AWS = 1
EXIT_CONFIG = 2
EXIT_NEEDS_PERSON = 3


class CredentialProcessError(Exception):
    exit_code = EXIT_AWS


class AwsError(CredentialProcessError):
    """STS refused the request, or could not be reached."""

    exit_code = EXIT_AWS


class RefusedError(AwsError):
    """An AWS API answered with an error: what it said, with its parts kept
    apart, for flows that react to one kind of refusal (a rejected MFA code,
    the role chaining limit)."""

    def __init__(self, service, operation, code, message, key_id=None, text=None):
        self.service = service
        self.operation = operation
        self.code = code or "Error"
        self.message = message or ""
        self.key_id = key_id  # the access key ID that signed the call: an ID, never a secret
        self.explained = False  # refusals.explained has added the profile's context
        super().__init__(text or f"{service} {operation} refused: {self.code}: {self.message}".rstrip(": "))


class ConfigError(CredentialProcessError):
    """The configuration or the command line is wrong."""

    exit_code = EXIT_CONFIG


class NeedsPersonError(CredentialProcessError):
    """Only a person can go on (type a code, log in again, unlock a keyring)."""

    exit_code = EXIT_NEEDS_PERSON


# Secret access keys are 40 characters of base64; session tokens and SAML
# assertions are longer runs of the same alphabet.  Nothing else we print is...
_SECRET_LOOKING = r"[A-Za-z0-9/+=_-]{40,}"
# ...except long config key names (credential_process_web_identity_token_file),
# which are lowercase words and underscores, as no secret is, and environment
# variable names (CREDENTIAL_PROCESS_ALLOW_INSECURE_KEYRING=1): random base64
# of 40+ characters never lacks lower case.
_KEY_NAME = r"[a-z_]+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?:=\d{1,3})?"


def one_line(error):
    """An error's text on one line: every failure is one line on stderr."""
    return " ".join(str(error).split())


def redact(text):
    """Replace anything shaped like a secret with a marker."""
    import re  # on use: a cache hit prints no error and must not pay for re

    def redacted(match):
        return match.group(0) if re.fullmatch(_KEY_NAME, match.group(0)) else "<redacted>"

    return re.sub(_SECRET_LOOKING, redacted, str(text))
