"""Per-platform sandbox settings for the pipeline tests — the one place to add a platform.

Every pipeline test (target-postgres, target-csv/-jsonl, Meltano, PyAirbyte) runs once per
platform in `PLATFORMS`. A platform the sandbox serves (`SandboxProcess.platforms`) must
have a `PlatformCase` here: `test_every_served_platform_has_a_pipeline_case` fails until it
does, and the pipeline tests skip it with that reason meanwhile. A platform the sandbox does
not serve in this build is skipped.

A case says, for its platform:
  config(api_url)        the tap config that reads the sandbox (sandbox credentials);
  expected_rows(dataset) rows per stream after a full load, computed from the sandbox's own
                         data (`/_admin/<platform>/dataset`), independently of the tap;
  change(sandbox)        one upstream change between two runs (new registrations, ...),
                         returning {stream: {ids of records it adds}}, the id being the
                         stream's own key column (registrant_id, session_id, ...).
The config must make a second run after `change` emit fewer records than the first (some
events must lie outside `lookback_hours`), since the tests check that incremental runs are.
scripts/demo.py reads its platform configs from here too.
"""

from __future__ import annotations

import typing as t
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import pytest

from tap_webinars.normalize import stable_id
from tap_webinars.sandbox import cvent, goto, on24, zoom
from tests import zoom_expected
from tests.harness import SandboxProcess

# The sandbox dataset the pipeline tests load (the same name for every platform).
SANDBOX_SIZE = "small"
START_DATE = "2020-01-01T00:00:00Z"

STREAMS = (
    "events",
    "registrants",
    "registrant_sessions",
    "viewers",
    "survey_responses",
    "questions",
)
# The stream's own id: the last column of its key [platform, account_id, event_id, <id>].
ID_COLUMN = {
    "events": "event_id",
    "registrants": "registrant_id",
    "registrant_sessions": "session_id",
    "viewers": "registrant_id",
    "survey_responses": "response_id",
    "questions": "question_id",
}
KEY = {name: ("platform", "account_id", "event_id", ID_COLUMN[name]) for name in STREAMS}
KEY["events"] = ("platform", "account_id", "event_id")


@dataclass(frozen=True)
class PlatformCase:
    """How the pipeline tests read one platform from the sandbox."""

    platform: str
    config: t.Callable[[str], dict[str, t.Any]]
    expected_rows: t.Callable[[dict[str, t.Any]], dict[str, int]]
    change: t.Callable[[SandboxProcess], dict[str, set[str]]]


# --------------------------------------------------------------------------- WebinarFuel


def _webinarfuel_config(api_url: str) -> dict[str, t.Any]:
    return {
        "platform": "webinarfuel",
        "webinarfuel_api_key": "wf-sandbox-key",
        "api_url": api_url,
        "start_date": START_DATE,
        "lookback_hours": 24,
    }


def _webinarfuel_rows(data: dict[str, t.Any]) -> dict[str, int]:
    """WebinarFuel: ready webinars; every session of them; a registrant (and a viewer, if
    any session was attended) per webinar they hold sessions in. No surveys or Q&A."""
    ready = {w["id"] for w in data["webinars"] if w["state"] == "ready"}
    known = {r["id"] for r in data["registrants"]}
    sessions = [s for s in data["sessions"] if s["webinar_id"] in ready]
    pairs = {(s["webinar_id"], s["registrant_id"]) for s in sessions if s["registrant_id"] in known}
    attended = {
        (s["webinar_id"], s["registrant_id"])
        for s in sessions
        if s["attended"] and s["registrant_id"] in known
    }
    return {
        "events": len(ready),
        "registrants": len(pairs),
        "registrant_sessions": len(sessions),
        "viewers": len(attended),
        "survey_responses": 0,
        "questions": 0,
    }


def _webinarfuel_change(sandbox: SandboxProcess) -> dict[str, set[str]]:
    """Three people register for the first webinar and attend its session an hour ago."""
    webinar = next(w for w in sandbox.dataset("webinarfuel")["webinars"] if w["state"] == "ready")
    added = sandbox.admin(
        "webinarfuel", "add_registrations", webinar_id=webinar["id"], count=3, attended=True
    )
    ids = {str(i) for i in added["registrant_ids"]}
    return {"registrants": ids, "viewers": ids}


WEBINARFUEL = PlatformCase(
    platform="webinarfuel",
    config=_webinarfuel_config,
    expected_rows=_webinarfuel_rows,
    change=_webinarfuel_change,
)

# ----------------------------------------------------------------------- Webcasts.com


