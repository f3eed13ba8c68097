"""The Webcasts report reader's own parts, in process: what its fast paths promise.

The tap-level tests (test_webcasts*.py) run the reader over HTTP; these check the pieces
that stand in for slower general ones give exactly what those give.
"""

from __future__ import annotations

import hashlib
import typing as t
from functools import partial

import pytest

from tap_webinars import normalize as n
from tap_webinars.platforms.base import Viewing, viewer_totals
from tap_webinars.platforms.webcasts_report import (
    RegistrantTable,
    _Ids,
    _seconds_from_milliseconds,
    _session_type,
    report_timestamp,
    session_totals,
    session_type,
)


def test_registrant_table_tells_first_listings_from_repeats() -> None:
    table = RegistrantTable()
    ids = [n.stable_id("registrant", "1", f"person{i}@example.com") for i in range(50_000)]
    assert all(table.add(registrant_id) for registrant_id in ids)  # grown several times
    assert table.count == len(ids)
    assert not any(table.add(registrant_id) for registrant_id in ids[::7])
    assert table.count == len(ids)
    assert len(table.slots) * 4 >= table.count * 5  # at most 80% full
    assert len(table.slots) < 8 * len(ids)  # compact: at most 64 bytes a registrant


def test_registrant_table_keeps_ids_whose_fingerprint_is_zero_apart() -> None:
    # 0 marks an empty slot: a fingerprint of 0 is stored as 1, and still found again.
    table = RegistrantTable()
    zero, one = "0" * 32, "0" * 15 + "1" + "f" * 16
    assert table.add(zero)
    assert not table.add(zero)
    assert not table.add(one)  # the documented shared slot: same fingerprint as 0
    assert table.add(hashlib.sha256(b"x").hexdigest()[:32])


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
def test_report_timestamps_read_as_n_timestamp_reads_them(tz: str) -> None:
    convert = report_timestamp(tz)
    for _ in range(2):  # the second time from what the converter remembered
        for value in TIMES:
            assert _outcome(convert, value) == _outcome(partial(n.timestamp, tz=tz), value), value


def test_local_converters_give_what_the_general_ones_give() -> None:
    for value in ["2060000", " 1,778,000 ", "", "  ", "1499", "1500", "2500", "abc", None, 7, 2.5]:
        assert _outcome(_seconds_from_milliseconds, value) == _outcome(
            n.seconds_from_milliseconds, value
        )
    for value in ["Live", " On-Demand ", "ondemand", "Archive", "SimLive", "Webinar", "", None]:
        assert _session_type(value) == session_type(value)


def test_ids_are_n_stable_id_byte_for_byte() -> None:
    for registrant in ("0" * 32, n.stable_id("registrant", "1", 'a"b\\c\u00e9\u2028@x')):
        ids = _Ids(registrant)
        for kind, parts in [
            ("session", ("live", "2014-11-04T20:04:01+00:00", None, 1)),
            ("session", (None, None, None, 12)),
            ("question", ('Is there a <free> "tier"?\nThanks', 2)),
            ("question", (None, 1)),
            ("survey_response", ("57c065c53dc6df.26372211", None, 3)),
        ]:
            assert ids.make(kind, *parts) == n.stable_id(kind, registrant, *parts)


def _session(kind: t.Any, seconds: t.Any, start: t.Any, end: t.Any) -> tuple[dict, dict]:
    columns = {"session_type": kind, "duration_seconds": seconds, "started_at": start}
    return {**columns, "ended_at": end}, {}


def test_session_totals_are_viewer_totals() -> None:
    cases = [
        [],
        [_session("live", 60, "2014-11-04T20:00:00+00:00", "2014-11-04T20:01:00+00:00")],
        [
            _session("on_demand", None, "2014-11-05T20:00:00+00:00", None),
            _session("on_demand", 30, None, "2014-11-06T20:00:00+00:00"),
            _session("simlive", None, None, None),
            _session(None, 5, "2014-11-03T20:00:00+00:00", None),
            _session("other", 0, "2014-11-03T19:00:00+00:00", "2014-11-03T19:00:00+00:00"),
            _session("live", 10, "", ""),
        ],
        [_session("other", None, None, None), _session("live", None, None, None)],
    ]
    for sessions in cases:
        expected = viewer_totals(
            Viewing(
                kind=columns.get("session_type") or "other",
                seconds=columns.get("duration_seconds"),
                started_at=columns.get("started_at"),
                ended_at=columns.get("ended_at"),
            )
            for columns, _extra in sessions
        )
        assert session_totals(sessions) == expected
