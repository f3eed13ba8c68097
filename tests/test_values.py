"""Value normalisation and redaction: the rules of SPEC §4 and §6, case by case."""

from __future__ import annotations

import logging
import random
import typing as t
from datetime import datetime, timedelta, timezone
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from tap_webinars import normalize as n
from tap_webinars import redaction


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        ("2014-11-04T20:04:01Z", None, "2014-11-04T20:04:01+00:00"),
        ("2017-02-02T03:35:00-08:00", None, "2017-02-02T11:35:00+00:00"),
        ("11/04/2014 08:04:01 PM", "GMT", "2014-11-04T20:04:01+00:00"),
        ("11/04/2014 08:04:01 PM", "America/New_York", "2014-11-05T01:04:01+00:00"),
        ("07/04/2014 08:04:01 AM", "America/New_York", "2014-07-04T12:04:01+00:00"),
        (1415131441000, None, "2014-11-04T20:04:01+00:00"),
        ("1415131441000", None, "2014-11-04T20:04:01+00:00"),
        ("2014-11-04", None, "2014-11-04T00:00:00+00:00"),
        ("  ", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_timestamps_become_utc_iso(value: object, tz: str | None, expected: str | None) -> None:
    assert n.timestamp(value, tz=tz) == expected


def test_unparseable_timestamp_is_an_error_not_a_null() -> None:
    with pytest.raises(ValueError, match="unrecognised timestamp"):
        n.timestamp("yesterday-ish")


US_TIME = "%m/%d/%Y %I:%M:%S %p"


def us_time_texts(count: int, seed: int = 11) -> list[str]:
    """Report-style timestamps: padded or not, any case of AM/PM, some out of range."""
    rnd = random.Random(seed)
    texts = []
    for _ in range(count):
        month, day = rnd.randint(0, 13), rnd.randint(0, 32)
        year, hour = rnd.choice([1970, 1999, 2000, 2014, 2024, 2038, 2099]), rnd.randint(0, 13)
        minute, second = rnd.randint(0, 60), rnd.randint(0, 60)
        meridiem = rnd.choice(["AM", "PM", "am", "pm", "Pm"])
        pad = rnd.choice(["{:02d}", "{:d}"])
        texts.append(
            f"{pad.format(month)}/{pad.format(day)}/{year} {pad.format(hour)}:"
            f"{minute:02d}:{second:02d} {meridiem}"
        )
    return texts


def strptime_or_none(text: str, pattern: str) -> datetime | None:
    try:
        return datetime.strptime(text, pattern)
    except ValueError:
        return None


def outcome(parse: t.Callable[[str], datetime], text: str) -> datetime | str:
    try:
        return parse(text)
    except ValueError as error:
        return str(error)


def test_us_time_fast_path_agrees_with_strptime() -> None:
    # The fast path may decline (None: strptime decides), never disagree.
    texts = us_time_texts(20_000)
    accepted = 0
    for text in texts:
        expected = strptime_or_none(text, US_TIME)
        fast = n._parse_us_time(text)
        if fast is not None:
            accepted += 1
            assert fast == expected, text
        assert outcome(n._parse_text, text) == outcome(n._parse_text_strptime, text), text
    assert accepted > len(texts) // 2  # the usual shape does take the fast path


@pytest.mark.parametrize("tz", ["GMT", "America/New_York", "Europe/Berlin", "Asia/Kolkata"])
def test_us_timestamps_in_a_zone_match_strptime(tz: str) -> None:
    for text in us_time_texts(3_000, seed=len(tz)):
        local = strptime_or_none(text, US_TIME)
        if local is None:
            continue
        zone = timezone.utc if tz == "GMT" else ZoneInfo(tz)
        expected = local.replace(tzinfo=zone).astimezone(timezone.utc)
        assert n.parse_timestamp(text, tz=tz) == expected, (text, tz)


@pytest.mark.parametrize("tz", [None, "GMT", "America/New_York", "Asia/Kolkata"])
def test_timestamp_columns_from_text_match_independent_parsers(tz: str | None) -> None:
    """`timestamp()` of text (its fast path straight to the column text) against strptime."""
    zone = timezone.utc if tz in (None, "GMT") else ZoneInfo(tz)
    rnd = random.Random(3)
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    checked = 0
    for text in us_time_texts(3_000, seed=7):
        local = strptime_or_none(text, US_TIME)
        if local is None:
            with pytest.raises(ValueError, match="unrecognised timestamp"):
                n.timestamp(text, tz=tz)
            continue
        expected = local.replace(tzinfo=zone).astimezone(timezone.utc)
        assert n.timestamp(f" {text} ", tz=tz) == expected.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        checked += 1
    for _ in range(3_000):
        moment = epoch + timedelta(seconds=rnd.randint(0, 4_000_000_000))
        fraction = rnd.choice(["", ".5", ".123456"])
        offset = rnd.choice(["", "Z", "z", "+00:00", "-08:00", "+05:30"])
        text = moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + offset
        parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        expected_text = parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        assert n.timestamp(text, tz=tz) == expected_text, (text, tz)
        checked += 1
    assert checked > 4_000


def test_iso_and_epoch_timestamps_match_independent_parsers() -> None:
    rnd = random.Random(5)
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    for _ in range(5_000):
        moment = epoch + timedelta(seconds=rnd.randint(0, 4_000_000_000))
        offset = rnd.choice(["Z", "+00:00", "-08:00", "+05:30", "+14:00"])
        text = moment.strftime("%Y-%m-%dT%H:%M:%S") + offset
        assert n.parse_timestamp(text) == datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z"), text
        millis = rnd.randint(10**11, 4 * 10**12)
        expected = epoch + timedelta(milliseconds=millis)
        assert n.parse_timestamp(millis) == expected
        assert n.parse_timestamp(str(millis)) == expected


@pytest.mark.parametrize(
    ("convert", "value", "expected"),
    [
        (n.seconds_from_minutes, "4.1", 246),
        (n.seconds_from_minutes, 2, 120),
        (n.seconds_from_milliseconds, "246000", 246),
        (n.seconds_from_milliseconds, 72499, 72),
        (n.seconds_from_clock, "00:04:06", 246),
        (n.seconds_from_clock, "01:00:01", 3601),
        (n.seconds_from_clock, "", None),
        (n.integer, "1,024", 1024),
        (n.integer, "", None),
        (n.number, "87.5", 87.5),
        (n.boolean, "Yes", True),
        (n.boolean, "N", False),
        (n.boolean, "", None),
        (n.text, "  wrapped\n  text \n", "wrapped\n  text"),
        (n.text, "   ", None),
        (n.identifier, 123, "123"),
        (n.identifier, 123.0, "123"),
    ],
)
def test_conversions(convert: n.Converter, value: object, expected: object) -> None:
    assert convert(value) == expected


def test_answers_split_on_the_platform_separator() -> None:
    assert n.split_answers("Red | Green|  Blue ", "|") == ["Red", "Green", "Blue"]
    assert n.split_answers("", "|") is None


def test_stable_ids_are_stable_and_distinct() -> None:
    assert n.stable_id("evt", "a@b.c", 1) == n.stable_id("evt", "a@b.c", 1)
    assert n.stable_id("evt", "a@b.c", 1) != n.stable_id("evt", "a@b.c", 2)
    assert n.stable_id("a", "bc") != n.stable_id("ab", "c")


def test_stable_ids_hash_the_json_of_their_parts() -> None:
    # The ids in every target depend on these exact bytes: json.dumps of the parts as text.
    import hashlib
    import json

    rnd = random.Random(3)
    alphabet = ["a", "é", '"', "\\", "\n", "\x00", "\u2028", "😀", " ", "/", "1"]
    for _ in range(2_000):
        parts: list[object] = [
            rnd.choice([None, rnd.randint(-5, 5), 1.5, "".join(rnd.choices(alphabet, k=6))])
            for _ in range(rnd.randint(0, 5))
        ]
        material = json.dumps([None if p is None else str(p) for p in parts], ensure_ascii=False)
        expected = hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]
        assert n.stable_id(*parts) == expected, parts


