"""ON24 end to end: the tap process against the sandbox process, over HTTP.

Expectations are computed here from the sandbox's raw data with the test's own small helpers,
not with the tap's normalisation code, so a mapping mistake in the tap cannot hide itself.
"""

from __future__ import annotations

import typing as t
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
import requests

from tap_webinars.platforms import load_settings
from tap_webinars.platforms.on24 import On24Adapter, date_windows, is_rate_limited
from tap_webinars.sandbox import on24_examples as examples
from tap_webinars.sandbox.on24 import ACCESS_TOKEN_KEY, ACCESS_TOKEN_SECRET, CLIENT_ID
from tests.harness import SandboxProcess, TapRun, assert_unique_keys, run_tap

KEYS = {
    "events": ("platform", "account_id", "event_id"),
    "registrants": ("platform", "account_id", "event_id", "registrant_id"),
    "registrant_sessions": ("platform", "account_id", "event_id", "session_id"),
    "viewers": ("platform", "account_id", "event_id", "registrant_id"),
    "survey_responses": ("platform", "account_id", "event_id", "response_id"),
    "questions": ("platform", "account_id", "event_id", "question_id"),
}
PER_EVENT = ("/registrant", "/attendee", "/attendeesession", "/survey", "/poll")
EXAMPLE_EVENT = "311512"


def on24_config(sandbox: SandboxProcess, **overrides: t.Any) -> dict[str, t.Any]:
    return {
        "platform": "on24",
        "on24_client_id": str(CLIENT_ID),
        "on24_access_token_key": ACCESS_TOKEN_KEY,
        "on24_access_token_secret": ACCESS_TOKEN_SECRET,
        "api_url": sandbox.api_url("on24"),
        "start_date": "2015-01-01T00:00:00Z",
        "max_concurrency": 4,
        **overrides,
    }


def ok(run: TapRun) -> TapRun:
    assert run.returncode == 0, run.stderr[-3000:]
    return run


# ------------------------------------------------------------- the test's own normalisation


def utc(value: t.Any) -> str | None:
    if value in (None, ""):
        return None
    return datetime.fromisoformat(value).astimezone(timezone.utc).isoformat()


def text(value: t.Any) -> str | None:
    if value is None:
        return None
    cleaned = str(value).strip()
    return cleaned or None


def answers(values: list[str] | None) -> list[str] | None:
    kept = [a.strip() for a in values or [] if a.strip()]
    return kept or None


def within_six_months(first: date, last: date) -> bool:
    """*last* is at most six calendar months after *first*: counted in months and days,
    independently of how the adapter adds months."""
    months = (last.year - first.year) * 12 + last.month - first.month
    return months < 6 or (months == 6 and last.day <= first.day)


def query(entry: dict[str, t.Any]) -> dict[str, str]:
    """A logged request's query, names lower-cased (ON24 reads them case-insensitively)."""
    return {k.lower(): v for k, v in entry["query"].items()}


def event_of(entry: dict[str, t.Any]) -> str | None:
    parts = entry["path"].split("/")
    return parts[5] if len(parts) > 5 and parts[4] == "event" else None


# ----------------------------------------------------------------- expected records