def _webcasts_config(api_url: str) -> dict[str, t.Any]:
    return {
        "platform": "webcasts",
        "webcasts_username": "webcasts-sandbox",
        "webcasts_password": "Pa$$ w0rd&sandbox/é",
        "api_url": api_url,
        "webcasts_reporting_url": api_url,
        "start_date": "2014-01-01T00:00:00Z",  # the guide's own sample event is from 2014
        "lookback_hours": 24,
    }


def _webcasts_rows(data: dict[str, t.Any]) -> dict[str, int]:
    """Webcasts: every event (expired ones from the event list alone); per viewer entry of a
    current event's report one registrant, its sessions, its survey answers and its
    questions; a viewer where it has any session."""
    current = [e for e in data["events"] if not e["is_expired"]]
    viewers = [v for e in current for v in e["viewers"]]
    return {
        "events": len(data["events"]),
        "registrants": len(viewers),
        "registrant_sessions": sum(len(v["sessions"]) for v in viewers),
        "viewers": sum(1 for v in viewers if v["sessions"]),
        "survey_responses": sum(len(v["responses"]) for v in viewers),
        "questions": sum(len(v["qa"]) for v in viewers),
    }


def _webcasts_change(sandbox: SandboxProcess) -> dict[str, set[str]]:
    """Someone registers for the guide's sample event and watches it."""
    added = sandbox.admin("webcasts", "bump_event", event_id="123456", kind="session")
    registrant_id = stable_id("registrant", added["event_id"], added["email"].lower())
    return {"registrants": {registrant_id}, "viewers": {registrant_id}}


WEBCASTS = PlatformCase("webcasts", _webcasts_config, _webcasts_rows, _webcasts_change)

# ------------------------------------------------------------------------------- ON24


def _on24_config(api_url: str) -> dict[str, t.Any]:
    return {
        "platform": "on24",
        "on24_client_id": str(on24.CLIENT_ID),
        "on24_access_token_key": on24.ACCESS_TOKEN_KEY,
        "on24_access_token_secret": on24.ACCESS_TOKEN_SECRET,
        "api_url": api_url,
        "start_date": START_DATE,
        "lookback_hours": 24,
    }


def _on24_rows(data: dict[str, t.Any]) -> dict[str, int]:
    """ON24: events with activity since start_date; their registrants, viewing sessions and
    attendees; each attendee's poll answers, survey answers and questions."""
    start = datetime.fromisoformat(START_DATE.replace("Z", "+00:00"))
    ids = [
        str(e["eventid"])
        for e in data["events"]
        if datetime.fromisoformat(e["lastupdated"]) >= start
    ]
    attendees = [a for i in ids for a in data["attendees"][i]]
    return {
        "events": len(ids),
        "registrants": sum(len(data["registrants"][i]) for i in ids),
        "registrant_sessions": sum(len(data["sessions"][i]) for i in ids),
        "viewers": len(attendees),
        "survey_responses": sum(
            len(a.get("polls") or [])
            + sum(len(s["surveyquestions"]) for s in a.get("surveys") or [])
            for a in attendees
        ),
        "questions": sum(len(a.get("questions") or []) for a in attendees),
    }


def _on24_change(sandbox: SandboxProcess) -> dict[str, set[str]]:
    """Three people register for the latest event, attend it, and it is published."""
    event_id = sandbox.dataset("on24")["events"][-1]["eventid"]
    added = sandbox.admin("on24", "add_activity", event_id=event_id, registrants=3, hours_ago=1)
    ids = {str(i) for i in added["eventuserids"]}
    return {"registrants": ids, "viewers": ids}


ON24 = PlatformCase("on24", _on24_config, _on24_rows, _on24_change)

# ------------------------------------------------------------------------------ Cvent


def _cvent_config(api_url: str) -> dict[str, t.Any]:
    return {
        "platform": "cvent",
        "cvent_api": "rest",
        "cvent_client_id": cvent.CLIENT_ID,
        "cvent_client_secret": cvent.CLIENT_SECRET,
        "api_url": api_url + "/ea",
        "start_date": START_DATE,
        "lookback_hours": 24,
    }


def _cvent_rows(data: dict[str, t.Any]) -> dict[str, int]:
    """Cvent REST: every event; its attendees, session check-ins and survey answers; a
    viewer per attendee with attendance durations. No Q&A in the REST API."""
    return {
        "events": len(data["events"]),
        "registrants": len(data["attendees"]),
        "registrant_sessions": len(data["attendance"]),
        "viewers": len({d["attendee"]["id"] for d in data["durations"] if not d["deleted"]}),
        "survey_responses": len(data["responses"]),
        "questions": 0,
    }


