"""Platform adapters, one module each, looked up by the `platform` setting."""

from __future__ import annotations

import importlib

from tap_webinars.errors import SettingsError
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
    """Return the adapter class for *platform*, or raise SettingsError if this build has none."""
    module_name, class_name = ADAPTERS[platform].split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        raise SettingsError("platform", f"'{platform}' is not supported by this version") from None
    adapter: type[PlatformAdapter] = getattr(module, class_name)
    return adapter