def test_field_map_keeps_unmapped_fields_in_extra() -> None:
    fields: n.FieldMap = {"id": ("registrant_id", n.identifier), "mail": ("email", n.text)}
    columns, extra = n.apply_field_map({"id": 7, "mail": " a@b.c ", "shoe": 42}, fields)
    assert columns == {"registrant_id": "7", "email": "a@b.c"}
    assert extra == {"shoe": 42}


def test_field_map_names_the_field_it_cannot_convert() -> None:
    with pytest.raises(ValueError, match="'when'"):
        n.apply_field_map({"when": "not a date"}, {"when": ("at", n.timestamp)})


def test_secrets_are_masked_in_urls_and_log_records(caplog: pytest.LogCaptureFixture) -> None:
    redaction.register_secret("hunter2-password")
    url = "https://api.webcasts.com/api/login?username=u&password=hunter2-password&ver=2.0"
    assert "hunter2" not in redaction.redact_url(url)
    assert "username=u" in redaction.redact_url(url)
    assert "si=***" in redaction.redact("GET /report?ui=1&si=abcdef123456")
    redaction.install()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("urllib3.connectionpool").debug("GET %s", url)
        logging.getLogger("any").info("secret is %s", "hunter2-password")
    assert "hunter2" not in caplog.text


# Report times at and past the edges of the US fast paths (and other shapes beside them).
TIMES = [
    "11/04/2014 08:04:01 PM",
    "  11/04/2014 08:04:01 pm\n",
    "1/4/2014 8:04:01 AM",
    "11/04/2014 12:00:00 AM",
    "11/04/2014 12:59:59 PM",
    "02/29/2016 11:30:00 PM",
    "02/29/2015 11:30:00 PM",  # no such day
    "13/01/2014 08:04:01 PM",
    "11/04/2014 00:04:01 PM",  # hour out of 1-12: strptime decides
    "11/04/2014 13:04:01 PM",
    "11/04/2014 08:60:01 PM",
    "11/04/2014 08:04:60 PM",
    "11/04/0000 08:04:01 PM",
    "11/04/0999 08:04:01 PM",
    "03/08/2026 02:30:00 AM",  # the spring-forward gap in New York
    "11/01/2026 01:30:00 AM",  # the autumn repeat
    "11/04/2014 20:04:01",
    "11/04/2014 08:04 PM",
    "11/04/2014",
    "2014-11-04 15:04:01",
    "2014-11-04T15:04:01Z",
    "1415131441000",
    "Tue Nov 04 15:04:01 GMT 2014",
    "",
    "   ",
    None,
    1415131441000,
    {"text": "11/04/2014 08:04:01 PM"},
]