def expected_records(data: dict[str, t.Any]) -> dict[str, dict[tuple[str, ...], dict[str, t.Any]]]:
    """Every record the sandbox's data should become, by stream and key (without platform)."""
    expected: dict[str, dict[tuple[str, ...], dict[str, t.Any]]] = {s: {} for s in KEYS}
    for event in data["events"]:
        event_id = str(event["eventid"])
        analytics = event["eventanalytics"]
        end = None
        if event.get("goodafter") and event.get("scheduledeventduration") is not None:
            start = datetime.fromisoformat(event["goodafter"])
            end = utc((start + timedelta(minutes=event["scheduledeventduration"])).isoformat())
        expected["events"][(event_id,)] = {
            "title": text(event["description"]),
            "description": text(event.get("promotionalsummary")),
            "event_type": text(event.get("eventtype")),
            "time_zone": event["displaytimezonecd"],
            "scheduled_start_at": utc(event["goodafter"]),
            "scheduled_end_at": end,
            "live_start_at": utc(event["livestart"]),
            "live_end_at": utc(event["liveend"]),
            "on_demand_start_at": utc(event["archivestart"]),
            "on_demand_end_at": utc(event["archiveend"]),
            "created_at": utc(event["createtimestamp"]),
            "updated_at": utc(event["lastmodified"]),
            "last_activity_at": utc(event["lastupdated"]),
            "is_expired": event["iseliteexpired"] == "Y",
            "registration_url": event["audienceurl"],
            "category": text(event.get("category")),
            "tags": event.get("tags"),
            "registrant_count": analytics["totalregistrants"],
            "attendee_count": analytics["totalattendees"],
            "live_attendee_count": analytics["liveattendees"],
            "on_demand_attendee_count": analytics["ondemandattendees"],
            "no_show_count": analytics["totalregistrants"] - analytics["totalattendees"],
            "cost_center": None,
            "sessions": None,
        }
        attendees = data["attendees"][event_id]
        attended = {str(a["eventuserid"]) for a in attendees}
        by_email = {a["email"].lower(): str(a["eventuserid"]) for a in attendees if a["email"]}
        external = Counter(a["exteventusercd"] for a in attendees if a.get("exteventusercd"))
        by_external = {
            a["exteventusercd"]: str(a["eventuserid"])
            for a in attendees
            if a.get("exteventusercd") and external[a["exteventusercd"]] == 1
        }
        for r in data["registrants"][event_id]:
            if r["email"]:
                by_email.setdefault(r["email"].lower(), str(r["eventuserid"]))
            registrant_id = str(r["eventuserid"])
            did_attend = registrant_id in attended
            status = (
                r["userstatus"]
                if r["userstatus"] != "active"
                else ("attended" if did_attend else "registered")
            )
            custom = {f"std{i}": text(r[f"std{i}"]) for i in range(1, 11) if text(r.get(f"std{i}"))}
            expected["registrants"][(event_id, registrant_id)] = {
                "email": text(r["email"]),
                "first_name": text(r["firstname"]),
                "last_name": text(r["lastname"]),
                "company": text(r["company"]),
                "job_title": text(r["jobtitle"]),
                "phone": text(r["workphone"]),
                "address_1": text(r["addressstreet1"]),
                "address_2": text(r["addressstreet2"]),
                "city": text(r["city"]),
                "state": text(r["state"]),
                "postal_code": text(r["zip"]),
                "country": text(r["country"]),
                "company_size": text(r["companysize"]),
                "industry": text(r["companyindustry"]),
                "job_function": text(r["jobfunction"]),
                "source": text(r["partnerref"]),
                "utm_source": text(r["utmsource"]),
                "utm_medium": text(r["utmmedium"]),
                "utm_campaign": text(r["utmcampaign"]),
                "utm_term": text(r["utmterm"]),
                "utm_content": text(r["utmcontent"]),
                "registered_at": utc(r["createtimestamp"]),
                "updated_at": utc(r["lastactivity"]),
                "status": status,
                "attended": did_attend,
                "custom_fields": custom or None,
                "referrer": None,
                "tags": None,
                "extra": {
                    "ipaddress": r["ipaddress"],
                    "exteventusercd": r["exteventusercd"],
                    "notes": r["notes"],
                    "userprofileurl": r["userprofileurl"],
                },
            }
        codes = {s["surveyid"]: s["surveycode"] for s in data["surveys"][event_id]}
        types = {
            q["questionid"]: q["questiontype"]
            for s in data["surveys"][event_id]
            for q in s["surveyquestions"]
        }
        polls = {p["pollid"]: p["polltype"] for p in data["polls"][event_id]}
        for a in attendees:
            registrant_id = str(a["eventuserid"])
            live = a.get("liveminutes")
            archive = a.get("archiveminutes")
            firsts = [a[k] for k in ("firstliveactivity", "firstarchiveactivity") if a.get(k)]
            lasts = [a[k] for k in ("lastliveactivity", "lastarchiveactivity") if a.get(k)]
            last = max(lasts, key=datetime.fromisoformat) if lasts else None
            expected["viewers"][(event_id, registrant_id)] = {
                "email": text(a["email"]),
                "first_viewed_at": utc(min(firsts, key=datetime.fromisoformat)) if firsts else None,
                "last_viewed_at": utc(last),
                "live_seconds": None if live is None else live * 60,
                "on_demand_seconds": None if archive is None else archive * 60,
                "total_seconds": (live or 0) * 60 + (archive or 0) * 60
                if live is not None or archive is not None
                else None,
                "live_session_count": a.get("liveviewed"),
                "on_demand_session_count": a.get("archiveviewed"),
                "simlive_seconds": None,
                "engagement_score": a.get("engagementscore"),
                "question_count": a["askedquestions"],
                "poll_response_count": a["answeredpolls"],
                "survey_response_count": a["answeredsurveys"],
                "resource_view_count": a["resourcesdownloaded"],
                "updated_at": utc(last),
                "extra": {
                    "resources": a["resources"],
                    "calltoactions": a["calltoactions"],
                    "attendeesessions": a["attendeesessions"],
                    "userstatus": a["userstatus"],
                },
            }
            for survey in a.get("surveys") or []:
                for q in survey["surveyquestions"]:
                    key = (
                        event_id,
                        registrant_id,
                        "survey",
                        survey["surveyid"],
                        str(q["surveyquestionid"]),
                    )
                    expected["survey_responses"][key] = {
                        "email": text(a["email"]),
                        "survey_name": codes.get(survey["surveyid"]),
                        "question": text(q["surveyquestion"]),
                        "question_type": types.get(q["surveyquestionid"]),
                        "answers": answers(q["surveyanswers"]),
                        "answer": "; ".join(answers(q["surveyanswers"]) or []) or None,
                        "submitted_at": utc(survey["surveysubmittedtimestamp"]),
                        "extra": {
                            "questioncode": q.get("questioncode"),
                            "surveyanswersdetail": q["surveyanswersdetail"],
                        },
                    }
            for p in a.get("polls") or []:
                key = (event_id, registrant_id, "poll", str(p["pollid"]), str(p["pollquestionid"]))
                expected["survey_responses"][key] = {
                    "email": text(a["email"]),
                    "survey_name": None,
                    "question": text(p["pollquestion"]),
                    "question_type": polls.get(p["pollid"]),
                    "answers": answers(p["pollanswers"]),
                    "answer": "; ".join(answers(p["pollanswers"]) or []) or None,
                    "submitted_at": utc(p["pollsubmittedtimestamp"]),
                    "extra": {"pollanswersdetail": p["pollanswersdetail"]},
                }
            for q in a.get("questions") or []:
                answer = q.get("answer") or {}
                expected["questions"][(event_id, str(q["questionid"]))] = {
                    "registrant_id": registrant_id,
                    "email": text(a["email"]),
                    "asked_at": utc(q["createtimestamp"]),
                    "question": text(q["content"]),
                    "answer": text(answer.get("content")),
                    "answered_at": utc(answer.get("createtimestamp")),
                }
        for s in data["sessions"][event_id]:
            registrant_id = by_email.get(s["email"].lower()) if s["email"] else None
            if registrant_id is None and s.get("exteventusercd"):
                registrant_id = by_external.get(s["exteventusercd"])
            hours, minutes, seconds = (int(x) for x in s["duration"].split(":"))
            expected["registrant_sessions"][(event_id, str(s["id"]))] = {
                "registrant_id": registrant_id,
                "email": text(s["email"]),
                "session_type": {"Live": "live", "Archived": "on_demand"}[s["usage"]],
                "started_at": utc(s["starttime"]),
                "ended_at": utc(s["endtime"]),
                "duration_seconds": hours * 3600 + minutes * 60 + seconds,
                "attended": True,
                "media": text(s["mediastream"]),
                "os": text(s["os"]),
                "browser": text(s["browser"]),
                "extra": {"ipaddress": s["ipaddress"], "launchmode": s["launchmode"]},
            }
    return expected


