"""Test support code, imported by the tests as ``support.<module>``:

    aws.py              an AWS world on moto: IAM user, role, keys
    moto.py             a moto server runner (with or without IAM authentication)
    proxy.py            an STS proxy that counts calls and injects faults
    sigv4.py            checking presigned (EKS token) URLs' SigV4 signatures
    tools.py            the installed command and the AWS clients, run as subprocesses; HomeDir
    commands.py         cache entries written where the installed command looks
    hostile.py          entry files, processes and profiles for the hostile-condition tests
    saml.py             SAML assertions
    kube_api.py         a stand-in Kubernetes API server that checks bearer tokens
    keyring_backends.py in-memory keyring backends
    secret_service.py   a real Secret Service (gnome-keyring) on a private D-Bus
    terminal.py         a program run on a pseudo-terminal, answered at its prompts
    drip.py             an STS stand-in that answers one byte at a time (time budgets)
    sso_standin.py      SSO OIDC and the SSO portal on loopback (proven against botocore's clients)
    federation_standin.py  the console federation endpoint (getSigninToken) on loopback
    signin_standin.py   the Sign-In service behind `aws login` sessions, on loopback
    install.py          installing the project into fresh venvs (stock and current pip)
"""
