"""singer-sdk's built-in tap tests for Webcasts.com, over HTTP to the sandbox.

Webcasts fills every stream (the guide's sample has Q&A and surveys), so the SDK's
"returns records" test runs for all six.
"""

from tests.sdk_suite import module_sandbox, sdk_test_class

_sandbox = module_sandbox("--size", "small")

TestWebcastsTap = sdk_test_class(
    {
        "platform": "webcasts",
        "webcasts_username": "webcasts-sandbox",
        "webcasts_password": "Pa$$ w0rd&sandbox/é",
        "api_url": _sandbox.api_url("webcasts"),
        "webcasts_reporting_url": _sandbox.api_url("webcasts"),
        "start_date": "2014-01-01T00:00:00Z",
    }
)
