"""Cvent, through either of its APIs: the REST platform API or the Conference API.

The plug-in: its settings and their checks, its `account_id` default, its simulator, and the
choice of reader (`cvent_api`). Each API's endpoints and field maps live in its own module:
`cvent_rest.py` (OAuth2, JSON, token paging, account-wide change reads) and
`cvent_conference.py` (`*.smarteventscloud.com`, XML over POST, configurable resources).
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

from singer_sdk import typing as th

from tap_webinars.http import HttpPolicy
from tap_webinars.platforms import cvent_conference, cvent_rest
from tap_webinars.platforms.base import (
    EventBundle,
    EventRef,
    PlatformAdapter,
    Probe,
    Window,
    require_key,
)
from tap_webinars.settings import Settings

if t.TYPE_CHECKING:
    from datetime import datetime

REST = "rest"
CONFERENCE = "conference"
# What each API cannot run without, checked in this order (the message names the first).
REQUIRED_KEYS = {
    REST: ("cvent_client_id", "cvent_client_secret"),
    CONFERENCE: ("cvent_event_url", "cvent_api_token"),
}


class CventAdapter(PlatformAdapter):
    """Cvent: events, registrants, session attendance, viewing and survey answers."""

    name = "cvent"
    title = "Cvent"
    config_properties = (
        th.Property(
            "cvent_api",
            th.StringType,
            default=REST,
            allowed_values=[REST, CONFERENCE],
            description="Cvent API: rest (platform API) or conference (smarteventscloud.com).",
        ),
        th.Property(
            "cvent_event_url",
            th.StringType,
            description="Cvent Conference event site URL (https://EVENT.smarteventscloud.com).",
        ),
        th.Property(
            "cvent_api_token",
            th.StringType,
            secret=True,
            description="Cvent Conference API token.",
        ),
        th.Property(
            "cvent_account_level",
            th.BooleanType,
            default=False,
            description=(
                "Cvent Conference: read every data resource once with event=all (needs "
                "Account Level Access), instead of once per event."
            ),
        ),
        th.Property(
            "cvent_conference_resources",
            th.ObjectType(additional_properties=True),
            description=(
                "Cvent Conference: resource name -> {stream, element, fields: {source element "
                "or attribute: column}, custom_fields}, merged over the documented defaults "
                "(README, Cvent); null drops a resource."
            ),
        ),
        th.Property(
            "cvent_conference_response_codes",
            th.ObjectType(additional_properties=True),
            description=(
                "Cvent Conference response codes: success, token_refused, ip_refused, "
                "account_level_refused, resource_refused (provisional defaults 0, 101, 102, "
                "103, 105)."
            ),
        ),
        th.Property("cvent_client_id", th.StringType, description="Cvent REST OAuth2 client id."),
        th.Property(
            "cvent_client_secret",
            th.StringType,
            secret=True,
            description="Cvent REST OAuth2 client secret.",
        ),
        th.Property(
            "cvent_region",
            th.StringType,
            default="na",
            allowed_values=["na", "eu"],
            description="Cvent REST region: na or eu.",
        ),
    )
    url_keys = ("cvent_event_url",)
    simulator = "tap_webinars.sandbox.cvent:CventSimulator"
    account_label = "the REST client id, or the Conference event site's host"
    # The Free tier allows a burst of one; the Conference API publishes no limit: one at a
    # time, which also means nothing is asked after a failure.
    max_parallel_events = 1

    def __init__(self, settings: Settings, **kwargs: t.Any) -> None:
        super().__init__(settings, **kwargs)
        self.reader: cvent_rest.RestReader | cvent_conference.ConferenceReader
        if self.api(settings.raw) == CONFERENCE:
            self.reader = cvent_conference.ConferenceReader(self)
        else:
            self.reader = cvent_rest.RestReader(self)
        self.base_url = self.reader.base_url

    @staticmethod
    def api(config: t.Mapping[str, t.Any]) -> str:
        """The configured API; REST when unset."""
        return str(config.get("cvent_api") or REST)

    @classmethod
    def check_config(cls, config: t.Mapping[str, t.Any]) -> None:
        """Each API's credentials; the Conference resources and codes are well formed."""
        super().check_config(config)
        api = cls.api(config)
        for key in REQUIRED_KEYS[api]:
            require_key(config, key)
        if api == CONFERENCE:
            cvent_conference.resources_from_config(config.get("cvent_conference_resources"))
            cvent_conference.codes_from_config(config.get("cvent_conference_response_codes"))

    @classmethod
    def default_account_id(cls, config: t.Mapping[str, t.Any]) -> str:
        """REST: the OAuth client id; Conference: the event site's host."""
        if cls.api(config) == CONFERENCE:
            return urlsplit(str(config["cvent_event_url"]).strip()).hostname or ""
        return str(config["cvent_client_id"])

    def http_policy(self) -> HttpPolicy:  # noqa: D102
        if self.api(self.settings.raw) == CONFERENCE:
            return HttpPolicy(
                platform=self.name,
                credential_keys=("cvent_api_token",),
                credential_fields=(cvent_conference.TOKEN_FIELD,),
                default_headers={"Accept": "text/xml, application/xml"},
            )
        return HttpPolicy(
            platform=self.name,
            credential_keys=cvent_rest.CREDENTIAL_KEYS,
            rate_limit=cvent_rest.RATE_LIMIT,
            default_headers={"Accept": "application/json"},
        )

    def check(self) -> None:  # noqa: D102
        self.reader.check()

    def access_probes(self) -> list[Probe]:
        """One small read per resource: REST `limit=1` per scope; Conference per resource."""
        return self.reader.access_probes()

    def list_events(self, bookmarks: t.Mapping[str, datetime]) -> list[EventRef]:  # noqa: D102
        return self.reader.list_events()

    def prepare(self, windows: t.Mapping[str, Window]) -> None:
        """REST reads activity from the run's earliest window on; Conference reads all."""
        if isinstance(self.reader, cvent_rest.RestReader):
            self.reader.prepare(windows)

    def fetch_event(  # noqa: D102
        self, ref: EventRef, window: Window, wanted: frozenset[str]
    ) -> EventBundle:
        if isinstance(self.reader, cvent_rest.RestReader):
            return self.reader.fetch_event(ref, window, wanted)
        return self.reader.fetch_event(ref, wanted)
