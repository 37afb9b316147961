"""AssumeRoleWithSAML: an unsigned call with an assertion from the identity provider."""

import time

from credential_process import saml, sts
from credential_process.errors import ConfigError, NeedsPersonError
from credential_process.flow_table import BY_NAME
from credential_process.flows import account_of, answer_member, policy_params, read_token_input, session_entry
from credential_process.output import utc_timestamp

DEFAULT_DURATION = BY_NAME["assume-role-with-saml"].default_duration
ASSERTION_PROCESS_TIMEOUT = 300  # a login helper may wait for a person at a browser


def can_refresh_unattended(options):
    """An assertion file can be read again in the background (an expired one
    ends the refresh quietly); an assertion process may be a browser login."""
    return not options.saml_assertion_process


def fetch(options, base):
    text, source = read_token_input(
        options, "saml_assertion_file", "saml_assertion_process", ASSERTION_PROCESS_TIMEOUT)
    assertion = saml.parse(text, source)
    _check_not_expired(assertion, source)
    provider = options.principal_arn or _granted_provider(options, assertion, source)
    duration = options.duration_seconds or DEFAULT_DURATION
    if assertion.session_duration:
        duration = min(duration, assertion.session_duration)
    params = {
        "RoleArn": options.role_arn,
        "PrincipalArn": provider,
        "SAMLAssertion": assertion.encoded,
        "DurationSeconds": duration,
    }
    params.update(policy_params(options))
    response, skew = sts.call(sts.client(options, None), "AssumeRoleWithSAML", **params)
    account = account_of(answer_member(response, "AssumeRoleWithSAML", "AssumedRoleUser", "Arn"))
    return session_entry(options, "AssumeRoleWithSAML", response, skew, duration, account)


def _check_not_expired(assertion, source):
    expires = assertion.not_on_or_after
    if expires is not None and expires.timestamp() <= time.time():
        raise NeedsPersonError(
            f"the SAML assertion from {source} expired at {utc_timestamp(expires.timestamp())}: "
            "log in to the identity provider again"
        )


def _granted_provider(options, assertion, source):
    provider = assertion.provider_of(options.role_arn)
    if provider is not None:
        return provider
    granted = ", ".join(role for role, _ in assertion.roles) or "none"
    raise ConfigError(
        f"the SAML assertion from {source} does not grant {options.role_arn} "
        f"(credential_process_role_arn of profile {options.profile!r}); it grants: {granted}"
    )
