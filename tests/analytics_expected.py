"""The analytics figures, computed from the sandbox's own data (`/_admin/<platform>/dataset`).

Independent of the tap and of the dbt models: each platform's raw dataset is read the way
its API documents it, into one `Registration` per registrant of an event (what the person
did there) and one `Answers` per event; `funnel()` and `people()` then apply the package's
definitions (analytics/README.md):

  attendee      the platform says attended, or the registrant has viewing totals (a viewer)
  live          live or simulated-live seconds > 0;  on demand: on-demand seconds > 0
  no-show       not an attendee, status neither canceled nor declined
  engaged       an attendee who asked a question, answered a survey or poll question, or
                scored above ENGAGEMENT_THRESHOLD
"""

from __future__ import annotations

import re
import statistics
import typing as t
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from tests import zoom_expected
from tests.platform_configs import START_DATE

ENGAGEMENT_THRESHOLD = 5.0  # the package's default `engagement_score_threshold`


@dataclass
class Registration:
    """One registrant of one event, and what they did there."""

    platform: str
    event_id: str
    email: str | None
    attended: bool = False  # the platform's own flag
    canceled: bool = False  # status canceled / declined
    viewer: bool = False  # has viewing totals (a viewers row)
    live_seconds: int = 0
    on_demand_seconds: int = 0
    simlive_seconds: int = 0
    total_seconds: int | None = None
    score: float | None = None
    interactions: int = 0  # questions asked + survey and poll answers

    @property
    def attendee(self) -> bool:
        return self.attended or self.viewer

    @property
    def live(self) -> bool:
        return self.viewer and (self.live_seconds > 0 or self.simlive_seconds > 0)

    @property
    def on_demand(self) -> bool:
        return self.viewer and self.on_demand_seconds > 0

    @property
    def engaged(self) -> bool:
        return self.attendee and (self.interactions > 0 or (self.score or 0) > ENGAGEMENT_THRESHOLD)


@dataclass
class Answers:
    """Answer and question counts of one event."""

    survey: int = 0
    poll: int = 0
    attendance: int = 0
    questions: int = 0
    # question label of every answer (the survey answers model's question_label)
    labels: list[str | None] = field(default_factory=list)


@dataclass
class Dataset:
    """One platform's events, registrations and answers."""

    events: list[str]
    registrations: list[Registration]
    answers: dict[str, Answers]


def email(value: t.Any) -> str | None:
    """lower(trim()), empty is null: the package's normalisation."""
    text = str(value).strip().lower() if value is not None else ""
    return text or None


def seconds_from_ms(value: t.Any) -> int:
    return round(float(value) / 1000) if value not in (None, "") else 0


# ----------------------------------------------------------------------------- platforms


def webinarfuel(data: dict[str, t.Any]) -> Dataset:
    """Ready webinars; a registrant per webinar they hold sessions in; all viewing is
    simulated-live (attended_time of attended sessions). No Q&A, surveys or score."""
    ready = [str(w["id"]) for w in data["webinars"] if w["state"] == "ready"]
    people = {str(r["id"]): r for r in data["registrants"]}
    sessions: dict[tuple[str, str], list[dict[str, t.Any]]] = defaultdict(list)
    for s in data["sessions"]:
        if str(s["webinar_id"]) in ready and str(s["registrant_id"]) in people:
            sessions[(str(s["webinar_id"]), str(s["registrant_id"]))].append(s)
    registrations = []
    for (webinar, registrant), own in sessions.items():
        attended = [s for s in own if s["attended"]]
        seconds = sum(int(s.get("attended_time") or 0) for s in attended)
        registrations.append(
            Registration(
                "webinarfuel",
                webinar,
                email(people[registrant].get("email")),
                attended=bool(attended),
                canceled=not attended and all(s.get("canceled") for s in own),
                viewer=bool(attended),
                simlive_seconds=seconds,
                total_seconds=seconds if attended else None,
            )
        )
    return Dataset(ready, registrations, {w: Answers() for w in ready})


WEBCASTS_SESSION_TYPES = {
    "live": "live",
    "ondemand": "on_demand",
    "archive": "on_demand",
    "simlive": "simlive",
    "simulatedlive": "simlive",
}


