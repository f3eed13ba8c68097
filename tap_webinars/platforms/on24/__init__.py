"""ON24 (reference: on24-rest-api-overview.txt, on24-openapi.json, on24-act-on-integration.txt).

The ON24 part of reference/README.md settles the envelopes, keys and the rate-limit signal.

Hosts: `https://api.on24.com` (NA) and `https://api.eu.on24.com` (EU), or `api_url`; every path is
`/v2/client/{clientId}/...`, authenticated by the `accessTokenKey` / `accessTokenSecret` headers.

Endpoints, as data (below): the event listing, one event, and per event its registrants,
attendees (with their questions, polls, surveys and resources nested), viewing sessions, and the
survey and poll catalogs. Paging: `pageOffset` from 0 and `itemsPerPage`, until the envelope's
total is reached. Limits: date ranges span at most six months; no published call limit, and a
rate limit comes back as HTTP 403 "You have reached the maximum number of calls" (or 429).

Change detection: an event's `lastupdated` moves with every registration, view and answer (2-12 h
late). The first run lists `dateFilterMode=updated` in six-month windows from `start_date`;
later runs list only from the latest bookmark minus the lookback. The engine reads events
oldest activity first, so that window always covers any event a killed run did not finish.

Per changed event: registrants and attendees in full (status and totals need all of them), the
viewing sessions since the event's bookmark minus the lookback (sessions never change once
over), and the survey / poll catalogs only when answers need their question types. One attendee
read feeds viewers, survey_responses and questions.

Permissions: an API token may be refused single analytics operations (403 "You do not have
permission", never the rate-limit text). Each read's role is stated below as data, named by
the OpenAPI file's operation id. A 404 means "the event doesn't exist" for the listing, the
event, its registrants, attendees and sessions (not a permission); for the poll and survey
catalogs, read after the same event's attendees answered, it means the account lacks them.

Offset paging is not a snapshot: a registration or deletion between two page reads shifts
the rows. A listing is used only when one read of all its pages saw one total, no row twice
and as many rows as that total; otherwise it is read again (up to three times), then the run
fails naming it. Nothing from an inconsistent read is emitted, so no bookmark passes it.

The plug-in's modules: `api` (paths, paging, roles, date windows), `adapter` (settings,
access, the event listing, one event's reads), `listing` (a listing's consistent read),
`attendees` (an attendee's viewer, answers and questions), `mapping` (the field maps and
the registrants, sessions and events records), `probes` (what `tap-webinars-access` reads).
"""

from tap_webinars.platforms.on24.adapter import On24Adapter
from tap_webinars.platforms.on24.api import date_windows, is_rate_limited

__all__ = ["On24Adapter", "date_windows", "is_rate_limited"]
