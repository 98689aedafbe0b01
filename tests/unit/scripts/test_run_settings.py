"""`make run`'s settings: the shared ones are ServiceSettings' own, the ports and the demo
password default to what the services default to, and a bad shared value stops it at once."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import run
from scripts.run_settings import REPO, RunSettings
from services.display.settings import DisplaySettings
from services.notifier.settings import NotifierSettings
from services.ticketing.settings import TicketingSettings
from shared.settings import ServiceSettings


def test_defaults_are_the_services_own_and_empty_means_embedded() -> None:
    settings = RunSettings(_env_file=None)
    assert isinstance(settings, ServiceSettings)
    assert settings.ticketing_port == TicketingSettings(_env_file=None).ticketing_port
    assert settings.notifier_port == NotifierSettings(_env_file=None).notifier_port
    assert settings.display_port == DisplaySettings(_env_file=None).display_port
    assert settings.mpp_demo_password == TicketingSettings(_env_file=None).mpp_demo_password
    assert (settings.kafka_bootstrap_servers, settings.database_url) == ("", "")
    assert settings.url("display") == f"http://127.0.0.1:{settings.display_port}"


def test_a_relative_data_dir_is_under_the_repository() -> None:
    assert RunSettings(_env_file=None, mpp_data_dir=Path("x/y")).data_dir == REPO / "x/y"
    assert RunSettings(_env_file=None, mpp_data_dir=Path("/srv/mpp")).data_dir == Path("/srv/mpp")


@pytest.fixture
def signals_restored() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def test_a_bad_shared_setting_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], signals_restored: None
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "staging")  # ServiceSettings knows development/production
    assert run.main(["--no-colour"]) == 1
    said = capsys.readouterr().out.splitlines()
    assert said[0].startswith("run       | cannot start: ENVIRONMENT: Input should be")
    assert not any("staging" in line for line in said)  # names the setting, not its value
