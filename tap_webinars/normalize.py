"""Value normalisation shared by every platform (SPEC §4 "Values").

Timestamps become UTC ISO 8601 (`2014-11-04T20:04:01+00:00`), durations seconds, counts
integers, empty strings null, and text keeps its content but loses XML-wrapping whitespace.
Platform modules describe their fields as data (`FieldMap`) and call `apply_field_map`, so
the conversions live here once.
"""

from __future__ import annotations

import hashlib
import json
import re
import typing as t
from datetime import date, datetime, timezone
from functools import lru_cache, partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tap_webinars.records import SAFE_RECORD_PATH

Converter = t.Callable[[t.Any], t.Any]
# source field -> (unified column, converter)
FieldMap = t.Mapping[str, tuple[str, Converter]]

_US_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y")


def utc_now() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def format_timestamp(moment: datetime) -> str:
    """Render *moment* as the one bookmark and column format: UTC, seconds, `+00:00`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


@lru_cache(maxsize=64)
def zone(name: str | None) -> timezone | ZoneInfo:
    """Resolve a platform's time-zone name (IANA, `GMT`, `UTC`, `Etc/...`); unknown is UTC."""
    if not name or name.upper() in ("GMT", "UTC", "Z"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def parse_timestamp(value: t.Any, *, tz: str | None = None) -> datetime:
    """Parse any timestamp a platform sends into an aware UTC datetime.

    Accepts ISO 8601 (with offset, `Z`, or naive, which is read in *tz*), dates, epoch
    milliseconds (int or digit string), and US-style `11/04/2014 08:04:01 PM` in *tz*.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    else:
        text = str(value).strip()
        if _EPOCH_MILLISECONDS.fullmatch(text):
            return datetime.fromtimestamp(int(text) / 1000, tz=timezone.utc)
        moment = _parse_text(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(tz))
    return moment.astimezone(timezone.utc)


_EPOCH_MILLISECONDS = re.compile(r"\d{11,}")
# The US report format `%m/%d/%Y %I:%M:%S %p` (some platforms' reports) in its usual shape
# (groups: month, day, year, hour, minute, second, A or P);
# anything else in it (one-digit minutes, doubled spaces) is left to strptime.
US_TIME = re.compile(r"(\d\d?)/(\d\d?)/(\d{4}) (\d\d?):(\d\d):(\d\d) ([AaPp])[Mm]", re.ASCII)
# `T` and the 24-hour hour of a 12-hour clock's two digits and its A or P, in any case.
_HOURS = {
    f"{clock:02d}{half}": f"T{clock % 12 + (12 if half in 'Pp' else 0):02d}"
    for clock in range(1, 13)
    for half in "AaPp"
}
# Its most usual shape, every field two digits (four for the year): read by position.
US_TIME_PADDED = re.compile(r"\d\d/\d\d/\d{4} \d\d:[0-5]\d:[0-5]\d [AaPp][Mm]", re.ASCII)


def _parse_text(text: str) -> datetime:
    """Fast paths for the shapes platforms send; strptime for everything else."""
    if not SAFE_RECORD_PATH:
        us_time = _parse_us_time(text)
        if us_time is not None:
            return us_time
    return _parse_text_strptime(text)


def _parse_us_time(text: str) -> datetime | None:
    """`11/04/2014 08:04:01 PM` without strptime's per-call regex and locale work.

    None where the text is not in that shape or a field is out of range: the caller then
    asks strptime, whose verdict (and error) stands.
    """
    match = US_TIME.fullmatch(text)
    return None if match is None else _us_time(match)


def _us_time(match: re.Match[str]) -> datetime | None:
    """The naive moment of a `US_TIME` match; None if a field is out of range."""
    month, day, year, hour, minute, second = (int(g) for g in match.groups()[:6])
    if not 1 <= hour <= 12:
        return None
    hour = hour % 12 + (12 if match.group(7) in "Pp" else 0)
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _parse_text_strptime(text: str) -> datetime:
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    for pattern in _US_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise ValueError(f"unrecognised timestamp {text!r}")


def timestamp(value: t.Any, *, tz: str | None = None) -> str | None:
    """Normalise a timestamp column; empty stays null."""
    if isinstance(value, str):
        if not value or value.isspace():  # what `strip` would leave empty, without a copy
            return None
        if not SAFE_RECORD_PATH:
            return _offset_timestamp_text(value, tz)
    elif value is None:
        return None
    return format_timestamp(parse_timestamp(value, tz=tz))


# An ISO 8601 time with a whole-hour offset (or `Z`) -> its unified text, and its
# `YYYY-MM-DDTHH` and offset -> that hour in UTC (its minutes and seconds do not change).
# Bounded: each is cleared when full.
_UTC_TEXTS: dict[str, str] = {}
_UTC_HOURS: dict[str, str] = {}
_MAX_REMEMBERED = 4096
_SIXTY = frozenset(f"{number:02d}" for number in range(60))


def _offset_timestamp_text(value: str, tz: str | None) -> str:
    """`_timestamp_text` of a value; an ISO 8601 time with an offset by the UTC of its hour.

    Platforms send session, registration and answer times this way. A time seen before
    is remembered whole; one new to the second, as most are, takes its hour's UTC once
    its minutes and seconds are checked. The first time of an hour is read by
    `_timestamp_text` (its verdict, or its error).
    """
    length = len(value)
    if length == 25 and value[19] in "+-" and value[22:] == ":00":
        offset = value[19:]
    elif length == 20 and value[19] in "Zz":
        offset = "Z"
    else:
        return _timestamp_text(value, tz)
    text = _UTC_TEXTS.get(value)
    if text is not None:
        return text
    if (
        value[13] != ":"
        or value[16] != ":"
        or value[14:16] not in _SIXTY
        or value[17:19] not in _SIXTY
    ):
        return _timestamp_text(value, tz)
    key = value[:13] + offset
    hour = _UTC_HOURS.get(key)
    if hour is None:
        text = _timestamp_text(value, tz)
        _remember(_UTC_HOURS, key, text[:13])
    else:
        text = hour + value[13:19] + "+00:00"
    _remember(_UTC_TEXTS, value, text)
    return text


def _remember(memory: dict[str, str], key: str, value: str) -> None:
    if len(memory) >= _MAX_REMEMBERED:
        memory.clear()
    memory[key] = value


def timestamp_in(tz: str | None) -> Converter:
    """`timestamp` of values read in *tz*, as one converter for a platform's hot loop.

    In a UTC report the US report format (`11/04/2014 08:04:01 PM`), which such reports
    repeat for every session and registration, becomes the unified text straight from its
    fields, without `timestamp`'s chain of calls; anything else goes to `timestamp`.
    """
    if SAFE_RECORD_PATH or not _is_utc(tz):
        return partial(timestamp, tz=tz)
    match_us_time = US_TIME_PADDED.fullmatch
    days: dict[str, str] = {}  # `11/04/2014` -> `2014-11-04` ("" for no such day)

    def in_utc(value: t.Any) -> str | None:
        if type(value) is str and match_us_time(value) is not None:
            day = days.get(value[:10])
            if day is None:
                day = _iso_day(value[:2], value[3:5], value[6:10])
                if len(days) < 4096:
                    days[value[:10]] = day
            hour = _HOURS.get(value[11:13] + value[20])  # None: not a 12-hour clock
            if day and hour:  # minutes and seconds: [0-5]\d by the pattern
                return day + hour + value[13:19] + "+00:00"
        return timestamp(value, tz=tz)

    return in_utc


@lru_cache(maxsize=4096)
def _timestamp_text(value: str, tz: str | None) -> str:
    """`timestamp` of a text value, remembered: reports repeat event and session times."""
    return _text_timestamp_fast(value.strip(), tz) or format_timestamp(
        parse_timestamp(value, tz=tz)
    )


def _text_timestamp_fast(text: str, tz: str | None) -> str | None:
    """The unified text of the two shapes platforms send most, straight from the text.

    ISO 8601 (`2014-11-04T20:04:01Z`, with an offset, or naive in *tz*) and the US report
    format; None for anything else, or anything out of range, which `parse_timestamp`
    then judges (its error stands). The result is `format_timestamp`'s, byte for byte.
    """
    if len(text) >= 19 and text[4] == "-" and text[10] in "Tt ":
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone(tz))
        return format_timestamp(moment)
    match = US_TIME.fullmatch(text)
    if match is None:
        return None
    if _is_utc(tz):  # a report in GMT: no conversion, each date read once
        return _us_time_text_in_utc(match)
    local = _us_time(match)
    return None if local is None else format_timestamp(local.replace(tzinfo=zone(tz)))


@lru_cache(maxsize=64)
def _is_utc(tz: str | None) -> bool:
    """Whether *tz* is UTC (an unknown zone is not: `zone` raises for it, where needed)."""
    try:
        return zone(tz) is timezone.utc
    except ValueError:
        return False


def _us_time_text_in_utc(match: re.Match[str]) -> str | None:
    """`format_timestamp` of a `US_TIME` match read in UTC, written from its fields."""
    hour, minute, second, half = match.group(4, 5, 6, 7)
    clock = int(hour)
    if not (1 <= clock <= 12 and minute < "60" and second < "60"):  # two digits each
        return None
    day = _iso_day(*match.group(1, 2, 3))
    if not day:
        return None
    return f"{day}T{clock % 12 + (12 if half in 'Pp' else 0):02d}:{minute}:{second}+00:00"


@lru_cache(maxsize=4096)
def _iso_day(month: str, day: str, year: str) -> str:
    """`2014-11-04` for `11`, `04`, `2014`; "" if the calendar has no such day."""
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return ""


def text(value: t.Any) -> str | None:
    """Trim wrapping whitespace; empty becomes null; inner line breaks are kept."""
    if value is None:
        return None
    result = (value if type(value) is str else str(value)).strip()
    return result or None


def identifier(value: t.Any) -> str | None:
    """IDs are strings on every platform (`123` and `"123"` are the same id)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return text(value)


def integer(value: t.Any) -> int | None:
    """Counts are integers; empty is null."""
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    if isinstance(value, (int, float)):
        return int(value)
    cleaned = str(value).strip().replace(",", "")
    return int(float(cleaned)) if cleaned else None


def number(value: t.Any) -> float | None:
    """Scores are numbers; empty is null."""
    if type(value) is not str:  # text (what reports send) goes straight to the cleaning
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return float(value)
        value = str(value)
    cleaned = value.strip().replace(",", "")
    return float(cleaned) if cleaned else None


def boolean(value: t.Any) -> bool | None:
    """Platforms say yes/no, Y/N, true/false, 1/0; empty is null."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    cleaned = str(value).strip().lower()
    if not cleaned:
        return None
    if cleaned in ("1", "true", "yes", "y", "t", "on"):
        return True
    if cleaned in ("0", "false", "no", "n", "f", "off"):
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


def seconds_from_minutes(value: t.Any) -> int | None:
    """A duration sent in minutes, in whole seconds."""
    minutes = number(value)
    return None if minutes is None else round(minutes * 60)


def seconds_from_milliseconds(value: t.Any) -> int | None:
    """A duration sent in milliseconds, in whole seconds."""
    millis = number(value)
    return None if millis is None else round(millis / 1000)


def seconds_from_clock(value: t.Any) -> int | None:
    """`HH:MM:SS` (or `MM:SS`) to seconds; a plain number is already seconds."""
    cleaned = text(value)
    if cleaned is None:
        return None
    if ":" not in cleaned:
        return integer(cleaned)
    parts = [int(p) for p in cleaned.split(":")]
    total = 0
    for part in parts:
        total = total * 60 + part
    return total


def split_answers(value: t.Any, separator: str) -> list[str] | None:
    """Split a multi-answer string on the platform's separator, trimming each answer."""
    cleaned = text(value)
    if cleaned is None:
        return None
    return [a.strip() for a in cleaned.split(separator) if a.strip()]


def string_list(value: t.Any) -> list[str] | None:
    """Tags and similar arrays: a list of non-empty strings, or null."""
    if value is None:
        return None
    items = value if isinstance(value, list) else str(value).split(",")
    return [s for s in (text(i) for i in items) if s is not None]


def stable_id(*parts: t.Any) -> str:
    """An id for a platform record that has none: a hash of its natural key, same every run."""
    # Byte for byte `json.dumps([None or str(part), ...], ensure_ascii=False)`, which the
    # ids have always hashed, without building an encoder per call.
    return stable_id_of("[" + ", ".join([stable_id_part(p) for p in parts]) + "]")


def stable_id_part(part: t.Any) -> str:
    """One part of a stable id's material, as `stable_id` renders it (for reuse in hot loops)."""
    return "null" if part is None else json_quote(str(part))


def stable_id_of(material: str) -> str:
    """The id of a material rendered as `stable_id` renders it: `[part, part, ...]`."""
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


# A str as a JSON string literal (non-ASCII kept): how the material quotes each part.
json_quote: t.Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]


