"""SAMLResponse documents for tests: unsigned (moto and this tool do not check
signatures), shaped like what an identity provider posts to AWS sign-in.

    build_response(roles=[(role_arn, provider_arn)], session_duration=3600)
    encode(xml) -> base64 text, as a login helper prints it
    entity_bomb() -> the "billion laughs" document

moto's parser crashes on an AttributeStatement with a single Attribute and on
a Role attribute with several values, so by default every response carries a
RoleSessionName attribute, and `several_attributes=True` writes one Role
Attribute element per pair (a shape real identity providers use too).
"""
from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from typing import Optional, Sequence, Tuple
from xml.sax.saxutils import escape, quoteattr

ROLE = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_NAME = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
SESSION_DURATION = "https://aws.amazon.com/SAML/Attributes/SessionDuration"


def provider_arn(account_id: str = "123456789012", name: str = "test-idp") -> str:
    return f"arn:aws:iam::{account_id}:saml-provider/{name}"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _attribute(name: str, values: Sequence[str]) -> str:
    inner = "".join(f"<saml:AttributeValue>{escape(value)}</saml:AttributeValue>" for value in values)
    return f"<saml:Attribute Name={quoteattr(name)}>{inner}</saml:Attribute>"


def build_response(roles: Sequence[Tuple[str, str]], session_name: str = "alice@example.com",
                   session_duration: Optional[int] = None, valid_for: float = 300,
                   provider_first: bool = False, several_attributes: bool = False) -> str:
    """The XML of a SAMLResponse granting `roles` ((role ARN, provider ARN) pairs),
    valid until now + `valid_for` seconds (negative: already expired)."""
    now = datetime.now(timezone.utc)
    until = _stamp(now + timedelta(seconds=valid_for))
    pairs = [f"{provider},{role}" if provider_first else f"{role},{provider}" for role, provider in roles]
    attributes = [_attribute(SESSION_NAME, [session_name])]
    if several_attributes:
        attributes += [_attribute(ROLE, [pair]) for pair in pairs]
    else:
        attributes.append(_attribute(ROLE, pairs))
    if session_duration is not None:
        attributes.append(_attribute(SESSION_DURATION, [str(session_duration)]))
    return (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" '
        f'IssueInstant="{_stamp(now)}" Destination="https://signin.aws.amazon.com/saml">'
        "<saml:Issuer>http://localhost:3000/</saml:Issuer>"
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        f'<saml:Assertion ID="_a1" Version="2.0" IssueInstant="{_stamp(now)}">'
        "<saml:Issuer>http://localhost:3000/</saml:Issuer>"
        "<saml:Subject><saml:NameID>alice@example.com</saml:NameID>"
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{until}" Recipient="https://signin.aws.amazon.com/saml"/>'
        "</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{_stamp(now - timedelta(seconds=60))}" NotOnOrAfter="{until}">'
        "<saml:AudienceRestriction><saml:Audience>urn:amazon:webservices</saml:Audience>"
        "</saml:AudienceRestriction></saml:Conditions>"
        f"<saml:AttributeStatement>{''.join(attributes)}</saml:AttributeStatement>"
        "</saml:Assertion></samlp:Response>"
    )


def encode(xml: str) -> str:
    return base64.b64encode(xml.encode("utf-8")).decode("ascii")


def entity_bomb(levels: int = 10) -> str:
    """The billion laughs: a few hundred bytes that expand to gigabytes if a parser lets them."""
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE lolz [", '<!ENTITY lol0 "lol">']
    for level in range(1, levels):
        lines.append(f'<!ENTITY lol{level} "{("&lol%d;" % (level - 1)) * 10}">')
    lines.append("]>")
    lines.append(f'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol{levels - 1};'
                 "</samlp:Response>")
    return "\n".join(lines)