def output_records(run: TapRun) -> dict[str, dict[tuple[str, ...], dict[str, t.Any]]]:
    """The tap's records by stream and the same keys as `expected_records`."""
    found: dict[str, dict[tuple[str, ...], dict[str, t.Any]]] = {s: {} for s in KEYS}
    for stream in KEYS:
        for record in run.records(stream):
            assert record["platform"] == "on24"
            assert record["account_id"] == str(CLIENT_ID)
            if stream == "survey_responses":
                key = (
                    record["event_id"],
                    record["registrant_id"],
                    record["kind"],
                    record["survey_id"],
                    record["question_id"],
                )
            else:
                key = tuple(record[k] for k in KEYS[stream][2:])
            found[stream][key] = record
    return found


def assert_matches(expected: dict[str, t.Any], record: dict[str, t.Any], where: t.Any) -> None:
    for column, value in expected.items():
        if column == "extra":
            for name, extra_value in value.items():
                assert record["extra"].get(name) == extra_value, (where, "extra", name)
        else:
            assert record[column] == value, (where, column, record[column], value)


# --------------------------------------------------------------------------- the tests


def test_multi_year_backfill_in_six_month_windows_lands_every_record(
    sandbox: SandboxProcess,
) -> None:
    run = ok(run_tap(on24_config(sandbox)))
    log = sandbox.requests("on24")
    assert all(entry["status"] == 200 for entry in log), Counter(e["status"] for e in log)

    listings = [query(e) for e in log if e["path"].endswith("/event")]
    assert len(listings) >= 20  # 2015 to now: a backfill of many windows
    windows = sorted(
        (date.fromisoformat(q["startdate"]), date.fromisoformat(q["enddate"])) for q in listings
    )
    for (first, last), following in zip(windows, [*windows[1:], None], strict=True):
        assert within_six_months(first, last), (first, last)  # never more than six months
        if following is not None:
            assert following[0] == last + timedelta(days=1)  # no gap, no overlap
    assert windows[0][0] <= date(2015, 1, 1)
    assert windows[-1][1] >= datetime.now(timezone.utc).date()
    assert {q["datefiltermode"] for q in listings} == {"updated"}

    # Registrants and attendees are paged until the envelope's totals are reached.
    data = sandbox.dataset("on24")
    biggest = max(data["registrants"], key=lambda e: len(data["registrants"][e]))
    assert len(data["registrants"][biggest]) > 200
    offsets = sorted(
        int(query(e)["pageoffset"])
        for e in log
        if e["path"].endswith("/registrant") and event_of(e) == biggest
    )
    assert offsets == [0, 1, 2]
    assert all(
        query(e).get("userstatus") == "any"
        for e in log
        if e["path"].endswith(("/registrant", "/attendee"))
    )

    expected = expected_records(data)
    found = output_records(run)
    for stream in KEYS:
        assert_unique_keys(run, stream, KEYS[stream])
        assert found[stream].keys() == expected[stream].keys(), stream
        for key, columns in expected[stream].items():
            assert_matches(columns, found[stream][key], (stream, key))
    # The data really has what the mapping must cope with.
    statuses = Counter(r["status"] for r in run.records("registrants"))
    assert statuses["deleted"] and statuses["forgotten"] and statuses["registered"]
    assert any(r["email"] is None for r in run.records("registrants"))
    assert any(r["answer"] is None for r in run.records("questions"))
    assert {r["kind"] for r in run.records("survey_responses")} == {"survey", "poll"}


