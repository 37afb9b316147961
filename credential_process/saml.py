"""Read what AssumeRoleWithSAML needs from a SAMLResponse: the roles it grants,
its SessionDuration and when it stops being valid.

The assertion comes from an identity provider or a capture script, so it is
parsed defensively: bounded in size, and refused outright when it carries a
DOCTYPE or an ENTITY declaration (a SAMLResponse never does; entity expansion
is how an XML document eats memory).  The refusal is expat's own (handlers
that stop the parse at the declaration), so it holds in every encoding expat
reads, UTF-16 included, where a search of the bytes would see nothing.  The
signature is not checked: STS does that.
"""

import base64
import binascii
import re
import xml.etree.ElementTree as ElementTree
from xml.parsers import expat
from datetime import datetime, timezone

from credential_process.errors import ConfigError

MAX_ASSERTION_BYTES = 512 * 1024  # real ones are 5-50 kB; STS takes at most 100,000 characters base64
ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
DURATION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
_ASSERTION_NS = "{urn:oasis:names:tc:SAML:2.0:assertion}"


class Assertion:
    """The parts of a SAMLResponse this tool reads, and the base64 text STS gets."""

    def __init__(self, encoded, roles, session_duration, not_on_or_after):
        self.encoded = encoded
        self.roles = roles  # [(role ARN, provider ARN)], in the assertion's order
        self.session_duration = session_duration  # seconds, or None
        self.not_on_or_after = not_on_or_after  # aware datetime, or None

    def provider_of(self, role_arn):
        for role, provider in self.roles:
            if role == role_arn:
                return provider
        return None


def parse(text, source):
    """An Assertion from base64 ``text`` (or the XML itself); ``source`` names it in errors."""
    text = text.strip()
    if len(text) > MAX_ASSERTION_BYTES * 4 // 3 + 4:
        raise ConfigError(f"the SAML assertion from {source} is larger than {MAX_ASSERTION_BYTES} bytes")
    if text.startswith("<"):
        document = text.encode("utf-8")
        text = base64.b64encode(document).decode("ascii")
    else:
        document = _decode(text, source)
    root = _parse_xml(document, source)
    return Assertion(text, _roles(root, source), _session_duration(root, source), _not_on_or_after(root))


def _decode(text, source):
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"the SAML assertion from {source} is neither base64 nor XML") from None


def _parse_xml(document, source):
    if len(document) > MAX_ASSERTION_BYTES:
        raise ConfigError(f"the SAML assertion from {source} is larger than {MAX_ASSERTION_BYTES} bytes")
    try:
        return _element_tree(document)
    except _Declaration:
        raise ConfigError(f"the SAML assertion from {source} declares a DOCTYPE or ENTITY: refused") from None
    except (expat.ExpatError, ValueError) as error:
        raise ConfigError(f"the SAML assertion from {source} is not well-formed XML: {error}") from None


class _Declaration(Exception):
    """Raised by the expat handlers at a DOCTYPE or an ENTITY declaration."""


def _refuse(*_ignored):
    raise _Declaration()


def _element_tree(document):
    """The document's root element, parsed by expat directly: ElementTree's own
    parser gives no hook to refuse a DTD before its entities are expanded."""
    builder = ElementTree.TreeBuilder()
    # "}" as the separator gives "uri}local"; a leading "{" makes ElementTree's "{uri}local".
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse

    def qualified(name):
        return "{" + name if "}" in name else name

    parser.StartElementHandler = lambda name, attributes: builder.start(
        qualified(name), {qualified(key): value for key, value in attributes.items()})
    parser.EndElementHandler = lambda name: builder.end(qualified(name))
    parser.CharacterDataHandler = builder.data
    parser.Parse(document, True)
    return builder.close()


def _attribute_values(root, name):
    values = []
    for attribute in root.iter(_ASSERTION_NS + "Attribute"):
        if attribute.get("Name") == name:
            values.extend((value.text or "").strip() for value in attribute.iter(_ASSERTION_NS + "AttributeValue"))
    return values


def _roles(root, source):
    """(role, provider) pairs; each value names both, comma-separated, in either order."""
    roles = []
    for value in _attribute_values(root, ROLE_ATTRIBUTE):
        arns = [part.strip() for part in value.split(",")]
        role = next((arn for arn in arns if ":role/" in arn), None)
        provider = next((arn for arn in arns if ":saml-provider/" in arn), None)
        if len(arns) != 2 or not role or not provider:
            raise ConfigError(f"the SAML assertion from {source} has a malformed Role value: {value!r}")
        roles.append((role, provider))
    return roles


def _session_duration(root, source):
    values = _attribute_values(root, DURATION_ATTRIBUTE)
    if not values:
        return None
    try:
        return int(values[0])
    except ValueError:
        raise ConfigError(f"the SAML assertion from {source} has a SessionDuration that is not a number") from None


def _not_on_or_after(root):
    """The earliest NotOnOrAfter of the assertion's conditions and bearer confirmation."""
    times = []
    for tag in ("Conditions", "SubjectConfirmationData"):
        for element in root.iter(_ASSERTION_NS + tag):
            stamp = _timestamp(element.get("NotOnOrAfter"))
            if stamp is not None:
                times.append(stamp)
    return min(times) if times else None


def _timestamp(text):
    if not text:
        return None
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # fromisoformat before 3.11 takes 0, 3 or 6 digits of fraction only.
    text = re.sub(r"\.(\d+)", lambda match: "." + (match.group(1) + "000000")[:6], text)
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
