"""STS answers that parse but are wrong (an empty key, an Expiration in the
past or centuries ahead, a missing member) are refused before anything is
cached or printed: exit 1, one line naming STS and the operation.  moto never
answers like this: the proxy does."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from support.hostile import entry_files
from support.tools import TOOL

pytestmark = pytest.mark.moto("open")

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLEsessiontokenEXAMPLE"


def _stamp(seconds):
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def credentials_xml(key="ASIAEXAMPLEEXAMPLE12", secret=SECRET, token=TOKEN, expiration=None):
    expiration = _stamp(3600) if expiration is None else expiration
    return (f"<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
            f"<SessionToken>{token}</SessionToken><Expiration>{expiration}</Expiration></Credentials>")


def answer(operation, result):
    return (f'<{operation}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<{operation}Result>{result}</{operation}Result>"
            f"<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></{operation}Response>")


@pytest.fixture
def session_home(home, aws_world):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(f"""
        [profile gst]
        region = us-east-1
        credential_process = {TOOL} --profile gst
        credential_process_source_profile = base

        [profile role]
        region = us-east-1
        credential_process = {TOOL} --profile role
        credential_process_source_profile = base
        credential_process_role_arn = {aws_world.role_arn}
        """)
    return home


USER = "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>"


@pytest.mark.parametrize("profile, operation, result, says", [
    ("gst", "GetSessionToken", credentials_xml(key=""), "AccessKeyId"),
    ("gst", "GetSessionToken", credentials_xml(key="not a key!"), "AccessKeyId"),
    ("gst", "GetSessionToken", credentials_xml(secret=""), "SecretAccessKey"),
    ("gst", "GetSessionToken", credentials_xml(token=""), "SessionToken"),
    ("gst", "GetSessionToken", credentials_xml(expiration="2001-01-01T00:00:00Z"), "Expiration"),
    ("gst", "GetSessionToken", credentials_xml(expiration=_stamp(200 * 365 * 86400)), "Expiration"),
    ("gst", "GetSessionToken", "", "Credentials"),
    ("role", "AssumeRole", credentials_xml(), "AssumedRoleUser"),
    ("role", "AssumeRole", USER, "Credentials"),
])
def test_malformed_answers_are_refused_and_not_cached(session_home, sts_proxy, run_tool,
                                                      profile, operation, result, says):
    sts_proxy.inject(operation, 200, body=answer(operation, result))
    refused = run_tool(["--profile", profile], session_home.env)
    assert refused.returncode == 1, refused.stderr
    assert refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith("credential-process: ")
    assert f"STS {operation}" in refused.stderr and says in refused.stderr, refused.stderr
    assert "unexpected" not in refused.stderr
    assert SECRET not in refused.stderr and TOKEN not in refused.stderr
    assert entry_files(session_home) == []

    # Nothing was kept: the next call asks STS again, and a sound answer is served.
    served = run_tool(["--profile", profile], session_home.env)
    assert served.returncode == 0, served.stderr
    assert json.loads(served.stdout)["AccessKeyId"]
    assert sts_proxy.count(operation) == 2
