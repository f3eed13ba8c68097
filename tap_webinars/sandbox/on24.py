"""Simulated ON24 REST API v2 (reference: on24-openapi.json, on24-rest-api-overview.txt, README).

Bases: `/on24/v2/client/{clientId}/...` stands for `https://api.on24.com/v2/...` (NA) and
`/on24/eu/v2/client/{clientId}/...` for `https://api.eu.on24.com/v2/...` (EU). Both serve the
same account; the request log shows which base a client used.

Auth: headers `accessTokenKey` and `accessTokenSecret` (names in any case); 401
`{"message": ...}` when one is missing or wrong; 404 for another client id.

Reads, shaped by the OpenAPI file's examples:
    GET /event                          `startDate`/`endDate` (YYYY-MM-DD, Pacific days, at most
                                        six months apart, else 400), `dateFilterMode`
                                        (goodafter, updated = `lastupdated`, modified, creation,
                                        livestart, liveend, archivestart, archiveend),
                                        `pageOffset`/`itemsPerPage`, `includeSubaccounts`,
                                        `subaccounts`, `contentType`, `filterOrder`
    GET /event/{id}                     the event with its full `eventanalytics`
    GET /event/{id}/registrant          `userStatus` (default: active only; `any` = all),
    GET /event/{id}/attendee            `startDate`/`endDate`, `email`, `partnerref`, `noshow`,
                                        paged by `pageOffset`/`itemsPerPage` (capped at 100)
    GET /event/{id}/attendeesession     `sessionType`, `startDate`, paged; `duration` HH:MM:SS
    GET /event/{id}/survey, /poll       the catalogs, with response counts and percentages
Timestamps carry Pacific offsets (`-08:00` / `-07:00`), as ON24 writes them.

Rate limit: off unless `configure({"on24": {"rate_limit": [calls, seconds]}})`; past it every
call gets ON24's signal, HTTP 403 "You have reached the maximum number of calls for this api."
`{"forbidden": ["attendeesession", ...]}` answers those resources with a permission 403;
`{"withheld": {"poll": 404, "listing": 403, ...}}` answers a resource (`listing` is `/event`,
`event` is `/event/{id}`, else the sub-resource's name) with that status and ON24's message
(403 "You do not have permission...", 404 "The event ... doesn't exist."), as a token that
lacks an analytics operation is answered; the rate limit is checked first, as upstream.
`{"malformed": ["registrant" | "attendee"]}` leaves the total out of their envelopes.

Drift (what real accounts send that the documents do not promise), per resource
(`listing`, `event`, `registrant`, `attendee`, `attendeesession`, `survey`, `poll`, and the
attendee's nested lists as `attendee.questions`, `attendee.polls`, `attendee.surveys`):
`{"drift": {"registrant": {"company": "drop", "^totalregistrants": "string"}}}` changes that
field of every item (a name starting with `^`: of the envelope) as it is served, leaving the
data as it is. Operations (`DRIFT_OPERATIONS`): drop, null, string (a number as a string),
number (a digit string as a number, any other string as 42), blank, spaces, naive_pacific
(`2024-05-01 09:30:00`, Pacific, no offset), us_pacific (`05/01/2024 09:30:00 AM`),
epoch_ms, unreadable_time, and `{"set": value}` (a new field, or any value).

Paging under change: `{"paging": [{"resource": "registrant", "kind": "insert", "times": 1,
"event_id": 4100001}]}`. Kinds: `insert` / `delete` (registrant): right after page 0 is
served, a registrant that sorts first is registered / a non-attending one on page 0 is
deleted for good, so the following pages shift; `repeat`: a page after the first repeats the
page before it; `total`: a page after the first announces three more items than there are.
`times` counts the listings it happens to (-1: every one).

Late publishing: every registrant, attendee and viewing session has the moment it happened and
the moment it becomes visible. An event's `lastupdated` is its latest *visible* activity, so
activity published late moves `lastupdated` to a moment already in the past — which is what
the tap's lookback exists for. Admin hooks: `add_activity` (new registrants and their viewing
on one event, optionally hidden until `publish` or for `publish_after_seconds`), `publish`,
`add_event`, `drop_registrant` (deletes the registrant of an attendee for good, keeping the
attendee and their sessions), `orphan_session` (a viewing session of an email nobody
registered with).
"""

from __future__ import annotations

import copy
import math
import re
import typing as t
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from tap_webinars.sandbox import on24_examples as examples
from tap_webinars.sandbox.core import (
    CITIES,
    COMPANIES,
    FIRST_NAMES,
    LAST_NAMES,
    PlatformSimulator,
    Request,
    Response,
    SlidingWindowLimit,
)

CLIENT_ID = 22950  # the client id of the OpenAPI file's examples
SUB_CLIENT_ID = 22951  # a child account, listed with includeSubaccounts=Y only
ACCESS_TOKEN_KEY = "ON24SANDBOXKEY7F3A9C2E51B04D"  # noqa: S105 - sandbox credentials
ACCESS_TOKEN_SECRET = "on24-sandbox-secret-5b8d1e0c9a7f4e2b8c3d6a1f0e9b7c5d"  # noqa: S105

PACIFIC = ZoneInfo("America/Los_Angeles")
MAX_ITEMS_PER_PAGE = 100
MAX_RANGE_MONTHS = 6
RATE_LIMIT_MESSAGE = "You have reached the maximum number of calls for this api."
ITEMS_KEYS = {
    "listing": "events",
    "registrant": "registrants",
    "attendee": "attendees",
    "attendeesession": "attendeesession",
    "survey": "surveys",
    "poll": "polls",
}
_DROP = object()
PERMISSION_MESSAGE = "You do not have permission to perform the requested operation."
DATE_FILTER_FIELDS = {
    "goodafter": "goodafter",
    "updated": "lastupdated",
    "modified": "lastmodified",
    "creation": "createtimestamp",
    "livestart": "livestart",
    "liveend": "liveend",
    "archivestart": "archivestart",
    "archiveend": "archiveend",
}
USER_STATUSES = {
    None: {"active"},
    "": {"active"},
    "any": {"active", "deleted", "forgotten"},
    "all": {"active", "deleted"},  # deprecated upstream, still answered
    "deleted": {"deleted"},
    "forgotten": {"forgotten"},
}
# Fields the listing leaves out that /event/{id} adds.
DETAIL_ONLY = (
    "eventname",
    "eventduration",
    "goodtill",
    "qandaemail",
    "servicetype",
    "sponsor",
    "keyword",
    "industry",
    "singlefilearchive",
    "presentermediavideofile",
    "presentermediaaudiofile",
    "encoders",
    "socialsharingimage",
    "socialsharingabstract",
)

# Generated activity is at least this old, so a run with the default 24 h lookback re-reads
# nothing it was not told about; the admin hooks add recent activity.
MIN_AGE = timedelta(days=7)
HISTORY = timedelta(days=round(365.25 * 4.5))  # the account's webinars span 4.5 years

# Registrants per generated event: empty, single, page-boundary (99/100/101/230) sizes.
DEFAULT_SIZES = [0, 1, 12, 25, 99, 100, 101, 7, 40, 18, 60, 230, 5, 33, 2, 15, 48, 9, 70, 3]
# "large" is 200 events (the example event and 199 generated), the concurrency benchmark's.
SIZES = {"small": [0, 3, 12, 40], "default": DEFAULT_SIZES, "large": (DEFAULT_SIZES * 10)[:199]}