def test_openapi_example_attendee_maps_exactly(sandbox: SandboxProcess) -> None:
    config = on24_config(sandbox, event_ids=[EXAMPLE_EVENT])
    run = ok(run_tap(config))
    paths = [e["path"] for e in sandbox.requests("on24")]
    assert f"/v2/client/{CLIENT_ID}/event/{EXAMPLE_EVENT}" in paths  # read directly
    assert not any(p.endswith("/event") for p in paths)  # no listing needed

    attendee = examples.ATTENDEE
    (viewer,) = run.records("viewers")
    taken = {
        "eventuserid",
        "email",
        "engagementscore",
        "liveminutes",
        "archiveminutes",
        "liveviewed",
        "archiveviewed",
        "askedquestions",
        "answeredpolls",
        "answeredsurveys",
        "resourcesdownloaded",
        "questions",
        "polls",
        "surveys",
    }
    assert viewer == {
        "platform": "on24",
        "account_id": "22950",
        "event_id": "311512",
        "registrant_id": "49502149",
        "email": "xxxxxxxx@on24.com",
        "first_viewed_at": "2015-05-19T13:14:17+00:00",
        "last_viewed_at": "2015-05-19T18:41:42+00:00",
        "live_seconds": 2400,
        "on_demand_seconds": 7200,
        "simlive_seconds": None,
        "total_seconds": 9600,
        "live_session_count": 1,
        "on_demand_session_count": 2,
        "simlive_session_count": None,
        "engagement_score": 8.5,
        "question_count": 2,
        "poll_response_count": 2,
        "survey_response_count": 2,
        "resource_view_count": 2,
        "updated_at": "2015-05-19T18:41:42+00:00",
        "extra": {k: v for k, v in attendee.items() if k not in taken},
    }

    common = {
        "platform": "on24",
        "account_id": "22950",
        "event_id": "311512",
        "registrant_id": "49502149",
        "email": "xxxxxxxx@on24.com",
        "survey_type": None,
    }
    survey1 = {
        **common,
        "kind": "survey",
        "survey_id": "311512_survey1",
        "survey_name": "survey1",
        "submitted_at": "2015-05-19T18:49:12+00:00",
    }
    survey2 = {
        **survey1,
        "survey_id": "311512_survey2",
        "survey_name": None,
        "submitted_at": "2015-05-19T18:51:12+00:00",
    }
    # The /survey example lists no survey 2 (its questions appear under survey 1): the types
    # still come from the questions, but survey 2 has no code to name it by.

    def detail(answer: str) -> list[dict[str, str]]:
        return [{"answercode": "choice1", "answer": answer}]

    expected_answers = [
        {
            **survey1,
            "question_id": "6268293",
            "question": "How valuable was the information presented?",
            "question_type": "singleoption",
            "answer": "Not Valuable at all",
            "answers": ["Not Valuable at all"],
            "extra": {
                "questioncode": "110",
                "primaryquestioncode": "110",
                "surveyanswersdetail": detail("Not Valuable at all"),
            },
        },
        {
            **survey1,
            "question_id": "6268271",
            "question": "What industry are you in?",
            "question_type": "singleoption",
            "answer": "Food& Beverage",
            "answers": ["Food& Beverage"],
            "extra": {"surveyanswersdetail": detail("Food& Beverage")},
        },
        {
            **survey2,
            "question_id": "6268306",
            "question": "Would you like a 1:1 session with an expert?",
            "question_type": "singleoption",
            "answer": "No",
            "answers": ["No"],
            "extra": {"surveyanswersdetail": detail("No")},
        },
        {
            **survey2,
            "question_id": "6268299",
            "question": "Which tools are you using today?",
            "question_type": "singletext",
            "answer": "Webex",
            "answers": ["Webex"],
            "extra": {
                "questioncode": "235",
                "primaryquestioncode": "234",
                "surveyanswersdetail": detail("Webex"),
            },
        },
        {
            **common,
            "kind": "poll",
            "survey_id": "16818601",
            "survey_name": None,
            "question_id": "6268336",
            "question": "Which products are you interested in? (select all that apply)",
            "question_type": "multioption",
            "answer": "Full Service Webcasts",
            "answers": ["Full Service Webcasts"],
            "submitted_at": "2015-05-19T18:45:12+00:00",
            "extra": {"pollanswersdetail": detail("Full Service Webcasts")},
        },
        {
            **common,
            "kind": "poll",
            "survey_id": "16818630",
            "survey_name": None,
            "question_id": "6268358",
            "question": "How familiar are you with virtual event solutions?",
            "question_type": "singleoption",
            "answer": "Unfamiliar",
            "answers": ["Unfamiliar"],
            "submitted_at": "2015-05-19T18:47:12+00:00",
            "extra": {"pollanswersdetail": detail("Unfamiliar")},
        },
    ]
    responses = run.records("survey_responses")
    ids = [r.pop("response_id") for r in responses]
    assert responses == expected_answers
    assert len(set(ids)) == 6 and all(len(i) == 32 for i in ids)

    assert run.records("questions") == [
        {
            "platform": "on24",
            "account_id": "22950",
            "event_id": "311512",
            "question_id": "6268255",
            "registrant_id": "49502149",
            "email": "xxxxxxxx@on24.com",
            "asked_at": "2015-05-19T18:55:12+00:00",
            "question": "What happens if I forget my password?",
            "answer": "Customer service will email you instructions for getting a new password",
            "answered_at": "2015-05-19T18:57:12+00:00",
            "extra": {
                "answer": {
                    "presenterid": 813717,
                    "presentername": "Mark XXXXX",
                    "privacy": "Private",
                }
            },
        },
        {
            "platform": "on24",
            "account_id": "22950",
            "event_id": "311512",
            "question_id": "6268257",
            "registrant_id": "49502149",
            "email": "xxxxxxxx@on24.com",
            "asked_at": "2015-05-19T18:58:12+00:00",
            "question": "Can you use the tool to send SMS texts directly?",
            "answer": "No, although you can set up a Twitter hashtag  for an event",
            "answered_at": "2015-05-19T18:59:59+00:00",
            "extra": {
                "answer": {
                    "presenterid": 813706,
                    "presentername": "Steve XXXXX",
                    "privacy": "Private",
                }
            },
        },
    ]

    # The registrant example (a no-show) keeps every field: std answers as custom fields.
    gina = next(r for r in run.records("registrants") if r["registrant_id"] == "49177588")
    assert gina["source"] == "Ref1" and gina["status"] == "registered" and not gina["attended"]
    assert gina["custom_fields"] == {f"std{i}": f"std{i}" for i in range(1, 11)}
    assert gina["registered_at"] == "2017-05-09T01:44:59+00:00"
    assert gina["extra"]["username"] == "glockhart"

    # Answer ids are a stable hash of their natural key: the same on the next run.
    again = ok(run_tap(config))
    assert sorted(r["response_id"] for r in again.records("survey_responses")) == sorted(ids)


