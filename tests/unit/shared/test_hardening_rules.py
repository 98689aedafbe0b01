"""The pure rules behind issue 13's findings 9 and 10: secret strength, API docs default,
text that is not Unicode and public links (what `make run` prints about addresses:
tests/unit/scripts/test_run_banner.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from services.display.settings import DisplaySettings
from services.notifier.settings import NotifierSettings
from services.ticketing.settings import TicketingSettings
from shared import links
from shared.http import bad_pair_in, bad_text_in_json
from shared.serve import EXIT_BAD_SETTINGS, load_settings, uvicorn_config
from shared.settings import DEFAULT_SECRET, SECRET_RULES, ServiceSettings

STRONG_SECRET = "Kq7#vR2m!pX9zT4w@L6nB8yF3hJ5dG1s"  # 32 bytes, 32 different characters
STRONG_PASSWORD = "loket-balangan-2026"


def ticketing(**values: Any) -> TicketingSettings:
    return TicketingSettings(_env_file=None, **values)


def production_ticketing(**values: Any) -> TicketingSettings:
    given = {"token_secret": STRONG_SECRET, "mpp_demo_password": STRONG_PASSWORD, **values}
    return ticketing(environment="production", **given)


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("a" * 32, "16 different characters"),  # long enough, one letter
        ("x" * 40, "16 different characters"),
        ("0123456789abcdef" * 2, None),  # 32 bytes, 16 different: the least allowed
        ("0123456789abcde" * 3, "16 different characters"),  # 45 bytes, 15 different
        ("0123456789abcdefghijklmnopqrstu", "32 bytes"),  # 31 bytes
        ("é" * 8 + "0123456789abcdef", None),  # 32 bytes in UTF-8 though 24 characters
        ("é" + "0123456789abcdefghijklmn", "32 bytes"),  # 26 bytes
        (DEFAULT_SECRET, "default value"),
        ("", "not set"),
    ],
)
def test_token_secret_needs_32_bytes_and_16_different_characters(
    secret: str, why: str | None
) -> None:
    problem = SECRET_RULES["token_secret"].problem(secret)
    assert problem is None if why is None else why in str(problem)
    if why is None:
        production_ticketing(token_secret=secret)
        return
    with pytest.raises(ValidationError, match=f"TOKEN_SECRET .*{why}"):
        production_ticketing(token_secret=secret)


@pytest.mark.parametrize(
    ("password", "refused"),
    [("x", True), ("demo", True), ("sebelas-kar", True), ("dua-belas-kr", False)],
)
def test_demo_password_needs_12_characters(password: str, refused: bool) -> None:
    if refused:
        with pytest.raises(ValidationError, match="MPP_DEMO_PASSWORD must be at least 12"):
            production_ticketing(mpp_demo_password=password)
    else:
        assert production_ticketing(mpp_demo_password=password).mpp_demo_password == password


def test_weak_secrets_are_all_named_and_never_shown() -> None:
    with pytest.raises(ValidationError) as caught:
        ticketing(environment="production", token_secret="a" * 32, mpp_demo_password="x")
    [error] = caught.value.errors(include_input=False)
    assert "TOKEN_SECRET" in error["msg"] and "MPP_DEMO_PASSWORD" in error["msg"]
    assert "a" * 32 not in error["msg"]


def test_development_takes_any_secret() -> None:
    settings = ticketing(token_secret="a", mpp_demo_password="x")
    assert settings.environment == "development"


def test_each_service_checks_only_the_secrets_it_holds() -> None:
    with pytest.raises(ValidationError, match="TOKEN_SECRET"):
        NotifierSettings(_env_file=None, environment="production", token_secret="a" * 32)
    NotifierSettings(_env_file=None, environment="production", token_secret=STRONG_SECRET)
    DisplaySettings(_env_file=None, environment="production")


def test_api_docs_default_on_in_development_off_in_production() -> None:
    def docs(**values: Any) -> bool:
        return ServiceSettings(_env_file=None, **values).docs_enabled()

    assert docs() is True
    assert docs(environment="production") is False
    assert docs(environment="production", api_docs=True) is True
    assert docs(api_docs=False) is False


def test_settings_refused_at_start_exit_with_the_setting_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("TOKEN_SECRET", "a" * 32)
    monkeypatch.setenv("MPP_DEMO_PASSWORD", "x")
    monkeypatch.chdir("/")  # no .env of the developer's
    with pytest.raises(SystemExit) as caught:
        load_settings("ticketing", TicketingSettings)
    assert caught.value.code == EXIT_BAD_SETTINGS
    err = capsys.readouterr().err
    assert err.startswith("ticketing: cannot start: TOKEN_SECRET must have at least 16")
    assert "MPP_DEMO_PASSWORD must be at least 12 characters" in err
    assert "a" * 32 not in err and "Traceback" not in err


def test_proxy_headers_are_off_unless_proxies_are_listed() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    off = uvicorn_config(ServiceSettings(_env_file=None), app, 8001)
    assert off.proxy_headers is False
    on = uvicorn_config(
        ServiceSettings(_env_file=None, forwarded_allow_ips="10.0.0.1, 10.0.0.2"),
        app,
        8001,
    )
    assert on.proxy_headers is True
    assert on.forwarded_allow_ips == ["10.0.0.1", "10.0.0.2"]


# -- bad text ------------------------------------------------------------------------------


def test_a_lone_surrogate_is_found_with_its_field() -> None:
    assert bad_text_in_json(b'{"kind": "complaint", "text": "a\\ud800b"}') == ["body", "text"]
    assert bad_text_in_json(b'{"x": [1, {"y": "\\uDC00"}]}') == ["body", "x", 1, "y"]
    assert bad_text_in_json(b'{"\\ud83d": 1}') == ["body", "\\ud83d"]
    assert bad_text_in_json(b'"\\udfff"') == ["body"]
    assert bad_text_in_json(b'{"text": "\\ud83d\\ude00 \\u00e9"}') is None  # a pair: an emoji
    assert bad_text_in_json('{"text": "😀 é"}'.encode()) is None


def test_bytes_that_are_not_utf8_are_bad_text_and_other_encodings_are_not() -> None:
    assert bad_text_in_json(b'{"text": "\xed\xa0\x80"}') == ["body"]  # a surrogate, CESU-style
    assert bad_text_in_json(b'{"text": "\xff"}') == ["body"]
    assert bad_text_in_json(json.dumps({"text": "é"}, ensure_ascii=False).encode("utf-16")) is None
    assert bad_text_in_json(b"not json \\ud800") is None  # malformed JSON: the app answers


def test_deep_nesting_does_not_break_the_check() -> None:
    deep = b"[" * 100_000 + b'"\\ud800"' + b"]" * 100_000
    assert bad_text_in_json(deep) is None  # not parseable here, nor by the app: its 400


def test_query_and_form_fields_that_are_not_utf8_are_named() -> None:
    assert bad_pair_in(b"sig=%ED%A0%80", "query") == ["query", "sig"]
    assert bad_pair_in(b"a=1&username=ok%FF", "body") == ["body", "username"]
    assert bad_pair_in(b"a=%C3%A9&b=+%E2%82%AC", "query") is None
    assert bad_pair_in(b"", "query") is None


# -- public links ------------------------------------------------------------------------


def test_public_base_url_must_be_an_http_address() -> None:
    assert ticketing(public_base_url="https://antrian.example.go.id/").public_base_url == (
        "https://antrian.example.go.id"
    )
    for bad in ("antrian.example", "ftp://x", "http://", "http://x/?a=1"):
        with pytest.raises(ValidationError, match="PUBLIC_BASE_URL"):
            ticketing(public_base_url=bad)
    ticket = "7f0c1f2e-0000-4000-8000-000000000001"
    assert links.tracking_link("http://192.168.1.10:8001/", ticket) == (
        f"http://192.168.1.10:8001/t/{ticket}"
    )
