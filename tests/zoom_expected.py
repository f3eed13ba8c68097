"""Zoom records a full sync must emit, computed from the sandbox's dataset alone.

Shared by tests/test_zoom.py (record by record) and tests/platform_configs.py (row counts):
the rules of SPEC §5 (which instances are read, who joins which registrant), applied to the
raw data `/_admin/zoom/dataset` returns, never to tap output.
"""

from __future__ import annotations

import typing as t
from collections import Counter
from datetime import datetime, timedelta, timezone

from tap_webinars.normalize import stable_id

STREAMS = (
    "events",
    "registrants",
    "registrant_sessions",
    "viewers",
    "survey_responses",
    "questions",
)
RETENTION = timedelta(days=182)  # what the tap reads back to (the sandbox keeps 183 days)


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def iso(value: str | None) -> str | None:
    return when(value).isoformat() if value else None


class Expected:
    """What a full sync must emit, by natural keys, computed from the dataset alone."""

    def __init__(self, data: dict[str, t.Any], *, since: datetime | None = None) -> None:
        self.now = when(data["now"])
        self.rows: dict[str, dict[tuple[t.Any, ...], dict[str, t.Any]]] = {s: {} for s in STREAMS}
        for webinar in data["webinars"]:
            self._webinar(webinar)

    def read_instances(self, webinar: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        return sorted(
            (i for i in webinar["instances"] if when(i["start_time"]) >= self.now - RETENTION),
            key=lambda i: (i["start_time"], i["uuid"]),
        )

    def _webinar(self, webinar: dict[str, t.Any]) -> None:
        event_id = str(webinar["id"])
        listed = webinar["listed"] and not webinar["deleted"]
        instances = self.read_instances(webinar)
        if not listed and not instances:
            return
        self.rows["events"][(event_id,)] = {
            "is_expired": not listed,
            "sessions": sorted(
                [o["occurrence_id"] for o in webinar["occurrences"]]
                + [i["uuid"] for i in webinar["instances"]]
                + ([] if webinar["occurrences"] or webinar["instances"] else [event_id])
            ),
        }
        people: dict[str, dict[str, t.Any]] = {}
        by_email: dict[str, str] = {}
        by_name: dict[str, str] = {}
        joins: dict[str, list[int]] = {}
        absent: set[str] = set()
        answers: dict[str, Counter[str]] = {}

        def add(registrant: dict[str, t.Any]) -> str:
            people.setdefault(registrant["id"], registrant)
            if registrant.get("email"):
                by_email.setdefault(registrant["email"].lower(), registrant["id"])
            return str(registrant["id"])

        def resolve(email: str, name: str, registrant_id: str | None) -> str:
            if registrant_id and registrant_id in people:
                by_name.setdefault(name, registrant_id)
                return registrant_id
            if email and email.lower() in by_email:
                return by_email[email.lower()]
            if not email and not registrant_id and name in by_name:
                return by_name[name]
            key = registrant_id or (
                stable_id("zoom-person", event_id, "email", email.lower())
                if email
                else stable_id("zoom-person", event_id, "name", name)
            )
            by_name.setdefault(name, key)
            if key not in people:
                add({"id": key, "email": email or None, "status": None})
            return key

        if not webinar["deleted"] and webinar["settings"]["approval_type"] != 2:
            for status in ("approved", "pending", "denied"):
                for registrant in webinar["registrants"]:
                    if registrant["status"] == status:
                        add(registrant)
        for instance in instances:
            uuid = instance["uuid"]
            for row in instance["participants"]:
                rid = resolve(row["user_email"], row["name"], row.get("registrant_id"))
                joins.setdefault(rid, []).append(row["duration"])
                self.rows["registrant_sessions"][(event_id, uuid, row["user_id"])] = {
                    "registrant_id": rid,
                    "started_at": iso(row["join_time"]),
                    "ended_at": iso(row["leave_time"]),
                    "duration_seconds": row["duration"],
                }
            joined = {row.get("registrant_id") for row in instance["participants"]}
            for registrant in webinar["registrants"]:
                if registrant["status"] == "approved" and registrant["id"] not in joined:
                    absent.add(add(registrant))
            for kind, rows, details in (
                ("poll", instance["polls"], "question_details"),
                ("survey", instance["survey"], "answer_details"),
            ):
                for row in rows:
                    rid = resolve(row["email"], row["name"], None)
                    for detail in row[details]:
                        answers.setdefault(rid, Counter())[kind] += 1
                        key = (
                            event_id,
                            uuid,
                            kind,
                            row["email"] or row["name"],
                            detail["question"],
                            iso(detail["date_time"]),
                        )
                        self.rows["survey_responses"][key] = {
                            "registrant_id": rid,
                            "answer": detail["answer"] or None,
                        }
            for row in instance["qa"]:
                rid = resolve(row["email"], row["name"], None)
                for detail in row["question_details"]:
                    answers.setdefault(rid, Counter())["questions"] += 1
                    key = (event_id, uuid, row["email"] or row["name"], detail["question"])
                    self.rows["questions"][key] = {
                        "registrant_id": rid,
                        "answer": detail["answer"] or None,
                    }
        for rid, registrant in people.items():
            attended = True if rid in joins else (False if rid in absent else None)
            self.rows["registrants"][(event_id, rid)] = {
                "email": registrant.get("email") or None,
                "status": registrant.get("status"),
                "attended": attended,
            }
        for rid, seconds in joins.items():
            counts = answers.get(rid, Counter())
            self.rows["viewers"][(event_id, rid)] = {
                "total_seconds": sum(seconds),
                "live_session_count": len(seconds),
                "poll_response_count": counts["poll"],
                "question_count": counts["questions"],
            }


def natural(stream: str, record: dict[str, t.Any]) -> tuple[t.Any, ...]:
    """A tap record's natural key, the one `Expected` uses."""
    event = record["event_id"]
    extra = record["extra"]
    if stream == "events":
        return (event,)
    if stream in ("registrants", "viewers"):
        return (event, record["registrant_id"])
    if stream == "registrant_sessions":
        return (event, record["webinar_session_id"], extra["participant_user_id"])
    person = extra["name"] if extra["email_hidden"] else record["email"]
    if stream == "survey_responses":
        return (
            event,
            extra["instance_uuid"],
            record["kind"],
            person,
            record["question"],
            record["submitted_at"],
        )
    return (event, extra["instance_uuid"], person, record["question"])


def row_counts(data: dict[str, t.Any]) -> dict[str, int]:
    """Rows per stream after a full load."""
    expected = Expected(data)
    return {stream: len(expected.rows[stream]) for stream in STREAMS}
