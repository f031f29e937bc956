"""The log's two formats (TOCSIN_LOG_FORMAT): every record, Tocsin's or uvicorn's, through one
handler; fields given as `extra` become keys; numbers are masked wherever they are logged."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from tests.conftest import settings_for
from tocsin.core.logs import bound, configure_logging, mask_number, valid_request_id
from tocsin.http.server import server_config

Lines = Callable[[], list[str]]


@pytest.fixture
def configured() -> Iterator[Callable[[str], Lines]]:
    """Configure the process's logging as `tocsin serve` does, into a buffer; put pytest's
    handlers back afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    uvicorns = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    uvicorn_saved = [(list(log.handlers), log.propagate, log.level) for log in uvicorns]

    def configure(log_format: str) -> Lines:
        stream = io.StringIO()
        configure_logging(log_format, stream=stream)
        return lambda: stream.getvalue().splitlines()

    yield configure
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    for log, (handlers, propagate, level) in zip(uvicorns, uvicorn_saved, strict=True):
        log.handlers[:] = handlers
        log.propagate = propagate
        log.setLevel(level)


def parsed(lines: Lines) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines()]


def test_a_json_line_is_one_object_with_the_fields_given(
    configured: Callable[[str], Lines],
) -> None:
    lines = configured("json")
    logging.getLogger("tocsin.intake.receive").info(
        "alert received", extra={"alert_id": "al_1", "outcome": "created"}
    )
    [line] = parsed(lines)
    assert line["event"] == "alert received"
    assert (line["level"], line["logger"]) == ("info", "tocsin.intake.receive")
    assert (line["alert_id"], line["outcome"]) == ("al_1", "created")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", line["timestamp"])


def test_uvicorns_lines_share_the_format(configured: Callable[[str], Lines]) -> None:
    # A server another test ran may have left uvicorn's loggers at its own level.
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    lines = configured("json")
    logging.getLogger("uvicorn.error").info("Application startup complete.")
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "10.0.0.1:5000", "POST", "/v1/hooks/ep_1", "1.1", 202
    )
    first, second = parsed(lines)
    assert (first["logger"], first["event"]) == ("uvicorn.error", "Application startup complete.")
    assert second["event"] == '10.0.0.1:5000 - "POST /v1/hooks/ep_1 HTTP/1.1" 202'


def test_uvicorns_coloured_copy_of_a_message_is_left_out(
    configured: Callable[[str], Lines],
) -> None:
    """uvicorn logs "Started server process" with `extra={"color_message": ...}`, the same text
    with terminal escape codes; it showed as `color_message=...` after every text line."""
    lines = configured("text")
    logging.getLogger("uvicorn.error").warning(
        "Started server process [%d]", 42, extra={"color_message": "Started \x1b[36m%d\x1b[0m"}
    )
    [line] = lines()
    assert line.endswith("WARNING uvicorn.error Started server process [42]")


def test_an_exception_is_kept_inside_its_json_line(configured: Callable[[str], Lines]) -> None:
    lines = configured("json")
    try:
        raise RuntimeError("trunk down")
    except RuntimeError:
        logging.getLogger("tocsin.engine.worker").exception("worker w1 failed on job job_1")
    [line] = parsed(lines)
    assert line["level"] == "error"
    assert "RuntimeError: trunk down" in line["exception"]


def test_fields_bound_to_the_context_go_on_every_line_inside_it(
    configured: Callable[[str], Lines],
) -> None:
    lines = configured("json")
    log = logging.getLogger("tocsin.engine.worker")
    with bound(request_id="req-1", job_id=None):
        log.info("call placed")
    log.info("worker stopped")
    inside, outside = parsed(lines)
    assert inside["request_id"] == "req-1"
    assert "job_id" not in inside
    assert "request_id" not in outside


def test_text_is_the_default_one_line_a_record_with_its_fields_after(
    configured: Callable[[str], Lines],
) -> None:
    lines = configured("text")
    logging.getLogger("tocsin.paging.attempts").info(
        "call settled", extra={"attempt_id": "att_1", "outcome": "answered"}
    )
    logging.getLogger("tocsin.serve").warning("CALLS ARE SIMULATED")
    settled, warned = lines()
    assert re.fullmatch(
        r"\S+Z INFO tocsin\.paging\.attempts call settled attempt_id=att_1 outcome=answered",
        settled,
    )
    assert warned.endswith(" WARNING tocsin.serve CALLS ARE SIMULATED")


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="xml"):
        configure_logging("xml", stream=io.StringIO())


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+447700903456", "+44******3456"),
        ("+14155550123", "+14*****0123"),
        ("+33 6 12 34 56 78", "+33*****5678"),
        ("+112", "+***"),
    ],
)
def test_numbers_are_masked_to_their_first_two_and_last_four_digits(
    number: str, masked: str
) -> None:
    assert mask_number(number) == masked


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("4b1a0f0e9c6d4e1b8f3a2c5d7e9f1a3b", True),
        ("req-2024.01:alpha_7", True),
        ("", False),
        ("a" * 65, False),
        ("id with spaces", False),
        ('x"\nERROR forged line', False),
    ],
)
def test_a_request_id_is_kept_only_when_it_is_short_and_plain(value: str, valid: bool) -> None:
    assert valid_request_id(value) is valid


@pytest.mark.parametrize("asked", [False, True])
def test_uvicorn_logs_each_request_only_when_asked(
    asked: bool, database_url: str, data_dir: Path
) -> None:
    settings = settings_for(database_url, data_dir, access_log=asked)
    config = server_config(FastAPI(), settings, host="127.0.0.1", port=18100)
    assert config.access_log is asked
    # uvicorn sets up no handlers of its own: its records reach the one Tocsin configured.
    assert config.log_config is None
