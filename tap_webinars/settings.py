"""Configuration: the keys a user sets (SPEC §3) and their validation, before any request.

The SDK validates types against `CONFIG_SCHEMA`; `Settings.from_config` then checks what a
JSON Schema cannot say (which keys each platform needs, dates, loopback-only plain HTTP) and
turns the flat keys into one typed object that flows, unchanged, to the platform adapter.
"""

from __future__ import annotations

import ipaddress
import typing as t
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import jsonschema
from singer_sdk import typing as th

from tap_webinars import redaction
from tap_webinars.errors import SettingsError
from tap_webinars.normalize import parse_timestamp, utc_now

PLATFORMS = ("on24", "webinarfuel", "webcasts", "cvent")

# Keys each platform cannot run without; checked in this order so the message names the first.
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "on24": ("on24_client_id", "on24_access_token_key", "on24_access_token_secret"),
    "webinarfuel": ("webinarfuel_api_key",),
    "webcasts": ("webcasts_username", "webcasts_password"),
    "cvent": (),  # depends on cvent_api, see _check_cvent
}

SECRET_KEYS = (
    "on24_access_token_key",
    "on24_access_token_secret",
    "webinarfuel_api_key",
    "webcasts_password",
    "cvent_api_token",
    "cvent_client_secret",
)


def _secret(name: str, description: str) -> th.Property[t.Any]:
    return th.Property(name, th.StringType, secret=True, description=description)


CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "platform",
        th.StringType,
        required=True,
        allowed_values=list(PLATFORMS),
        description="Platform this instance reads: on24, webinarfuel, webcasts or cvent.",
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        description="Earliest data to extract (ISO 8601). Default: 90 days before now.",
    ),
    th.Property("end_date", th.DateTimeType, description="Optional upper bound (ISO 8601)."),
    th.Property(
        "account_id",
        th.StringType,
        description=(
            "Label written into every record and key. Default: ON24 client id, Webcasts "
            "username, Cvent event host or client id, or 'webinarfuel'."
        ),
    ),
    th.Property(
        "api_url",
        th.StringType,
        description="Base URL override (region, proxy, tests). Plain http:// only for loopback.",
    ),
    th.Property(
        "event_ids",
        th.ArrayType(th.StringType),
        description="Extract only these events (platform event ids).",
    ),
    th.Property(
        "lookback_hours",
        th.NumberType,
        default=24,
        description="Hours of recent activity re-read on every run, for late-published data.",
    ),
    th.Property(
        "max_concurrency",
        th.IntegerType,
        default=4,
        description="Upper bound on parallel requests; the platform's own limit always wins.",
    ),
    th.Property(
        "request_timeout",
        th.NumberType,
        default=300,
        description="Seconds to wait for one HTTP response.",
    ),
    th.Property("on24_client_id", th.StringType, description="ON24 client id."),
    _secret("on24_access_token_key", "ON24 API access token key."),
    _secret("on24_access_token_secret", "ON24 API access token secret."),
    th.Property(
        "on24_region",
        th.StringType,
        default="na",
        allowed_values=["na", "eu"],
        description="ON24 region: na (api.on24.com) or eu (api.eu.on24.com).",
    ),
    _secret("webinarfuel_api_key", "WebinarFuel API key (Bearer token)."),
    th.Property("webcasts_username", th.StringType, description="Webcasts.com API username."),
    _secret("webcasts_password", "Webcasts.com API password."),
    th.Property(
        "webcasts_reporting_url",
        th.StringType,
        description="Webcasts reporting host. Default: https://reporting.webcasts.com",
    ),
    th.Property(
        "webcasts_report_path",
        th.StringType,
        default="/api/reporting/audience_reports",
        description="Path of the audience report on the reporting host (unverified upstream).",
    ),
    th.Property(
        "webcasts_time_zone",
        th.StringType,
        default="GMT",
        description="Time zone the Webcasts reports are requested in.",
    ),
    th.Property(
        "webcasts_include_expired",
        th.BooleanType,
        default=False,
        description="Also pull expired Webcasts events, once each (stricter limits).",
    ),
    th.Property(
        "cvent_api",
        th.StringType,
        default="conference",
        allowed_values=["conference", "rest"],
        description="Cvent API: conference (smarteventscloud.com) or rest (platform API).",
    ),
    th.Property(
        "cvent_event_url",
        th.StringType,
        description="Cvent Conference event site URL (https://EVENT.smarteventscloud.com).",
    ),
    _secret("cvent_api_token", "Cvent Conference API token."),
    th.Property("cvent_client_id", th.StringType, description="Cvent REST OAuth2 client id."),
    _secret("cvent_client_secret", "Cvent REST OAuth2 client secret."),
    th.Property(
        "cvent_region",
        th.StringType,
        default="na",
        allowed_values=["na", "eu"],
        description="Cvent REST region: na or eu.",
    ),
).to_dict()