TITLES = [
    "Scaling Data Pipelines",
    "Q3 Product Tour",
    "Données & IA : retour d'expérience",
    "Kundenforum 2024",
    "ウェビナー入門",
    "Zero-ETL in Practice",
    "Customer Stories — Live",
    "Zürich Security Briefing",
]
EVENT_TYPES = [
    ("Live PC Mic", "webcast"),
    ("Broadcast Video", "webcast"),
    ("Simulive", "webcast"),
    ("video", "video"),
    ("experience", "experience"),
]
TIME_ZONES = ["America/Los_Angeles", "America/New_York", "Europe/Berlin", "Asia/Tokyo"]
PARTNER_REFS = ["EM", "linkedin", "", "partner-42", "newsletter", "Ref1"]
JOB_FUNCTIONS = ["Manager", "Engineering", "Marketing", "", "Sales", "C-Level"]
INDUSTRIES = ["Software", "Finance", "Healthcare", "", "Retail", "Manufacturing"]
COMPANY_SIZES = ["1 - 49", "50 - 249", "250 - 999", "1000+", ""]
OS_BROWSERS = [
    ("win10", "chrome120"),
    ("macos14", "safari17"),
    ("ios17", "safari"),
    ("win8.1", "firefox58"),
    ("", ""),
]
MEDIA_STREAMS = ["HTML5 Video", "Flash Audio", "HLS", ""]
LAUNCH_MODES = ["Watching remote", "At the Venue", ""]
QUESTIONS = [
    "How does this scale past 10 TB?",
    "Können Sie die Folien teilen?",
    "Is the recording available on demand?",
    "What's the pricing — per seat, or per event?",
    "Ça marche avec Snowflake ?",
]
FREE_TEXT_ANSWERS = ["Great session, thanks!", "Mehr Demos bitte", "  trailing spaces  ", ""]
ANSWERS = ["Yes — we'll email the deck.", "It does; see the docs.", "Per event.", "Oui !"]


@dataclass
class SimEvent:
    """One webinar and its audience, with what is visible when."""

    fields: dict[str, t.Any]  # the event's own fields, as /event/{id} shows them
    created: datetime
    registrants: list[dict[str, t.Any]] = field(default_factory=list)
    attendees: list[dict[str, t.Any]] = field(default_factory=list)
    sessions: list[dict[str, t.Any]] = field(default_factory=list)
    surveys: list[dict[str, t.Any]] = field(default_factory=list)
    polls: list[dict[str, t.Any]] = field(default_factory=list)
    client_id: int = CLIENT_ID

    @property
    def event_id(self) -> int:
        """The ON24 event id."""
        return int(self.fields["eventid"])