def _outcome(convert: t.Callable[[t.Any], t.Any], value: t.Any) -> t.Any:
    try:
        return convert(value)
    except (TypeError, ValueError) as error:
        return (type(error), str(error))


@pytest.mark.parametrize("tz", ["GMT", "UTC", "America/New_York", "Asia/Kolkata", "Nowhere/City"])
def test_timestamp_columns_at_the_edges_are_parse_timestamps(tz: str) -> None:
    """`timestamp()`'s text fast paths give what `parse_timestamp` gives, errors included."""

    def general(value: t.Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return n.format_timestamp(n.parse_timestamp(value, tz=tz))

    for _ in range(2):  # the second time from what the fast path remembered
        for value in TIMES:
            assert _outcome(partial(n.timestamp, tz=tz), value) == _outcome(general, value), value


def test_seconds_from_milliseconds_of_text_and_numbers() -> None:
    expected = {
        "2060000": 2060,
        " 1,778,000 ": 1778,
        "": None,
        "  ": None,
        "1499": 1,
        "1500": 2,
        "2500": 2,  # round half to even
        None: None,
        7: 0,
        2.5: 0,
    }
    for value, seconds in expected.items():
        assert n.seconds_from_milliseconds(value) == seconds, value
    with pytest.raises(ValueError):
        n.seconds_from_milliseconds("abc")


@pytest.mark.parametrize("tz", ["GMT", "UTC", "America/New_York"])
def test_a_zone_bound_timestamp_converter_matches_strptime(tz: str) -> None:
    """`timestamp_in` (a report's hot path: US text read by position) against strptime."""
    convert = n.timestamp_in(tz)
    zone = timezone.utc if tz in ("GMT", "UTC") else ZoneInfo(tz)
    checked = 0
    for text in [
        *us_time_texts(5_000, seed=11),
        "02/29/2024 12:00:00 am",
        "02/29/2023 01:00:00 PM",
    ]:
        local = strptime_or_none(text, US_TIME)
        if local is None:
            with pytest.raises(ValueError, match="unrecognised timestamp"):
                convert(text)
            continue
        expected = local.replace(tzinfo=zone).astimezone(timezone.utc)
        assert convert(text) == expected.strftime("%Y-%m-%dT%H:%M:%S+00:00"), (text, tz)
        assert convert(f" {text}\n") == convert(text)
        checked += 1
    assert checked > 2_000
    assert convert(None) is None and convert("  ") is None
    assert convert("2014-11-04T20:04:01Z") == "2014-11-04T20:04:01+00:00"


def test_field_maps_send_every_field_to_a_column_or_extra() -> None:
    fields: n.FieldMap = {
        "id": ("record_id", n.identifier),
        "name": ("name", n.text),
        "count": ("count", n.integer),
        "absent": ("absent", n.text),
    }
    source = {"zeta": 1, "name": "  Ann \n", "id": 7.0, "skip": "x", "count": "1,204", "alpha": []}
    columns, extra = n.apply_field_map(source, fields, consumed=("skip",))
    assert columns == {"record_id": "7", "name": "Ann", "count": 1204}
    assert list(extra.items()) == [("zeta", 1), ("alpha", [])]  # in the source's order
    assert n.apply_field_map({"name": "", "id": "9"}, fields) == (
        {"name": None, "record_id": "9"},
        {},
    )
    with pytest.raises(ValueError, match="field 'count'"):
        n.apply_field_map({"count": "many"}, fields)
    # Two fields for one column: the later in the source wins, as sent.
    aliases: n.FieldMap = {"a": ("x", n.text), "b": ("x", n.text)}
    assert n.apply_field_map({"b": "B", "a": "A"}, aliases) == ({"x": "A"}, {})
    assert n.apply_field_map({"a": "A", "b": "B"}, aliases, consumed={"c"}) == ({"x": "B"}, {})


def test_iso_times_of_one_hour_are_each_read_in_full() -> None:
    """Times with an hour offset share their hour's UTC; each one's own minutes and seconds
    still decide, and a bad one still fails (the first of an hour, or any later one)."""
    rnd = random.Random(11)
    hours = [
        f"2024-0{m}-{d:02d}T{h:02d}" for m in (2, 3) for d in (9, 10, 29, 30) for h in (0, 7, 23)
    ]
    offsets = ["-07:00", "+00:00", "+14:00", "-12:00", "Z", "z", "+24:00"]
    checked = failed = 0
    for _ in range(6_000):
        minutes = rnd.choice(["00", "07", "59", "60", "5x", "\u0660\u0667"])  # Arabic-Indic 07
        seconds = rnd.choice(["00", "31", "59", "60"])
        text = f"{rnd.choice(hours)}:{minutes}:{seconds}{rnd.choice(offsets)}"
        try:
            parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
        except ValueError:
            with pytest.raises(ValueError, match="timestamp"):
                n.timestamp(text, tz="America/Los_Angeles")
            failed += 1
            continue
        expected = parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        assert n.timestamp(text, tz="America/Los_Angeles") == expected, text
        checked += 1
    assert checked > 1_000
    assert failed > 1_000