def webcasts(data: dict[str, t.Any]) -> Dataset:
    """Every event (expired ones are listed, their reports not read); a registrant per
    current event's report viewer entry (keyed by email); viewing from its sessions
    (milliseconds); surveys typed Attendance are attendance checks."""
    listed = [str(e["event_id"]) for e in data["events"]]
    events = [e for e in data["events"] if not e["is_expired"]]
    registrations = []
    answers: dict[str, Answers] = {}
    for event in events:
        event_id = str(event["event_id"])
        surveys = {s["id"]: s for s in event["surveys"]}
        counts = answers[event_id] = Answers()
        by_email: dict[str, Registration] = {}
        for number, viewer in enumerate(event["viewers"]):
            seconds: dict[str, int] = defaultdict(int)
            for session in viewer["sessions"]:
                kind = re.sub(r"[^a-z]", "", str(session["type"]).lower())
                seconds[WEBCASTS_SESSION_TYPES.get(kind, "other")] += seconds_from_ms(
                    session["duration_ms"]
                )
            interactions = len(viewer["qa"])
            counts.questions += len(viewer["qa"])
            for response in viewer["responses"]:
                survey = surveys.get(response["survey_id"]) or {}
                questions = {q["id"]: q for q in survey.get("questions") or []}
                question = questions.get(response["question_id"]) or {}
                counts.labels.append(question.get("text") or response["question_id"])
                if str(survey.get("type") or "").strip().lower() == "attendance":
                    counts.attendance += 1
                else:
                    counts.survey += 1
                    interactions += 1
            address = email(viewer["answers"].get("email"))
            by_email[address or f"#{number}"] = Registration(
                "webcasts",
                event_id,
                address,
                attended=bool(viewer["sessions"]),
                viewer=bool(viewer["sessions"]),
                live_seconds=seconds["live"],
                on_demand_seconds=seconds["on_demand"],
                simlive_seconds=seconds["simlive"],
                total_seconds=sum(seconds.values()) if viewer["sessions"] else None,
                interactions=interactions,
            )
        registrations += by_email.values()
    for event_id in listed:
        answers.setdefault(event_id, Answers())
    return Dataset(listed, registrations, answers)


def on24(data: dict[str, t.Any]) -> Dataset:
    """Events with activity since start_date; registrants; attendees (minutes) with their
    polls, survey answers and questions, and ON24's engagement score."""
    start = datetime.fromisoformat(START_DATE.replace("Z", "+00:00"))
    events = [
        str(e["eventid"])
        for e in data["events"]
        if datetime.fromisoformat(e["lastupdated"]) >= start
    ]
    registrations = []
    answers: dict[str, Answers] = {}
    for event_id in events:
        counts = answers[event_id] = Answers()
        attendees = {}
        for a in data["attendees"][event_id]:
            attendees[str(a["eventuserid"])] = a
            polls = a.get("polls") or []
            survey_answers = [q for s in a.get("surveys") or [] for q in s["surveyquestions"]]
            counts.poll += len(polls)
            counts.survey += len(survey_answers)
            counts.questions += len(a.get("questions") or [])
            counts.labels += [p.get("pollquestion") or p.get("pollquestionid") for p in polls]
            counts.labels += [
                q.get("surveyquestion") or q.get("surveyquestionid") for q in survey_answers
            ]
        for r in data["registrants"][event_id]:
            a = attendees.get(str(r["eventuserid"]))
            registration = Registration("on24", event_id, email(r.get("email")))
            if a is not None:
                minutes = [a.get("liveminutes"), a.get("archiveminutes")]
                live, archive = (round(float(m) * 60) if m is not None else None for m in minutes)
                known = [s for s in (live, archive) if s is not None]
                registration.attended = registration.viewer = True
                registration.live_seconds = live or 0
                registration.on_demand_seconds = archive or 0
                registration.total_seconds = sum(known) if known else None
                score = a.get("engagementscore")
                registration.score = float(score) if score not in (None, "") else None
                registration.interactions = (
                    len(a.get("questions") or [])
                    + len(a.get("polls") or [])
                    + sum(len(s["surveyquestions"]) for s in a.get("surveys") or [])
                )
            registrations.append(registration)
    return Dataset(events, registrations, answers)


