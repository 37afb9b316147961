"""Durations as people write them: 3600 (seconds), 90m, 1h, 12h, 1h30m, 45s.

Every key and flag that takes seconds reads them through ``parse_duration``,
and a range error is written back in the unit the user wrote
(``format_duration``), so "between 15m and 720m" answers "90m".
Standard library only: options are read on the cache-hit path.
"""

import re

from credential_process.errors import ConfigError

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


def parse_duration(value):
    """Seconds from a duration as people write it: 3600, 90m, 1h, 12h, 1h30m, 45s; None if not one."""
    text = value.strip().lower()
    if text.isdigit():
        return int(text)
    match = _DURATION.match(text)
    if not text or not match:
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def format_duration(seconds, like=""):
    """``seconds`` in the unit of ``like`` (what the user wrote): 43200 is "12h" when like is "1h"."""
    like = like.strip().lower()
    if not like or like.isdigit():
        return str(int(seconds))
    unit = like[-1] if like[-1] in _UNIT_SECONDS else "s"
    if sum(mark in like for mark in _UNIT_SECONDS) == 1 and seconds % _UNIT_SECONDS[unit] == 0:
        return f"{int(seconds) // _UNIT_SECONDS[unit]}{unit}"
    # 1h30m, or not a whole number of the unit (900 s in hours): hours, minutes, seconds
    hours, rest = divmod(int(seconds), 3600)
    minutes, rest = divmod(rest, 60)
    parts = ((hours, "h"), (minutes, "m"), (rest, "s"))
    return "".join(f"{number}{mark}" for number, mark in parts if number) or "0s"


def duration(low, high):
    """A number of seconds, also written 90m, 1h, 12h, 1h30m; the range error in the writer's unit."""

    def parse(value, key):
        number = parse_duration(value)
        if number is None:
            raise ConfigError(f"{key} must be a duration such as 3600 (seconds), 90m, 1h or 1h30m, "
                              f"not {value!r}")
        if not low <= number <= high:
            raise ConfigError(f"{key} must be between {format_duration(low, value)} and "
                              f"{format_duration(high, value)}, not {value.strip()}")
        return number

    return parse
