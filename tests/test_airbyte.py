"""`source-webinars`, the Airbyte-protocol entry point: spec, check, discover, read.

The connector runs as a process, as Airbyte runs it; its messages are checked against the
Airbyte protocol's own models (from .venv-airbyte). PyAirbyte then reads the sandbox into
its DuckDB cache twice, the second read incremental from the state PyAirbyte stored.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import typing as t
from pathlib import Path

import jsonschema
import pytest

from tap_webinars.platforms import secret_keys
from tests.harness import ROOT, SandboxProcess
from tests.platform_configs import (
    ID_COLUMN,
    KEY,
    PLATFORMS,
    SANDBOX_SIZE,
    STREAMS,
    case_for,
)
from tests.tools import (
    AIRBYTE_PYTHON,
    SDK_SETTINGS,
    SOURCE,
    TAP,
    event_bookmarks,
    require,
    write_json,
)

VALIDATE_MESSAGES = """
import sys
from airbyte_protocol.models import AirbyteMessage
for number, line in enumerate(sys.stdin, 1):
    try:
        AirbyteMessage.model_validate_json(line)
    except Exception as error:
        print(f"line {number}: {error}")
"""


@pytest.fixture
def small_sandbox(sandbox_process: SandboxProcess) -> SandboxProcess:
    sandbox_process.reset(size=SANDBOX_SIZE)
    return sandbox_process


def source(
    folder: Path,
    command: str,
    config: dict[str, t.Any] | None = None,
    catalog: dict[str, t.Any] | None = None,
    state: t.Any = None,
) -> tuple[list[dict[str, t.Any]], subprocess.CompletedProcess[str]]:
    """Run `source-webinars <command>`; return its messages (every stdout line must be one)."""
    folder.mkdir(parents=True, exist_ok=True)
    args = [str(SOURCE), command]
    for name, value in (("config", config), ("catalog", catalog), ("state", state)):
        if value is not None:
            args += [f"--{name}", str(write_json(folder / f"{name}.json", value))]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    lines = done.stdout.splitlines()
    messages = [json.loads(line) for line in lines]  # anything else would break Airbyte
    assert_valid_protocol(lines)
    return messages, done


def assert_valid_protocol(lines: list[str]) -> None:
    """Every line parses as an AirbyteMessage of the Airbyte protocol's own models."""
    require(AIRBYTE_PYTHON)
    done = subprocess.run(
        [str(AIRBYTE_PYTHON), "-c", VALIDATE_MESSAGES],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "", done.stdout[:2000]


def of_type(messages: list[dict[str, t.Any]], kind: str) -> list[dict[str, t.Any]]:
    return [m for m in messages if m["type"] == kind]


def own_settings() -> dict[str, t.Any]:
    done = subprocess.run(
        [str(TAP), "--about", "--format", "json"], capture_output=True, text=True, check=True
    )
    properties = json.loads(done.stdout)["settings"]["properties"]
    return {k: v for k, v in properties.items() if k not in SDK_SETTINGS}


def configured_catalog(
    streams: list[dict[str, t.Any]], names: t.Iterable[str], mode: str = "incremental"
) -> dict[str, t.Any]:
    chosen = [s for s in streams if s["name"] in set(names)]
    return {
        "streams": [
            {
                "stream": s,
                "sync_mode": mode,
                "destination_sync_mode": "append_dedup",
                "cursor_field": s["default_cursor_field"],
                "primary_key": s["source_defined_primary_key"],
            }
            for s in chosen
        ]
    }


def test_spec_is_valid_json_schema_of_the_taps_own_settings(tmp_path: Path) -> None:
    messages, done = source(tmp_path, "spec")
    assert done.returncode == 0, done.stderr
    [spec] = of_type(messages, "SPEC")
    schema = spec["spec"]["connectionSpecification"]
    jsonschema.Draft7Validator.check_schema(schema)

    settings = own_settings()
    assert list(schema["properties"]) == list(settings)  # no stream_maps, flattening, batch
    assert schema["required"] == ["platform"]
    secrets = {k for k, v in settings.items() if v.get("secret")}
    assert secrets == set(secret_keys())  # one per platform credential, and every one
    assert {k for k, v in schema["properties"].items() if v.get("airbyte_secret")} == secrets
    assert spec["spec"]["supportsIncremental"] is True

    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    good = {
        "platform": "webinarfuel",
        "webinarfuel_api_key": "k",
        "lookback_hours": 2.5,
        "event_ids": ["1", "2"],
        "start_date": "2024-01-01T00:00:00Z",
    }
    assert not list(validator.iter_errors(good))
    assert list(validator.iter_errors({"platform": "nosuchplatform"}))
    assert list(validator.iter_errors({"webinarfuel_api_key": "k"}))


def test_discover_declares_keys_cursors_and_sync_modes(
    small_sandbox: SandboxProcess, tmp_path: Path
) -> None:
    case = case_for(small_sandbox, "webinarfuel")
    messages, done = source(tmp_path, "discover", case.config(small_sandbox.api_url("webinarfuel")))
    assert done.returncode == 0, done.stderr
    [catalog] = of_type(messages, "CATALOG")
    streams = {s["name"]: s for s in catalog["catalog"]["streams"]}
    assert set(streams) == set(STREAMS)
    for name, stream in streams.items():
        assert stream["source_defined_primary_key"] == [[k] for k in KEY[name]]
        assert set(stream["supported_sync_modes"]) == {"full_refresh", "incremental"}
        assert stream["source_defined_cursor"] is True
        [cursor] = stream["default_cursor_field"]
        assert stream["json_schema"]["properties"][cursor]["format"] == "date-time"
    assert streams["events"]["default_cursor_field"] == ["last_activity_at"]
    assert small_sandbox.requests() == []  # discovery makes no request


@pytest.mark.parametrize("platform", PLATFORMS)
def test_check_authenticates_and_fails_without_leaking_secrets(
    platform: str, small_sandbox: SandboxProcess, tmp_path: Path
) -> None:
    case = case_for(small_sandbox, platform)
    config = case.config(small_sandbox.api_url(platform))

    small_sandbox.clear_requests()
    messages, done = source(tmp_path / "good", "check", config)
    assert done.returncode == 0, done.stderr
    [status] = of_type(messages, "CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "SUCCEEDED"
    assert small_sandbox.requests(platform), "check made no request to the platform"

    secrets = {k: v for k, v in config.items() if k in own_secret_keys()}
    assert secrets, "the platform's config has no secret to get wrong"
    wrong = {**config, **{k: f"wrong-{v}-0000" for k, v in secrets.items()}}
    messages, done = source(tmp_path / "bad", "check", wrong)
    assert done.returncode == 0  # a failed check is a status, not a crash
    [status] = of_type(messages, "CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "FAILED"
    message = status["connectionStatus"]["message"]
    assert any(key in message for key in secrets), message  # names what to check
    everything = done.stdout + done.stderr
    for value in [*secrets.values(), *(wrong[k] for k in secrets)]:
        assert str(value) not in everything

    incomplete = {k: v for k, v in config.items() if k not in secrets}
    messages, done = source(tmp_path / "incomplete", "check", incomplete)
    [status] = of_type(messages, "CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "FAILED"
    assert any(key in status["connectionStatus"]["message"] for key in secrets)


def own_secret_keys() -> set[str]:
    return {k for k, v in own_settings().items() if v.get("secret")}


def test_read_state_round_trips_and_new_streams_get_history(
    small_sandbox: SandboxProcess, tmp_path: Path
) -> None:
    """Only `registrants` selected: its state still carries every event's bookmark, a second
    read from that state is incremental, and adding `events` later reads all events again."""
    case = case_for(small_sandbox, "webinarfuel")
    config = case.config(small_sandbox.api_url("webinarfuel"))
    expected = case.expected_rows(small_sandbox.dataset("webinarfuel"))
    messages, _ = source(tmp_path, "discover", config)
    streams = of_type(messages, "CATALOG")[0]["catalog"]["streams"]

    only = configured_catalog(streams, ["registrants"])
    messages, done = source(tmp_path / "first", "read", config, only)
    assert done.returncode == 0, done.stderr
    records = of_type(messages, "RECORD")
    assert {m["record"]["stream"] for m in records} == {"registrants"}
    assert len(records) == expected["registrants"]
    states = [m["state"] for m in of_type(messages, "STATE")]
    assert {s["stream"]["stream_descriptor"]["name"] for s in states} == {"registrants"}
    assert all(s["type"] == "STREAM" for s in states)
    last = states[-1]
    assert len(event_bookmarks(last["stream"]["stream_state"])) == expected["events"]
    statuses = [m["trace"]["stream_status"]["status"] for m in of_type(messages, "TRACE")]
    assert statuses[0] == "STARTED" and statuses[-1] == "COMPLETE"

    messages, done = source(tmp_path / "second", "read", config, only, state=[last])
    assert done.returncode == 0, done.stderr
    assert len(of_type(messages, "RECORD")) < expected["registrants"]

    both = configured_catalog(streams, ["events", "registrants"])
    messages, done = source(tmp_path / "third", "read", config, both, state=[last])
    assert done.returncode == 0, done.stderr
    counts = {name: 0 for name in ("events", "registrants")}
    for m in of_type(messages, "RECORD"):
        counts[m["record"]["stream"]] += 1
    assert counts == {"events": expected["events"], "registrants": expected["registrants"]}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_pyairbyte_reads_into_duckdb_twice_second_incremental(
    platform: str, small_sandbox: SandboxProcess, tmp_path: Path
) -> None:
    require(AIRBYTE_PYTHON)
    case = case_for(small_sandbox, platform)
    config_path = write_json(tmp_path / "config.json", case.config(small_sandbox.api_url(platform)))
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "AIRBYTE_OFFLINE_MODE": "1",
        "NO_LIVE_PROGRESS": "1",
        "PYTHONWARNINGS": "ignore",
        "AIRBYTE_PROJECT_DIR": str(tmp_path),
        "AIRBYTE_LOGGING_ROOT": str(tmp_path / "logs"),
    }
    command = [
        str(AIRBYTE_PYTHON),
        str(ROOT / "tests" / "pyairbyte_read.py"),
        "--executable",
        str(SOURCE),
        "--config",
        str(config_path),
        "--cache-dir",
        str(tmp_path),
        "--id-columns",
        json.dumps(ID_COLUMN),
        "--reads",
        "2",
    ]
    with (
        (tmp_path / "pyairbyte.log").open("w") as log,
        subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
        ) as driver,
    ):
        assert driver.stdout is not None and driver.stdin is not None
        try:
            first = json.loads(driver.stdout.readline() or "null")
            assert first, (tmp_path / "pyairbyte.log").read_text()[-5000:]
            expected = case.expected_rows(small_sandbox.dataset(platform))
            assert {s: v["rows"] for s, v in first["streams"].items()} == expected
            assert first["processed_records"] == sum(expected.values())
            for name, stream in first["streams"].items():
                assert len(set(stream["ids"])) == stream["rows"], name  # merged by key
                assert len(event_bookmarks(stream["state"])) == expected["events"], name

            added = case.change(small_sandbox)
            driver.stdin.write("next\n")
            driver.stdin.flush()
            second = json.loads(driver.stdout.readline() or "null")
            assert second, (tmp_path / "pyairbyte.log").read_text()[-5000:]
            after = case.expected_rows(small_sandbox.dataset(platform))
            assert {s: v["rows"] for s, v in second["streams"].items()} == after
            assert 0 < second["processed_records"] < first["processed_records"]
            for stream, ids in added.items():
                assert ids <= set(second["streams"][stream]["ids"]), stream
            for name, stream in second["streams"].items():
                assert len(set(stream["ids"])) == stream["rows"], name
                assert set(event_bookmarks(stream["state"])) == set(
                    event_bookmarks(first["streams"][name]["state"])
                ), name
            driver.stdin.close()
            assert driver.wait(timeout=60) == 0
        finally:
            if driver.poll() is None:
                driver.kill()


def test_dockerfile_copies_what_a_working_source_needs(tmp_path: Path) -> None:
    """The image cannot be built here; its build steps can: copy what Dockerfile.airbyte
    copies, `pip install .` it into a fresh virtualenv, run its ENTRYPOINT."""
    uv = SOURCE.parent / "uv"
    require(uv)
    lines = (ROOT / "Dockerfile.airbyte").read_text(encoding="utf-8").splitlines()
    context = tmp_path / "context"
    for line in lines:
        if line.startswith("COPY "):
            *sources, _ = line.split()[1:]
            for name in sources:
                source_path = ROOT / name
                if source_path.is_dir():
                    shutil.copytree(
                        source_path, context / name, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    context.mkdir(exist_ok=True)
                    shutil.copy(source_path, context / name)
    [entrypoint] = [
        json.loads(line.split(None, 1)[1]) for line in lines if line.startswith("ENTRYPOINT ")
    ]
    venv = tmp_path / "venv"
    subprocess.run(
        [str(uv), "venv", "--quiet", "--python", sys.executable, str(venv)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            str(uv),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv / "bin" / "python"),
            str(context),
        ],
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [str(venv / "bin" / entrypoint[0]), *entrypoint[1:], "spec"],
        capture_output=True,
        text=True,
        check=True,
    )
    [message] = [json.loads(line) for line in done.stdout.splitlines()]
    assert message["type"] == "SPEC"