def cvent(data: dict[str, t.Any]) -> Dataset:
    """Every event; its attendees (checked in = attended; Cancelled / Declined); viewing from
    non-deleted attendance durations (LIVE, ON_DEMAND, other); survey answers."""
    events = [str(e["id"]) for e in data["events"]]
    durations: dict[tuple[str, str], list[dict[str, t.Any]]] = defaultdict(list)
    for d in data["durations"]:
        if not d["deleted"]:
            durations[(d["event"]["id"], d["attendee"]["id"])].append(d)
    # A response names its respondent; the respondent names the attendee, or only a contact
    # that is one of the event's attendees.
    attendee_of_contact = {
        (a["event"]["id"], (a.get("contact") or {}).get("id")): a["id"] for a in data["attendees"]
    }
    attendee_of_respondent = {}
    for respondent in data["respondents"]:
        event_id = respondent["event"]["id"]
        attendee = (respondent.get("attendee") or {}).get("id") or attendee_of_contact.get(
            (event_id, (respondent.get("contact") or {}).get("id"))
        )
        attendee_of_respondent[respondent["id"]] = attendee
    responded: dict[tuple[str, str | None], int] = defaultdict(int)
    answers = {event_id: Answers() for event_id in events}
    questions = {q["id"]: q for q in data["questions"]}
    for r in data["responses"]:
        attendee = attendee_of_respondent.get(r["respondent"]["id"])
        responded[(r["event"]["id"], attendee)] += 1
        answers[r["event"]["id"]].survey += 1
        question = questions.get(r["question"]["id"]) or {}
        answers[r["event"]["id"]].labels.append(question.get("text") or r["question"]["id"])
    registrations = []
    for a in data["attendees"]:
        key = (a["event"]["id"], a["id"])
        rows = durations.get(key, [])
        seconds: dict[str, int] = defaultdict(int)
        for d in rows:
            column = {"LIVE": "live", "ON_DEMAND": "on_demand"}.get(d["type"], "other")
            seconds[column] += seconds_from_ms(d["duration"])
        registrations.append(
            Registration(
                "cvent",
                a["event"]["id"],
                email((a.get("contact") or {}).get("email")),
                attended=bool(a.get("checkedIn")),
                canceled=not a.get("checkedIn") and a.get("status") in ("Cancelled", "Declined"),
                viewer=bool(rows),
                live_seconds=seconds["live"],
                on_demand_seconds=seconds["on_demand"],
                total_seconds=sum(seconds.values()) if rows else None,
                interactions=responded.get(key, 0),
            )
        )
    return Dataset(events, registrations, answers)


def zoom(data: dict[str, t.Any]) -> Dataset:
    """The registrants a full Zoom sync emits (tests/zoom_expected.py): attended where they
    joined an instance, viewing from their joins, interactions from their poll, survey and
    Q&A rows. Zoom's statuses (approved, pending, denied) are none of them canceled."""
    rows = zoom_expected.Expected(data).rows
    events = [key[0] for key in rows["events"]]
    answers = {event_id: Answers() for event_id in events}
    interactions: dict[tuple[str, str], int] = defaultdict(int)
    for key, row in rows["survey_responses"].items():
        event_id, kind, question = key[0], key[2], key[4]
        if kind == "poll":
            answers[event_id].poll += 1
        else:
            answers[event_id].survey += 1
        answers[event_id].labels.append(question)
        interactions[(event_id, row["registrant_id"])] += 1
    for key, row in rows["questions"].items():
        answers[key[0]].questions += 1
        interactions[(key[0], row["registrant_id"])] += 1
    registrations = []
    for (event_id, registrant_id), registrant in rows["registrants"].items():
        viewer = rows["viewers"].get((event_id, registrant_id))
        registrations.append(
            Registration(
                "zoom",
                event_id,
                email(registrant["email"]),
                attended=bool(registrant["attended"]),
                viewer=viewer is not None,
                live_seconds=viewer["total_seconds"] if viewer else 0,
                total_seconds=viewer["total_seconds"] if viewer else None,
                interactions=interactions[(event_id, registrant_id)],
            )
        )
    return Dataset(events, registrations, answers)


