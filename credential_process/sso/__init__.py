"""IAM Identity Center (SSO): the sign-in token and how it is obtained.

    session_config  the [sso-session NAME] section a profile names
    token_cache     where the token is kept: ~/.aws/sso/cache/<sha1 of NAME>.json, as the AWS CLI
                    and botocore keep it, or (credential_process_sso_token_store = keyring)
    token_keyring   one OS keyring item, not shared with the AWS CLI
    oidc            the SSO OIDC and SSO portal clients (endpoints as botocore resolves them)
    tokens          a valid access token: cached, refreshed, or from a sign-in (single flight)
    signin          the sign-in itself: authorization code + PKCE, or device code
    browser         which browser may be opened, and opening it detached

None of it is imported on the cache-hit path.
"""