def test_unchanged_second_run_reads_only_the_listing(sandbox: SandboxProcess) -> None:
    config = on24_config(sandbox, lookback_hours=0)
    first = ok(run_tap(config))
    full = sandbox.requests("on24")
    sandbox.clear_requests()
    second = ok(run_tap(config, state=first.final_state))
    log = sandbox.requests("on24")
    print(f"\nON24 requests: full run {len(full)}, unchanged run {len(log)}")
    assert [e["path"] for e in log] == [f"/v2/client/{CLIENT_ID}/event"]
    # The listing starts at the latest bookmark: one window, dateFilterMode=updated.
    latest = max(
        p["replication_key_value"] for p in first.final_state["bookmarks"]["events"]["partitions"]
    )
    assert query(log[0])["datefiltermode"] == "updated"
    day = datetime.fromisoformat(latest).astimezone(timezone(timedelta(hours=-8))).date()
    assert date.fromisoformat(query(log[0])["startdate"]) >= day - timedelta(days=2)
    assert not any(second.records(s) for s in KEYS)
    assert second.final_state == first.final_state


def test_activity_on_one_event_reads_that_event_only(sandbox: SandboxProcess) -> None:
    config = on24_config(sandbox, lookback_hours=0)
    first = ok(run_tap(config))
    data = sandbox.dataset("on24")
    target = max(data["sessions"], key=lambda e: len(data["sessions"][e]))
    added = sandbox.admin("on24", "add_activity", event_id=int(target), registrants=2, hours_ago=1)
    sandbox.clear_requests()
    second = ok(run_tap(config, state=first.final_state))
    per_event = [e for e in sandbox.requests("on24") if event_of(e)]
    assert {event_of(e) for e in per_event} == {target}
    assert {e["path"].rsplit("/", 1)[1] for e in per_event} >= {
        "registrant",
        "attendee",
        "attendeesession",
    }
    # Viewing sessions are read from the event's bookmark minus the lookback, not all again.
    (sessions,) = [e for e in per_event if e["path"].endswith("/attendeesession")]
    assert "startdate" in query(sessions)
    new = {str(i) for i in added["eventuserids"]}
    assert {r["event_id"] for s in KEYS for r in second.records(s)} == {target}
    assert new <= {r["registrant_id"] for r in second.records("registrants")}
    assert new == {
        r["registrant_id"] for r in second.records("viewers") if r["registrant_id"] in new
    }
    sessions_read = second.records("registrant_sessions")
    assert new <= {r["registrant_id"] for r in sessions_read}
    assert len(sessions_read) < len(data["sessions"][target]) / 2
    (event,) = second.records("events")
    assert event["last_activity_at"] == utc(added["activity_at"])


