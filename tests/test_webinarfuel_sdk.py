"""singer-sdk's built-in tap tests for WebinarFuel, over HTTP to the sandbox."""

from tests.sdk_suite import module_sandbox, sdk_test_class

_sandbox = module_sandbox("--size", "small")

TestWebinarFuelTap = sdk_test_class(
    {
        "platform": "webinarfuel",
        "webinarfuel_api_key": "wf-sandbox-key",
        "api_url": _sandbox.api_url("webinarfuel"),
        "start_date": "2020-01-01T00:00:00Z",
    },
    empty_streams=["survey_responses", "questions"],  # not in WebinarFuel's API
)
