"""Stream selection: change detection keeps working whatever the catalog selects."""

from __future__ import annotations

import json
import typing as t
from collections import Counter

from tests.harness import SandboxProcess, run_tap
from tests.platform_configs import WEBCASTS, WEBINARFUEL


def catalog_selecting(config: dict[str, t.Any], *streams: str) -> dict[str, t.Any]:
    discovered = run_tap(config, args=["--discover"])
    assert discovered.returncode == 0, discovered.stderr[-1000:]
    catalog = json.loads(discovered.stdout)
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"] in streams
    return t.cast(dict[str, t.Any], catalog)


def test_children_without_their_parent_still_keep_bookmarks(sandbox: SandboxProcess) -> None:
    """With `events` deselected, its per-event bookmarks are still kept (children only)."""
    config = {**WEBCASTS.config(sandbox.api_url("webcasts")), "lookback_hours": 0}
    catalog = catalog_selecting(config, "registrants")
    first = run_tap(config, catalog=catalog)
    assert first.returncode == 0, first.stderr[-1000:]
    assert first.records("events") == []
    assert first.records("registrants")
    assert {m["stream"] for m in first.messages if m["type"] == "RECORD"} == {"registrants"}
    reports = sum(r["path"].endswith("audience_reports") for r in sandbox.requests("webcasts"))
    assert reports > 0
    sandbox.clear_requests()
    second = run_tap(config, catalog=catalog, state=first.final_state)
    assert second.returncode == 0
    assert second.records("registrants") == []
    assert not any(r["path"].endswith("audience_reports") for r in sandbox.requests("webcasts"))


def test_events_alone_cost_only_the_listing(sandbox: SandboxProcess) -> None:
    config = WEBINARFUEL.config(sandbox.api_url("webinarfuel"))
    run = run_tap(config, catalog=catalog_selecting(config, "events"))
    assert run.returncode == 0, run.stderr[-1000:]
    assert len(run.records("events")) == sum(
        w["state"] == "ready" for w in sandbox.dataset("webinarfuel")["webinars"]
    )
    assert Counter(r["path"] for r in sandbox.requests("webinarfuel")) == {"/webinars": 1}