def apply_field_map(
    source: t.Mapping[str, t.Any], fields: FieldMap, *, consumed: t.Iterable[str] = ()
) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
    """Map source fields to unified columns; return (columns, extra).

    `extra` keeps every source field no column took (nor listed in *consumed*), so nothing a
    platform sends is lost. A field whose converter rejects it raises ValueError naming it.

    A field map is compiled once (`_plan`): `extra` starts as a copy of the source (one C
    call) and each field taken or consumed is popped from it, so a registrant of fifty
    fields, most of them unmapped, costs one pop per mapped field and no pass over the rest;
    a map that sends two fields to one column, or a *consumed* that is not a tuple, takes
    the field-by-field loop, where the source's order decides.
    """
    plan = _plan(fields, consumed) if type(consumed) is tuple else None
    if plan is None:
        return _apply_each(source, fields, consumed)
    columns: dict[str, t.Any] = {}
    extra = dict(source)  # what no column takes: the source, less each field taken
    take = extra.pop
    for name, column, convert, inline in plan.fields:
        value = take(name, _MISSING)
        if value is _MISSING:
            continue
        if inline and type(value) is str:
            columns[column] = value.strip() or None  # text and identifier: most fields
            continue
        try:
            columns[column] = convert(value)
        except (TypeError, ValueError) as error:
            raise ValueError(f"field {name!r}: {error}") from None
    for name in plan.consumed:
        take(name, None)
    return columns, extra


