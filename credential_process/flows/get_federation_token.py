"""GetFederationToken: a federated user's session, from an IAM user's own keys."""

from credential_process import sts
from credential_process.flow_table import BY_NAME
from credential_process.flows import (
    account_of, answer_member, policy_params, require_long_term, session_entry, tag_params,
)

DEFAULT_DURATION = BY_NAME["get-federation-token"].default_duration


def fetch(options, base):
    require_long_term(options, base, "GetFederationToken")
    duration = options.duration_seconds or DEFAULT_DURATION
    params = {"Name": options.federation_name, "DurationSeconds": duration}
    params.update(tag_params(options))
    params.update(policy_params(options))
    response, skew = sts.call(sts.client(options, base), "GetFederationToken", **params)
    account = account_of(answer_member(response, "GetFederationToken", "FederatedUser", "Arn"))
    return session_entry(options, "GetFederationToken", response, skew, duration, account)
