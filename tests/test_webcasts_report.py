"""The Webcasts report reader's own parts, in process: what its fast paths promise.

The tap-level tests (test_webcasts*.py) run the reader over HTTP; these check the pieces
that stand in for slower general ones give exactly what those give, and that the reader
gives the same records however the report's bytes arrive.
"""

from __future__ import annotations

import hashlib
import io
import tracemalloc
import typing as t

import pytest

from tap_webinars import normalize as n
from tap_webinars.platforms.base import EventBundle, EventRef
from tap_webinars.platforms.webcasts_report import (
    RegistrantTable,
    ReportMapping,
    ReportReader,
    _Ids,
    session_type,
)
from tests.harness import SandboxProcess
from tests.test_webcasts import CHILDREN, REPORT_PATH, SAMPLE, _login, _report


def test_registrant_table_tells_first_listings_from_repeats() -> None:
    table = RegistrantTable()
    ids = [n.stable_id("registrant", "1", f"person{i}@example.com") for i in range(50_000)]
    assert all(table.add(registrant_id) for registrant_id in ids)  # grown several times
    assert table.count == len(ids)
    assert not any(table.add(registrant_id) for registrant_id in ids[::7])
    assert table.count == len(ids)
    assert len(table.slots) * 4 >= table.count * 5  # at most 80% full
    assert len(table.slots) < 8 * len(ids)  # compact: at most 64 bytes a registrant


def test_registrant_table_growing_holds_no_more_than_its_old_and_new_slots() -> None:
    # 100,000 registrants: 131,072 slots of 8 bytes (1.05 MB) once grown from 65,536 (0.52
    # MB); the growth should hold those two at once and nothing of their size beside them.
    ids = [hashlib.sha256(str(i).encode()).hexdigest()[:32] for i in range(100_000)]
    tracemalloc.start()
    try:
        table = RegistrantTable()
        for registrant_id in ids:
            table.add(registrant_id)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(table.slots) == 131_072
    assert peak < (131_072 + 65_536) * 8 + 100_000, peak


def test_registrant_table_keeps_ids_whose_fingerprint_is_zero_apart() -> None:
    # 0 marks an empty slot: a fingerprint of 0 is stored as 1, and still found again.
    table = RegistrantTable()
    zero, one = "0" * 32, "0" * 15 + "1" + "f" * 16
    assert table.add(zero)
    assert not table.add(zero)
    assert not table.add(one)  # the documented shared slot: same fingerprint as 0
    assert table.add(hashlib.sha256(b"x").hexdigest()[:32])


def test_session_types_read_every_spelling_and_remember_it() -> None:
    spellings = {
        "Live": "live",
        " On-Demand ": "on_demand",
        "ondemand": "on_demand",
        "Archive": "on_demand",
        "SimLive": "simlive",
        "Simulated Live": "simlive",
        "Webinar": "other",
        "": None,
        None: None,
    }
    for _ in range(2):  # the second time from what it remembered
        for value, expected in spellings.items():
            assert session_type(value) == expected, value


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


class Trickle:
    """A readable source giving *size* bytes a read: elements split across chunks."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data, self._at, self._size = data, 0, size

    def read(self, size: int = -1) -> bytes:
        del size
        chunk = self._data[self._at : self._at + self._size]
        self._at += len(chunk)
        return chunk


def _read(body: bytes, source: t.Any) -> tuple[dict[str, t.Any], dict[str, list[t.Any]]]:
    """The events record and each stream's records the reader makes of *source*."""
    mapping = ReportMapping(
        lambda event_id, **columns: {"platform": "webcasts", "event_id": event_id, **columns},
        time_zone="GMT",
        report_url="http://sandbox" + REPORT_PATH,
        event_list_url="http://sandbox/api/reporting/eventlist",
        warn=lambda *_args: None,
    )
    bundle = EventBundle(event={})
    ReportReader(mapping, EventRef(SAMPLE, None), bundle, frozenset(CHILDREN)).read(source)
    records = {stream: list(lines) for stream, lines in bundle.records.items()}
    bundle.close()
    return bundle.event, records


@pytest.mark.parametrize("size", [1, 7, 64, 1000])
def test_the_report_reads_the_same_in_chunks_of_any_size(
    sandbox: SandboxProcess, size: int
) -> None:
    """Viewers are taken from the tree as the chunks complete them, the rest at the end:
    however the bytes arrive, the records are those of the report read in one piece."""
    sandbox.configure(
        webcasts={"drift": ["unknown_fields", "duplicate_viewer", "trailing_sections"]}
    )
    response = _report(sandbox, _login(sandbox))
    assert response.status_code == 200
    body = response.content
    whole_event, whole = _read(body, io.BytesIO(body))
    assert whole_event["extra"]["signature"] == {"by": "convey", "digest": "ab12"}
    assert len(whole["registrants"]) == 7 and whole["survey_responses"]
    event, records = _read(body, Trickle(body, size))
    assert records == whole
    assert event == whole_event