def _cvent_change(sandbox: SandboxProcess) -> dict[str, set[str]]:
    """Three people register for the busiest event and attend it (checked in now)."""
    data = sandbox.dataset("cvent")
    busiest = Counter(a["event"]["id"] for a in data["attendees"]).most_common(1)[0][0]
    added = sandbox.admin("cvent", "add_attendees", event_id=busiest, count=3, attended=True)
    ids = set(added["attendee_ids"])
    return {"registrants": ids, "viewers": ids}


CVENT = PlatformCase("cvent", _cvent_config, _cvent_rows, _cvent_change)

# ------------------------------------------------------------------------------- Zoom


def _zoom_config(api_url: str) -> dict[str, t.Any]:
    return {
        "platform": "zoom",
        "zoom_account_id": zoom.ACCOUNT_ID,
        "zoom_client_id": zoom.CLIENT_ID,
        "zoom_client_secret": zoom.CLIENT_SECRET,
        "zoom_oauth_url": api_url,
        "api_url": api_url,
        "start_date": START_DATE,
        "lookback_hours": 24,
    }


def _zoom_change(sandbox: SandboxProcess) -> dict[str, set[str]]:
    """Two people register for the recurring webinar and join its instance that ended within
    the lookback (Zoom's reports arrive late)."""
    data = sandbox.dataset("zoom")
    webinar = next(w for w in data["webinars"] if w["upcoming"] and w["occurrences"])
    added = sandbox.admin("zoom", "add_attendees", webinar_id=webinar["id"], count=2)
    ids = set(added["registrant_ids"])
    return {"registrants": ids, "viewers": ids}


ZOOM = PlatformCase("zoom", _zoom_config, zoom_expected.row_counts, _zoom_change)

# --------------------------------------------------------------------------- GoTo Webinar


def _goto_config(api_url: str) -> dict[str, t.Any]:
    return {
        "platform": "goto",
        "goto_client_id": goto.CLIENT_ID,
        "goto_client_secret": goto.CLIENT_SECRET,
        "goto_refresh_token": goto.REFRESH_TOKEN,
        "api_url": api_url,
        "goto_auth_url": api_url,
        "start_date": START_DATE,
        "lookback_hours": 24,
    }


def _goto_rows(data: dict[str, t.Any]) -> dict[str, int]:
    """GoTo: the organizer's webinars; their registrants; one registrant session per
    attendance interval of a completed session; a viewer per distinct attendee of a
    webinar; one answer per answered poll or survey question; the sessions' Q&A."""
    organizer = data["organizer_key"]
    webinars = [w for w in data["webinars"] if str(w["organizerKey"]) == organizer]
    keys = {w["webinarKey"] for w in webinars}
    sessions = [s for s in data["sessions"] if s["webinarKey"] in keys]
    attendees = [(s["webinarKey"], a) for s in sessions for a in data["attendees"][s["sessionKey"]]]
    answers = [
        answer
        for s in sessions
        for kind in ("polls", "surveys")
        for person in data[kind][s["sessionKey"]].values()
        for answer in person
    ]
    return {
        "events": len(webinars),
        "registrants": sum(len(data["registrants"][k]) for k in keys),
        "registrant_sessions": sum(len(a["attendance"]) for _, a in attendees),
        "viewers": len({(w, a["registrantKey"]) for w, a in attendees}),
        "survey_responses": len(answers),
        "questions": sum(len(data["questions"][s["sessionKey"]]) for s in sessions),
    }


def _goto_change(sandbox: SandboxProcess) -> dict[str, set[str]]:
    """Someone registers for the webinar held two hours ago, and attended (its session ended
    within the lookback, so it is read again)."""
    added = sandbox.admin("goto", "add_attendee")
    return {"registrants": {added["registrant_key"]}, "viewers": {added["registrant_key"]}}


GOTO = PlatformCase("goto", _goto_config, _goto_rows, _goto_change)

CASES: dict[str, PlatformCase] = {
    "webinarfuel": WEBINARFUEL,
    "webcasts": WEBCASTS,
    "on24": ON24,
    "cvent": CVENT,
    "zoom": ZOOM,
    "goto": GOTO,
}
PLATFORMS = tuple(CASES)


def case_for(sandbox: SandboxProcess, platform: str) -> PlatformCase:
    """The case of *platform*, or skip: not served by this sandbox, or no case yet."""
    if platform not in sandbox.platforms:
        pytest.skip(f"the sandbox does not serve {platform} in this build")
    case = CASES.get(platform)
    if case is None:
        pytest.skip(f"{platform}: no PlatformCase in tests/platform_configs.py yet (fill its slot)")
    return case


def missing_cases(served: t.Iterable[str]) -> list[str]:
    """Platforms the sandbox serves that have no case here."""
    return sorted(p for p in served if CASES.get(p) is None)