def goto(data: dict[str, t.Any]) -> Dataset:
    """The organizer's webinars; their registrants; attendees of completed sessions (live
    seconds = attendanceTimeInSeconds, summed); per-attendee polls and surveys; Q&A by asker."""
    organizer = data["organizer_key"]
    events = [w["webinarKey"] for w in data["webinars"] if str(w["organizerKey"]) == organizer]
    answers = {event_id: Answers() for event_id in events}
    seconds: dict[tuple[str, str], int] = defaultdict(int)
    interactions: dict[tuple[str, str], int] = defaultdict(int)
    for session in data["sessions"]:
        webinar, sk = session["webinarKey"], session["sessionKey"]
        if webinar not in answers:
            continue
        for attendee in data["attendees"][sk]:
            seconds[(webinar, str(attendee["registrantKey"]))] += attendee[
                "attendanceTimeInSeconds"
            ]
        for kind in ("polls", "surveys"):
            for person, given in data[kind][sk].items():
                interactions[(webinar, person)] += len(given)
                if kind == "polls":
                    answers[webinar].poll += len(given)
                else:
                    answers[webinar].survey += len(given)
                answers[webinar].labels += [a["question"] for a in given]
        for question in data["questions"][sk]:
            interactions[(webinar, question["askerKey"])] += 1
            answers[webinar].questions += 1
    registrations = []
    for webinar in events:
        for person in data["registrants"][webinar]:
            key = (webinar, str(person["registrantKey"]))
            came = key in seconds
            registrations.append(
                Registration(
                    "goto",
                    webinar,
                    email(person.get("email")),
                    attended=came,
                    viewer=came,
                    live_seconds=seconds.get(key, 0),
                    total_seconds=seconds[key] if came else None,
                    interactions=interactions.get(key, 0),
                )
            )
    return Dataset(events, registrations, answers)


READERS: dict[str, t.Callable[[dict[str, t.Any]], Dataset]] = {
    "webinarfuel": webinarfuel,
    "webcasts": webcasts,
    "on24": on24,
    "cvent": cvent,
    "zoom": zoom,
    "goto": goto,
}

# ---------------------------------------------------------------------------- figures


def funnel(platform: str, data: Dataset) -> dict[str, dict[str, t.Any]]:
    """event_id -> the webinar_event_funnel figures of one platform's events."""
    rows = {}
    for event_id in data.events:
        people = [r for r in data.registrations if r.event_id == event_id]
        registrants = len(people)
        attendees = sum(r.attendee for r in people)
        no_shows = sum(not r.attendee and not r.canceled for r in people)
        minutes = [r.total_seconds / 60 for r in people if r.viewer and r.total_seconds is not None]
        answers = data.answers.get(event_id) or Answers()
        engaged = sum(r.engaged for r in people)
        rows[event_id] = {
            "registrants": registrants,
            "attendees": attendees,
            "live_attendees": sum(r.live for r in people),
            "on_demand_attendees": sum(r.on_demand for r in people),
            "no_shows": no_shows,
            "canceled": sum(not r.attendee and r.canceled for r in people),
            "attendance_rate": attendees / registrants if registrants else None,
            "no_show_rate": no_shows / registrants if registrants else None,
            "avg_viewing_minutes": statistics.fmean(minutes) if minutes else None,
            "median_viewing_minutes": statistics.median(minutes) if minutes else None,
            "engaged_viewers": engaged,
            "engagement_rate": engaged / attendees if attendees else None,
            "survey_responses": answers.survey,
            "poll_responses": answers.poll,
            "attendance_check_responses": answers.attendance,
            "questions_asked": answers.questions,
        }
    return rows


def people(datasets: t.Mapping[str, Dataset]) -> dict[str, dict[str, t.Any]]:
    """email -> the webinar_people figures, across every platform."""
    events: dict[str, dict[tuple[str, str], list[Registration]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for data in datasets.values():
        for r in data.registrations:
            if r.email is not None:
                events[r.email][(r.platform, r.event_id)].append(r)
    return {
        address: {
            "events_registered": len(held),
            "events_attended": sum(any(r.attendee for r in rs) for rs in held.values()),
            "total_viewing_minutes": sum(
                r.total_seconds or 0 for rs in held.values() for r in rs if r.viewer
            )
            / 60,
            "platforms": ", ".join(sorted({platform for platform, _ in held})),
        }
        for address, held in events.items()
    }
