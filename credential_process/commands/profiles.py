"""profiles: every profile of the config and credentials files, how each gets its
credentials, from where, in which region, and the state of its cached session.

Nothing is resolved and no STS call is made: profiles served by this tool are
read through their options and looked up in their cache store; the others are
described by what botocore would do with their keys, in botocore's own order
(role_arn, web identity, SSO, credentials-file keys, login, credential_process,
config-file keys).
"""

import json
import os
import shlex
import sys
import time

from credential_process import TOOL_NAME, aws_config
from credential_process.stderr import notice
from credential_process import options as options_module
from credential_process.cache import entry as entry_format
from credential_process.errors import ConfigError, CredentialProcessError

DESCRIPTION = (
    "list every profile of the AWS config and credentials files: how it gets credentials,\n"
    "its source, region and cached session (no STS call):\n"
    "  credential-process profiles [--json] [--tree]"
)


def add_arguments(parser):
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="one JSON array, for scripts")
    shape.add_argument("--tree", action="store_true",
                       help="draw which profile is the source of which (and the MFA sessions shared)")


def run(args):
    rows = all_profiles()
    if args.json:
        sys.stdout.write(json.dumps(rows) + "\n")
    elif not rows:
        notice(f"no profiles in {aws_config.config_path()} or {aws_config.credentials_path()}")
    elif args.tree:
        sys.stdout.write(render_tree(rows))
    else:
        sys.stdout.write(render_table(rows))
    return 0


def profile_names():
    """Every profile name of the config and credentials files (for completion too)."""
    config, stored = _read_files()
    return sorted(set(config) | set(stored))


def _read_files():
    config = aws_config.profile_sections(aws_config.read_ini(aws_config.config_path()))
    parser = aws_config.read_ini(aws_config.credentials_path())
    stored = {name: dict(parser.items(name)) for name in parser.sections()}
    return config, stored


def all_profiles():
    """One row (a dict with snake_case keys) per profile, sorted by name."""
    config, stored = _read_files()
    sessions = _Sessions()
    return [describe(name, config, stored.get(name, {}), sessions)
            for name in sorted(set(config) | set(stored))]


def describe(name, config, stored, sessions):
    section = config.get(name, {})
    row = {"name": name, "provider": "botocore", "flow": None, "source_kind": None, "source": None,
           "region": section.get("region"), "mfa_serial": section.get("mfa_serial"),
           "session": None, "session_expires": None, "error": None}
    if options_module.has_our_keys(section):
        row["provider"] = TOOL_NAME
        try:
            options = options_module.load(name, profiles=config)
        except ConfigError as error:
            row.update(flow="invalid", error=str(error), mfa_serial=None)
            return row
        row.update(flow=options.flow, mfa_serial=options.mfa_serial)
        row["source_kind"], row["source"] = _our_source(options)
        row["session"], row["session_expires"] = sessions.state_of(options)
        return row
    row["flow"], row["source_kind"], row["source"] = botocore_flow(section, stored)
    if row["flow"] == "sso":
        row["session"], row["session_expires"] = sso_state(section, config)
    return row


def _our_source(options):
    if options.source_profile:
        return "profile", options.source_profile
    if options.credential_source:
        return "credential_source", options.credential_source
    if options.source_keyring:
        return "keyring", options.source_keyring
    return None, None  # SAML and web identity: unsigned calls


def botocore_flow(section, stored):
    """(what botocore would do, source kind, source) for a profile without our keys."""
    if section.get("role_arn"):
        if section.get("source_profile"):
            return "role", "profile", section["source_profile"]
        if section.get("credential_source"):
            return "role", "credential_source", section["credential_source"]
        if section.get("web_identity_token_file"):
            return "role", "web_identity_token_file", section["web_identity_token_file"]
        return "role", None, None
    if section.get("web_identity_token_file"):
        return "web-identity", "web_identity_token_file", section["web_identity_token_file"]
    if section.get("sso_session"):
        return "sso", "sso_session", section["sso_session"]
    if section.get("sso_start_url"):
        return "sso", "sso_start_url", section["sso_start_url"]
    if stored.get("aws_access_key_id"):
        return "keys", "credentials_file", None
    if section.get("login_session"):
        return "login", "login_session", section["login_session"]
    if section.get("credential_process"):
        served = _our_command_for(section["credential_process"])
        return ("process", "profile", served) if served else ("process", "command", None)
    if section.get("aws_access_key_id"):
        return "keys", "config_file", None
    return "none", None, None


def _our_command_for(line):
    """The profile a ``credential_process`` line serves when it runs this tool, else None."""
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    if not words or os.path.basename(words[0]) != TOOL_NAME:
        return None
    for flag, value in zip(words[1:], words[2:]):
        if flag == "--profile":
            return value
    return next((word.split("=", 1)[1] for word in words[1:] if word.startswith("--profile=")), None)


