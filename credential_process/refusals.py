"""What an STS refusal means for the profile being served, and the likely fix.

sts.call turns a ClientError into a RefusedError (errors.py) carrying
``code``, ``message``, ``operation`` and ``key_id`` (the access key ID that
signed: an ID, never a secret).  resolver._fetch hands a refusal of the profile's own
flow to ``explained`` once, so the one line on stderr names the profile, the
flow, the role and the key, and says what to do for the common codes.
"""

from credential_process.errors import RefusedError, one_line

# Our own code for an MFA code STS refused (flows.call_with_mfa).
MFA_CODE_REFUSED = "MfaCodeRefused"


def explained(error, options):
    """A copy of the RefusedError ``error`` with the profile's context and a likely fix."""
    context = [f"profile {options.profile!r}", f"flow {options.flow}"]
    if options.role_arn:
        context.append(f"role {options.role_arn}")
    if error.key_id:
        context.append(f"base key {error.key_id}")
    text = f"{one_line(error)} ({', '.join(context)})"
    fix = likely_fix(error, options)
    better = RefusedError(error.service, error.operation, error.code, error.message, key_id=error.key_id,
                          text=f"{text}; likely fix: {fix}" if fix else text)
    better.explained = True
    return better


def likely_fix(error, options):
    code, operation = error.code, error.operation
    key_id = error.key_id or "the base key"
    source = options.source_profile or options.source_keyring or "the source"
    if code == "AccessDenied" and operation == "AssumeRole":
        return (f"the trust policy of {options.role_arn or 'the role'} must let the caller ({key_id}) "
                "assume it, and the caller needs sts:AssumeRole on it (check both in IAM)")
    if code == "InvalidClientTokenId":
        if key_id.startswith("ASIA"):
            return (f"the session behind {source!r} is no longer accepted: drop it "
                    f"(credential-process cache clear --profile {source} --mfa) and run again")
        return (f"the access key {key_id} no longer exists (deleted or rotated elsewhere): put the "
                "current keys in place (credential-process keys rotate or keys add, or the "
                "credentials file)")
    if code == "SignatureDoesNotMatch":
        return f"the secret key stored for {key_id} is not its secret: store the pair again"
    if code == "ExpiredToken":
        return (f"the session of the source {source!r} has ended: renew it (aws sso login, or "
                f"credential-process cache clear --profile {source}) and run again")
    if code == MFA_CODE_REFUSED:
        return ("wait for the next code (STS takes each code once); if every code is refused, "
                "the device's or this machine's clock is off, or the device is not this user's")
    return None
