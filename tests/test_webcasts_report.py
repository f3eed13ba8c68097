"""The Webcasts report reader's own parts, in process: what its fast paths promise.

The tap-level tests (test_webcasts*.py) run the reader over HTTP; these check the pieces
that stand in for slower general ones give exactly what those give.
"""

from __future__ import annotations

import hashlib

from tap_webinars import normalize as n
from tap_webinars.platforms.webcasts_report import RegistrantTable, _Ids, session_type


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
