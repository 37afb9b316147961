"""Which profiles take their base credentials from another profile, and
whether a profile has credentials at all, read from the files alone (no
call, no keyring): what ``keys import --remove-plaintext`` must not break and
what ``doctor`` reports."""

from credential_process.options import PREFIX

# botocore's keys that give a profile credentials (static keys, a process,
# a role of its own, web identity, SSO).
CREDENTIAL_KEYS = (
    "aws_access_key_id", "credential_process", "role_arn", "web_identity_token_file",
    "sso_session", "sso_start_url",
    "login_session",  # `aws login` (botocore 1.41+)
)
OUR_SOURCE_KEY = PREFIX + "source_profile"
BOTOCORE_SOURCE_KEY = "source_profile"


def has_credentials(name, profiles, credentials_sections):
    """Whether profile ``name`` has a source of credentials in the config
    (``profiles``) or the credentials file (``credentials_sections``)."""
    sections = (profiles.get(name) or {}, credentials_sections.get(name) or {})
    return any((section.get(key) or "").strip() for section in sections for key in CREDENTIAL_KEYS)


def dependents(name, profiles):
    """(ours, botocore's): the profiles whose credential_process_source_profile,
    and those whose botocore source_profile, is ``name``; sorted."""
    def using(key):
        return sorted(profile for profile, section in profiles.items()
                      if profile != name and (section.get(key) or "").strip() == name)

    return using(OUR_SOURCE_KEY), using(BOTOCORE_SOURCE_KEY)
