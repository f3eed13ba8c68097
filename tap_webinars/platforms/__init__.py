"""The registry of platform plug-ins: the built-in ones, and any installed package's.

A plug-in is a `PlatformAdapter` subclass. The built-in ones are listed here; another package
adds one by declaring an entry point in the `tap_webinars.platforms` group
(`fifth = "my_package.fifth:FifthAdapter"`). Everything that lists platforms (the config
schema, `--about`, the Airbyte spec, the README table, the sandbox) reads this registry.
"""

from __future__ import annotations

import functools
import importlib
import typing as t
from importlib.metadata import entry_points

from singer_sdk import typing as th

from tap_webinars import redaction
from tap_webinars.errors import SettingsError
from tap_webinars.platforms.base import PlatformAdapter
from tap_webinars.settings import (
    Settings,
    common_properties,
    sdk_builtin_settings,
    unknown_setting_warnings,
)

ENTRY_POINT_GROUP = "tap_webinars.platforms"

BUILTIN = (
    "tap_webinars.platforms.on24:On24Adapter",
    "tap_webinars.platforms.webinarfuel:WebinarFuelAdapter",
    "tap_webinars.platforms.webcasts:WebcastsAdapter",
    "tap_webinars.platforms.cvent:CventAdapter",
    "tap_webinars.platforms.zoom:ZoomAdapter",
    "tap_webinars.platforms.goto:GoToAdapter",
)


def _load(target: str) -> type[PlatformAdapter]:
    module_name, _, class_name = target.partition(":")
    adapter = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(adapter, type) and issubclass(adapter, PlatformAdapter)):
        msg = f"{target} is not a PlatformAdapter subclass"
        raise TypeError(msg)
    return adapter


@functools.cache
def registry() -> dict[str, type[PlatformAdapter]]:
    """Every platform plug-in by its `platform` value: built-ins first, then entry points."""
    adapters: dict[str, type[PlatformAdapter]] = {}
    targets = list(BUILTIN) + [ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)]
    for target in targets:
        adapter = _load(target)
        adapters.setdefault(adapter.name, adapter)
    return adapters


def adapter_class(platform: str) -> type[PlatformAdapter]:
    """The plug-in for *platform*, or a SettingsError listing the platforms there are."""
    adapters = registry()
    if platform not in adapters:
        raise SettingsError("platform", f"must be one of {', '.join(adapters)}")
    return adapters[platform]


@functools.cache
def config_schema() -> dict[str, t.Any]:
    """The tap's config JSON Schema: the common keys, then each plug-in's, in registry order."""
    adapters = registry()
    properties = common_properties({n: a.account_label for n, a in adapters.items()})
    for adapter in adapters.values():
        properties.extend(adapter.config_properties)
    return th.PropertiesList(*properties).to_dict()


def setting_owners() -> dict[str, str]:
    """Each plug-in's own settings, mapped to the platform they belong to."""
    return {
        prop.name: adapter.name
        for adapter in registry().values()
        for prop in adapter.config_properties
    }


def unknown_settings(config: t.Mapping[str, t.Any]) -> list[str]:
    """Warnings for the keys of *config* no setting of this tap (or of singer-sdk) is called.

    A key of another platform's plug-in is named as such.
    """
    properties = config_schema()["properties"]
    known = set(properties) | sdk_builtin_settings()
    # singer-sdk fills in every default, every plug-in's: those were not the user's doing.
    given = {
        key: value
        for key, value in config.items()
        if key not in properties or value != properties[key].get("default")
    }
    return unknown_setting_warnings(given, known, setting_owners())


def secret_keys() -> tuple[str, ...]:
    """Every plug-in's secret settings."""
    return tuple(key for adapter in registry().values() for key in adapter.secret_keys())


def load_settings(config: t.Mapping[str, t.Any]) -> Settings:
    """Check *config* for its platform and build the settings, or raise SettingsError."""
    for key in secret_keys():  # before anything can echo a value
        redaction.register_secret(config.get(key))
    platform = config.get("platform")
    adapters = registry()
    if not isinstance(platform, str) or not platform.strip():
        raise SettingsError("platform", f"is required: one of {', '.join(adapters)}")
    return Settings.from_config(config, adapter_class(platform), config_schema())
