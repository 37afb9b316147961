"""What the commands print: the credential_process JSON (Version 1, an
integer, first, then the keys) and the shell formats of ``export``."""

import json
import re
import time

from credential_process.errors import ConfigError

FIELDS = ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId")


def utc_timestamp(seconds):
    """RFC 3339 in UTC with ``Z`` (2026-01-01T12:00:00Z): what every SDK parses."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def process_json(credentials):
    document = {"Version": 1}
    document.update((name, credentials[name]) for name in FIELDS if credentials.get(name))
    return json.dumps(document)


# -- the environment formats of ``export`` -------------------------------------
# Quoting rules, chosen so that no value can run code or leak into another
# variable, whatever it holds.  A value a format cannot carry exactly is
# refused (real credentials are base64 and ISO dates: they never are).

ENVIRONMENT_FORMATS = ("env", "env-no-export", "fish", "powershell", "windows-cmd", "dotenv", "json")
_POSIX_SPECIAL = re.compile(r"(['\\])")
# PowerShell ends a single-quoted string at any of these; doubling one escapes it.
_POWERSHELL_QUOTES = re.compile("(['\u2018\u2019\u201a\u201b])")
_CMD_UNSAFE = re.compile(r'["%!^\r\n]')
_DOTENV_BARE = re.compile(r"[A-Za-z0-9_+/=:.,@-]*")
_DOTENV_UNQUOTABLE = re.compile(r"['\\\r\n]")


def environment_variables(credentials, region=None):
    """[(name, value)]: what ``export`` prints and ``exec`` sets, in that order."""
    pairs = [
        ("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"]),
        ("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"]),
    ]
    if credentials.get("SessionToken"):
        pairs.append(("AWS_SESSION_TOKEN", credentials["SessionToken"]))
    if credentials.get("Expiration"):  # long-term keys, and answers of another tool without one, have none
        pairs.append(("AWS_CREDENTIAL_EXPIRATION", credentials["Expiration"]))
    if region:
        pairs += [("AWS_REGION", region), ("AWS_DEFAULT_REGION", region)]
    return pairs


def posix_quote(value):
    """Quote for sh, bash and zsh, and also for fish.

    Runs without ``'`` or ``\\`` go in single quotes (literal in all four
    shells); ``'`` and ``\\`` go outside as ``\\'`` and ``\\\\``, which all
    four read the same way.  shlex.quote's ``'\\''`` is not enough: fish reads
    ``\\\\`` and ``\\'`` as escapes even inside single quotes.
    """
    quoted = "".join(
        "\\" + piece if piece in ("'", "\\") else f"'{piece}'"
        for piece in _POSIX_SPECIAL.split(value) if piece
    )
    return quoted or "''"


def fish_quote(value):
    """Inside fish's single quotes only ``\\\\`` and ``\\'`` are special."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def powershell_quote(value):
    return "'" + _POWERSHELL_QUOTES.sub(r"\1\1", value) + "'"


def _env_lines(pairs):
    return [f"export {name}={posix_quote(value)}" for name, value in pairs]


def _env_no_export_lines(pairs):
    return [f"{name}={posix_quote(value)}" for name, value in pairs]


def _fish_lines(pairs):
    return [f"set -gx {name} {fish_quote(value)}" for name, value in pairs]


def _powershell_lines(pairs):
    return [f"$Env:{name} = {powershell_quote(value)}" for name, value in pairs]


def _windows_cmd_lines(pairs):
    # cmd.exe has no quoting that protects % (or ! under delayed expansion) in
    # every context, and no way to put a line break in a variable.
    for name, value in pairs:
        _refuse_if(_CMD_UNSAFE.search(value), name, "windows-cmd", 'a " % ! ^ or line break')
    return [f'set "{name}={value}"' for name, value in pairs]


def _dotenv_lines(pairs):
    # Readers disagree on escapes (python-dotenv decodes \\ and \' in single
    # quotes, node's dotenv does not, docker --env-file keeps quotes), so: bare
    # when the value is plain, single-quoted when that is read alike, else refuse.
    lines = []
    for name, value in pairs:
        if _DOTENV_BARE.fullmatch(value):
            lines.append(f"{name}={value}")
        else:
            _refuse_if(_DOTENV_UNQUOTABLE.search(value), name, "dotenv", "a quote, backslash or line break")
            lines.append(f"{name}='{value}'")
    return lines


_LINE_WRITERS = {
    "env": _env_lines,
    "env-no-export": _env_no_export_lines,
    "fish": _fish_lines,
    "powershell": _powershell_lines,
    "windows-cmd": _windows_cmd_lines,
    "dotenv": _dotenv_lines,
}


def _refuse_if(found, name, format_name, what):
    if found:
        raise ConfigError(
            f"{name} contains {what}, which the {format_name} format cannot carry safely; "
            "use another --format (json carries anything)"
        )


def render(format_name, credentials, region=None):
    """The text ``export --format FORMAT`` prints, ending with a newline."""
    if format_name == "json":
        return process_json(credentials) + "\n"
    pairs = environment_variables(credentials, region)
    for name, value in pairs:
        _refuse_if("\0" in value, name, format_name, "a NUL character")
    return "".join(line + "\n" for line in _LINE_WRITERS[format_name](pairs))


UNDATED_SECONDS = 900


def container_json(credentials):
    """The container-credentials answer (``Token``, not ``SessionToken``)."""
    document = {
        "AccessKeyId": credentials["AccessKeyId"],
        "SecretAccessKey": credentials["SecretAccessKey"],
        "Token": credentials.get("SessionToken"),
        # SDKs' container providers require an Expiration: credentials without one
        # (long-term keys, another tool's answer) are asked for again in 15 minutes.
        "Expiration": credentials.get("Expiration") or utc_timestamp(time.time() + UNDATED_SECONDS),
    }
    if credentials.get("AccountId"):
        document["AccountId"] = credentials["AccountId"]
    return json.dumps(document)


def time_left(seconds):
    """'1h 05m', '12m 30s', '40s' or 'expired'."""
    seconds = int(seconds)
    if seconds <= 0:
        return "expired"
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"