class On24Simulator(PlatformSimulator):
    """ON24: events, registrants, attendees with their engagement, viewing sessions."""

    prefix = "on24"

    def __init__(self, seed: int, size: str) -> None:
        super().__init__(seed, size)
        self.limit: SlidingWindowLimit | None = None
        self.max_items_per_page = MAX_ITEMS_PER_PAGE
        self.forbidden: set[str] = set()
        self.withheld: dict[str, int] = {}
        self.drift: dict[str, dict[str, t.Any]] = {}
        self.paging: list[dict[str, t.Any]] = []
        self.malformed: set[str] = set()
        self.events: dict[int, SimEvent] = {}
        self._next_id = {
            "event": 4100001,
            "user": 60000001,
            "session": 150400001,
            "question": 7100001,
            "poll": 16900001,
            "resource": 16900501,
        }
        self._add_example_event()
        sizes = SIZES.get(size) or [int(n) for n in size.split(",")]
        self._generate(sizes)
        self._add_sub_account_events()

    # ----------------------------------------------------------------- data generation

    def _id(self, kind: str, step: int = 1) -> int:
        value = self._next_id[kind]
        self._next_id[kind] += step
        return value

    def _newest(self) -> datetime:
        return self.started_at - MIN_AGE

    def _add_example_event(self) -> None:
        """Event 311512: the OpenAPI file's registrant, attendee, survey and poll examples."""
        fields = copy.deepcopy(examples.EVENT_DETAIL)
        fields.pop("eventanalytics")
        fields.update(
            eventid=311512,
            clientid=CLIENT_ID,
            goodafter="2015-05-19T10:45:00-07:00",
            goodtill="2016-05-19T12:30:00-07:00",
            livestart="2015-05-19T11:00:00-07:00",
            liveend="2015-05-19T12:00:00-07:00",
            archivestart="2015-05-19T12:30:00-07:00",
            archiveend="2016-05-19T12:30:00-07:00",
            createtimestamp="2015-05-01T09:00:00-07:00",
            lastmodified="2015-05-02T10:12:00-07:00",
            iseliteexpired="Y",
            istestevent=False,  # the example's "falseCopy to clipboard" is a doc typo
            audienceurl="https://event.on24.com/wcc/r/311512/9AB4ABD834D841E9E5ED9124D266848B",
            reporturl="https://data.on24.com/webcast/report?e=311512&k=A8EBCD7A76D8BF36D71DCFEBED688237",
        )
        created = _parse(fields["createtimestamp"])
        event = SimEvent(fields=fields, created=created)
        gina = copy.deepcopy(examples.REGISTRANT)
        example_attendee = copy.deepcopy(examples.ATTENDEE)
        attendee_registrant = {
            **copy.deepcopy(examples.REGISTRANT),
            "eventuserid": example_attendee["eventuserid"],
            "firstname": "Xxxxxxxx",
            "lastname": "Xxxxxx",
            "email": example_attendee["email"],
            "exteventusercd": example_attendee["exteventusercd"],
            "partnerref": example_attendee["partnerref"],
            "campaigncode": example_attendee["campaigncode"],
            "username": "",
            "createtimestamp": "2015-05-18T16:20:00-07:00",
            "lastactivity": "2015-05-18T16:20:00-07:00",
            "userprofileurl": example_attendee["userprofileurl"],
        }
        for registrant in (gina, attendee_registrant):
            _stamp(registrant, _parse(registrant["createtimestamp"]))
            event.registrants.append(registrant)
        _stamp(example_attendee, _parse("2015-05-19T11:41:42-07:00"))
        event.attendees.append(example_attendee)
        # The attendee's viewing, as sessions consistent with its 40 live / 120 archive minutes.
        for start, end, usage in (
            ("2015-05-19T11:01:42-07:00", "2015-05-19T11:41:42-07:00", "Live"),
            ("2015-05-19T06:14:17-07:00", "2015-05-19T07:14:17-07:00", "Archived"),
            ("2015-05-19T08:20:48-08:00", "2015-05-19T09:20:48-08:00", "Archived"),
        ):
            session = self._session_json(attendee_registrant, _parse(start), _parse(end), usage)
            session.update(
                os="win8.1",
                browser="firefox58",
                ipaddress="115.166.143.238",
                launchmode=example_attendee["launchmode"],
            )
            event.sessions.append(session)
        event.surveys = copy.deepcopy(examples.SURVEYS)
        event.polls = copy.deepcopy(examples.POLLS)
        self.events[event.event_id] = event

    def _generate(self, sizes: list[int]) -> None:
        rnd = self.random
        now = self.started_at
        newest = self._newest()
        first = now - HISTORY
        for index, count in enumerate(sizes):
            upcoming = index % 9 == 4  # a few webinars still ahead, with registrations only
            if upcoming:
                goodafter = now + timedelta(days=rnd.randint(3, 40), hours=rnd.randint(0, 9))
            else:
                share = (index + rnd.random() * 0.8) / max(1, len(sizes))
                goodafter = first + (newest - timedelta(days=3) - first) * share
            goodafter = goodafter.replace(minute=rnd.choice([0, 15, 30]), second=0, microsecond=0)
            event = self._new_event(goodafter, index)
            for _ in range(count):
                self._register(event, upcoming)
            self.events[event.event_id] = event

    def _new_event(self, goodafter: datetime, index: int) -> SimEvent:
        rnd = self.random
        event_id = self._id("event", rnd.randint(1, 40))
        created = min(
            goodafter - timedelta(days=rnd.randint(10, 40)), self._newest() - timedelta(days=2)
        )
        duration = rnd.choice([30, 45, 60, 90])
        live_end = goodafter + timedelta(minutes=duration)
        archive_start = live_end + timedelta(minutes=30)
        archive_end = archive_start + timedelta(days=365)
        event_type, content_type = EVENT_TYPES[index % len(EVENT_TYPES)]
        key = f"{rnd.getrandbits(128):032X}"
        fields: dict[str, t.Any] = {
            "eventid": event_id,
            "clientid": CLIENT_ID,
            "goodafter": _pacific(goodafter),
            "isactive": True,
            "regrequired": True,
            "description": f"{TITLES[index % len(TITLES)]} #{index + 1}",
            "promotionalsummary": "" if index % 4 == 0 else f"Episode {index + 1}: Q&A, polls.\n",
            "regnotificationrequired": True,
            "displaytimezonecd": TIME_ZONES[index % len(TIME_ZONES)],
            "eventtype": event_type,
            "category": rnd.choice(["Marketing", "Product", "", "Partner"]),
            "createtimestamp": _pacific(created),
            "localelanguagecd": rnd.choice(["en", "de", "fr", "ja"]),
            "lastmodified": _pacific(created + timedelta(hours=rnd.randint(1, 48))),
            "iseliteexpired": "Y" if archive_end < self.started_at else "N",
            "application": "Marketing",
            "livestart": _pacific(goodafter),
            "liveend": _pacific(live_end),
            "archivestart": _pacific(archive_start),
            "archiveend": _pacific(archive_end),
            "audienceurl": f"https://event.on24.com/wcc/r/{event_id}/{key}",
            "scheduledeventduration": duration,
            "eventprofile": "Stonehenge Profile (918)",
            "streamtype": rnd.choice(["video", "audio"]),
            "audiencekey": key,
            "reporturl": f"https://data.on24.com/webcast/report?e={event_id}&k={key}",
            "contenttype": content_type,
            "campaigncode": f"CMP-{index:03d}",
            "eventlocation": f"CMP-{index:03d}",
            "createdby": rnd.choice(["Joe Smith", "Zoë Brandt", "山田 太郎"]),
            "ishybridevent": index % 6 == 0,
            "tags": rnd.sample(["custom tag 1", "data", "émigré", "q3"], rnd.randint(0, 3)),
            "funnelstages": rnd.sample(["Awareness", "Consideration", "Evaluation"], 2),
            "speakers": [
                {
                    "name": "Matthew Parfitt",
                    "title": "President",
                    "company": "Vulture US",
                    "description": "",
                }
            ],
            "eventstd1": rnd.choice(["EF1", ""]),
            "eventstd2": "",
            "istestevent": False,
            "customeventfields": [
                {
                    "name": "custom1",
                    "label": "Region",
                    "value": rnd.choice(["North America", "EMEA", ""]),
                }
            ],
            "eventname": f"Abstract {index + 1}",
            "eventduration": duration,
            "goodtill": _pacific(archive_end),
        }
        event = SimEvent(fields=fields, created=created)
        if index % 3 != 2:
            event.polls = [self._poll_json(event, goodafter, n) for n in range(1 + index % 2)]
        if index % 4 != 3:
            event.surveys = [self._survey_json(event)]
        return event

    def _poll_json(self, event: SimEvent, goodafter: datetime, number: int) -> dict[str, t.Any]:
        multi = number % 2 == 1
        choices = (
            ["Self Service", "Full Service", "Virtual Business Centers"]
            if multi
            else ["Very familiar", "Somewhat familiar", "Unfamiliar", "Pas sûr"]
        )
        return {
            "pollid": self._id("poll"),
            "polltype": "multioption" if multi else "singleoption",
            "pollquestionid": self._id("question"),
            "pollquestion": (
                "Which products interest you? (select all that apply)"
                if multi
                else "How familiar are you with virtual events?"
            ),
            "livepushedtimestamp": _pacific(goodafter + timedelta(minutes=10 + 5 * number)),
            "_choices": choices,
        }

    def _survey_json(self, event: SimEvent) -> dict[str, t.Any]:
        questions = [
            (
                "singleoption",
                "How valuable was the information presented?",
                ["Very valuable", "Valuable", "Neutral", "Not valuable at all"],
            ),
            (
                "multioption",
                "Which tools are you using today?",
                ["Webex", "Zoom", "Teams, or similar", "None"],
            ),
            ("singletext", "Anything else you'd like to tell us?", []),
        ]
        return {
            "surveyid": f"{event.event_id}_survey1",
            "surveycode": "survey1",
            "surveyquestions": [
                {
                    "questionid": self._id("question"),
                    "questiontype": kind,
                    "question": text,
                    "questioncode": 110 + 100 * i,
                    "_choices": choices,
                }
                for i, (kind, text, choices) in enumerate(questions)
            ],
        }

    def _register(
        self,
        event: SimEvent,
        upcoming: bool,
        *,
        at: datetime | None = None,
        attend: bool | None = None,
        visible_at: datetime | None = None,
        status: str | None = None,
    ) -> dict[str, t.Any]:
        """Add one registrant (and, for past webinars, maybe their viewing)."""
        rnd = self.random
        goodafter = _parse(event.fields["goodafter"])
        if at is None:
            latest = min(goodafter + timedelta(days=30), self._newest())
            span = max(60.0, (latest - event.created).total_seconds())
            at = min(latest, event.created + timedelta(seconds=rnd.uniform(0, span)))
        at = at.replace(microsecond=0)
        user_id = self._id("user", rnd.randint(1, 9))
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        city, country = rnd.choice(CITIES)
        os_name, browser = rnd.choice(OS_BROWSERS)
        if status is None:  # a few soft-deleted and forgotten (GDPR) users
            roll = rnd.random()
            status = "deleted" if roll < 0.04 else "forgotten" if roll < 0.07 else "active"
        registrant: dict[str, t.Any] = {
            "eventuserid": user_id,
            "firstname": first,
            "lastname": last if rnd.random() > 0.05 else "",
            "email": f"{'User' if user_id % 3 == 0 else 'user'}{user_id}@Example.com",
            "company": rnd.choice(COMPANIES),
            "jobtitle": rnd.choice(["Data Engineer", "VP Marketing", "", "Analyst"]),
            "addressstreet1": rnd.choice(["Hauptstraße 1", "1 Market St", ""]),
            "addressstreet2": rnd.choice(["", "Suite 200"]),
            "city": city,
            "state": rnd.choice(["CA", "BE", "", "NY"]),
            "zip": rnd.choice(["02139", "10115", ""]),
            "country": country,
            "workphone": rnd.choice(["(123)-456-7890", "", "+49 30 1234567"]),
            "jobfunction": rnd.choice(JOB_FUNCTIONS),
            "companyindustry": rnd.choice(INDUSTRIES),
            "companysize": rnd.choice(COMPANY_SIZES),
            "partnerref": rnd.choice(PARTNER_REFS),
            "eventid": event.event_id,
            **{
                f"std{i}": (rnd.choice(["Yes", "Nein", "", "★ five"]) if i <= 3 else "")
                for i in range(1, 11)
            },
            "fax": "",
            "username": "",
            "exteventusercd": "" if rnd.random() < 0.2 else str(user_id % 100000),
            "other": "",
            "notes": rnd.choice(["", "met at booth 12"]),
            "marketingemail": rnd.choice(["Y", "N"]),
            "eventemail": "Y",
            "homephone": "",
            "createtimestamp": _pacific(at),
            "lastactivity": _pacific(at),
            "browser": browser,
            "ipaddress": f"10.{user_id % 250}.{user_id % 7}.{user_id % 200}",
            "os": os_name,
            "emailformat": "html",
            "engagementprediction": rnd.choice(["LOW", "MEDIUM", "HIGH", ""]),
            "userprofileurl": f"https://data.on24.com/webcast/lead?token=T{user_id}",
            "campaigncode": event.fields.get("campaigncode", ""),
            "sourcecampaigncode": event.fields.get("campaigncode", ""),
            "sourceeventid": event.event_id,
            "userstatus": status,
            "utmsource": rnd.choice(["newsletter", "", "linkedin"]),
            "utmmedium": rnd.choice(["email", "", "social"]),
            "utmcampaign": rnd.choice(["spring_sale_2022", "", "q3-launch"]),
            "utmterm": "",
            "utmcontent": "",
            "attendeetype": "Virtual",
        }
        if status == "forgotten":  # ON24 wipes a forgotten user's personal data
            for name in (
                "firstname",
                "lastname",
                "email",
                "company",
                "jobtitle",
                "workphone",
                "addressstreet1",
                "addressstreet2",
                "city",
                "state",
                "zip",
                "ipaddress",
                "userprofileurl",
            ):
                registrant[name] = ""
        _stamp(registrant, at, visible_at)
        event.registrants.append(registrant)
        if attend is None:
            attend = not upcoming and rnd.random() < 0.6
        if attend:
            self._attend(event, registrant, at, visible_at)
        return registrant

    def _attend(
        self,
        event: SimEvent,
        registrant: dict[str, t.Any],
        registered: datetime,
        visible_at: datetime | None,
        late_at: datetime | None = None,
    ) -> None:
        """Viewing sessions and engagement for a registrant, and their attendee record."""
        rnd = self.random
        live_start = _parse(event.fields["livestart"])
        live_end = _parse(event.fields["liveend"])
        archive_start = _parse(event.fields["archivestart"])
        spans: list[tuple[datetime, datetime, str]] = []
        if late_at is not None:  # admin hook: one on-demand view ending at late_at
            spans.append((late_at - timedelta(minutes=8), late_at, "Archived"))
        else:
            if registered <= live_start and rnd.random() < 0.75:
                start = live_start + timedelta(seconds=rnd.randint(0, 600))
                end = min(live_end, start + timedelta(seconds=rnd.randint(30, 5400)))
                spans.append((start, end, "Live"))
            newest = self._newest()
            for _ in range(rnd.choice([0, 0, 1, 2]) if spans else rnd.randint(1, 2)):
                earliest = max(archive_start, registered)
                if earliest >= newest:
                    break
                offset = rnd.uniform(0, min((newest - earliest).total_seconds(), 90 * 86400))
                start = earliest + timedelta(seconds=offset)
                end = min(newest, start + timedelta(seconds=rnd.randint(20, 3000)))
                spans.append((start, end, "Archived"))
        if not spans:
            return
        spans = [(s.replace(microsecond=0), e.replace(microsecond=0), u) for s, e, u in spans]
        for start, end, usage in spans:
            session = self._session_json(registrant, start, end, usage)
            _stamp(session, end, visible_at)
            event.sessions.append(session)
        attendee = self._attendee_json(event, registrant, spans)
        event.attendees.append(attendee)

    def _session_json(
        self, registrant: dict[str, t.Any], start: datetime, end: datetime, usage: str
    ) -> dict[str, t.Any]:
        rnd = self.random
        os_name, browser = rnd.choice(OS_BROWSERS)
        seconds = int((end - start).total_seconds())
        session = {
            "id": self._id("session", rnd.randint(1, 50)),
            "email": registrant["email"],
            "firstname": registrant["firstname"],
            "lastname": registrant["lastname"],
            "duration": f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}",
            "starttime": _pacific(start),
            "endtime": _pacific(end),
            "usage": usage,
            "mediastream": rnd.choice(MEDIA_STREAMS),
            "os": os_name,
            "browser": browser,
            "streamsource": "https",
            "ipaddress": registrant["ipaddress"],
            "exteventusercd": registrant["exteventusercd"],
            "launchmode": rnd.choice(LAUNCH_MODES),
        }
        _stamp(session, end)
        return session

    def _attendee_json(
        self,
        event: SimEvent,
        registrant: dict[str, t.Any],
        spans: list[tuple[datetime, datetime, str]],
    ) -> dict[str, t.Any]:
        """The attendee record: viewing totals plus the engagement nested in it."""
        rnd = self.random
        live = [(s, e) for s, e, u in spans if u == "Live"]
        archive = [(s, e) for s, e, u in spans if u != "Live"]
        first_view = min(s for s, _, _ in spans)
        last_view = max(e for _, e, _ in spans)

        def during() -> datetime:
            start, end, _ = rnd.choice(spans)
            return (start + (end - start) * rnd.random()).replace(microsecond=0)

        attendee: dict[str, t.Any] = {
            "email": registrant["email"],
            "eventuserid": registrant["eventuserid"],
            "exteventusercd": registrant["exteventusercd"],
            "userstatus": registrant["userstatus"],
            "isblocked": "N",
        }
        if rnd.random() > 0.1:  # cached upstream for up to 24 h: sometimes not there yet
            attendee["engagementscore"] = round(rnd.uniform(0.5, 10), 1)
        for kind, viewed in (("live", live), ("archive", archive)):
            if viewed:
                attendee[f"{kind}minutes"] = _on24_minutes(viewed)
                attendee[f"{kind}viewed"] = len(viewed)
                attendee[f"first{kind}activity"] = _pacific(min(s for s, _ in viewed))
                attendee[f"last{kind}activity"] = _pacific(max(e for _, e in viewed))
        questions = self._questions_json(during)
        polls = self._polls_json(event, during) if live else []
        surveys = self._surveys_json(event, last_view.replace(microsecond=0))
        resources = [
            {
                "resourceid": self._id("resource"),
                "resourceviewed": rnd.choice(["Slides (PDF)", "Whitepaper: ETL"]),
                "resourceviewedtimestamp": _pacific(during()),
            }
            for _ in range(rnd.choice([0, 0, 1, 2]))
        ]
        live_minutes = attendee.get("liveminutes", 0)
        archive_minutes = attendee.get("archiveminutes", 0)
        cta = {
            "ctaid": "83970357",
            "ctaname": "Book a demo",
            "clicks": "1",
            "action": "https://www.example.com/demo",
            "date": _pacific(first_view),
        }
        attendee.update(
            askedquestions=len(questions),
            resourcesdownloaded=len(resources),
            answeredpolls=len(polls),
            answeredsurveys=len(surveys),
            answeredsurveyquestions=sum(len(s["surveyquestions"]) for s in surveys),
            launchmode=rnd.choice(LAUNCH_MODES),
            questions=questions,
            polls=polls,
            resources=resources,
            surveys=surveys,
            calltoactions=[cta] if rnd.random() < 0.2 else [],
            userprofileurl=registrant["userprofileurl"],
            campaigncode=registrant["campaigncode"],
            sourcecampaigncode=registrant["sourcecampaigncode"],
            sourceeventid=event.event_id,
            cumulativeliveminutes=live_minutes + rnd.choice([0, 0, 1]),
            cumulativearchiveminutes=archive_minutes,
            partnerref=registrant["partnerref"],
            attendancepartnerref=rnd.choice(["", "last_partner"]),
            attendeesessions=len(spans),
            livemediaplayerminutes=live_minutes,
            archivemediaplayerminutes=archive_minutes,
        )
        moments = [last_view]
        moments += [_parse(str(q["createtimestamp"])) for q in questions]
        moments += [_parse(str(p["pollsubmittedtimestamp"])) for p in polls]
        moments += [_parse(str(r["resourceviewedtimestamp"])) for r in resources]
        _stamp(attendee, max(moments))
        return attendee

    def _questions_json(self, during: t.Callable[[], datetime]) -> list[dict[str, t.Any]]:
        rnd = self.random
        questions = []
        for _ in range(rnd.choice([0, 0, 0, 1, 2])):
            asked = during()
            question: dict[str, t.Any] = {
                "questionid": self._id("question"),
                "createtimestamp": _pacific(asked),
                "content": rnd.choice(QUESTIONS),
            }
            if rnd.random() < 0.6:  # unanswered questions come without an "answer"
                question["answer"] = {
                    "createtimestamp": _pacific(asked + timedelta(minutes=rnd.randint(1, 9))),
                    "content": rnd.choice(ANSWERS),
                    "presenterid": 813717,
                    "presentername": "Mark Présenteur",
                    "privacy": rnd.choice(["Private", "Public"]),
                }
            questions.append(question)
        return questions

    def _polls_json(
        self, event: SimEvent, during: t.Callable[[], datetime]
    ) -> list[dict[str, t.Any]]:
        rnd = self.random
        polls = []
        for poll in event.polls:
            if rnd.random() >= 0.7:
                continue
            choices = poll["_choices"]
            multi = poll["polltype"] == "multioption"
            picked = rnd.sample(choices, rnd.randint(1, 2)) if multi else [rnd.choice(choices)]
            polls.append(
                {
                    "pollid": poll["pollid"],
                    "pollsubmittedtimestamp": _pacific(during()),
                    "pollquestionid": poll["pollquestionid"],
                    "pollquestion": poll["pollquestion"],
                    "pollanswers": picked,
                    "pollanswersdetail": _answer_detail(choices, picked),
                }
            )
        return polls

    def _surveys_json(self, event: SimEvent, submitted: datetime) -> list[dict[str, t.Any]]:
        rnd = self.random
        surveys = []
        for survey in event.surveys:
            if rnd.random() >= 0.45:
                continue
            answered = []
            for question in survey["surveyquestions"]:
                if rnd.random() < 0.2:
                    continue
                choices = question.get("_choices") or []
                if question["questiontype"] == "singletext":
                    picked = [rnd.choice(FREE_TEXT_ANSWERS)]
                elif question["questiontype"] == "multioption":
                    picked = rnd.sample(choices, rnd.randint(1, 2))
                else:
                    picked = [rnd.choice(choices)]
                answered.append(
                    {
                        "surveyquestionid": question["questionid"],
                        "surveyquestion": question["question"],
                        "questioncode": str(question["questioncode"]),
                        "surveyanswers": picked,
                        "surveyanswersdetail": _answer_detail(choices, picked),
                    }
                )
            if answered:
                surveys.append(
                    {
                        "surveyid": survey["surveyid"],
                        "surveysubmittedtimestamp": _pacific(submitted),
                        "surveyquestions": answered,
                    }
                )
        return surveys

    def _add_sub_account_events(self) -> None:
        """Two webinars of a child account: listed only with includeSubaccounts=Y."""
        for index in range(2):
            goodafter = (self._newest() - timedelta(days=40 + 30 * index)).replace(
                minute=0, second=0, microsecond=0
            )
            event = self._new_event(goodafter, 100 + index)
            event.client_id = SUB_CLIENT_ID
            event.fields["clientid"] = SUB_CLIENT_ID
            self.events[event.event_id] = event

    # ----------------------------------------------------------------------- shapes

    @staticmethod
    def _shown(items: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        """The items the API shows now (with their hidden bookkeeping)."""
        now = datetime.now(timezone.utc)
        return [i for i in items if i["_visible_at"] is None or i["_visible_at"] <= now]

    def _visible(self, items: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        """The items the API shows now, as it shows them."""
        return [_public(i) for i in self._shown(items)]

    def _last_updated(self, event: SimEvent) -> datetime:
        """`lastupdated`: creation or the latest visible registration, view, answer."""
        moments = [event.created]
        for items in (event.registrants, event.attendees, event.sessions):
            moments += [i["_activity_at"] for i in self._shown(items)]
        return max(moments)

    def _analytics(self, event: SimEvent, detail: bool) -> dict[str, t.Any]:
        registrants = self._visible(event.registrants)
        attendees = self._visible(event.attendees)
        live = [a for a in attendees if a.get("liveminutes")]
        archive = [a for a in attendees if a.get("archiveminutes")]
        live_minutes = sum(a.get("liveminutes", 0) for a in attendees)
        archive_minutes = sum(a.get("archiveminutes", 0) for a in attendees)
        analytics: dict[str, t.Any] = {
            "totalregistrants": len(registrants),
            "totalattendees": len(attendees),
            "liveattendees": len(live),
            "ondemandattendees": len(archive),
            "averageliveminutes": round(live_minutes / len(live)) if live else 0,
            "averagearchiveminutes": round(archive_minutes / len(archive)) if archive else 0,
            "totalcumulativeliveminutes": live_minutes,
            "totalcumulativearchiveminutes": archive_minutes,
            "totalcumulativeminutes": live_minutes + archive_minutes,
        }
        if detail:
            scores = [a["engagementscore"] for a in attendees if "engagementscore" in a]
            analytics.update(
                noshowcount=len(registrants) - len(attendees),
                numberofquestionsasked=sum(a["askedquestions"] for a in attendees),
                numberofpollresponses=sum(a["answeredpolls"] for a in attendees),
                numberofsurveyresponses=sum(a["answeredsurveys"] for a in attendees),
                eventengagementscore=round(sum(scores) / len(scores), 1) if scores else 0,
            )
        return analytics

    def event_json(self, event: SimEvent, detail: bool) -> dict[str, t.Any]:
        """The event as the listing (or, with *detail*, /event/{id}) shows it."""
        fields = {k: v for k, v in event.fields.items() if detail or k not in DETAIL_ONLY}
        counts: dict[str, int] = {}
        for registrant in self._visible(event.registrants):
            code = registrant.get("partnerref") or "-"
            counts[code] = counts.get(code, 0) + 1
        return {
            "eventanalytics": self._analytics(event, detail),
            **fields,
            "lastupdated": _pacific(self._last_updated(event)),
            "partnerrefstats": [{"code": c, "count": n} for c, n in sorted(counts.items())],
        }

    def _survey_catalog(self, event: SimEvent) -> list[dict[str, t.Any]]:
        answers = [
            q
            for a in self._visible(event.attendees)
            for s in a.get("surveys") or []
            for q in s["surveyquestions"]
        ]
        catalog = []
        for survey in event.surveys:
            questions = []
            for question in survey["surveyquestions"]:
                entry = {k: v for k, v in question.items() if not k.startswith("_")}
                choices = question.get("_choices")
                if choices is not None:  # generated: counts from the visible answers
                    mine = [a for a in answers if a["surveyquestionid"] == question["questionid"]]
                    entry["responses"] = len(mine)
                    if choices:
                        entry["surveyanswer"] = _percentages(choices, mine, "surveyanswers")
                questions.append(entry)
            catalog.append(
                {
                    **{k: v for k, v in survey.items() if k != "surveyquestions"},
                    "surveyquestions": questions,
                }
            )
        return catalog

    def _poll_catalog(self, event: SimEvent) -> list[dict[str, t.Any]]:
        answers = [p for a in self._visible(event.attendees) for p in a.get("polls") or []]
        catalog = []
        for poll in event.polls:
            entry = {k: v for k, v in poll.items() if not k.startswith("_")}
            if "_choices" in poll:
                mine = [a for a in answers if a["pollid"] == poll["pollid"]]
                entry["totalvotes"] = len(mine)
                entry["summary"] = _percentages(poll["_choices"], mine, "pollanswers")
            catalog.append(entry)
        return catalog

    # --------------------------------------------------------------------- handling

    def handle(self, request: Request) -> Response:  # noqa: D102
        match = re.fullmatch(r"(?:/eu)?/v2/client/([^/]+)(/.*)?", request.path.rstrip("/"))
        if match is None:
            return _error(404, f"No resource at {request.path}")
        key = request.header("accesstokenkey")
        secret = request.header("accesstokensecret")
        if key != ACCESS_TOKEN_KEY or secret != ACCESS_TOKEN_SECRET:
            return _error(401, "AccessTokenKey and AccessTokenSecret are wrong or invalid.")
        if self.limit is not None and self.limit.hit(key) is not None:
            return _error(403, RATE_LIMIT_MESSAGE)
        client, rest = match.group(1), match.group(2) or ""
        if client not in (str(CLIENT_ID), str(SUB_CLIENT_ID)):
            return _error(404, f"The client {client} doesn't exist.")
        if request.method != "GET":
            return _error(405, f"{request.method} is not supported by the sandbox")
        query = {k.lower(): v[0] for k, v in request.query.items() if v}
        with self.lock:
            return self._route(int(client), rest, query)

    def _route(self, client: int, path: str, query: dict[str, str]) -> Response:
        if path == "/event":
            return self._refusal("listing", client) or self._list_events(client, query)
        match = re.fullmatch(r"/event/(\d+)(?:/([a-z]+))?", path)
        if match is None:
            return _error(404, f"No resource at {path}")
        event = self.events.get(int(match.group(1)))
        if event is None or event.client_id != client:
            return _error(404, f"The event {match.group(1)} doesn't exist.")
        resource = match.group(2) or "event"
        refused = self._refusal(resource, event.event_id)
        if refused is not None:
            return refused
        if resource == "event":
            return self._json("event", self.event_json(event, detail=True))
        if resource in ("registrant", "attendee"):
            return self._people(event, resource, query)
        if resource == "attendeesession":
            return self._sessions(event, query)
        if resource == "survey":
            return self._json(
                "survey", {"eventid": event.event_id, "surveys": self._survey_catalog(event)}
            )
        if resource == "poll":
            return self._json(
                "poll", {"eventid": event.event_id, "polls": self._poll_catalog(event)}
            )
        return _error(404, f"No resource at {path}")

    def _list_events(self, client: int, query: dict[str, str]) -> Response:
        try:
            start, end = _listing_range(query)
        except ValueError as error:
            return _error(400, str(error))
        if end < start:
            return _error(400, "endDate must not be before startDate.")
        if end > _add_months(start, MAX_RANGE_MONTHS):
            return _error(400, "The range between startDate and endDate cannot exceed 6 months.")
        mode = (query.get("datefiltermode") or "goodafter").lower()
        if mode not in DATE_FILTER_FIELDS:
            return _error(400, f"Invalid dateFilterMode: {mode}")
        with_children = (query.get("includesubaccounts") or "N").upper() == "Y"
        children = {c.strip() for c in (query.get("subaccounts") or "").split(",") if c.strip()}
        if children and not with_children:
            return _error(
                400, "You have to set includesubaccounts='Y' in order to filter by subaccounts."
            )
        content = (query.get("contenttype") or "all").lower()
        rows = []
        for event in self.events.values():
            if event.client_id != client and not (with_children and client == CLIENT_ID):
                continue
            if children and str(event.client_id) not in children:
                continue
            if content != "all" and event.fields.get("contenttype") != content:
                continue
            moment = self._listed_moment(event, DATE_FILTER_FIELDS[mode])
            if not moment or not start <= _parse(moment).astimezone(PACIFIC).date() <= end:
                continue
            rows.append((_parse(moment), self.event_json(event, detail=False)))
        rows.sort(
            key=lambda r: (r[0], r[1]["eventid"]),
            reverse=(query.get("filterorder") or "asc").lower() == "desc",
        )
        events = [row for _, row in rows]
        envelope: dict[str, t.Any] = {"totalevents": len(events)}
        if with_children or "pageoffset" in query or "itemsperpage" in query:
            try:
                events, paging, total = self._serve("listing", None, query, events)
            except ValueError as error:
                return _error(400, str(error))
            envelope = {
                "pagecount": paging["pagecount"],
                "totalevents": total,
                "currentpage": paging["currentpage"],
            }
        envelope["events"] = events
        return self._json("listing", envelope)

    def _listed_moment(self, event: SimEvent, field: str) -> t.Any:
        """`event_json(event, detail=False)[field]`, without building the whole event.

        A listing window filters every event; building each one (its analytics copy every
        registrant) made the sandbox, not the API it stands for, the slow part of a listing.
        """
        if field == "lastupdated":
            return _pacific(self._last_updated(event))
        return None if field in DETAIL_ONLY else event.fields.get(field)

    def _people(self, event: SimEvent, resource: str, query: dict[str, str]) -> Response:
        status = query.get("userstatus", "").lower() or None
        if status not in USER_STATUSES:
            return _error(400, f"Invalid userStatus: {status}")
        statuses = USER_STATUSES[status]
        items = self._shown(event.registrants if resource == "registrant" else event.attendees)
        items = [i for i in items if i.get("userstatus", "active") in statuses]
        try:
            start, end = _query_date(query, "startdate"), _query_date(query, "enddate")
        except ValueError as error:
            return _error(400, str(error))
        if start is not None or end is not None:
            items = [i for i in items if _active_between(i, resource, start, end)]
        if email := query.get("email"):
            items = [i for i in items if i["email"].lower() == email.lower()]
        if (partner := query.get("partnerref")) is not None:
            items = [i for i in items if i.get("partnerref") == partner]
        if resource == "registrant" and (query.get("noshow") or "N").upper() == "Y":
            seen = {a["eventuserid"] for a in self._shown(event.attendees)}
            items = [i for i in items if i["eventuserid"] not in seen]
        items.sort(key=lambda i: i["eventuserid"])
        try:
            page, _, total = self._serve(resource, event, query, items)
        except ValueError as error:
            return _error(400, str(error))
        name = "registrants" if resource == "registrant" else "attendees"
        if resource in self.malformed:  # the envelope without its total
            return self._json(resource, {"eventid": event.event_id, name: page})
        return self._json(resource, {"eventid": event.event_id, f"total{name}": total, name: page})

    def _sessions(self, event: SimEvent, query: dict[str, str]) -> Response:
        items = self._shown(event.sessions)
        kind = (query.get("sessiontype") or "all").lower()
        usages = {"all": None, "live": {"Live"}, "ondemand": {"Archived"}, "blocked": set()}
        if kind not in usages:
            return _error(400, f"Invalid sessionType: {kind}")
        if (wanted := usages[kind]) is not None:
            items = [s for s in items if s["usage"] in wanted]
        try:
            start, end = _query_date(query, "startdate"), _query_date(query, "enddate")
        except ValueError as error:
            return _error(400, str(error))
        if start is not None:  # sessions created (started) from startDate
            items = [s for s in items if _parse(s["starttime"]).astimezone(PACIFIC).date() >= start]
        if end is not None:
            items = [s for s in items if _parse(s["endtime"]).astimezone(PACIFIC).date() <= end]
        items.sort(key=lambda s: s["id"])
        try:
            page, paging, total = self._serve("attendeesession", event, query, items)
        except ValueError as error:
            return _error(400, str(error))
        return self._json(
            "attendeesession",
            {
                "totalattendeesessions": total,
                "pagecount": paging["pagecount"],
                "currentpage": paging["currentpage"],
                "attendeesession": page,
            },
        )

    def _refusal(self, resource: str, event_id: int) -> Response | None:
        """ON24's answer to a token that lacks this resource, if it is withheld."""
        status = 403 if resource in self.forbidden else self.withheld.get(resource)
        if status is None:
            return None
        if status == 403:
            return _error(403, PERMISSION_MESSAGE)
        what = f"client {event_id}" if resource == "listing" else f"event {event_id}"
        return _error(int(status), f"The {what} doesn't exist.")

    def _json(self, resource: str, payload: dict[str, t.Any]) -> Response:
        """The answer, with any drift switched on for *resource* applied as it is served."""
        if self.drift:
            payload = copy.deepcopy(payload)
            ops = self.drift.get(resource, {})
            _drift(payload, {k[1:]: op for k, op in ops.items() if k.startswith("^")})
            items = [payload] if resource == "event" else payload.get(ITEMS_KEYS[resource]) or []
            for item in items:
                _drift(item, {k: op for k, op in ops.items() if not k.startswith("^")})
                for name, nested in self.drift.items():
                    if name.startswith(f"{resource}."):
                        for child in item.get(name.split(".", 1)[1]) or []:
                            _drift(child, nested)
        return Response.json(payload)

    def _serve(
        self, resource: str, event: SimEvent | None, query: dict[str, str], items: list[t.Any]
    ) -> tuple[list[dict[str, t.Any]], dict[str, int], int]:
        """One page (as the API shows it) and the total to announce, with any paging drift.

        Items keep their hidden bookkeeping until paged: only the page served is copied.
        """
        page, paging = self._page(query, items)
        total, offset = len(items), paging["currentpage"]
        rule = self._paging_rule(resource, event, offset)
        kind = rule["kind"] if rule else None
        if kind == "repeat":
            page, _ = self._page({**query, "pageoffset": str(offset - 1)}, items)
        elif kind == "total":
            total += 3
        elif kind == "insert" and event is not None:
            self._register_first(event)
        elif kind == "delete" and event is not None:
            self._delete_first(event)
        return [_public(i) for i in page], paging, total

    def _paging_rule(
        self, resource: str, event: SimEvent | None, offset: int
    ) -> dict[str, t.Any] | None:
        for rule in self.paging:
            if rule["resource"] != resource or int(rule.get("times", 1)) == 0:
                continue
            if event is not None and rule.get("event_id") not in (None, event.event_id):
                continue
            if (rule["kind"] in ("insert", "delete")) != (offset == 0):
                continue
            rule["times"] = int(rule.get("times", 1)) - 1
            return rule
        return None

    def _register_first(self, event: SimEvent) -> None:
        """A registration that sorts before every other, right now."""
        lowest = min((int(r["eventuserid"]) for r in event.registrants), default=60000000)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        registrant = self._register(
            event, False, at=now - timedelta(hours=1), attend=False, status="active"
        )
        registrant["eventuserid"] = lowest - 1

    def _delete_first(self, event: SimEvent) -> None:
        """Delete for good the first registrant (by id) who did not attend."""
        attended = {a["eventuserid"] for a in event.attendees}
        shown = sorted(self._shown(event.registrants), key=lambda r: r["eventuserid"])
        gone = next(r for r in shown if r["eventuserid"] not in attended)
        event.registrants.remove(gone)

    def _page(
        self, query: dict[str, str], items: list[dict[str, t.Any]]
    ) -> tuple[list[dict[str, t.Any]], dict[str, int]]:
        """One page; `itemsPerPage` above the cap is quietly capped, as APIs do."""
        try:
            offset = int(query.get("pageoffset") or 0)
            per_page = int(query.get("itemsperpage") or MAX_ITEMS_PER_PAGE)
        except ValueError:
            raise ValueError("pageOffset and itemsPerPage must be numbers") from None
        if offset < 0 or per_page < 1:
            raise ValueError("pageOffset must be 0 or more and itemsPerPage 1 or more")
        per_page = min(per_page, self.max_items_per_page)
        pages = max(1, math.ceil(len(items) / per_page))
        return items[offset * per_page : (offset + 1) * per_page], {
            "pagecount": pages,
            "currentpage": offset,
        }

    # ------------------------------------------------------------------- test hooks

    def configure(self, options: dict[str, t.Any]) -> None:  # noqa: D102
        if "rate_limit" in options:
            limit = options["rate_limit"]
            self.limit = SlidingWindowLimit(int(limit[0]), float(limit[1])) if limit else None
        if options.get("reset_rate_limit") and self.limit is not None:
            self.limit.reset()
        if "max_items_per_page" in options:
            self.max_items_per_page = int(options["max_items_per_page"])
        if "forbidden" in options:
            self.forbidden = set(options["forbidden"] or [])
        if "withheld" in options:
            self.withheld = {k: int(v) for k, v in (options["withheld"] or {}).items()}
        if "drift" in options:
            unknown = {
                str(op)
                for ops in (options["drift"] or {}).values()
                for op in ops.values()
                if not isinstance(op, dict) and op not in DRIFT_OPERATIONS
            }
            if unknown:
                raise ValueError(f"unknown drift operations {sorted(unknown)}")
            self.drift = dict(options["drift"] or {})
        if "paging" in options:
            self.paging = [dict(rule) for rule in options["paging"] or []]
        if "malformed" in options:
            self.malformed = set(options["malformed"] or [])

    def admin(self, action: str, payload: dict[str, t.Any]) -> t.Any:  # noqa: D102
        now = datetime.now(timezone.utc).replace(microsecond=0)
        if action == "add_activity":
            event = self.events.get(int(payload["event_id"]))
            if event is None:
                raise KeyError(f"event {payload['event_id']}")
            happened = now - timedelta(hours=float(payload.get("hours_ago", 1.0)))
            visible_at: datetime | None = None
            if payload.get("hidden"):
                visible_at = datetime.max.replace(tzinfo=timezone.utc)
            elif payload.get("publish_after_seconds"):
                visible_at = now + timedelta(seconds=float(payload["publish_after_seconds"]))
            attend = bool(payload.get("attend", True))
            added = []
            for _ in range(int(payload.get("registrants", 1))):
                registrant = self._register(
                    event,
                    False,
                    at=happened - timedelta(minutes=10),
                    attend=False,
                    visible_at=visible_at,
                    status="active",
                )
                if attend:
                    self._attend(
                        event,
                        registrant,
                        happened - timedelta(minutes=10),
                        visible_at,
                        late_at=happened,
                    )
                added.append(registrant["eventuserid"])
            return {"eventuserids": added, "activity_at": _pacific(happened)}
        if action == "publish":
            published = 0
            for event in self.events.values():
                if payload.get("event_id") not in (None, event.event_id):
                    continue
                for item in [*event.registrants, *event.attendees, *event.sessions]:
                    if item["_visible_at"] is not None and item["_visible_at"] > now:
                        item["_visible_at"] = now
                        published += 1
            return {"published": published}
        if action == "drop_registrant":
            event = self.events[int(payload["event_id"])]
            wanted = payload.get("eventuserid")
            if wanted is None:
                wanted = min(a["eventuserid"] for a in self._shown(event.attendees))
            (gone,) = [r for r in event.registrants if r["eventuserid"] == int(wanted)]
            event.registrants.remove(gone)
            return {"eventuserid": gone["eventuserid"]}
        if action == "orphan_session":
            event = self.events[int(payload["event_id"])]
            ghost = {
                "email": f"nobody{self._id('user')}@example.com",
                "firstname": "",
                "lastname": "",
                "ipaddress": "10.0.0.1",
                "exteventusercd": "",
            }
            end = now - timedelta(hours=2)
            session = self._session_json(ghost, end - timedelta(minutes=20), end, "Archived")
            event.sessions.append(session)
            return {"id": session["id"], "email": ghost["email"]}
        if action == "add_event":
            goodafter = now + timedelta(days=float(payload.get("days_ahead", 14)))
            event = self._new_event(goodafter.replace(minute=0, second=0), len(self.events))
            event.created = now - timedelta(hours=float(payload.get("hours_ago", 1.0)))
            event.fields["createtimestamp"] = _pacific(event.created)
            event.fields["lastmodified"] = _pacific(event.created)
            self.events[event.event_id] = event
            return {"eventid": event.event_id}
        raise KeyError(action)

    def dataset(self) -> dict[str, t.Any]:
        """Everything the API shows now, with userStatus=any, keyed by event id."""
        main = [e for e in self.events.values() if e.client_id == CLIENT_ID]
        return {
            "client_id": CLIENT_ID,
            "access_token_key": ACCESS_TOKEN_KEY,
            "access_token_secret": ACCESS_TOKEN_SECRET,
            "events": [self.event_json(e, detail=False) for e in main],
            "event_details": {str(e.event_id): self.event_json(e, detail=True) for e in main},
            "registrants": {str(e.event_id): self._visible(e.registrants) for e in main},
            "attendees": {str(e.event_id): self._visible(e.attendees) for e in main},
            "sessions": {str(e.event_id): self._visible(e.sessions) for e in main},
            "surveys": {str(e.event_id): self._survey_catalog(e) for e in main},
            "polls": {str(e.event_id): self._poll_catalog(e) for e in main},
            "sub_account_events": [e.event_id for e in self.events.values() if e not in main],
        }


# ------------------------------------------------------------------------- helpers


def _drift(target: dict[str, t.Any], operations: t.Mapping[str, t.Any]) -> None:
    """Apply drift operations to the fields of one served object, in place."""
    for name, operation in operations.items():
        if isinstance(operation, dict):
            target[name] = copy.deepcopy(operation["set"])
        elif name in target:
            value = DRIFT_OPERATIONS[operation](target[name])
            if value is _DROP:
                del target[name]
            else:
                target[name] = value


def _as_number(value: t.Any) -> t.Any:
    text = str(value).strip()
    return int(text) if text.isdigit() else 42


def _retimed(pattern: str) -> t.Callable[[t.Any], t.Any]:
    def convert(value: t.Any) -> t.Any:
        if not value:
            return value
        return _parse(str(value)).astimezone(PACIFIC).strftime(pattern)

    return convert


def _epoch_ms(value: t.Any) -> t.Any:
    return int(_parse(str(value)).timestamp() * 1000) if value else value


DRIFT_OPERATIONS: dict[str, t.Callable[[t.Any], t.Any]] = {
    "drop": lambda _value: _DROP,
    "null": lambda _value: None,
    "string": lambda value: value if value is None else str(value),
    "number": _as_number,
    "blank": lambda _value: "",
    "spaces": lambda _value: "   ",
    "naive_pacific": _retimed("%Y-%m-%d %H:%M:%S"),
    "us_pacific": _retimed("%m/%d/%Y %I:%M:%S %p"),
    "epoch_ms": _epoch_ms,
    "unreadable_time": lambda value: "19. Mai 2015, 11:00 Uhr" if value else value,
}


def _error(status: int, message: str) -> Response:
    return Response.json({"message": message}, status=status)


def _pacific(moment: datetime) -> str:
    """ON24's timestamps: ISO 8601 in Pacific time, with its -08:00 / -07:00 offset."""
    return moment.astimezone(PACIFIC).replace(microsecond=0).isoformat()


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(timezone.utc)


def _stamp(item: dict[str, t.Any], activity: datetime, visible_at: datetime | None = None) -> None:
    """Hidden bookkeeping: when the item happened and when the API starts showing it."""
    item["_activity_at"] = activity
    item["_visible_at"] = visible_at


def _public(item: dict[str, t.Any]) -> dict[str, t.Any]:
    return {k: v for k, v in item.items() if not k.startswith("_")}


def _on24_minutes(spans: list[tuple[datetime, datetime]]) -> int:
    """ON24 rounds viewing minutes to the closest integer, and 0 < x < 1 up to 1."""
    minutes = sum((end - start).total_seconds() for start, end in spans) / 60
    return 1 if 0 < minutes < 1 else round(minutes)


def _answer_detail(choices: list[str], picked: list[str]) -> list[dict[str, str]]:
    return [
        {"answercode": f"choice{choices.index(a) + 1}" if a in choices else "text", "answer": a}
        for a in picked
    ]


def _percentages(
    choices: list[str], answers: list[dict[str, t.Any]], key: str
) -> list[dict[str, t.Any]]:
    total = len(answers)
    return [
        {
            "answercode": f"choice{i + 1}",
            "answer": choice,
            "percentage": round(100 * sum(choice in a[key] for a in answers) / total, 1)
            if total
            else 0.0,
        }
        for i, choice in enumerate(choices)
    ]


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return date(year, month, min(day.day, days))


def _query_date(query: dict[str, str], name: str) -> date | None:
    value = query.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"Invalid Date format for param {name}: {value!r}; expected YYYY-MM-DD."
        ) from None


def _listing_range(query: dict[str, str]) -> tuple[date, date]:
    """`startDate`/`endDate` as Pacific days; without them, the last 90 days."""
    start, end = _query_date(query, "startdate"), _query_date(query, "enddate")
    end = end or datetime.now(PACIFIC).date()
    return start or end - timedelta(days=90), end


def _active_between(
    item: dict[str, t.Any], resource: str, start: date | None, end: date | None
) -> bool:
    """Registrants filter on registration day, attendees on their activity days."""
    if resource == "registrant":
        first = last = _parse(item["createtimestamp"]).astimezone(PACIFIC).date()
    else:
        last = item["_activity_at"].astimezone(PACIFIC).date()
        first = min(
            _parse(item[k]).astimezone(PACIFIC).date()
            for k in ("firstliveactivity", "firstarchiveactivity")
            if item.get(k)
        )
    return (start is None or last >= start) and (end is None or first <= end)
