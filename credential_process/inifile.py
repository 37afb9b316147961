"""Line-preserving edits of the AWS INI files (``~/.aws/config``, ``~/.aws/credentials``).

People keep comments, odd spacing and their own order in these files, so an
edit touches only the lines of the keys it sets or removes (and the section
header when a section is added or emptied); every other byte stays as it was.
Before a change the old file is copied to a 0600 backup beside it; the new
file replaces the old atomically (mode 0600).

The lines are read the way configparser (hence botocore) reads them: a
section header is ``[name]`` (runs of spaces in the name count as one), a
key line is ``key = value`` or ``key: value`` (key names compared without
case), an indented non-blank line continues the value above it (even past
blank and comment lines), ``#`` and ``;`` start comment lines.
"""

import os
import re
import time

from credential_process.errors import ConfigError

_HEADER = re.compile(r"^\s*\[(?P<name>[^\]]+)\]")
_KEY_LINE = re.compile(r"^(?P<key>[^\s=:#;\[][^=:]*?)\s*[=:]")
_KEY_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class _Section:
    """Where one section sits in a list of lines: [header, end) and its keys."""

    def __init__(self, name, header):
        self.name = name
        self.header = header  # index of the [name] line
        self.end = None  # index of the next header, or len(lines)
        self.keys = {}  # lowercased key -> (first line, end line exclusive) of the key and its continuation

    @property
    def last_key_end(self):
        """The index just after the last key (and its continuation), or after the header."""
        return max([end for _start, end in self.keys.values()], default=self.header + 1)


def remove_keys(path, section, names):
    """Remove ``names`` from ``[section]``; the header too when no key is left.

    Returns the backup's path, or None when nothing had to change.
    """
    return update_section(path, section, remove=names)


def replace_key(path, sections, old, new, value):
    """In each of ``sections`` that has key ``old``, its line (and continuation)
    becomes ``new = value`` where it stands.  One backup, one write; returns
    the backup's path, or None when nothing had to change."""
    _check_key(new)
    _check_value(new, value)
    wanted = [_normal_name(section) for section in sections]

    def change(lines, newline):
        for section in wanted:
            found = _sections(lines).get(section)
            span = found.keys.get(old.lower()) if found else None
            if span:
                lines[span[0]:span[1]] = [_key_line(new, value, newline)]

    return _edit(path, change)


def update_section(path, section, mapping=None, remove=()):
    """Remove the keys ``remove``, then set ``mapping``'s: one backup, one write.

    Existing keys are replaced in place; new keys go after the section's last
    key, in a section added at the end if absent.  Returns the backup's path
    (None when the file did not exist or nothing changed).
    """
    return update_sections(path, {section: (mapping or {}, remove)})


def update_sections(path, changes):
    """``update_section`` for several sections at once, ``{section: (mapping,
    remove)}``: one backup, one write."""
    changes = [(_normal_name(section), mapping, remove) for section, (mapping, remove) in changes.items()]
    for _section, mapping, _remove_names in changes:
        for key, value in mapping.items():
            _check_key(key)
            _check_value(key, value)

    def change(lines, newline):
        for section, mapping, remove in changes:
            _remove(lines, section, remove)
            if mapping:
                _set(lines, newline, section, mapping)

    return _edit(path, change)


def _edit(path, change):
    path = os.path.realpath(os.path.expanduser(path))  # keep a symlinked file a symlink
    original = _read(path)
    text = original.decode("utf-8") if original is not None else ""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = _split_lines(text)
    change(lines, newline)
    updated = "".join(lines).encode("utf-8")
    if updated == (original or b""):
        return None
    from credential_process.private_files import ensure_private_folder, write_private_file

    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        ensure_private_folder(folder)
    backup = None
    if original is not None:
        backup = _backup_path(path)
        write_private_file(folder, backup, original)
    write_private_file(folder, path, updated)
    return backup


