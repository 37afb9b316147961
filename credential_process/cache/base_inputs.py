"""What a profile's base credentials are resolved from, as cache-key material.

Two calls whose base credentials differ must never share an entry: a
GetSessionToken session of one IAM user served to another is another person's
credentials.  Which keys will sign is known for certain only after resolving
them (botocore, the keyring, a metadata service), which a cache hit must not
do; so the key holds what is cheap to know and decides them:

- a source profile: the resolved config and credentials file paths and the
  sections of both files that the source chain walks (the sso-session
  sections they name included), so editing or rotating the keys there, or
  pointing AWS_SHARED_CREDENTIALS_FILE elsewhere, is another entry, while an
  edit of an unrelated profile is not;
- ``credential_source``: the environment variables its provider reads;
- ``source_keyring``: the stored name's row in the keys index (masked key ID
  and the date it was stored, which a rotation changes).

Values are digested before they reach the key's material, so the material
never holds a secret (the credentials file's sections hold some).  On a miss
the entry also records the access key ID that actually signed (``signed_by``,
flows/__init__.py), and the MFA session stays keyed on that ID.
"""

import json

from credential_process import call_inputs

# The variables each credential_source's botocore provider reads (by prefix).
_SOURCE_VARIABLES = {
    "Environment": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                    "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION", "AWS_ACCOUNT_ID"),
    "EcsContainer": ("AWS_CONTAINER_",),
    "Ec2InstanceMetadata": ("AWS_EC2_METADATA_",),
}
_ALL_SOURCE_VARIABLES = tuple(prefix for prefixes in _SOURCE_VARIABLES.values() for prefix in prefixes)


def material(options):
    """A digest of what the base credentials of ``options`` come from."""
    if options.credential_source:
        return _digest(["credential_source", _variables(_SOURCE_VARIABLES[options.credential_source])])
    if getattr(options, "source_keyring", None):
        return _digest(["keyring", options.source_keyring, _stored_row(options.source_keyring)])
    if options.source_profile:
        return _digest(["profile", _source_chain(options)])
    return None  # no base: an unsigned flow (SAML, web identity)


def _source_chain(options):
    from credential_process.aws_config import profile_sections, read_ini
    from credential_process.options import PREFIX

    config_path, credentials_path = call_inputs.config_path(), call_inputs.credentials_path()
    config = read_ini(config_path)
    profiles = profile_sections(config)
    credentials = read_ini(credentials_path)
    sections, walked = [], set()
    name = options.source_profile
    while name and name not in walked:  # sources.check_source_chain reports loops
        walked.add(name)
        section = profiles.get(name, {})
        stored = dict(credentials.items(name)) if credentials.has_section(name) else {}
        sso_name = section.get("sso_session")
        sso = f"sso-session {sso_name}"
        sso_section = dict(config.items(sso)) if sso_name and config.has_section(sso) else None
        sections.append([name, section, stored, sso_section])
        if "credential_source" in section:  # botocore's own key: its provider reads the environment
            sections.append(_variables(_ALL_SOURCE_VARIABLES))
        # "source_profile = itself" (the profile's own static keys) ends here too.
        name = section.get(PREFIX + "source_profile") or section.get("source_profile")
    return [config_path, credentials_path, sections]


def _stored_row(name):
    """The keys index's row of a stored name (never a secret; keyring itself is
    not imported for a cache key)."""
    from credential_process.os_keyring.name_index import NameIndex

    return NameIndex(call_inputs.keys_index_path()).read().get(name)


def _variables(prefixes):
    return [pair for pair in call_inputs.environment() if pair[0].startswith(prefixes)]


def _digest(value):
    return call_inputs.digest(json.dumps(value, sort_keys=True, default=list))
