"""AssumeRoleWithSAML: assertion parsing (in process) and the installed command
against moto without enforced authentication (moto answers the unsigned call
with HTTP 500 when it is enforced), counting calls at the proxy."""

import base64
import json
import time

import pytest

from credential_process import saml
from credential_process.errors import ConfigError
from support import saml as saml_builder
from support.tools import TOOL

ACCOUNT = "123456789012"
ROLE_A = f"arn:aws:iam::{ACCOUNT}:role/saml-a"
ROLE_B = f"arn:aws:iam::{ACCOUNT}:role/saml-b"
IDP = saml_builder.provider_arn(ACCOUNT, "corp")
OTHER_IDP = saml_builder.provider_arn(ACCOUNT, "other")

pytestmark = pytest.mark.moto("open")


# ---- parsing, in process -------------------------------------------------------------

@pytest.mark.parametrize("provider_first", [False, True])
def test_roles_are_read_in_either_order(provider_first):
    xml = saml_builder.build_response([(ROLE_A, IDP), (ROLE_B, OTHER_IDP)], session_duration=1800,
                                      provider_first=provider_first)
    assertion = saml.parse(saml_builder.encode(xml), "test")
    assert assertion.roles == [(ROLE_A, IDP), (ROLE_B, OTHER_IDP)]
    assert assertion.provider_of(ROLE_B) == OTHER_IDP
    assert assertion.session_duration == 1800
    assert 200 < assertion.not_on_or_after.timestamp() - time.time() <= 300


def test_raw_xml_is_accepted_and_sent_as_base64():
    xml = saml_builder.build_response([(ROLE_A, IDP)])
    assertion = saml.parse(xml, "test")
    assert base64.b64decode(assertion.encoded).decode() == xml


@pytest.mark.parametrize("text, message", [
    ("not base64 at all!", "neither base64 nor XML"),
    (saml_builder.encode("<samlp:Response><unclosed></samlp:Response>"), "not well-formed"),
    (saml_builder.encode(saml_builder.entity_bomb()), "DOCTYPE or ENTITY"),
    (saml_builder.entity_bomb(), "DOCTYPE or ENTITY"),
    ("A" * (1024 * 1024), "larger than"),
])
def test_bad_assertions_are_refused(text, message):
    with pytest.raises(ConfigError, match=message):
        saml.parse(text, "test")


def test_malformed_role_value_is_refused():
    xml = saml_builder.build_response([(ROLE_A, ROLE_B)])
    with pytest.raises(ConfigError, match="malformed Role"):
        saml.parse(xml, "test")


# ---- end to end ----------------------------------------------------------------------------

def write_profile(home, role=ROLE_A, extra="", source=None):
    source = source or f"credential_process_saml_assertion_file = {home / 'assertion.b64'}"
    home.write_config(f"""
        [profile saml]
        region = us-east-1
        credential_process = {TOOL} --profile saml
        credential_process_role_arn = {role}
        {source}
        """ + extra)


def write_assertion(home, roles, **kwargs):
    xml = saml_builder.build_response(roles, **kwargs)
    (home / "assertion.b64").write_text(saml_builder.encode(xml) + "\n")


def check_output(result):
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["Version"] == 1 and document["SessionToken"]
    assert document["Expiration"].endswith("Z")
    return document


def test_one_role_end_to_end_and_cached(home, sts_proxy, run_tool, aws_cli_v1):
    write_assertion(home, [(ROLE_A, IDP)])
    write_profile(home)
    first = check_output(run_tool("--profile saml", home.env))
    assert first["AccountId"] == ACCOUNT
    [call] = sts_proxy.calls("AssumeRoleWithSAML")
    assert (call["RoleArn"], call["PrincipalArn"]) == (ROLE_A, IDP)
    assert "Authorization" not in sts_proxy.requests("AssumeRoleWithSAML")[0].headers  # unsigned
    assert check_output(run_tool("--profile saml", home.env)) == first
    # A real client through the config's credential_process line.
    identity = aws_cli_v1("sts get-caller-identity --profile saml --output json", home.env)
    assert identity.returncode == 0, identity.stderr
    assert ":assumed-role/saml-a/" in json.loads(identity.stdout)["Arn"]
    assert sts_proxy.count("AssumeRoleWithSAML") == 1


