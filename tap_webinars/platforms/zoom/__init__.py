"""Zoom Webinars (reference: zoom-api-openapi.json, zoom-docs-excerpts.txt, reference/README.md).

Server-to-Server OAuth (an account-credentials token, an hour long, renewed before it
lapses) and Bearer calls, paced per rate-limit label (api.py).

Every run reads the listings (listing.py): the hosts (`/users`, active and inactive, or
`zoom_user_ids`), each host's webinars (`scheduled` and `upcoming`), and the report API's
past webinars in one-month windows within its 6-month retention. No Zoom endpoint filters by
modification time, so the change detection comes from instance times, and it is expressed in
the engine's own terms, `EventRef.marker` against the event's bookmark:

* a webinar with an occurrence ahead (or live) has marker = the listing time: it is read on
  every run, its registrants (approved, pending, denied) re-read;
* an ended webinar has marker = the end of its latest ended instance (the report row's
  `end_time`, else its scheduled end): read when a new instance ends (marker past the
  bookmark) and on every run while that end is within `lookback_hours`, then never again;
* the event's `last_activity_at` (its bookmark) is the same latest end, never earlier than
  the marker, so a webinar read once is not read again for the same instance.

Within a read, an ended instance is read (participants, absentees where the webinar takes
registration, polls, Q&A, survey, all by its uuid) when the event has no bookmark, when it
ended after the bookmark, or when its end is within the lookback: each instance is read once
it has ended, re-read while late reports may still arrive, then never again. An unchanged
re-run costs the listings, the upcoming webinars' details and registrants, and the
lookback's re-reads. An instance older than the reports' 6-month retention is skipped with
one warning, without a request.

Records: `registrant_sessions` one per participant row (each join), the original ids in
`extra`; `viewers` totals of those rows; polls and the survey report (`kind` poll/survey) and
Q&A, every row joined to a registrant of the webinar (mapping.py). A viewer's totals cover
every instance: when a recurring webinar has an instance to read, its settled instances'
participants are read too (their records not emitted again). A registrant's `attended` is
true where they joined an instance read in that run (false: an absentee of one); when a
run reads none of a webinar's instances (an upcoming recurring webinar), its re-read
registrants carry `attended` null, their viewer rows from earlier runs still standing.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta

from singer_sdk import typing as th
from typing_extensions import override

from tap_webinars import normalize as n
from tap_webinars.errors import PayloadError, ResourceRefusedError, StreamUnavailableError
from tap_webinars.http import HttpPolicy
from tap_webinars.permissions import Core, Enrichment
from tap_webinars.platforms.base import (
    EventBundle,
    EventRef,
    PlatformAdapter,
    Probe,
    Window,
)
from tap_webinars.platforms.zoom.api import (
    CREDENTIALS,
    PLAN_LIMITS,
    RETENTION,
    AccountToken,
    WebinarGoneError,
    ZoomApi,
    refusal_reason,
)
from tap_webinars.platforms.zoom.listing import (
    Listed,
    hosts,
    list_webinars,
    report_windows,
)
from tap_webinars.platforms.zoom.mapping import (
    People,
    registrant_columns,
)
from tap_webinars.platforms.zoom.reports import SURVEY_PATH, Reports
from tap_webinars.redaction import redact_url

API_URL = "https://api.zoom.us/v2"
OAUTH_URL = "https://zoom.us"
REGISTRANTS_ROLE = Core(("registrants",), "webinar:read:admin")
REGISTRANT_DETAILS = Enrichment(
    "webinar registrants",
    "webinar:read:admin",
    columns=("registrant_id and email of participants and answers",),
)
REGISTRANT_STATUSES = ("approved", "pending", "denied")


class ZoomAdapter(PlatformAdapter):
    """Zoom Webinars: webinars, their occurrences and ended instances, and their reports."""

    name = "zoom"
    title = "Zoom Webinars"
    config_properties = (
        th.Property(
            "zoom_account_id",
            th.StringType,
            description="Zoom account id of the Server-to-Server OAuth app.",
        ),
        th.Property(
            "zoom_client_id",
            th.StringType,
            description="Client id of the Server-to-Server OAuth app.",
        ),
        th.Property(
            "zoom_client_secret",
            th.StringType,
            secret=True,
            description="Client secret of the Server-to-Server OAuth app.",
        ),
        th.Property(
            "zoom_oauth_url",
            th.StringType,
            description="Token host (default https://zoom.us; the token is at /oauth/token).",
        ),
        th.Property(
            "zoom_user_ids",
            th.ArrayType(th.StringType),
            description="Hosts (user ids or emails) whose webinars are read; "
            "default: every active and inactive user of the account.",
        ),
        th.Property(
            "zoom_plan",
            th.StringType,
            default="pro",
            allowed_values=list(PLAN_LIMITS),
            description="The account's plan, for pacing: pro (Light 30, Medium 20, Heavy 10 "
            "a second, 30,000 Heavy a day) or business (Business and higher: 80, 60, 40, "
            "60,000).",
        ),
        th.Property(
            "zoom_survey_report_path",
            th.StringType,
            description="Path of the webinar survey report, {uuid} standing for the "
            f"instance (default {SURVEY_PATH}; unverified).",
        ),
    )
    required_keys = CREDENTIALS
    url_keys = ("zoom_oauth_url",)
    account_label = "`zoom_account_id`"
    simulator = "tap_webinars.sandbox.zoom:ZoomSimulator"

    @classmethod
    @override
    def default_account_id(cls, config: t.Mapping[str, t.Any]) -> str:
        return str(config.get("zoom_account_id") or cls.name)

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        oauth = str(self.settings.get("zoom_oauth_url") or OAUTH_URL).rstrip("/")
        token = AccountToken(
            self.http,
            oauth + "/oauth/token",
            str(self.settings.get("zoom_client_id")),
            str(self.settings.get("zoom_client_secret")),
            credential_keys=CREDENTIALS,
            account_id=str(self.settings.get("zoom_account_id")),
        )
        plan = str(self.settings.get("zoom_plan") or "pro")
        self.api = ZoomApi(self.http, self.settings.api_url or API_URL, token=token, plan=plan)
        survey_path = str(self.settings.get("zoom_survey_report_path") or SURVEY_PATH)
        self.reports = Reports(self.api, self.permissions, self.record, survey_path)

    @override
    def http_policy(self) -> HttpPolicy:
        return HttpPolicy(
            platform=self.name,
            credential_keys=CREDENTIALS,
            default_headers={"Accept": "application/json"},
            # A per-second 429 asks for a second; the Heavy daily cap's Retry-After runs to
            # midnight UTC: waits are capped, so a run that met the cap stops within its
            # rate-limit waits (every record and bookmark emitted so far kept), not hours.
            max_wait_seconds=60.0,
        )

    def _user_ids(self) -> list[str] | None:
        value = self.settings.get("zoom_user_ids")
        if isinstance(value, str):
            value = value.split(",")
        ids = [str(v).strip() for v in value or [] if str(v).strip()]
        return ids or None

    @override
    def check(self) -> None:
        users = self._user_ids()
        if users:
            self.api.get(f"/users/{users[0]}/webinars", {"page_size": 1})
        else:
            self.api.get("/users", {"page_size": 1})

    @override
    def access_probes(self) -> list[Probe]:
        host = (self._user_ids() or ["me"])[0]
        today = n.utc_now().date()
        probes = []
        if not self._user_ids():
            probes.append(
                Probe(
                    ("events", *sorted(self.filled_streams)),
                    "user:read:admin",
                    lambda: self.api.get("/users", {"page_size": 1}),
                )
            )
        probes.append(
            Probe(
                ("events", "registrants"),
                "webinar:read:admin",
                lambda: self.api.get(f"/users/{host}/webinars", {"page_size": 1}),
            )
        )
        window = {"type": "past", "from": str(today - timedelta(days=7)), "to": str(today)}
        probes.append(
            Probe(
                ("registrant_sessions", "viewers", "survey_responses", "questions"),
                "report:read:admin",
                lambda: self.api.get(f"/report/users/{host}/meetings", window | {"page_size": 1}),
            )
        )
        return probes

    # ------------------------------------------------------------------ listing

    @override
    def list_events(self, bookmarks: t.Mapping[str, datetime]) -> list[EventRef]:
        now = n.utc_now()
        host_ids = hosts(self.api, self.permissions, self._user_ids())
        windows = report_windows(self.settings.start_date, self.settings.end_date, now)
        listed = list_webinars(self.api, self.permissions, host_ids, windows, self._no_plan)
        refs = []
        for entry in listed.values():
            if not self._in_range(entry):
                continue
            ended_by = entry.ended_by()
            marker = now if entry.upcoming else ended_by
            listing = {"entry": entry, "ended_by": ended_by, "listed_at": now}
            refs.append(EventRef(entry.webinar_id, marker=marker, listing=listing))
        return refs

    def _no_plan(self, host: str, error: StreamUnavailableError) -> None:
        self.permissions.skip_item(
            f"webinars of host {host}",
            refusal_reason(error.answer, "webinar:read:admin"),
        )

    def _in_range(self, entry: Listed) -> bool:
        starts = entry.starts()
        end = self.settings.end_date
        if entry.upcoming and (end is None or any(s <= end for s in starts)):
            return True
        return any(s >= self.settings.start_date and (end is None or s <= end) for s in starts)

    # ------------------------------------------------------------------ one webinar

    @override
    def fetch_event(self, ref: EventRef, window: Window, wanted: frozenset[str]) -> EventBundle:
        entry: Listed = ref.listing["entry"]
        now: datetime = ref.listing["listed_at"]
        details = self._details(entry)
        instances = self._instances(entry, details is not None)
        event = self.event_record(entry, details, instances)
        ended_by: datetime | None = ref.listing["ended_by"]
        ends = [i["_end"] for i in instances if i["_end"] <= now]
        latest = max([*ends, *([ended_by] if ended_by else [])], default=None)
        event["last_activity_at"] = n.format_timestamp(latest) if latest else None
        bundle = EventBundle(event=event)
        if not wanted:
            return bundle
        people = People(entry.webinar_id)
        registration = details is not None and _has_registration(details)
        if registration:
            self._registrants(entry.webinar_id, people, wanted)
        readable = [i for i in instances if self._readable(entry, i, window, now)]
        changed = [i for i in readable if self._changed(i, window, now)]
        # Absentees are registrants: a webinar without registration has none (Zoom answers
        # code 3000); one whose details are gone may have had them.
        absentees = registration or details is None
        for instance in changed:
            self.reports.read_instance(bundle, entry, instance, people, wanted, absentees=absentees)
        if changed and "viewers" in wanted:
            # Viewer totals (and `attended`) cover every instance: the settled ones' joins
            # are read again, but not emitted again.
            for instance in readable:
                if instance not in changed:
                    self.reports.settled_joins(entry, instance, people)
        if "viewers" in wanted:
            for record in self.reports.viewer_records(entry.webinar_id, people):
                bundle.add("viewers", record)
        if "registrants" in wanted:
            for columns in people.records():
                bundle.add("registrants", self.record(entry.webinar_id, **columns))
        return bundle

    def _details(self, entry: Listed) -> dict[str, t.Any] | None:
        """The webinar itself (occurrences, settings); None once Zoom has deleted it."""
        try:
            return self.api.get(f"/webinars/{entry.webinar_id}")
        except ResourceRefusedError as refused:  # the plan lost its Webinar add-on
            self.permissions.skip_item(
                f"details and registrants of webinar {entry.webinar_id}",
                refusal_reason(refused.answer, "webinar:read:admin"),
            )
            return None
        except WebinarGoneError:
            self.permissions.skip_item(
                f"details and registrants of webinar {entry.webinar_id}",
                "Zoom code 3001, the webinar no longer exists; its ended instances are read "
                "from the reports",
            )
            return None

    def _instances(self, entry: Listed, exists: bool) -> list[dict[str, t.Any]]:
        """Its ended instances: past instances and report rows, by uuid, with their ends."""
        rows: dict[str, dict[str, t.Any]] = {}
        if exists:
            try:
                body = self.api.get(f"/past_webinars/{entry.webinar_id}/instances")
                for row in body.get("webinars") or []:
                    if isinstance(row, dict) and row.get("uuid"):
                        rows[str(row["uuid"])] = dict(row)
            except WebinarGoneError:
                pass  # no instance yet, or gone: the report rows are what there is
        for report in entry.reports:
            rows.setdefault(str(report["uuid"]), {}).update(report)
        endpoint = self.api.url(f"/past_webinars/{entry.webinar_id}/instances")
        minutes = _minutes(endpoint, (entry.webinar or {}).get("duration"))
        instances = []
        for uuid, row in rows.items():
            try:
                start = n.parse_timestamp(row.get("start_time"))
                end = (
                    n.parse_timestamp(row["end_time"])
                    if row.get("end_time")
                    else start
                    + timedelta(minutes=_minutes(endpoint, row.get("duration")) or minutes)
                )
            except (TypeError, ValueError) as error:
                raise PayloadError(endpoint, f"instance {uuid}: {error}") from None
            instances.append({**row, "uuid": uuid, "_start": start, "_end": end})
        instances.sort(key=lambda i: (i["_start"], i["uuid"]))
        return instances

    def _readable(
        self, entry: Listed, instance: dict[str, t.Any], window: Window, now: datetime
    ) -> bool:
        """Within start_date/end_date and Zoom's report retention (else one warning)."""
        start, end = instance["_start"], instance["_end"]
        if end < self.settings.start_date or (window.end is not None and start > window.end):
            return False
        if start < now - RETENTION:
            self.permissions.skip_item(
                f"instances of webinar {entry.webinar_id} older than 6 months",
                "Zoom keeps webinar reports for 6 months; their participants, polls and "
                "Q&A can no longer be read",
            )
            return False
        return True

    def _changed(self, instance: dict[str, t.Any], window: Window, now: datetime) -> bool:
        """Read once ended, again while within the lookback, never after (module docstring)."""
        since, end = window.since, instance["_end"]
        return since is None or end > since or end >= now - self.settings.lookback

    def _registrants(self, webinar_id: str, people: People, wanted: frozenset[str]) -> None:
        path = f"/webinars/{webinar_id}/registrants"
        for status in REGISTRANT_STATUSES:

            def read(s: str = status) -> list[dict[str, t.Any]]:
                return self.api.paged_items(path, "registrants", {"status": s})

            try:
                if "registrants" in wanted:
                    rows = self.permissions.core(REGISTRANTS_ROLE, read)
                else:
                    rows = self.permissions.optional(REGISTRANT_DETAILS, read) or []
            except WebinarGoneError:
                return
            for row in rows:
                columns = registrant_columns(self.api.url(path), row)
                columns["status"] = columns["status"] or status
                people.add(columns)

    # ------------------------------------------------------------------ events record

    def event_record(
        self,
        entry: Listed,
        details: dict[str, t.Any] | None,
        instances: list[dict[str, t.Any]],
    ) -> dict[str, t.Any]:
        """The webinar: details where Zoom still has it, else its latest report row."""
        source = details or entry.webinar or (entry.reports[-1] if entry.reports else {})
        occurrences = [o for o in (source.get("occurrences") or []) if isinstance(o, dict)]
        sessions = [
            {
                "session_id": n.identifier(o.get("occurrence_id")),
                "scheduled_at": n.timestamp(o.get("start_time")),
            }
            for o in occurrences
        ]
        if not occurrences and not instances and source.get("start_time"):
            sessions.append(
                {"session_id": entry.webinar_id, "scheduled_at": n.timestamp(source["start_time"])}
            )
        sessions += [
            {"session_id": i["uuid"], "scheduled_at": n.format_timestamp(i["_start"])}
            for i in instances
        ]
        starts = sorted([s["scheduled_at"] for s in sessions if s["scheduled_at"]])
        minutes = _minutes(self.api.url(f"/webinars/{entry.webinar_id}"), source.get("duration"))
        scheduled_end = (
            n.format_timestamp(n.parse_timestamp(starts[-1]) + timedelta(minutes=minutes))
            if starts
            else None
        )
        webinar_type = source.get("type")
        counts = [r.get("participants_count") for r in entry.reports]
        attendees = sum(int(c) for c in counts if isinstance(c, int)) if counts else None
        kept = (
            "occurrences",
            "topic",
            "agenda",
            "timezone",
            "start_time",
            "duration",
            "created_at",
            "registration_url",
            "id",
            "uuid",
            "end_time",
        )
        extra = {k: v for k, v in source.items() if k not in kept}
        return self.record(
            entry.webinar_id,
            title=n.text(source.get("topic")),
            description=n.text(source.get("agenda")),
            event_type="recurring_webinar" if webinar_type in (6, 9) else "webinar",
            time_zone=n.text(source.get("timezone")),
            scheduled_start_at=starts[0] if starts else None,
            scheduled_end_at=scheduled_end,
            live_start_at=n.format_timestamp(instances[0]["_start"]) if instances else None,
            live_end_at=n.format_timestamp(max(i["_end"] for i in instances))
            if instances
            else None,
            on_demand_start_at=None,
            on_demand_end_at=None,
            created_at=n.timestamp(source.get("created_at")),
            updated_at=None,
            is_expired=entry.webinar is None,
            registration_url=n.text(source.get("registration_url")),
            cost_center=None,
            category=None,
            tags=None,
            sessions=sessions,
            registrant_count=None,
            attendee_count=attendees,
            live_attendee_count=attendees,
            on_demand_attendee_count=None,
            no_show_count=None,
            extra=extra | {"webinar_uuid": source.get("uuid")},
        )


def _minutes(endpoint: str, value: t.Any) -> int:
    """A webinar's `duration` (minutes); absent is 0, anything but a number a bad payload."""
    try:
        return n.integer(value) or 0
    except ValueError as error:
        raise PayloadError(redact_url(endpoint), f"duration: {error}") from None


def _has_registration(details: t.Mapping[str, t.Any]) -> bool:
    """Zoom's `approval_type` 2 means no registration is required (nor listed)."""
    settings = details.get("settings")
    return not (isinstance(settings, dict) and settings.get("approval_type") == 2)
