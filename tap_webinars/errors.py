"""The errors a user can meet, each worded so that it says what to check."""

from __future__ import annotations


class TapWebinarsError(Exception):
    """Base of every error this tap raises on purpose; its text is safe to print."""


class SettingsError(TapWebinarsError):
    """A configuration value is missing or invalid; raised before any request is made."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class RequestFailedError(TapWebinarsError):
    """A request kept failing after every retry, or failed in a way retries cannot fix.

    `status` is the HTTP status (None when no answer came, or the platform signalled the
    failure inside a 200), and `endpoint` the URL without its query, secrets removed, so
    callers decide on facts, never on the wording of the message.
    """

    def __init__(self, message: str, *, status: int | None = None, endpoint: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.endpoint = endpoint

    @property
    def answer(self) -> str:
        """How the platform answered, in short, for messages: `HTTP 403`."""
        return f"HTTP {self.status}"


class AuthenticationError(RequestFailedError):
    """The platform refused the credentials; retrying cannot help."""


class PermissionDeniedError(RequestFailedError):
    """The credentials are valid but may not read this resource."""


class ResourceRefusedError(PermissionDeniedError):
    """One resource refused in the platform's own words (a code inside a 200 answer).

    A permission refusal like an HTTP 403, for request roles (`permissions.is_refusal`),
    though no HTTP status says so; `answer` carries the platform's code and message.
    """

    def __init__(self, message: str, *, answer: str, endpoint: str = "") -> None:
        super().__init__(message, status=None, endpoint=endpoint)
        self._answer = answer

    @property
    def answer(self) -> str:
        """The platform's code and message."""
        return self._answer


class PayloadError(TapWebinarsError):
    """The platform answered with a payload the tap cannot interpret."""

    def __init__(self, endpoint: str, problem: str) -> None:
        super().__init__(f"unexpected payload from {endpoint}: {problem}")
        self.endpoint = endpoint
        self.problem = problem


class StreamUnavailableError(TapWebinarsError):
    """The credentials may not read what these streams need (a core endpoint refused).

    The engine skips the streams for the account and goes on, unless `strict_permissions`
    is set; the message names the permission or scope to request.
    """

    def __init__(
        self,
        streams: tuple[str, ...],
        endpoint: str,
        permission: str,
        status: int | None,
        answer: str | None = None,
    ) -> None:
        self.answer = answer or f"HTTP {status}"  # or the platform's own refusal code
        super().__init__(
            f"{', '.join(streams)}: access refused ({self.answer}) at {endpoint}; "
            f"ask for the permission {permission}"
        )
        self.streams = streams
        self.endpoint = endpoint
        self.permission = permission
        self.status = status