def test_late_published_activity_within_the_lookback_is_read_next_run(
    sandbox: SandboxProcess,
) -> None:
    data = sandbox.dataset("on24")
    recent, late = (str(data["events"][i]["eventid"]) for i in (3, 7))
    # One event saw activity an hour ago (so the latest bookmark is recent); another had
    # activity 60 hours ago that ON24 has not published yet.
    sandbox.admin("on24", "add_activity", event_id=int(recent), hours_ago=1)
    hidden = sandbox.admin("on24", "add_activity", event_id=int(late), hours_ago=60, hidden=True)
    state = ok(run_tap(on24_config(sandbox, lookback_hours=72))).final_state
    late_ids = {str(i) for i in hidden["eventuserids"]}

    assert sandbox.admin("on24", "publish", event_id=int(late))["published"] > 0

    # Without a lookback the listing starts at the latest bookmark (an hour ago): the event
    # whose lastupdated moved to 60 hours ago is not listed, and its activity is missed.
    missed = ok(run_tap(on24_config(sandbox, lookback_hours=0), state=state))
    assert not late_ids & {r["registrant_id"] for r in missed.records("registrants")}

    caught = ok(run_tap(on24_config(sandbox, lookback_hours=72), state=state))
    assert late_ids <= {r["registrant_id"] for r in caught.records("registrants")}
    assert late_ids <= {r["registrant_id"] for r in caught.records("viewers")}
    (event,) = [r for r in caught.records("events") if r["event_id"] == late]
    assert event["last_activity_at"] == utc(hidden["activity_at"])


def test_rate_limit_403s_end_in_complete_output(sandbox: SandboxProcess) -> None:
    expected = expected_records(sandbox.dataset("on24"))
    sandbox.configure(on24={"rate_limit": [12, 1.0]})
    run = ok(run_tap(on24_config(sandbox, max_concurrency=8)))
    statuses = Counter(e["status"] for e in sandbox.requests("on24"))
    assert statuses[403] > 0, statuses
    found = output_records(run)
    for stream in KEYS:
        assert found[stream].keys() == expected[stream].keys(), stream
    assert "rate limit" in run.stderr


def test_injected_faults_end_in_complete_output(sandbox: SandboxProcess) -> None:
    expected = expected_records(sandbox.dataset("on24"))
    sandbox.configure(fault_rate=0.1)
    run = ok(run_tap(on24_config(sandbox, max_concurrency=8)))
    faults = [e for e in sandbox.requests("on24") if e["fault"]]
    assert len(faults) >= 5
    found = output_records(run)
    for stream in KEYS:
        assert_unique_keys(run, stream, KEYS[stream])
        assert found[stream].keys() == expected[stream].keys(), stream


def test_other_403_is_a_permission_error_naming_the_endpoint(sandbox: SandboxProcess) -> None:
    """With strict permissions; without, the stream is skipped (test_on24_real_accounts)."""
    sandbox.configure(on24={"forbidden": ["attendeesession"]})
    run = run_tap(on24_config(sandbox, event_ids=[EXAMPLE_EVENT], strict_permissions=True))
    assert run.returncode != 0
    last_line = run.stderr.strip().splitlines()[-1]
    assert "access refused (HTTP 403)" in last_line
    assert f"/event/{EXAMPLE_EVENT}/attendeesession" in last_line
    assert "AnalyticsEventLevel.AttendeeViewingSessions" in last_line
    assert "Traceback" not in run.stderr
    tries = [e for e in sandbox.requests("on24") if e["path"].endswith("/attendeesession")]
    assert len(tries) == 1  # a permission error is not retried


def test_malformed_envelope_fails_naming_the_endpoint(sandbox: SandboxProcess) -> None:
    sandbox.configure(on24={"malformed": ["registrant"]})
    run = run_tap(on24_config(sandbox, event_ids=[EXAMPLE_EVENT]))
    assert run.returncode != 0
    last_line = run.stderr.strip().splitlines()[-1]
    assert "unexpected payload from http" in last_line
    assert f"/event/{EXAMPLE_EVENT}/registrant: no 'totalregistrants'" in last_line
    assert not run.records("registrants")


def test_no_secret_in_output_at_debug(sandbox: SandboxProcess) -> None:
    debug = {"TAP_WEBINARS_LOGLEVEL": "DEBUG"}
    run = ok(run_tap(on24_config(sandbox, event_ids=[EXAMPLE_EVENT]), env=debug))
    assert "DEBUG" in run.stderr  # the level really was on
    for secret in (ACCESS_TOKEN_KEY, ACCESS_TOKEN_SECRET):
        assert secret not in run.stdout and secret not in run.stderr

    wrong = "wrong-secret-0123456789abcdef"
    refused = run_tap(on24_config(sandbox, on24_access_token_secret=wrong), env=debug)
    assert refused.returncode != 0
    assert "credentials refused" in refused.stderr
    assert "on24_access_token_secret" in refused.stderr
    for secret in (ACCESS_TOKEN_KEY, wrong):
        assert secret not in refused.stdout and secret not in refused.stderr


