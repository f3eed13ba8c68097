"""Platform adapters, one module each, looked up by the `platform` setting."""

from __future__ import annotations

import importlib

from tap_webinars.platforms.base import PlatformAdapter

# platform setting -> "module:Class"; imported on demand so one platform's parser
# dependencies never load for another.
ADAPTERS = {
    "webinarfuel": "tap_webinars.platforms.webinarfuel:WebinarFuelAdapter",
    "webcasts": "tap_webinars.platforms.webcasts:WebcastsAdapter",
    "on24": "tap_webinars.platforms.on24:On24Adapter",
    "cvent": "tap_webinars.platforms.cvent:CventAdapter",
}


def adapter_class(platform: str) -> type[PlatformAdapter]:
    """Return the adapter class for *platform* (a validated setting)."""
    module_name, class_name = ADAPTERS[platform].split(":")
    adapter: type[PlatformAdapter] = getattr(importlib.import_module(module_name), class_name)
    return adapter
