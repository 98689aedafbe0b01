"""`make up` without a Docker engine: docker-compose.yml, Dockerfile and .dockerignore
checked statically against the code they run (settings names, modules, copied paths).

PyYAML comes into .venv through uvicorn[standard]; it should be a declared dev dependency.
"""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[2]
APPS = {"ticketing": 8001, "notifier": 8002, "display": 8003}
SECRETS = {
    "ticketing": ("MPP_DEMO_PASSWORD", "TOKEN_SECRET"),
    "notifier": ("TOKEN_SECRET",),
    "postgres": ("POSTGRES_PASSWORD",),
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]  # type: ignore[no-any-return]


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the `- NAME=value` form
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def published(service: dict[str, Any]) -> dict[int, int]:
    """host port -> container port."""
    ports: dict[int, int] = {}
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            ports[int(entry["published"])] = int(entry["target"])
        else:
            *_, host, container = str(entry).split(":")
            ports[int(host)] = int(container.split("/")[0])
    return ports


def settings_fields(app: str) -> set[str]:
    """Environment names the service's settings class reads."""
    module = importlib.import_module(f"services.{app}.settings")
    classes = [
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings
    ]
    assert len(classes) == 1, f"one settings class in services.{app}.settings: {classes}"
    return {name.upper() for name in classes[0].model_fields}


def test_the_three_services_kafka_and_postgres_are_there(services: dict[str, Any]) -> None:
    assert set(services) >= {"ticketing", "notifier", "display", "kafka", "postgres"}
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["postgres"]["image"] == "postgres:17"


def test_contract_ports_are_published(services: dict[str, Any]) -> None:
    for app, port in APPS.items():
        assert published(services[app]) == {port: port}, app
    assert 9092 in published(services["kafka"])


def test_kafka_is_a_kraft_single_node_that_advertises_both_networks(
    services: dict[str, Any],
) -> None:
    kafka = services["kafka"]
    env = environment(kafka)
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env.get("CLUSTER_ID")
    advertised = dict(item.split("://", 1) for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert "kafka:9092" in advertised.values(), "containers bootstrap from kafka:9092"
    host_port = published(kafka)[9092]
    listeners = dict(item.split("://", 1) for item in env["KAFKA_LISTENERS"].split(","))
    [host_listener] = [n for n, addr in listeners.items() if addr == f":{host_port}"]
    assert advertised[host_listener] == "localhost:9092", "host clients come back to 9092"
    test = " ".join(kafka["healthcheck"]["test"])
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in test
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


@pytest.mark.parametrize("app", list(APPS))
def test_app_service_waits_for_healthy_infra_and_checks_its_own_health(
    services: dict[str, Any], app: str
) -> None:
    service = services[app]
    assert service["restart"] == "unless-stopped"
    needs = ("kafka",) if app == "display" else ("kafka", "postgres")  # display: no database
    assert set(service["depends_on"]) == set(needs)
    for dependency in needs:
        assert service["depends_on"][dependency]["condition"] == "service_healthy"
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], "slim images have no curl"
    assert f"http://127.0.0.1:{APPS[app]}/health" in test[3]
    compile(test[3], f"{app} healthcheck", "exec")  # a valid one-liner


@pytest.mark.parametrize("app", list(APPS))
def test_app_env_names_are_read_by_the_code(services: dict[str, Any], app: str) -> None:
    env = environment(services[app])
    unknown = set(env) - settings_fields(app)
    assert not unknown, f"{app} is given settings it does not read: {sorted(unknown)}"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["KAFKA_ENABLE_IDEMPOTENCE"] == "true", "real Kafka supports idempotence"
    assert env["ENVIRONMENT"] == "production"
    assert env["HTTP_HOST"] == "0.0.0.0"
    assert env[f"{app.upper()}_PORT"] == str(APPS[app])
    if app != "display":  # CONTRACT.md: display has no database
        assert re.fullmatch(
            r"postgresql://\w+:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432/antrian",
            env["DATABASE_URL"],
        )
    if app == "notifier":
        assert env["SMS_PROVIDER"].startswith("${SMS_PROVIDER")
        assert env["SMS_WEBHOOK_URL"].startswith("${SMS_WEBHOOK_URL")
        # staff tokens are checked by ticketing, reached on the compose network
        assert env["TICKETING_URL"] == f"http://ticketing:{APPS['ticketing']}"


def test_compose_refuses_to_start_without_the_secrets(services: dict[str, Any]) -> None:
    for service, names in SECRETS.items():
        env = environment(services[service])
        for name in names:
            assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", env[name]), f"{service}: {name}"
    text = (REPO / "docker-compose.yml").read_text()
    for name in (n for names in SECRETS.values() for n in names):
        assert not re.search(rf"\$\{{{name}(:?-|-)", text), f"{name} must have no default"


@pytest.mark.parametrize("app", list(APPS))
def test_each_app_runs_its_own_module(services: dict[str, Any], app: str) -> None:
    service = services[app]
    assert service["build"]["context"] == "."
    assert (REPO / service["build"]["dockerfile"]).is_file()
    command = service["command"]
    if isinstance(command, str):
        command = shlex.split(command)
    assert command == ["python", "-m", f"services.{app}"]
    assert (REPO / "services" / app / "__main__.py").is_file(), f"`-m services.{app}` runs it"


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def dockerignored() -> set[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return {line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")}


def test_dockerfile_copies_paths_that_exist_and_are_not_ignored() -> None:
    copies = [args.split() for op, args in dockerfile_instructions() if op == "COPY"]
    sources = [s for args in copies if not args[0].startswith("--from") for s in args[:-1]]
    assert sources, "the Dockerfile copies the code"
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: no such path in the repo"
        assert source.rstrip("/") not in dockerignored(), (
            f"COPY {source} but .dockerignore drops it"
        )
    for package in ("shared", "services", "config"):
        assert package in sources, f"{package}/ is needed at run time"


def test_dockerfile_installs_the_locked_dependencies_on_python_311_slim() -> None:
    instructions = dockerfile_instructions()
    froms = [args for op, args in instructions if op == "FROM"]
    assert froms
    assert all(f.startswith("python:3.11-slim") for f in froms)
    runs = " ".join(args for op, args in instructions if op == "RUN")
    assert re.search(r"uv sync (?=.*--frozen)(?=.*--no-dev)", runs)


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    assert {".env", ".venv", ".tools", ".data", ".git"} <= dockerignored()


def test_compose_keeps_api_docs_off_and_proxies_untrusted_and_links_public(
    services: dict[str, Any],
) -> None:
    for app in APPS:
        env = environment(services[app])
        assert env["API_DOCS"] == "${API_DOCS:-false}", app
        assert env["FORWARDED_ALLOW_IPS"] == "${FORWARDED_ALLOW_IPS:-}", app
    for app in ("ticketing", "notifier"):  # CONTRACT.md, Public links
        assert environment(services[app])["PUBLIC_BASE_URL"].startswith("${PUBLIC_BASE_URL"), app
