"""The GoTo Webinar plug-in: `adapter` (the design), `auth`, `api` (paging), `mapping`."""

from tap_webinars.platforms.goto.adapter import GoToAdapter

__all__ = ["GoToAdapter"]
