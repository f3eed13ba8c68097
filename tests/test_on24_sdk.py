"""singer-sdk's built-in tap tests for ON24, over HTTP to the sandbox."""

from tap_webinars.sandbox.on24 import ACCESS_TOKEN_KEY, ACCESS_TOKEN_SECRET, CLIENT_ID
from tests.sdk_suite import module_sandbox, sdk_test_class

_sandbox = module_sandbox("--size", "small")

TestOn24Tap = sdk_test_class(
    {
        "platform": "on24",
        "on24_client_id": str(CLIENT_ID),
        "on24_access_token_key": ACCESS_TOKEN_KEY,
        "on24_access_token_secret": ACCESS_TOKEN_SECRET,
        "api_url": _sandbox.api_url("on24"),
        "start_date": "2015-01-01T00:00:00Z",
    }
)
