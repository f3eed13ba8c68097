"""singer-sdk's built-in tap tests for Cvent (REST), over HTTP to the sandbox."""

from tap_webinars.sandbox.cvent import CLIENT_ID, CLIENT_SECRET
from tests.sdk_suite import module_sandbox, sdk_test_class

_sandbox = module_sandbox("--size", "small")

TestCventTap = sdk_test_class(
    {
        "platform": "cvent",
        "cvent_api": "rest",
        "cvent_client_id": CLIENT_ID,
        "cvent_client_secret": CLIENT_SECRET,
        "api_url": _sandbox.api_url("cvent") + "/ea",
        "start_date": "2020-01-01T00:00:00Z",
    },
    empty_streams=["questions"],  # the Cvent REST API has no Q&A
)