@dataclass(frozen=True)
class Settings:
    """Validated configuration, as the adapters and the HTTP layer consume it."""

    platform: str
    account_id: str
    start_date: datetime
    end_date: datetime | None
    api_url: str | None
    event_ids: frozenset[str] | None
    lookback: timedelta
    max_concurrency: int
    request_timeout: float
    raw: t.Mapping[str, t.Any] = field(repr=False)

    def get(self, key: str, default: t.Any = None) -> t.Any:
        """Read a platform-specific key (e.g. `webcasts_time_zone`) as configured."""
        value = self.raw.get(key)
        return default if value in (None, "") else value

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> Settings:
        """Check *config* for its platform and build the settings, or raise SettingsError."""
        for key in SECRET_KEYS:
            redaction.register_secret(config.get(key))
        _check_types(config)
        platform = config.get("platform")
        if platform not in PLATFORMS:
            raise SettingsError("platform", f"must be one of {', '.join(PLATFORMS)}")
        for key in REQUIRED_KEYS[platform]:
            _require(config, key)
        if platform == "cvent":
            _check_cvent(config)
        start = _timestamp(config, "start_date") or utc_now() - timedelta(days=90)
        end = _timestamp(config, "end_date")
        if end is not None and end <= start:
            raise SettingsError("end_date", "must be later than start_date")
        for key in ("api_url", "webcasts_reporting_url", "cvent_event_url"):
            if config.get(key):
                _check_url(key, str(config[key]))
        lookback = _number(config, "lookback_hours", 24, minimum=0)
        concurrency = int(_number(config, "max_concurrency", 4, minimum=1))
        timeout = _number(config, "request_timeout", 300, minimum=1)
        event_ids = config.get("event_ids")
        if event_ids is not None and (
            not isinstance(event_ids, list) or not all(str(e).strip() for e in event_ids)
        ):
            raise SettingsError("event_ids", "must be a list of non-empty event ids")
        return cls(
            platform=platform,
            account_id=str(config.get("account_id") or _default_account_id(platform, config)),
            start_date=start,
            end_date=end,
            api_url=(str(config["api_url"]).rstrip("/") if config.get("api_url") else None),
            event_ids=frozenset(str(e).strip() for e in event_ids) if event_ids else None,
            lookback=timedelta(hours=lookback),
            max_concurrency=concurrency,
            request_timeout=timeout,
            raw=dict(config),
        )


def _check_types(config: t.Mapping[str, t.Any]) -> None:
    """Check every key against CONFIG_SCHEMA, reporting the first problem by its key."""
    if not isinstance(config.get("platform"), str) or not config["platform"].strip():
        raise SettingsError("platform", f"is required: one of {', '.join(PLATFORMS)}")
    properties = CONFIG_SCHEMA["properties"]
    for key, value in config.items():
        schema = properties.get(key)
        if schema is None or value is None:
            continue
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft7Validator(schema, format_checker=None).iter_errors(value)
        )
        if error is not None:
            raise SettingsError(key, f"{error.message}")


def _require(config: t.Mapping[str, t.Any], key: str) -> None:
    if not str(config.get(key) or "").strip():
        raise SettingsError(key, f"is required for platform '{config['platform']}'")


def _check_cvent(config: t.Mapping[str, t.Any]) -> None:
    api = config.get("cvent_api") or "conference"
    if api == "conference":
        # Its resource names and record shapes are not public (reference/README.md), so
        # this version reads Cvent through the REST platform API only.
        raise SettingsError(
            "cvent_api", "'conference' is not supported by this version; set cvent_api to 'rest'"
        )
    if api == "rest":
        _require(config, "cvent_client_id")
        _require(config, "cvent_client_secret")
    else:
        raise SettingsError("cvent_api", "must be 'conference' or 'rest'")


def _timestamp(config: t.Mapping[str, t.Any], key: str) -> datetime | None:
    value = config.get(key)
    if value in (None, ""):
        return None
    try:
        return parse_timestamp(str(value))
    except ValueError:
        raise SettingsError(key, f"is not an ISO 8601 date or date-time: {value!r}") from None


def _number(config: t.Mapping[str, t.Any], key: str, default: float, *, minimum: float) -> float:
    value = config.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(key, f"must be a number, got {value!r}")
    if value < minimum:
        raise SettingsError(key, f"must be at least {minimum:g}, got {value!r}")
    return float(value)


def is_loopback(host: str) -> bool:
    """Tell whether *host* names this machine, the only place plain HTTP is allowed."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_url(key: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(key, f"is not an http(s) URL: {url!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise SettingsError(key, "plain http:// is allowed only for loopback hosts; use https://")


def _default_account_id(platform: str, config: t.Mapping[str, t.Any]) -> str:
    if platform == "on24":
        return str(config["on24_client_id"])
    if platform == "webcasts":
        return str(config["webcasts_username"])
    if platform == "cvent":
        if (config.get("cvent_api") or "conference") == "rest":
            return str(config["cvent_client_id"])
        return urlsplit(str(config["cvent_event_url"])).hostname or "cvent"
    return "webinarfuel"
