"""Structured logs: LOG_FORMAT, the JSON lines and their context, and no phone number in any
line (shared/logging.py, shared/logcontext.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider

from shared.logcontext import log_context, mask_phones, request_context
from shared.logging import configure_logging
from shared.settings import ServiceSettings


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("to +6281234567890 now", "to +62812*****890 now"),
        ("to 081234567890", "to +62812*****890"),
        ("to 6281234567890", "to +62812*****890"),
        ("to 0812-3456-7890.", "to +62812*****890."),
        ("to +62 812 3456 7890!", "to +62812*****890!"),
        ("'phone': '+628123456789'", "'phone': '+62812****789'"),
        ("office +62215551234", "office +62215***234"),
        ("two: 081234567890,085712345678", "two: +62812*****890,+62857*****678"),
    ],
)
def test_phone_numbers_are_masked(text: str, expected: str) -> None:
    assert mask_phones(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "event 0d1b2c3a-4e5f-4a6b-8c7d-081234567890 of ticket A-012",  # a UUID's last group
        "ticket-issued[2]@08123456789012345",  # too long for a phone: an offset
        "took 0.812345 s, 1700000000 epoch, sequence 812345678",
        "already masked +62812*****890",
        "2025-01-31T08:12:34.567Z",
    ],
)
def test_what_is_not_a_phone_number_is_left_alone(text: str) -> None:
    assert mask_phones(text) == text


def test_json_lines_carry_service_context_and_no_phone(
    restore_root_logger: None, capsys: pytest.CaptureFixture[str]
) -> None:
    log = configure_logging("notifier", "INFO", "json")
    log.info("plain line")
    with log_context(event_id="e-1", ticket_id="t-1"):
        logging.getLogger("notifier.sender").warning("SMS to %s failed", "081234567890")
    try:
        raise ValueError("gateway refused +6281234567890")
    except ValueError:
        log.exception("boom for 0812 3456 7890")
    plain, sms, boom = json_lines(capsys.readouterr().out)

    assert set(plain) == {"ts", "level", "service", "logger", "message"}
    assert plain["service"] == "notifier"
    assert plain["level"] == "INFO"
    assert plain["logger"] == "notifier"
    assert plain["ts"].endswith("+00:00")
    assert sms["message"] == "SMS to +62812*****890 failed"
    assert sms["event_id"] == "e-1"
    assert sms["ticket_id"] == "t-1"
    assert sms["logger"] == "notifier.sender"
    assert boom["message"] == "boom for +62812*****890"
    assert "+62812*****890" in boom["exc"]
    assert "ValueError" in boom["exc"]
    assert "6281234567890" not in json.dumps([plain, sms, boom])


def test_json_lines_carry_the_trace_of_the_current_span(
    restore_root_logger: None, capsys: pytest.CaptureFixture[str]
) -> None:
    log = configure_logging("display", "INFO", "json")
    tracer = TracerProvider().get_tracer("test")  # not the global provider
    with tracer.start_as_current_span("consume") as span:
        log.info("in a span")
    log.info("outside")
    inside, outside = json_lines(capsys.readouterr().out)
    assert inside["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert inside["span_id"] == format(span.get_span_context().span_id, "016x")
    assert "trace_id" not in outside


def test_a_routes_ticket_id_is_the_context_of_its_request(
    restore_root_logger: None, capsys: pytest.CaptureFixture[str]
) -> None:
    log = configure_logging("ticketing", "INFO", "json")
    scope: dict[str, Any] = {"type": "http", "path": "/api/tickets/abc"}
    with request_context(scope):
        log.info("before routing")
        scope["path_params"] = {"ticket_id": "abc"}  # what the router does in place
        log.info("in the endpoint")
    before, endpoint = json_lines(capsys.readouterr().out)
    assert "ticket_id" not in before
    assert endpoint["ticket_id"] == "abc"


def test_text_format_keeps_its_shape_and_masks_too(
    restore_root_logger: None, capsys: pytest.CaptureFixture[str]
) -> None:
    log = configure_logging("ticketing", "INFO", "text")
    with log_context(event_id="e-9"):
        log.info("kiosk gave %s", "+6281234567890")
    line = capsys.readouterr().out.strip()
    assert " INFO ticketing ticketing: kiosk gave +62812*****890 [event_id=e-9]" in line


def test_log_format_defaults_to_json_in_production() -> None:
    def settings(**values: Any) -> ServiceSettings:
        return ServiceSettings(_env_file=None, **values)

    assert settings().resolved_log_format() == "text"
    assert settings(environment="production").resolved_log_format() == "json"
    assert settings(environment="production", log_format="text").resolved_log_format() == "text"
    assert settings(log_format="json").resolved_log_format() == "json"