def _split_lines(text):
    """Lines with their endings, split at \n only (str.splitlines also splits at
    characters like U+2028 that may sit inside a comment)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _backup_path(path):
    """``config.20250101T120000.123456.bak``: one per edit, never replacing an older one."""
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(now))
    candidate = f"{path}.{stamp}.{int(now % 1 * 1e6):06d}.bak"
    while os.path.lexists(candidate):
        candidate += "~"
    return candidate


def _read(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text: not editing it") from None
    return data


def _set(lines, newline, section, mapping):
    found = _sections(lines).get(section)
    if found is None:
        _append_section(lines, newline, section, mapping)
        return
    # Bottom-up, so the indexes found above stay right while lines change.
    existing = sorted((found.keys[key.lower()], key) for key in mapping if key.lower() in found.keys)
    for (start, end), key in reversed(existing):
        lines[start:end] = [_key_line(key, mapping[key], newline)]
    missing = [key for key in mapping if key.lower() not in found.keys]
    inserts = [_key_line(key, mapping[key], newline) for key in missing]
    position = _sections(lines)[section].last_key_end
    if inserts and position > 0 and not lines[position - 1].endswith(("\n", "\r")):
        lines[position - 1] += newline  # the file ended without a newline
    lines[position:position] = inserts


def _remove(lines, section, names):
    found = _sections(lines).get(section)
    if found is None:
        return
    wanted = {name.lower() for name in names}
    doomed = sorted((span for key, span in found.keys.items() if key in wanted), reverse=True)
    for start, end in doomed:
        del lines[start:end]
    remaining = _sections(lines)[section]
    if doomed and not remaining.keys:
        _remove_header(lines, remaining)


def _remove_header(lines, section):
    """Drop an emptied section's header and the blank lines after it (comments stay)."""
    end = section.header + 1
    while end < section.end and not lines[end].strip():
        end += 1
    del lines[section.header:end]


def _append_section(lines, newline, section, mapping):
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    if lines and lines[-1].strip():
        lines.append(newline)  # a blank line between the last section and ours
    lines.append(f"[{section}]{newline}")
    lines.extend(_key_line(key, value, newline) for key, value in mapping.items())


def _sections(lines):
    """{section name: _Section} for the lines, as configparser would see them."""
    sections = {}
    current = None
    last_key = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue  # blank lines and comments neither end a value nor belong to one
        if current is not None and last_key is not None and line[:1] in " \t":
            start, _end = current.keys[last_key]
            current.keys[last_key] = (start, index + 1)  # a continuation line of the value
            continue
        header = _HEADER.match(line)
        if header:
            if current is not None:
                current.end = index
            current = _Section(_normal_name(header.group("name")), index)
            sections.setdefault(current.name, current)  # configparser refuses duplicates anyway
            last_key = None
            continue
        key = _KEY_LINE.match(stripped)
        if current is not None and key:
            last_key = key.group("key").strip().lower()
            current.keys.setdefault(last_key, (index, index + 1))
    if current is not None:
        current.end = len(lines)
    return sections


def _normal_name(section):
    """``[profile  dev]`` is botocore's profile "dev" too: compare names with single spaces."""
    return " ".join(section.split())


def _key_line(key, value, newline):
    return f"{key} = {value}{newline}"


def _check_key(key):
    if not _KEY_NAME.match(key):
        raise ConfigError(f"not a valid key name for an AWS config file: {key!r}")


def _check_value(key, value):
    if not isinstance(value, str) or any(char in value for char in "\r\n"):
        raise ConfigError(f"the value of {key} must be one line of text")
    if value != value.strip():
        raise ConfigError(f"the value of {key} must not start or end with spaces")


def add_sections(path, sections):
    """Append the sections of ``sections`` ({name: {key: value}}) that the file
    does not have yet: one backup, one write.  Returns the backup's path."""
    for mapping in sections.values():
        for key, value in mapping.items():
            _check_key(key)
            _check_value(key, value)

    def change(lines, newline):
        present = {_normal_name(name) for name in _sections(lines)}
        for name, mapping in sections.items():
            if _normal_name(name) not in present:
                _append_section(lines, newline, _normal_name(name), mapping)

    return _edit(path, change)