def test_eu_base_url(sandbox: SandboxProcess) -> None:
    def base_url(**config: t.Any) -> str:
        settings = load_settings({**on24_config(sandbox), "api_url": None, **config})
        return On24Adapter(settings).base_url

    assert base_url() == f"https://api.on24.com/v2/client/{CLIENT_ID}"
    assert base_url(on24_region="eu") == f"https://api.eu.on24.com/v2/client/{CLIENT_ID}"
    assert base_url(on24_region="eu", api_url="https://proxy.example.com/on24") == (
        f"https://proxy.example.com/on24/v2/client/{CLIENT_ID}"
    )

    eu = sandbox.api_url("on24") + "/eu"
    run = ok(run_tap(on24_config(sandbox, api_url=eu, event_ids=[EXAMPLE_EVENT])))
    paths = [e["path"] for e in sandbox.requests("on24")]
    assert paths and all(p.startswith("/eu/v2/client/") for p in paths)
    assert len(run.records("viewers")) == 1


def test_sandbox_answers_as_on24_documents(sandbox: SandboxProcess) -> None:
    """The simulator is strict where ON24 is, so the tap's tests mean something."""
    url = f"{sandbox.api_url('on24')}/v2/client/{CLIENT_ID}"
    lower = {"accesstokenkey": ACCESS_TOKEN_KEY, "accesstokensecret": ACCESS_TOKEN_SECRET}
    missing = requests.get(f"{url}/event", headers={"accessTokenKey": ACCESS_TOKEN_KEY}, timeout=10)
    assert missing.status_code == 401 and "message" in missing.json()
    too_long = requests.get(
        f"{url}/event",
        headers=lower,
        timeout=10,
        params={"startDate": "2024-01-01", "endDate": "2024-07-02"},
    )
    assert too_long.status_code == 400 and "6 months" in too_long.json()["message"]
    six = requests.get(
        f"{url}/event",
        headers=lower,
        timeout=10,
        params={"startDate": "2024-01-01", "endDate": "2024-07-01"},
    )
    assert six.status_code == 200 and "totalevents" in six.json()
    subs = requests.get(
        f"{url}/event",
        headers=lower,
        timeout=10,
        params={
            "startDate": "2026-01-01",
            "endDate": "2026-06-30",
            "includeSubaccounts": "Y",
            "dateFilterMode": "creation",
        },
    ).json()
    assert {"pagecount", "currentpage", "totalevents"} <= subs.keys()
    sandbox.configure(on24={"rate_limit": [1, 60]})
    requests.get(f"{url}/event/{EXAMPLE_EVENT}", headers=lower, timeout=10)
    limited = requests.get(f"{url}/event/{EXAMPLE_EVENT}", headers=lower, timeout=10)
    assert limited.status_code == 403 and is_rate_limited(limited)
    sandbox.configure(on24={"rate_limit": None, "forbidden": ["poll"]})
    denied = requests.get(f"{url}/event/{EXAMPLE_EVENT}/poll", headers=lower, timeout=10)
    assert denied.status_code == 403 and not is_rate_limited(denied)


@pytest.mark.parametrize(
    "start",
    [date(2023, 8, 31), date(2024, 2, 29), date(2015, 1, 1), date(2024, 12, 31), date(2025, 3, 1)],
)
def test_date_windows_cover_the_span_in_six_month_steps(start: date) -> None:
    end = start + timedelta(days=4000)
    windows = list(date_windows(start, end))
    assert windows[0][0] == start and windows[-1][1] == end
    for (first, last), following in zip(windows, [*windows[1:], None], strict=True):
        assert first <= last and within_six_months(first, last)
        if following is not None:
            assert following[0] == last + timedelta(days=1)
    assert len(windows) <= 4000 // 180 + 2


def test_deleted_and_forgotten_users_need_user_status_any(sandbox: SandboxProcess) -> None:
    """The API hides them by default: the tap must ask, or it silently loses them."""
    data = sandbox.dataset("on24")
    event_id = max(data["registrants"], key=lambda e: len(data["registrants"][e]))
    url = f"{sandbox.api_url('on24')}/v2/client/{CLIENT_ID}/event/{event_id}/registrant"
    headers = {"accessTokenKey": ACCESS_TOKEN_KEY, "accessTokenSecret": ACCESS_TOKEN_SECRET}
    default = requests.get(url, headers=headers, timeout=10).json()
    every = requests.get(url, headers=headers, params={"userStatus": "any"}, timeout=10).json()
    assert default["totalregistrants"] < every["totalregistrants"]
    assert every["totalregistrants"] == len(data["registrants"][event_id])


def test_event_id_that_does_not_exist_is_skipped_on_its_404(sandbox: SandboxProcess) -> None:
    missing = "999999999"
    assert missing not in {str(e["eventid"]) for e in sandbox.dataset("on24")["events"]}
    run = ok(run_tap(on24_config(sandbox, event_ids=[missing, EXAMPLE_EVENT])))
    assert {r["event_id"] for r in run.records("events")} == {EXAMPLE_EVENT}
    asked = [e for e in sandbox.requests("on24") if event_of(e) == missing]
    assert [(e["path"].rsplit("/", 1)[1], e["status"]) for e in asked] == [(missing, 404)]
    assert f"event {missing} does not exist; skipping it" in run.stderr


