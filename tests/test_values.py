"""Value normalisation and redaction: the rules of SPEC §4 and §6, case by case."""

from __future__ import annotations

import logging

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
