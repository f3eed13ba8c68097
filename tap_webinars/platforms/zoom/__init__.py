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

Within a read, an ended instance is read (participants, absentees, polls, Q&A, survey, all by
its uuid) when the event has no bookmark, when it ended after the bookmark, or when its end
is within the lookback: each instance is read once it has ended, re-read while late reports
may still arrive, then never again. An unchanged re-run costs the listings, the upcoming
webinars' details and registrants, and the lookback's re-reads. An instance older than the
reports' 6-month retention is skipped with one warning, without a request.

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
    Viewing,
    Window,
    map_fields,
    viewer_totals,
)
from tap_webinars.platforms.zoom.api import (
    CREDENTIALS,
    RETENTION,
    AccountToken,
    WebinarGoneError,
    ZoomApi,
    instance_segment,
    refusal_reason,
)
from tap_webinars.platforms.zoom.listing import (
    Listed,
    hosts,
    list_webinars,
    report_windows,
)
from tap_webinars.platforms.zoom.mapping import (
    PARTICIPANT_FIELDS,
    PARTICIPANT_IDS,
    People,
    answers_of,
    registrant_columns,
)
from tap_webinars.redaction import redact_url

API_URL = "https://api.zoom.us/v2"
OAUTH_URL = "https://zoom.us"
REPORT_STREAMS = ("registrant_sessions", "viewers")
PARTICIPANTS_ROLE = Core(REPORT_STREAMS, "report:read:admin", frozenset({403}))
POLLS_ROLE = Core(("survey_responses",), "report:read:admin")
QA_ROLE = Core(("questions",), "report:read:admin")
REGISTRANTS_ROLE = Core(("registrants",), "webinar:read:admin")
REGISTRANT_DETAILS = Enrichment(
    "webinar registrants",
    "webinar:read:admin",
    columns=("registrant_id and email of participants and answers",),
)
ABSENTEES = Enrichment("absentees", "webinar:read:admin", columns=("attended false",))
SURVEY = Enrichment(
    "the webinar survey report",
    "report:read:admin (and a plan with webinar surveys)",
    columns=("survey_responses of kind survey",),
)
SURVEY_PATH = "/report/webinars/{uuid}/survey"  # unverified: newer API versions only
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
        self.api = ZoomApi(self.http, self.settings.api_url or API_URL, token=token)
        self.survey_path = str(self.settings.get("zoom_survey_report_path") or SURVEY_PATH)

    @override
    def http_policy(self) -> HttpPolicy:
        return HttpPolicy(
            platform=self.name,
            credential_keys=CREDENTIALS,
            default_headers={"Accept": "application/json"},
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
        for instance in changed:
            self._read_instance(bundle, entry, instance, people, wanted)
        if changed and "viewers" in wanted:
            # Viewer totals (and `attended`) cover every instance: the settled ones' joins
            # are read again, but not emitted again.
            for instance in readable:
                if instance not in changed:
                    self._settled_joins(entry, instance, people)
        if "viewers" in wanted:
            for record in self.viewer_records(entry.webinar_id, people):
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

    def _settled_joins(self, entry: Listed, instance: dict[str, t.Any], people: People) -> None:
        """The joins of an instance read before: for viewer totals only, nothing emitted."""
        scratch = EventBundle(event={})
        try:
            self._participants(
                scratch,
                entry.webinar_id,
                instance,
                instance_segment(instance["uuid"]),
                people,
                wanted=frozenset({"viewers"}),
            )
        except WebinarGoneError:
            self.permissions.skip_item(
                f"reports of instance {instance['uuid']} of webinar {entry.webinar_id}",
                "Zoom code 3001: no report for this instance (deleted, or not published)",
            )
        finally:
            scratch.close()

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

    def _read_instance(
        self,
        bundle: EventBundle,
        entry: Listed,
        instance: dict[str, t.Any],
        people: People,
        wanted: frozenset[str],
    ) -> None:
        uuid = instance["uuid"]
        segment = instance_segment(uuid)
        try:
            if wanted & {"registrant_sessions", "viewers", "registrants"} and (
                wanted & set(REPORT_STREAMS)
            ):
                self._participants(
                    bundle, entry.webinar_id, instance, segment, people, wanted=wanted
                )
            if "registrants" in wanted:
                self._absentees(entry.webinar_id, segment, people)
            if "survey_responses" in wanted:
                self._polls(bundle, entry.webinar_id, uuid, segment, people)
                self._survey(bundle, entry.webinar_id, uuid, segment, people)
            if "questions" in wanted:
                self._questions(bundle, entry.webinar_id, uuid, segment, people)
        except WebinarGoneError:
            self.permissions.skip_item(
                f"reports of instance {uuid} of webinar {entry.webinar_id}",
                "Zoom code 3001: no report for this instance (deleted, or not published)",
            )

    def _participants(
        self,
        bundle: EventBundle,
        webinar_id: str,
        instance: dict[str, t.Any],
        segment: str,
        people: People,
        *,
        wanted: frozenset[str],
    ) -> None:
        path = f"/report/webinars/{segment}/participants"
        rows = self.permissions.core(
            PARTICIPANTS_ROLE,
            lambda: self.api.paged_items(path, "participants", {"include_fields": "registrant_id"}),
        )
        endpoint = self.api.url(path)
        scheduled = n.format_timestamp(instance["_start"])
        for row in rows:
            columns, extra = map_fields(endpoint, row, PARTICIPANT_FIELDS, PARTICIPANT_IDS)
            email = n.text(row.get("user_email"))
            registrant_id = people.resolve(
                email=email,
                name=n.text(row.get("name")),
                registrant_id=n.identifier(row.get("registrant_id")),
                source="participant",
            )
            extra |= {f"participant_{k}": row.get(k) for k in PARTICIPANT_IDS if k in row}
            session_id = n.stable_id(
                "zoom-join",
                instance["uuid"],
                row.get("user_id"),
                row.get("id"),
                row.get("name"),
                columns.get("started_at"),
            )
            record = self.record(
                webinar_id,
                session_id=session_id,
                registrant_id=registrant_id,
                email=email or people.email_of(registrant_id),
                session_type="live",
                webinar_session_id=instance["uuid"],
                scheduled_at=scheduled,
                attended=True,
                watched=None,
                **dict.fromkeys(
                    (
                        "join_url",
                        "replay_url",
                        "device",
                        "os",
                        "browser",
                        "media",
                        "country",
                        "city",
                        "time_zone",
                    )
                ),
                **{"started_at": None, "ended_at": None, "duration_seconds": None} | columns,
                extra=extra,
            )
            if "registrant_sessions" in wanted:
                bundle.add("registrant_sessions", record)
            if registrant_id is not None:
                people.joined.add(registrant_id)
                people.viewings[registrant_id].append(
                    Viewing(
                        "live",
                        record["duration_seconds"],
                        record["started_at"],
                        record["ended_at"],
                    )
                )

    def viewer_records(self, webinar_id: str, people: People) -> t.Iterator[dict[str, t.Any]]:
        """One viewer per registrant who joined: totals over their joins, counts of answers."""
        for registrant_id, own in people.viewings.items():
            totals = viewer_totals(own, kinds=("live",))
            answers = people.answers[registrant_id]
            yield self.record(
                webinar_id,
                registrant_id=registrant_id,
                email=people.email_of(registrant_id),
                **{k: v for k, v in totals.items() if not k.startswith("other_")},
                engagement_score=None,
                question_count=answers["questions"],
                poll_response_count=answers["poll"],
                survey_response_count=answers["survey"],
                resource_view_count=None,
                updated_at=totals["last_viewed_at"],
                extra={},
            )

    def _absentees(self, webinar_id: str, segment: str, people: People) -> None:
        path = f"/past_webinars/{segment}/absentees"
        rows = self.permissions.optional(
            ABSENTEES, lambda: self.api.paged_items(path, "registrants")
        )
        for row in rows or []:
            columns = registrant_columns(self.api.url(path), row)
            columns["extra"]["derived_from"] = "absentee"
            registrant_id = people.add(columns)
            people.absent.add(registrant_id)

    def _polls(
        self, bundle: EventBundle, webinar_id: str, uuid: str, segment: str, people: People
    ) -> None:
        path = f"/report/webinars/{segment}/polls"
        body = self.permissions.core(POLLS_ROLE, lambda: self.api.get(path))
        for email, name, index, detail in answers_of(
            self.api.url(path), body.get("questions"), "question_details"
        ):
            registrant_id = people.resolve(
                email=email, name=name, registrant_id=None, source="poll"
            )
            if registrant_id is not None:
                people.answers[registrant_id]["poll"] += 1
            answer = n.text(detail.get("answer"))
            bundle.add(
                "survey_responses",
                self.record(
                    webinar_id,
                    response_id=n.stable_id(
                        "zoom-poll",
                        uuid,
                        email or name,
                        index,
                        detail.get("polling_id"),
                        detail.get("question"),
                        detail.get("date_time"),
                    ),
                    registrant_id=registrant_id,
                    email=email or people.email_of(registrant_id),
                    kind="poll",
                    survey_id=n.identifier(detail.get("polling_id")),
                    survey_name=None,
                    survey_type=None,
                    question_id=None,
                    question=n.text(detail.get("question")),
                    question_type=None,
                    answer=answer,
                    answers=n.split_answers(answer, ";"),
                    submitted_at=n.timestamp(detail.get("date_time")),
                    extra={"instance_uuid": uuid, "name": name, "email_hidden": email is None},
                ),
            )

    def _survey(
        self, bundle: EventBundle, webinar_id: str, uuid: str, segment: str, people: People
    ) -> None:
        path = self.survey_path.replace("{uuid}", segment)
        body = self.permissions.optional(SURVEY, lambda: self.api.get(path))
        if not body:
            return
        rows = body.get("survey_answers") or []
        for email, name, index, detail in answers_of(self.api.url(path), rows, "answer_details"):
            registrant_id = people.resolve(
                email=email, name=name, registrant_id=None, source="survey"
            )
            if registrant_id is not None:
                people.answers[registrant_id]["survey"] += 1
            answer = n.text(detail.get("answer"))
            bundle.add(
                "survey_responses",
                self.record(
                    webinar_id,
                    response_id=n.stable_id(
                        "zoom-survey",
                        uuid,
                        email or name,
                        index,
                        detail.get("question_id"),
                        detail.get("question"),
                        detail.get("date_time"),
                    ),
                    registrant_id=registrant_id,
                    email=email or people.email_of(registrant_id),
                    kind="survey",
                    survey_id=n.identifier(body.get("survey_id")),
                    survey_name=n.text(body.get("survey_name")),
                    survey_type=None,
                    question_id=n.identifier(detail.get("question_id")),
                    question=n.text(detail.get("question")),
                    question_type=None,
                    answer=answer,
                    answers=n.split_answers(answer, ";"),
                    submitted_at=n.timestamp(detail.get("date_time")),
                    extra={"instance_uuid": uuid, "name": name, "email_hidden": email is None},
                ),
            )

    def _questions(
        self, bundle: EventBundle, webinar_id: str, uuid: str, segment: str, people: People
    ) -> None:
        path = f"/report/webinars/{segment}/qa"
        body = self.permissions.core(QA_ROLE, lambda: self.api.get(path))
        for email, name, index, detail in answers_of(
            self.api.url(path), body.get("questions"), "question_details"
        ):
            registrant_id = people.resolve(email=email, name=name, registrant_id=None, source="qa")
            if registrant_id is not None:
                people.answers[registrant_id]["questions"] += 1
            bundle.add(
                "questions",
                self.record(
                    webinar_id,
                    question_id=n.stable_id(
                        "zoom-qa", uuid, email or name, index, detail.get("question")
                    ),
                    registrant_id=registrant_id,
                    email=email or people.email_of(registrant_id),
                    asked_at=None,
                    question=n.text(detail.get("question")),
                    answer=n.text(detail.get("answer")),
                    answered_at=None,
                    extra={"instance_uuid": uuid, "name": name, "email_hidden": email is None},
                ),
            )

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


__all__ = [
    "HEAVY_DAILY_CAP",
    "WEBINARS_ROLE",
    "StreamUnavailableError",
    "TapWebinarsError",
    "ZoomAdapter",
]
