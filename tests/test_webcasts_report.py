"""The Webcasts report reader's own parts, in process: what its fast paths promise.

The tap-level tests (test_webcasts*.py) run the reader over HTTP; these check the pieces
that stand in for slower general ones give exactly what those give.
"""

from __future__ import annotations

import hashlib

from tap_webinars import normalize as n
from tap_webinars.platforms.webcasts_report import RegistrantTable


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