_MISSING: t.Any = object()


class _Plan(t.NamedTuple):
    """A field map compiled for `apply_field_map`."""

    fields: tuple[tuple[str, str, Converter, bool], ...]  # source, column, converter, inline
    consumed: tuple[str, ...]  # read apart by the caller: never in extra


# (id of a field map, id of consumed) -> (the map, consumed, its plan or None); both are
# kept, so neither id is reused while cached, and a hit costs no hashing of the consumed
# names. Maps or consumed tuples made per call (none are) would fill it, then go uncached.
_PLANS: dict[tuple[int, int], tuple[FieldMap, tuple[str, ...], _Plan | None]] = {}
_MAX_PLANS = 1024


def _plan(fields: FieldMap, consumed: tuple[str, ...]) -> _Plan | None:
    """The compiled plan of *fields*; None where source order must decide (or none fits)."""
    key = (id(fields), id(consumed))
    cached = _PLANS.get(key)
    if cached is not None and cached[0] is fields and cached[1] is consumed:
        return cached[2]
    if len(_PLANS) >= _MAX_PLANS:
        return None
    targets = [column for column, _convert in fields.values()]
    plan = None
    if len(set(targets)) == len(targets):
        plan = _Plan(
            tuple(
                (name, column, convert, convert is text or convert is identifier)
                for name, (column, convert) in fields.items()
            ),
            tuple(name for name in dict.fromkeys(consumed) if name not in fields),
        )
    _PLANS[key] = (fields, consumed, plan)
    return plan


def _apply_each(
    source: t.Mapping[str, t.Any], fields: FieldMap, consumed: t.Iterable[str]
) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
    """`apply_field_map` field by field, in the source's order."""
    columns: dict[str, t.Any] = {}
    if isinstance(consumed, tuple):
        skip: t.Container[str] = _skipped(consumed)
    else:
        skip = consumed if isinstance(consumed, (set, frozenset)) else set(consumed)
    extra: dict[str, t.Any] = {}
    target_of = fields.get
    for name, value in source.items():
        target = target_of(name)
        if target is not None:
            column, convert = target
            if type(value) is str and (convert is text or convert is identifier):
                columns[column] = value.strip() or None  # both, inline: most fields are text
                continue
            try:
                columns[column] = convert(value)
            except (TypeError, ValueError) as error:
                raise ValueError(f"field {name!r}: {error}") from None
        elif name not in skip:
            extra[name] = value
    return columns, extra


@lru_cache(maxsize=256)
def _skipped(consumed: tuple[str, ...]) -> frozenset[str]:
    """The set of a field map's consumed names, built once per tuple, not once per record."""
    return frozenset(consumed)
