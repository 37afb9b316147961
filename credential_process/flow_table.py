"""What each flow is, in one table: one row per flow, read by options.py (which
keys infer, fit and are required), flows/ (which module, whether it needs base
credentials, whether it is a role session), commands/doctor.py and completion.

Adding a flow is one module in flows/ plus one row here (docs/architecture.md).
Standard library only, and no import of flows/: the cache-hit path and
completion read this table without loading botocore.
"""

# AWS's bounds on a session's length, in seconds: every flow's minimum, and the
# cap on a role session signed by another role session (role chaining).
MIN_DURATION = 900
CHAINED_MAX_DURATION = 3600


class Flow:
    """One row of the table.

    ``markers``: the keys whose presence infers this flow (when
    credential_process_method is absent), in the order they are looked for;
    rows are looked at in table order.  ``keys``: the keys only some flows read
    that this one accepts (a key no row lists applies to every flow; the keys
    naming base credentials are added when ``needs_base``).  ``required``:
    groups of keys of which at least one must be set.  ``assumed_role``: the
    credentials are a role session, so AssumeRole signed with them is chaining.
    ``unattended_check``: the name of a function of the module that says
    whether a session can be renewed with nobody at the keyboard (None: always).
    """

    def __init__(self, name, module, *, markers=(), keys=(), required=(), default_duration,
                 max_duration, needs_base, assumed_role, unattended_check=None):
        self.name = name
        self.module = module
        self.markers = markers
        self.keys = keys + (SOURCE_KEYS if needs_base else ())
        self.required = required
        self.default_duration = default_duration
        self.max_duration = max_duration
        self.needs_base = needs_base
        self.assumed_role = assumed_role
        self.unattended_check = unattended_check

    @property
    def module_path(self):
        return f"credential_process.flows.{self.module}"


# The keys that name where base credentials come from (at most one is set).
SOURCE_KEYS = ("source_profile", "credential_source", "source_keyring")
_POLICY = ("policy", "policy_file", "policy_arns")

FLOWS = (
    Flow("assume-role-with-saml", "assume_role_with_saml",
         markers=("saml_assertion_process", "saml_assertion_file"),
         keys=("role_arn", "saml_assertion_process", "saml_assertion_file", "principal_arn") + _POLICY,
         required=(("role_arn",), ("saml_assertion_process", "saml_assertion_file")),
         default_duration=3600, max_duration=43200, needs_base=False, assumed_role=True,
         unattended_check="can_refresh_unattended"),
    Flow("assume-role-with-web-identity", "assume_role_with_web_identity",
         markers=("web_identity_token_file", "web_identity_token_process"),
         keys=("role_arn", "role_session_name", "web_identity_token_file", "web_identity_token_process",
               "provider_id") + _POLICY,
         required=(("role_arn",), ("web_identity_token_file", "web_identity_token_process")),
         default_duration=3600, max_duration=43200, needs_base=False, assumed_role=True),
    Flow("get-federation-token", "get_federation_token",
         markers=("federation_name",),
         keys=("federation_name", "tags") + _POLICY,
         required=(("federation_name",),),
         default_duration=43200, max_duration=129600, needs_base=True, assumed_role=False),
    # IAM Identity Center: the portal's GetRoleCredentials; the permission set
    # decides the session's length (duration_seconds is not asked).
    Flow("sso", "sso",
         markers=("sso_session",),
         keys=("sso_session", "sso_account_id", "sso_role_name", "sso_token_store"),
         required=(("sso_session",), ("sso_account_id",), ("sso_role_name",)),
         default_duration=3600, max_duration=43200, needs_base=False, assumed_role=True,
         unattended_check="can_refresh_unattended"),
    # Another tool's credential_process: its answer's Expiration decides the length.
    Flow("process", "process",
         markers=("command",),
         keys=("command",),
         required=(("command",),),
         default_duration=3600, max_duration=43200, needs_base=False, assumed_role=False,
         unattended_check="can_refresh_unattended"),
    Flow("assume-role", "assume_role",
         markers=("role_arn",),
         keys=("role_arn", "role_session_name", "external_id", "tags", "transitive_tag_keys", "source_identity",
               "mfa_serial", "mfa_session_duration", "mfa_process") + _POLICY,
         required=(("role_arn",),),
         default_duration=3600, max_duration=43200, needs_base=True, assumed_role=True),
    # Inferred when no other row's marker is set: the plain use of long-term keys.
    Flow("get-session-token", "get_session_token",
         keys=("mfa_serial", "mfa_process"),
         default_duration=3600, max_duration=129600, needs_base=True, assumed_role=False),
)

BY_NAME = {flow.name: flow for flow in FLOWS}
NAMES = tuple(BY_NAME)
# Not a value of credential_process_method: any_profile.py's flow for a profile
# botocore resolves by itself (static keys, role_arn, sso_session, login_session...).
BOTOCORE = Flow("botocore", "botocore_profile", default_duration=3600, max_duration=43200,
                needs_base=False, assumed_role=False)
BY_NAME[BOTOCORE.name] = BOTOCORE
DEFAULT = "get-session-token"
# Flows whose credentials are a role session.
ASSUMED_ROLE_FLOWS = tuple(flow.name for flow in FLOWS if flow.assumed_role)


def flows_of_key():
    """{key: the flows that accept it} for the keys only some flows read."""
    found = {}
    for flow in FLOWS:
        for key in flow.keys:
            found.setdefault(key, []).append(flow.name)
    return {key: tuple(names) for key, names in found.items()}


def infer(values):
    """(flow name, the key that chose it, or None for the default) from set keys."""
    for flow in FLOWS:
        for key in flow.markers:
            if values.get(key):
                return flow.name, key
    return DEFAULT, None


def duration_ranges():
    """"900-43200 for assume-role, ...": every flow's range, for help and fixes."""
    by_range = {}
    for flow in FLOWS:
        by_range.setdefault(flow.max_duration, []).append(flow.name)
    return "; ".join(f"{MIN_DURATION}-{high} for {', '.join(names)}" for high, names in sorted(by_range.items()))