def test_concurrency_changes_neither_the_requests_nor_the_output(
    sandbox: SandboxProcess,
) -> None:
    """Reading events while the listing goes on, catalogs as soon as answers show, requests
    by rank: at max_concurrency 8 the same requests as one at a time, and the same records
    per stream in the same order, and the same bookmarks."""
    runs, requests_made = [], []
    for concurrency in (1, 8):
        sandbox.clear_requests()
        runs.append(ok(run_tap(on24_config(sandbox, max_concurrency=concurrency))))
        requests_made.append(
            Counter((e["path"], tuple(sorted(query(e).items()))) for e in sandbox.requests("on24"))
        )
    serial, parallel = runs
    assert requests_made[0] == requests_made[1]
    assert any(path.endswith(("/survey", "/poll")) for path, _ in requests_made[0])
    for stream in KEYS:
        assert serial.records(stream) == parallel.records(stream), stream

    def bookmarks(run: TapRun) -> dict[str, str]:
        partitions = run.states[-1]["bookmarks"]["events"]["partitions"]
        return {p["context"]["event_id"]: p["replication_key_value"] for p in partitions}

    assert bookmarks(serial) == bookmarks(parallel)


def test_a_listing_check_counts_each_row_seen_again_as_one_row_at_a_time_would() -> None:
    """The check reads a page's keys at once; what it counts is what a row-by-row count is."""
    import json as json_module
    import random

    from tap_webinars.platforms.on24.listing import ListingCheck

    rng = random.Random(20)
    for _ in range(300):
        pages = []
        for _page in range(rng.randint(1, 4)):
            rows = []
            for _row in range(rng.randint(0, 6)):
                kind = rng.random()
                if kind < 0.7:  # an id, as a number or as text with spaces
                    key: t.Any = rng.choice([rng.randint(1, 8), f" {rng.randint(1, 8)} "])
                    rows.append({"id": key, "n": rng.randint(1, 3)})
                else:  # no id: told apart by its whole content
                    rows.append({"n": rng.randint(1, 3)} if kind < 0.85 else {"id": None})
            pages.append(rows)
        check = ListingCheck()
        expected_seen: set[str] = set()
        twice = 0
        for rows in pages:
            items = [json_module.dumps(row).encode() for row in rows]
            check.see(items, [row.get("id") for row in rows], total=None)
            for row in rows:  # the reference: one row at a time
                name = str(row["id"]).strip() if row.get("id") is not None else None
                name = name or json_module.dumps(row, sort_keys=True)
                twice += name in expected_seen
                expected_seen.add(name)
        assert check.twice == twice
        assert len(check.keys) == len(expected_seen)
        assert (check.problem(None) == f"{twice} items came twice") == (twice > 0)


def test_an_attendee_page_begins_the_catalog_reads_its_answers_need() -> None:
    """`saw` reads only the answers of a page's attendees; any shape gets json.loads's verdict."""
    import json as json_module
    import logging
    from concurrent.futures import ThreadPoolExecutor

    from tap_webinars.platforms.base import EventBundle
    from tap_webinars.platforms.on24.attendees import AttendeeReader
    from tap_webinars.platforms.on24.mapping import EventMapping

    class Api:
        def get(self, path: str) -> dict[str, t.Any]:
            return {}

    class Permissions:
        def optional(self, _role: object, read: t.Callable[[], t.Any]) -> t.Any:
            return read()

    threads = ThreadPoolExecutor(2)

    class Context:
        base_url = "https://api.example.com/v2/client/1"
        api = Api()
        permissions = Permissions()
        logger = logging.getLogger("test")
        settings = None

        def listing_threads(self) -> ThreadPoolExecutor:
            return threads

    shapes: list[dict[str, t.Any]] = [
        {"surveys": [], "polls": []},
        {"surveys": [{"surveyquestions": []}], "polls": None},
        {"surveys": [{"surveyquestions": [{"q": 1}]}]},
        {"surveys": [{"surveyquestions": "yes"}]},  # truthy, not a list
        {"surveys": ["not an object", {"surveyquestions": [1]}]},
        {"surveys": {"surveyquestions": [1]}},  # not a list: no survey answered
        {"polls": [{"pollid": 1}]},
        {"polls": "[]"},  # not a list
        {"polls": [], "x": float("nan")},  # json.loads only
        {},
    ]
    pages = [[shape] for shape in shapes] + [shapes[:3], shapes[5:8], []]
    try:
        for rows in pages:
            reader = AttendeeReader(
                t.cast("t.Any", Context()),
                EventMapping(Context.base_url, "5"),
                frozenset({"survey_responses"}),
                EventBundle(event={}).records,
            )
            with reader:
                reader.saw([json_module.dumps(row).encode() for row in rows])
                started = {path.rsplit("/", 1)[1] for path in reader._catalog_reads}
            surveys = any(
                isinstance(row.get("surveys"), list)
                and any(isinstance(s, dict) and s.get("surveyquestions") for s in row["surveys"])
                for row in rows
            )
            polls = any(isinstance(row.get("polls"), list) and row["polls"] for row in rows)
            expected = {"survey"} if surveys else set()
            expected |= {"poll"} if polls else set()
            assert started == expected, rows
    finally:
        threads.shutdown()