class _Sessions:
    """Cache lookups, without any STS call: the stores are opened once each."""

    def __init__(self):
        self._stores = {}
        self._mfa = None

    def store(self, kind):
        if kind not in self._stores:
            from credential_process.cache import open_store

            try:
                self._stores[kind] = open_store(kind)
            except (CredentialProcessError, ImportError, OSError):
                self._stores[kind] = None
        return self._stores[kind]

    def state_of(self, options):
        """(state, RFC 3339 expiry or None): valid, expired, none, needs-person or not-cached."""
        from credential_process.output import utc_timestamp

        if options.cache == "none":
            return "not-cached", None
        store = self.store(options.cache)
        try:
            entry = store.load(entry_format.cache_key(options)) if store else None
        except Exception:  # a store that cannot be read now (a locked keyring): no session shown
            entry = None
        expires = utc_timestamp(entry["expires_at"]) if entry else None
        if entry is not None and entry_format.is_fresh(entry, options):
            return "valid", expires
        if self._needs_person(options):
            return "needs-person", expires
        return ("expired", expires) if entry is not None else ("none", None)

    def _needs_person(self, options):
        """True when a new session needs a code typed or a login: an MFA device
        without mfa_process (and no fresh MFA session to sign with), or a SAML
        assertion process (a browser login)."""
        if options.saml_assertion_process:
            return True
        if not options.mfa_serial or options.mfa_process:
            return False
        if options.flow == "get-session-token":
            return True
        return options.mfa_serial not in self.fresh_mfa_sessions(options)

    def fresh_mfa_sessions(self, options):

        if self._mfa is None:
            self._mfa = set()
            store = self.store(options.cache)
            try:
                found = list(store.entries()) if store else []
            except Exception:  # as in state_of
                found = []
            for _, entry in found:
                device = entry_format.mfa_device_of(entry)
                if device and entry_format.is_fresh(entry, options):
                    self._mfa.add(device)
        return self._mfa


def sso_state(section, config):
    """The SSO login's state from botocore's token cache (~/.aws/sso/cache), by its file name rule."""
    import hashlib
    from datetime import datetime

    from credential_process.output import utc_timestamp

    name = section.get("sso_session")
    key = name if name else section.get("sso_start_url", "")
    path = os.path.join(os.path.expanduser("~/.aws/sso/cache"), hashlib.sha1(key.encode()).hexdigest() + ".json")
    try:
        with open(path, encoding="utf-8") as handle:
            text = json.load(handle)["expiresAt"]
        expires_at = datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except (OSError, ValueError, KeyError, TypeError):
        return "needs-person", None
    if expires_at > time.time():
        return "valid", utc_timestamp(expires_at)
    return "needs-person", utc_timestamp(expires_at)


# -- text ----------------------------------------------------------------------

def session_text(row):
    state, expires = row["session"], row["session_expires"]
    if state == "valid":
        return f"valid until {_local_time(expires)}"
    return {None: "-", "needs-person": "needs a person", "not-cached": "not cached"}.get(state, state)


def _local_time(rfc3339):
    """HH:MM in local time, with the date when it is not today."""
    import calendar

    local = time.localtime(calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ")))
    today = time.localtime()
    same_day = (local.tm_year, local.tm_yday) == (today.tm_year, today.tm_yday)
    return time.strftime("%H:%M" if same_day else "%b %d %H:%M", local)


def source_text(row):
    kind, name = row["source_kind"], row["source"]
    if kind is None:
        return "-"
    if kind == "profile":
        return name
    if kind in ("credentials_file", "config_file"):
        return kind.replace("_", " ")
    return f"{kind} {name}" if name else kind


def render_table(rows):
    table = [("PROFILE", "CREDENTIALS", "SOURCE", "REGION", "SESSION")]
    for row in rows:
        flow = row["flow"] + ("" if row["provider"] == TOOL_NAME else " (botocore)")
        if row["mfa_serial"]:
            flow += " +mfa"
        table.append((row["name"], flow, source_text(row), row["region"] or "-", session_text(row)))
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]) - 1)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)) + "  " + line[-1]
             for line in table]
    text = "".join(line + "\n" for line in lines)
    for row in rows:
        if row["error"]:
            text += f"{row['name']}: {row['error']}\n"
    return text


def render_tree(rows):
    """Each profile under its source profile; role profiles sharing an MFA
    device over the same source under one "MFA session" node."""
    by_name = {row["name"]: row for row in rows}
    children = {}
    roots = []
    for row in rows:
        parent = row["source"] if row["source_kind"] == "profile" else None
        if parent in by_name and parent != row["name"]:
            children.setdefault(parent, []).append(row)
        else:
            roots.append(row)
    branch, last, pipe, space = _tree_glyphs()
    lines = []
    drawn = set()

    def label(row):
        session = f", {session_text(row)}" if row["session"] else ""
        return f"{row['name']}  ({row['flow']}{session})"

    def draw(nodes, prefix, group=True):
        # Our role profiles signing with one MFA device share its MFA session: one node
        # above them (botocore's own role profiles each ask for their own code).
        groups, order = {}, []
        for row in nodes:
            shares = row["provider"] == TOOL_NAME and row["flow"] != "get-session-token"
            key = row["mfa_serial"] if group and shares else None
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(row)
        items = [("row", row) for row in groups.pop(None, [])]
        items += [("mfa", key) for key in order if key is not None]
        for index, (kind, item) in enumerate(items):
            end = index == len(items) - 1
            lines.append(prefix + (last if end else branch)
                         + (label(item) if kind == "row" else entry_format.mfa_session_label(item)))
            deeper = prefix + (space if end else pipe)
            if kind == "mfa":
                draw(groups[item], deeper, group=False)
            elif item["name"] not in drawn:
                drawn.add(item["name"])
                draw(children.get(item["name"], []), deeper)

    for root in roots:
        lines.append(label(root))
        drawn.add(root["name"])
        draw(children.get(root["name"], []), "")
    for row in rows:  # profiles in a loop have no root: say so
        if row["name"] not in drawn:
            lines.append(f"{label(row)}  [in a source loop]")
    return "".join(line + "\n" for line in lines)


def _tree_glyphs():
    glyphs = ("\u251c\u2500\u2500 ", "\u2514\u2500\u2500 ", "\u2502   ", "    ")
    try:
        "".join(glyphs).encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return ("|-- ", "`-- ", "|   ", "    ")
    return glyphs