def test_several_roles_pick_the_configured_one(home, sts_proxy, run_tool):
    write_assertion(home, [(ROLE_A, IDP), (ROLE_B, OTHER_IDP)], several_attributes=True)
    write_profile(home, role=ROLE_B)
    check_output(run_tool("--profile saml", home.env))
    [call] = sts_proxy.calls("AssumeRoleWithSAML")
    assert (call["RoleArn"], call["PrincipalArn"]) == (ROLE_B, OTHER_IDP)


def test_principal_arn_and_session_duration(home, sts_proxy, run_tool):
    write_assertion(home, [(ROLE_A, IDP)], session_duration=1800)
    write_profile(home, extra=f"credential_process_principal_arn = {OTHER_IDP}\n"
                              "credential_process_duration_seconds = 7200\n")
    check_output(run_tool("--profile saml", home.env))
    [call] = sts_proxy.calls("AssumeRoleWithSAML")
    assert call["PrincipalArn"] == OTHER_IDP
    assert call["DurationSeconds"] == "1800"  # the assertion's SessionDuration caps the request


def test_assertion_process_runs_through_the_shell(home, sts_proxy, run_tool):
    write_assertion(home, [(ROLE_A, IDP)])
    write_profile(home, source="credential_process_saml_assertion_process = "
                               f"cat '{home / 'assertion.b64'}' | tr -d '\\n'")
    check_output(run_tool("--profile saml", home.env))
    assert sts_proxy.count("AssumeRoleWithSAML") == 1


def test_role_not_granted_lists_the_granted_ones(home, sts_proxy, run_tool):
    write_assertion(home, [(ROLE_A, IDP)])
    write_profile(home, role=ROLE_B)
    result = run_tool("--profile saml", home.env)
    assert result.returncode == 2, result.stderr
    assert f"does not grant {ROLE_B}" in result.stderr and ROLE_A in result.stderr
    assert result.stdout == "" and sts_proxy.total() == 0


def test_expired_assertion_needs_a_new_login(home, sts_proxy, run_tool):
    write_assertion(home, [(ROLE_A, IDP)], valid_for=-60)
    write_profile(home)
    result = run_tool("--profile saml", home.env)
    assert result.returncode == 3, result.stderr
    assert "expired" in result.stderr and "log in" in result.stderr
    assert sts_proxy.total() == 0


@pytest.mark.parametrize("content, message", [
    ("%%% not an assertion %%%", "neither base64 nor XML"),
    (saml_builder.encode(saml_builder.entity_bomb(levels=12)), "DOCTYPE or ENTITY"),
])
def test_malformed_and_entity_bomb_are_refused(home, sts_proxy, run_tool, content, message):
    (home / "assertion.b64").write_text(content)
    write_profile(home)
    result = run_tool("--profile saml", home.env, timeout=30)  # a hang here would be the bomb going off
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert content[:40] not in result.stderr
    assert sts_proxy.total() == 0


def declaring_assertion(codec, label, declaration):
    """A valid assertion whose Role value is an entity (or that carries a bare DOCTYPE),
    encoded with Python's ``codec``, its XML declaration naming ``label``."""
    xml = saml_builder.build_response([(ROLE_A, IDP)])
    if declaration == "entity":
        xml = xml.replace(f"{ROLE_A},{IDP}", "&grant;")
        dtd = f'<!DOCTYPE samlp:Response [<!ENTITY grant "{ROLE_A},{IDP}">]>'
    else:
        dtd = "<!DOCTYPE samlp:Response>"
    return f'<?xml version="1.0" encoding="{label}"?>{dtd}{xml}'.encode(codec)


@pytest.mark.parametrize("codec, label", [("utf-16", "UTF-16"), ("utf-16-be", "UTF-16BE"), ("utf-8", "UTF-8")])
@pytest.mark.parametrize("declaration", ["entity", "doctype"])
def test_dtd_and_entities_are_refused_in_any_encoding(home, sts_proxy, run_tool, codec, label, declaration):
    document = declaring_assertion(codec, label, declaration)
    (home / "assertion.b64").write_text(base64.b64encode(document).decode("ascii"))
    write_profile(home)
    result = run_tool("--profile saml", home.env, timeout=30)
    assert result.returncode == 2, result.stderr
    assert "DOCTYPE or ENTITY" in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == "" and sts_proxy.total() == 0
