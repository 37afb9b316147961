"""Edit keys of one section of an AWS INI file, keeping every other byte.

configparser would rewrite the whole file (comments lost, spacing changed),
so edits work on lines: only the lines of the keys named change; comments,
blank lines, other sections, their order and the file's line endings stay
byte for byte.  The old file is kept as a 0600 backup (it may hold secrets),
and the new one replaces it atomically with the old one's permissions.

    remove_section_keys(path, "work", ["aws_access_key_id", "aws_secret_access_key"])
    set_section_keys(path, "profile dev", {"region": "eu-west-1"})

Sections are named as written between the brackets ("profile dev" in
~/.aws/config, "dev" in ~/.aws/credentials); key names compare without case,
as configparser does.
"""

import os
import re
import stat
import tempfile
import time

_SECTION = re.compile(r"^\s*\[([^\]]*)\]")
_KEY = re.compile(r"^([^\s=:#;][^=:]*?)\s*[=:]")
_CONTINUATION = re.compile(r"^[ \t]+\S")  # indented: part of the previous key's value


def remove_section_keys(path, section, keys):
    """Remove ``keys`` (and their continuation lines) from ``section``.

    Returns the backup's path, or None when nothing had to change.
    """
    wanted = {key.lower() for key in keys}
    lines = _read_lines(path)
    owners = _owners(lines, section)
    kept = [line for line, owner in zip(lines, owners) if owner not in wanted]
    return _replace(path, lines, kept)


def set_section_keys(path, section, mapping):
    """Set ``key = value`` for each item in ``section``: in place of the key's
    first line when it exists (its continuation lines and repeats go), else
    after the section's last line; a missing section is appended to the file.

    Returns the backup's path (None when the file was new or did not change).
    """
    lines = _read_lines(path)
    newline = _newline_of(lines)
    named = {key.lower(): (key, value) for key, value in mapping.items()}
    pending = dict(named)
    result = []
    for line, owner in zip(lines, _owners(lines, section)):
        if owner not in named:
            result.append(line)
        elif owner in pending and _KEY.match(line):
            key, value = pending.pop(owner)
            result.append(f"{key} = {value}{newline}")
    if pending:
        result = _append_to_section(result, section, pending.values(), newline)
    return _replace(path, lines, result)


# -- line analysis ------------------------------------------------------------------
def _section_name(line):
    match = _SECTION.match(line)
    return " ".join(match.group(1).split()) if match else None


def _owners(lines, section):
    """For each line, the (lower-case) key of ``section`` it belongs to: None for
    lines outside the section, its header, comments and blank lines."""
    wanted = " ".join(section.split())
    owners = []
    current_section, current_key = None, None
    for line in lines:
        name = _section_name(line)
        if name is not None:
            current_section, current_key = name, None
            owners.append(None)
            continue
        if not (_CONTINUATION.match(line) and current_key is not None):
            match = _KEY.match(line)
            current_key = match.group(1).strip().lower() if match else None
        owners.append(current_key if current_section == wanted else None)
    return owners


def _append_to_section(lines, section, items, newline):
    """Insert ``key = value`` lines after the last non-blank line of ``section``."""
    new_lines = [f"{key} = {value}{newline}" for key, value in items]
    wanted = " ".join(section.split())
    start = next((i for i, line in enumerate(lines) if _section_name(line) == wanted), None)
    if start is None:
        prefix = list(lines)
        if prefix and not prefix[-1].endswith(("\n", "\r")):
            prefix[-1] += newline
        if prefix and prefix[-1].strip():
            prefix.append(newline)
        return prefix + [f"[{section}]{newline}"] + new_lines
    end = start + 1
    for i in range(start + 1, len(lines)):
        if _section_name(lines[i]) is not None:
            break
        if lines[i].strip() and not lines[i].lstrip().startswith(("#", ";")):
            end = i + 1
    if not lines[end - 1].endswith(("\n", "\r")):
        lines = lines[: end - 1] + [lines[end - 1] + newline] + lines[end:]
    return lines[:end] + new_lines + lines[end:]


def _newline_of(lines):
    for line in lines:
        if line.endswith("\r\n"):
            return "\r\n"
        if line.endswith("\n"):
            return "\n"
    return os.linesep if os.name == "nt" else "\n"


# -- file handling ------------------------------------------------------------------
def _read_lines(path):
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read().splitlines(keepends=True)
    except FileNotFoundError:
        return []


def _replace(path, old_lines, new_lines):
    """Write ``new_lines`` over ``path`` atomically, after a 0600 backup of it."""
    if new_lines == old_lines:
        return None
    target = os.path.realpath(path)  # edit the file a symlink points at, keep the link
    folder = os.path.dirname(target)
    backup = None
    mode = 0o600
    if os.path.exists(target):
        mode = stat.S_IMODE(os.stat(target).st_mode)
        backup = _backup(target, "".join(old_lines))
    else:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    descriptor, temp_path = tempfile.mkstemp(dir=folder, prefix=".tmp-" + os.path.basename(target) + "-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write("".join(new_lines))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_path, mode)
        os.replace(temp_path, target)
    except BaseException:
        try:
            os.unlink(temp_path)
        except OSError:
            pass
        raise
    return backup


def _backup(target, text):
    """A new 0600 copy of the old file, beside it: PATH.bak-YYYYMMDDTHHMMSS[-N]."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for attempt in range(100):
        candidate = f"{target}.bak-{stamp}" + (f"-{attempt}" if attempt else "")
        try:
            descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        return candidate
    raise OSError(f"cannot create a backup of {target}")
