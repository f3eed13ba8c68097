"""Zoom objects to unified records, and who is who within one webinar.

Zoom names a person differently in each report: a registrant `id` (registrants, absentees,
participants with `include_fields=registrant_id`), an email (often empty: outside the host's
account, or hidden), a display name. `People` resolves each row to one registrant of the
event, in that order; a row that matches none gets a registrant made from what it holds,
with a stable id from its email, or its name where the email is hidden (SPEC §5).
"""

from __future__ import annotations

import typing as t
from collections import Counter, defaultdict

from tap_webinars import normalize as n
from tap_webinars.errors import PayloadError
from tap_webinars.platforms.base import Viewing, map_fields
from tap_webinars.redaction import redact_url

REGISTRANT_FIELDS: n.FieldMap = {
    "id": ("registrant_id", n.identifier),
    "email": ("email", n.text),
    "first_name": ("first_name", n.text),
    "last_name": ("last_name", n.text),
    "org": ("company", n.text),
    "job_title": ("job_title", n.text),
    "phone": ("phone", n.text),
    "address": ("address_1", n.text),
    "city": ("city", n.text),
    "state": ("state", n.text),
    "zip": ("postal_code", n.text),
    "country": ("country", n.text),
    "no_of_employees": ("company_size", n.text),
    "industry": ("industry", n.text),
    "create_time": ("registered_at", n.timestamp),
    "status": ("status", n.text),
}
PARTICIPANT_FIELDS: n.FieldMap = {
    "join_time": ("started_at", n.timestamp),
    "leave_time": ("ended_at", n.timestamp),
    "duration": ("duration_seconds", n.integer),
}
# Kept in `extra` under these names: the participant's own ids (SPEC: original ids kept).
PARTICIPANT_IDS = ("id", "user_id", "registrant_id", "name", "user_email")
REGISTRANT_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "job_title",
    "phone",
    "address_1",
    "address_2",
    "city",
    "state",
    "postal_code",
    "country",
    "company_size",
    "industry",
    "job_function",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "registered_at",
    "updated_at",
    "status",
    "tags",
    "custom_fields",
)


def registrant_columns(endpoint: str, row: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """A Zoom registrant (or absentee) as registrant columns; custom questions by title."""
    columns, extra = map_fields(endpoint, row, REGISTRANT_FIELDS, consumed=("custom_questions",))
    answers = row.get("custom_questions") or []
    custom = {
        str(a.get("title")): n.text(a.get("value"))
        for a in answers
        if isinstance(a, dict) and a.get("title")
    }
    return {
        **dict.fromkeys(REGISTRANT_COLUMNS),
        **columns,
        "custom_fields": custom or None,
        "extra": extra,
    }


def person_key(event_id: str, email: str | None, name: str | None) -> str | None:
    """The stable id of a person no registrant matches: from the email, else the name."""
    if email:
        return n.stable_id("zoom-person", event_id, "email", email.lower())
    if name:
        return n.stable_id("zoom-person", event_id, "name", name)
    return None


class People:
    """The registrants of one webinar, and the ones made up for rows that match none."""

    def __init__(self, event_id: str) -> None:
        self.event_id = event_id
        self.registrants: dict[str, dict[str, t.Any]] = {}
        self._by_email: dict[str, str] = {}
        self._by_name: dict[str, str] = {}  # names seen on rows already resolved
        self.joined: set[str] = set()
        self.absent: set[str] = set()
        # Per registrant, over the instances read: their joins, and their answers by kind.
        self.viewings: dict[str, list[Viewing]] = defaultdict(list)
        self.answers: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, columns: dict[str, t.Any]) -> str:
        """A registrant listed by Zoom (registrants or absentees); its id."""
        registrant_id = str(columns["registrant_id"])
        self.registrants.setdefault(registrant_id, columns)
        if columns.get("email"):
            self._by_email.setdefault(str(columns["email"]).lower(), registrant_id)
        return registrant_id

    def email_of(self, registrant_id: str | None) -> str | None:
        """The registrant's email, where Zoom told it."""
        found = self.registrants.get(registrant_id or "")
        return found.get("email") if found else None

    def resolve(
        self, *, email: str | None, name: str | None, registrant_id: str | None, source: str
    ) -> str | None:
        """The registrant a row names: its id, its email, else one made from the row."""
        if registrant_id and registrant_id in self.registrants:
            if name:
                self._by_name.setdefault(name, registrant_id)
            return registrant_id
        if email and email.lower() in self._by_email:
            return self._by_email[email.lower()]
        if not email and not registrant_id and name and name in self._by_name:
            return self._by_name[name]  # a hidden email: the name a join row had
        # A registrant id of a webinar whose registrants can no longer be listed stays the id.
        key = registrant_id or person_key(self.event_id, email, name)
        if key is None:
            return None
        if name:
            self._by_name.setdefault(name, key)
        if key not in self.registrants:
            first, _, last = (name or "").strip().partition(" ")
            self.add(
                {
                    **dict.fromkeys(REGISTRANT_COLUMNS),
                    "registrant_id": key,
                    "email": email,
                    "first_name": first or None,
                    "last_name": last.strip() or None,
                    "extra": {"derived_from": source, "name": name},
                }
            )
        return key

    def records(self) -> t.Iterator[dict[str, t.Any]]:
        """Registrant columns with `attended`: joined an instance read, or an absentee of one."""
        for registrant_id, columns in self.registrants.items():
            attended = True if registrant_id in self.joined else None
            if attended is None and registrant_id in self.absent:
                attended = False
            yield {**columns, "attended": attended}


def answers_of(
    endpoint: str, rows: t.Any, details_key: str
) -> t.Iterator[tuple[str | None, str | None, int, dict[str, t.Any]]]:
    """(email, name, index, detail) of every answered item of a poll, Q&A or survey report.

    A report whose rows or details are not objects is a bad payload, never skipped.
    """
    if rows is None:
        return
    if not isinstance(rows, list):
        raise PayloadError(redact_url(endpoint), "the report's rows are not a list")
    for row in rows:
        details = row.get(details_key) if isinstance(row, dict) else None
        if not isinstance(row, dict) or not isinstance(details or [], list):
            raise PayloadError(redact_url(endpoint), f"a row is not an object with {details_key}")
        email, name = n.text(row.get("email")), n.text(row.get("name"))
        for index, detail in enumerate(details or []):
            if not isinstance(detail, dict):
                raise PayloadError(redact_url(endpoint), f"a {details_key} item is not an object")
            yield email, name, index, detail
