"""compose.yaml and the Dockerfile keep their promises: the fleet's services, non-root, read-only
root filesystems, data volumes, healthchecks on /healthz, and settings the bot knows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
OURS = ("web", "worker")
# Settings of the `web` and `worker` roles, which define their own fields in bot/config.py;
# any other name compose passes must be a field already.
ROLE_SETTINGS = frozenset(
    {
        "HOERCLUB_WEB_HOST",
        "HOERCLUB_WEB_PORT",
        "HOERCLUB_WEBHOOK_SECRET",
        "HOERCLUB_PUBLIC_URL",
        "HOERCLUB_METRICS_PORT",
    }
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """compose.yaml, parsed (YAML merge keys resolved)."""
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def test_the_fleet_is_complete(compose: dict[str, Any]) -> None:
    """PostgreSQL, Redis, one web front end, two workers; the Bot API server only on request."""
    services = _services(compose)
    assert {"postgres", "redis", "web", "worker"} <= set(services)
    assert services["web"]["command"] == ["hoerclub", "web"]
    assert services["worker"]["command"] == ["hoerclub", "worker"]
    assert services["web"].get("deploy", {}).get("replicas", 1) == 1
    assert services["worker"]["deploy"]["replicas"] == 2
    api = services["telegram-bot-api"]
    assert api["image"].startswith("aiogram/telegram-bot-api")
    assert api["profiles"] == ["bot-api"]
    for name in OURS:
        needs = services[name]["depends_on"]
        assert needs["postgres"]["condition"] == "service_healthy"
        assert needs["redis"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", ["postgres", "redis", "web", "worker", "telegram-bot-api"])
def test_every_service_is_non_root_and_read_only(compose: dict[str, Any], name: str) -> None:
    """Non-root user, read-only root filesystem, /tmp a tmpfs, no capabilities."""
    service = _services(compose)[name]
    user = str(service["user"])
    assert user.split(":", maxsplit=1)[0] not in ("", "0", "root")
    assert service["read_only"] is True
    assert "/tmp" in service["tmpfs"]
    assert service["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in service["security_opt"]
    assert "healthcheck" in service


def test_data_lives_on_named_volumes(compose: dict[str, Any]) -> None:
    """web and the workers share one data volume at /app/data; the databases keep theirs."""
    services, volumes = _services(compose), set(compose["volumes"])
    for name in OURS:
        assert "hoerclub-data:/app/data" in services[name]["volumes"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    for service in services.values():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            assert source in volumes, f"{mount}: not a named volume"


def test_healthchecks_ask_healthz_on_the_served_port(compose: dict[str, Any]) -> None:
    """web's check reads /healthz on HOERCLUB_WEB_PORT, a worker's on HOERCLUB_METRICS_PORT."""
    services = _services(compose)
    for name, port_setting in (("web", "HOERCLUB_WEB_PORT"), ("worker", "HOERCLUB_METRICS_PORT")):
        service = services[name]
        port = service["environment"][port_setting]
        check = " ".join(service["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/healthz" in check
        assert service["environment"]["HOERCLUB_WEB_HOST"] == "0.0.0.0"
    assert services["web"]["ports"] == [
        f"127.0.0.1:{services['web']['environment']['HOERCLUB_WEB_PORT']}:8080"
    ]


def test_settings_passed_are_settings_the_bot_knows(compose: dict[str, Any]) -> None:
    """Every variable compose gives web and the workers is a setting of bot/config.py."""
    aliases = {field.alias for field in Settings.model_fields.values() if field.alias}
    for name in OURS:
        environment = _services(compose)[name]["environment"]
        unknown = set(environment) - aliases
        assert unknown <= ROLE_SETTINGS, unknown
        assert environment["HOERCLUB_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert environment["HOERCLUB_DATABASE_URL"].endswith("@postgres:5432/hoerclub")
        assert environment["HOERCLUB_REDIS_URL"] == "redis://redis:6379/0"
        assert environment["HOERCLUB_DATA_DIR"] == "/app/data"


def test_the_image_runs_non_root_on_a_read_only_root() -> None:
    """The Dockerfile's user is compose's, and nothing is written outside /app/data and /tmp."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users == ["10001:10001"]
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    for name in OURS:
        assert compose["services"][name]["user"] == users[0]
    env = dict(re.findall(r"(\w+)=(\S+)", text.split("ENV", 1)[1].split("VOLUME", 1)[0]))
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    for name in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "TMPDIR"):
        assert env[name].startswith("/tmp"), name
    assert env["HOERCLUB_DATA_DIR"] == "/app/data"
    assert "'.[postgres]'" in text
