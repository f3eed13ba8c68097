"""GoTo's OAuth2: a refresh token turned into hour-long access tokens, renewed in time.

The token answer may carry the organizer and account keys (used where the config gives
none) and a new refresh token: GoTo's examples show none, so a rotation is unverified; when
one comes, the run keeps using the new token and warns that the configured one may stop
working. An expired access token is answered with a 403, not a 401 (`is_expired_token`).
"""

from __future__ import annotations

import logging
import threading
import typing as t

import requests
from typing_extensions import override

from tap_webinars import redaction
from tap_webinars.client import SessionSource, access_token, json_check
from tap_webinars.errors import AuthenticationError, RequestFailedError
from tap_webinars.http import HttpClient
from tap_webinars.redaction import redact_url

CREDENTIAL_KEYS = ("goto_client_id", "goto_client_secret", "goto_refresh_token")
# The codes an expired or invalid access token's 403 carries (public client code).
EXPIRED_CODES = ("invalidtoken", "invalid token", "token expired", "expired token")


def is_expired_token(response: requests.Response) -> bool:
    """A 403 that means the access token expired, not that the resource is refused."""
    if response.status_code != 403:
        return False
    if not str(response.request.headers.get("Authorization", "")).startswith("Bearer "):
        return False  # the token endpoint's own answers are refusals, never expiries
    try:
        body = response.text[:2000].lower()
    except Exception:  # an unreadable body is not an expiry
        return False
    return any(code in body for code in EXPIRED_CODES)


class RefreshToken(SessionSource[str]):
    """Access tokens from a refresh token; the keys the token answer carries are kept."""

    def __init__(
        self,
        http: HttpClient,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        logger: logging.Logger,
    ) -> None:
        super().__init__(margin_seconds=300.0)
        self.http = http
        self.token_url = token_url
        self.logger = logger
        self._auth = (client_id, client_secret)
        self._refresh = refresh_token
        self._keys_lock = threading.Lock()
        self.organizer_key: str | None = None
        self.account_key: str | None = None

    @override
    def obtain(self) -> tuple[str, float]:
        try:
            response = self.http.request(
                "POST",
                self.token_url,
                data={"grant_type": "refresh_token", "refresh_token": self._refresh},
                auth=self._auth,
                check=json_check,
            )
        except RequestFailedError as error:
            if isinstance(error, AuthenticationError) or error.status in (400, 401, 403):
                raise AuthenticationError(
                    f"goto: the refresh token was refused at {redact_url(self.token_url)} "
                    f"({error.answer}); check the settings {', '.join(CREDENTIAL_KEYS)}",
                    status=error.status,
                    endpoint=error.endpoint,
                ) from None
            raise
        token, seconds, body = access_token(response)
        self._remember(body)
        return token, seconds

    def _remember(self, body: t.Mapping[str, t.Any]) -> None:
        """Keep the keys the answer carries, and a rotated refresh token."""
        with self._keys_lock:
            for name in ("organizer_key", "account_key"):
                value = body.get(name)
                if isinstance(value, (bool, float)):
                    continue  # a float key has lost digits already: not trusted
                if isinstance(value, (int, str)) and str(value).strip():
                    setattr(self, name, str(value).strip())
            rotated = body.get("refresh_token")
            if isinstance(rotated, str) and rotated and rotated != self._refresh:
                redaction.register_secret(rotated)
                self._refresh = rotated
                self.logger.warning(
                    "goto: the token endpoint returned a new refresh token; this run uses it, "
                    "and the configured goto_refresh_token may stop working: replace it with "
                    "a fresh one from the authorization-code flow if the next run is refused"
                )

    def header(self) -> dict[str, str]:
        """The Authorization header for a request sent now."""
        return {"Authorization": f"Bearer {self.current()}"}
