"""The reports of one ended instance, read by its uuid: joins, absentees, polls, survey, Q&A.

Each is one Heavy request (participants and absentees paged), named by the instance's uuid
encoded as Zoom requires (`api.instance_segment`). What each one's refusal costs is its
role: participants and Q&A and polls are core to their streams; absentees and the survey
report only fill columns. Every row is joined to a registrant of the webinar (`People`).
"""

from __future__ import annotations

import typing as t

from tap_webinars import normalize as n
from tap_webinars.permissions import Core, Enrichment, Permissions
from tap_webinars.platforms.base import EventBundle, Viewing, map_fields, viewer_totals
from tap_webinars.platforms.zoom.api import WebinarGoneError, ZoomApi, instance_segment
from tap_webinars.platforms.zoom.listing import Listed
from tap_webinars.platforms.zoom.mapping import (
    PARTICIPANT_FIELDS,
    PARTICIPANT_IDS,
    People,
    answers_of,
    registrant_columns,
)

REPORT_STREAMS = ("registrant_sessions", "viewers")
PARTICIPANTS_ROLE = Core(REPORT_STREAMS, "report:read:admin", frozenset({403}))
POLLS_ROLE = Core(("survey_responses",), "report:read:admin")
QA_ROLE = Core(("questions",), "report:read:admin")
ABSENTEES = Enrichment("absentees", "webinar:read:admin", columns=("attended false",))
SURVEY = Enrichment(
    "the webinar survey report",
    "report:read:admin (and a plan with webinar surveys)",
    columns=("survey_responses of kind survey",),
)
SURVEY_PATH = "/report/webinars/{uuid}/survey"  # unverified: newer API versions only


class Reports:
    """Reads an instance's reports into a bundle, for the adapter."""

    def __init__(
        self,
        api: ZoomApi,
        permissions: Permissions,
        record: t.Callable[..., dict[str, t.Any]],
        survey_path: str,
    ) -> None:
        self.api = api
        self.permissions = permissions
        self.record = record
        self.survey_path = survey_path

    def settled_joins(self, entry: Listed, instance: dict[str, t.Any], people: People) -> None:
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

    def read_instance(
        self,
        bundle: EventBundle,
        entry: Listed,
        instance: dict[str, t.Any],
        people: People,
        wanted: frozenset[str],
        *,
        absentees: bool,
    ) -> None:
        """Read the instance's reports the *wanted* streams need into *bundle*.

        *absentees*: whether the webinar can have any (it takes registration).
        """
        uuid = instance["uuid"]
        segment = instance_segment(uuid)
        try:
            if wanted & {"registrant_sessions", "viewers", "registrants"} and (
                wanted & set(REPORT_STREAMS)
            ):
                self._participants(
                    bundle, entry.webinar_id, instance, segment, people, wanted=wanted
                )
            if "registrants" in wanted and absentees:
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
