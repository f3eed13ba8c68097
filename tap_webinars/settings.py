"""Configuration: the keys every platform shares (SPEC §3), and the check run before any request.

Each platform plug-in declares its own keys and rules; `tap_webinars.platforms` puts them
together with these into the config schema. `Settings.from_config` checks types against that
schema, then what a JSON Schema cannot say (dates, loopback-only plain HTTP, the platform's
own rules), and turns the flat keys into one typed object that flows, unchanged, to the
platform adapter.
"""

from __future__ import annotations

import difflib
import typing as t
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import jsonschema
from singer_sdk import typing as th
from singer_sdk.helpers import capabilities as sdk_capabilities

from tap_webinars import redaction
from tap_webinars.errors import SettingsError
from tap_webinars.normalize import parse_timestamp, utc_now
from tap_webinars.urls import url_problem


class PlatformRules(t.Protocol):
    """What the settings check needs of the configured platform's plug-in."""

    name: str

    @classmethod
    def secret_keys(cls) -> tuple[str, ...]: ...  # noqa: D102

    @classmethod
    def check_config(cls, config: t.Mapping[str, t.Any]) -> None: ...  # noqa: D102

    @classmethod
    def default_account_id(cls, config: t.Mapping[str, t.Any]) -> str: ...  # noqa: D102


def common_properties(account_labels: t.Mapping[str, str]) -> list[th.Property[t.Any]]:
    """The settings every platform shares; the plug-ins add their own after these.

    *account_labels* maps each platform to what its `account_id` defaults to.
    """
    platforms = list(account_labels)
    defaults = "; ".join(f"{name}: {label}" for name, label in account_labels.items())
    return [
        th.Property(
            "platform",
            th.StringType,
            required=True,
            allowed_values=list(platforms),
            description=f"Platform this instance reads: {', '.join(platforms)}.",
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
            description=f"Label written into every record and key. Default: {defaults}.",
        ),
        th.Property(
            "api_url",
            th.StringType,
            description=(
                "Base URL override (region, proxy, tests). Plain http:// only for loopback."
            ),
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
            "strict_permissions",
            th.BooleanType,
            default=False,
            description=(
                "Fail the run (one line, non-zero exit) when the credentials may not read a "
                "stream; by default such a stream is skipped with a warning."
            ),
        ),
        th.Property(
            "request_timeout",
            th.NumberType,
            default=300,
            description="Seconds to wait for one HTTP response.",
        ),
        th.Property(
            "max_retry_seconds",
            th.NumberType,
            default=600,
            description=(
                "Total seconds one request may spend retrying transient failures (outages, "
                "5xx, dropped connections) before the run stops; rate-limit waits do not count."
            ),
        ),
    ]


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
    strict_permissions: bool
    max_retry_seconds: float
    raw: t.Mapping[str, t.Any] = field(repr=False)

    def get(self, key: str, default: t.Any = None) -> t.Any:
        """Read one of the platform plug-in's own keys, as configured (None when blank)."""
        value = self.raw.get(key)
        return default if value in (None, "") else value

    @classmethod
    def from_config(
        cls,
        config: t.Mapping[str, t.Any],
        rules: PlatformRules,
        schema: t.Mapping[str, t.Any],
    ) -> Settings:
        """Check *config* against *schema* and the platform's *rules*, or raise SettingsError.

        Secrets are registered for redaction first, so not even a message about a bad
        value can show one.
        """
        for key in rules.secret_keys():
            redaction.register_secret(config.get(key))
        _check_types(config, schema)
        rules.check_config(config)
        start = _timestamp(config, "start_date") or utc_now() - timedelta(days=90)
        end = _timestamp(config, "end_date")
        if end is not None and end <= start:
            raise SettingsError("end_date", "must be later than start_date")
        if config.get("api_url"):
            problem = url_problem(str(config["api_url"]))
            if problem:
                raise SettingsError("api_url", problem)
        lookback = _number(config, "lookback_hours", 24, minimum=0)
        concurrency = int(_number(config, "max_concurrency", 4, minimum=1))
        timeout = _number(config, "request_timeout", 300, minimum=1)
        retry_seconds = _number(config, "max_retry_seconds", 600, minimum=0)
        event_ids = config.get("event_ids")
        if event_ids is not None and (
            not isinstance(event_ids, list) or not all(str(e).strip() for e in event_ids)
        ):
            raise SettingsError("event_ids", "must be a list of non-empty event ids")
        return cls(
            platform=rules.name,
            account_id=str(config.get("account_id") or rules.default_account_id(config)),
            start_date=start,
            end_date=end,
            api_url=(str(config["api_url"]).rstrip("/") if config.get("api_url") else None),
            event_ids=frozenset(str(e).strip() for e in event_ids) if event_ids else None,
            lookback=timedelta(hours=lookback),
            max_concurrency=concurrency,
            request_timeout=timeout,
            strict_permissions=bool(config.get("strict_permissions") or False),
            max_retry_seconds=retry_seconds,
            raw=dict(config),
        )


def sdk_builtin_settings() -> frozenset[str]:
    """The settings singer-sdk adds to every tap's schema (stream maps, flattening, ...)."""
    names: set[str] = set()
    for attribute in dir(sdk_capabilities):
        value = getattr(sdk_capabilities, attribute)
        if attribute.endswith("_CONFIG") and isinstance(value, dict):
            names.update(value.get("properties", {}))
    return frozenset(names)


def unknown_setting_warnings(
    config: t.Mapping[str, t.Any],
    known: t.Collection[str],
    owners: t.Mapping[str, str],
) -> list[str]:
    """A warning for each key of *config* this run will not use, with what was meant.

    *known* is every setting the tap has (common, every plug-in's, singer-sdk's); *owners*
    maps a plug-in's setting to its platform, so a key of another platform is named as
    such. A typo (`lookback_hour`) would otherwise leave its default in force in silence.
    """
    platform = config.get("platform")
    warnings = []
    for key in config:
        owner = owners.get(key)
        if owner is not None:
            if isinstance(platform, str) and owner != platform:
                warnings.append(
                    f"setting '{key}' belongs to platform {owner}, not {platform}; it is ignored"
                )
            continue
        if key in known:
            continue
        close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        warnings.append(f"unknown setting '{key}' is ignored{hint}")
    return warnings


def _check_types(config: t.Mapping[str, t.Any], schema: t.Mapping[str, t.Any]) -> None:
    """Check every key against the config *schema*, reporting the first problem by its key."""
    properties = schema["properties"]
    for key, value in config.items():
        schema = properties.get(key)
        if schema is None or value is None:
            continue
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft7Validator(schema, format_checker=None).iter_errors(value)
        )
        if error is not None:
            raise SettingsError(key, f"{error.message}")


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
    # singer-sdk reads a config file's decimals (`20.5`) as Decimal.
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise SettingsError(key, f"must be a number, got {value!r}")
    if value < minimum:
        raise SettingsError(key, f"must be at least {minimum:g}, got {value!r}")
    return float(value)
