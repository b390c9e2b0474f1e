"""The production overlay (Caddy in front, only 80/443 open) and the rehearsal overlay,
merged as Docker Compose merges files (no Docker engine here: the YAML is the proof)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[2]


class Reset:
    """Compose's ``!reset``: the base file's value is dropped."""


class Override:
    """Compose's ``!override``: the base file's value is replaced, not merged."""

    def __init__(self, value) -> None:
        self.value = value


class ComposeLoader(yaml.SafeLoader):
    pass


ComposeLoader.add_constructor("!reset", lambda loader, node: Reset())
ComposeLoader.add_constructor(
    "!override",
    lambda loader, node: Override(
        loader.construct_sequence(node)
        if isinstance(node, yaml.SequenceNode)
        else loader.construct_mapping(node)
    ),
)


def load(name: str) -> dict:
    return yaml.load((BASE_DIR / name).read_text(), Loader=ComposeLoader)  # noqa: S506


def merge(base, overlay):
    """Compose's rules: mappings merge key by key, sequences (ports…) add up, scalars are
    replaced; ``!reset`` removes, ``!override`` replaces."""
    if isinstance(overlay, Override):
        return overlay.value
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            if isinstance(value, Reset):
                merged.pop(key, None)
            else:
                merged[key] = merge(base.get(key), value)
        return merged
    if isinstance(base, list) and isinstance(overlay, list):
        return base + [item for item in overlay if item not in base]
    return overlay


def stack(*names: str) -> dict:
    merged: dict = {}
    for name in names:
        merged = merge(merged, load(name))
    return merged


def published(service: dict) -> list[str]:
    return [str(port) for port in service.get("ports", [])]


def test_production_publishes_only_80_and_443_on_the_proxy():
    services = stack("compose.yaml", "compose.prod.yaml")["services"]

    open_ports = {name: published(s) for name, s in services.items() if published(s)}
    assert open_ports == {"proxy": ["80:80", "443:443", "443:443/udp"]}
    assert services["proxy"]["image"].startswith("caddy:")
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]
    assert services["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_the_overlay_keeps_the_base_stack_and_its_settings():
    base = load("compose.yaml")["services"]
    services = stack("compose.yaml", "compose.prod.yaml")["services"]

    assert set(base) < set(services)
    web = services["web"]
    assert web["command"] == base["web"]["command"]
    assert web["healthcheck"] == base["web"]["healthcheck"]
    assert web["environment"]["SECRET_KEY"] == base["web"]["environment"]["SECRET_KEY"]
    # One proxy between the client and gunicorn: X-Forwarded-For's last entry is the client.
    assert web["environment"]["TRUSTED_PROXY_COUNT"] == "1"
    assert web["expose"] == ["8000"]
    assert set(stack("compose.yaml", "compose.prod.yaml")["volumes"]) >= {
        "db-data",
        "caddy-data",
    }


def test_the_rehearsal_runs_on_loopback_with_nothing_real():
    services = stack("compose.yaml", "compose.prod.yaml", "compose.test.yaml")["services"]

    open_ports = [port for s in services.values() for port in published(s)]
    assert open_ports and all(port.startswith("127.0.0.1:") for port in open_ports)
    assert services["proxy"]["environment"]["SITE_ADDRESS"] == "localhost"
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["EMAIL_URL"] == "smtp://mailpit:1025", name
        assert environment["ALLOWED_HOSTS"] == "localhost", name
        assert environment["DEBUG"] == "0", name  # production settings, rehearsed


def test_the_caddyfile_redirects_sets_hsts_and_limits_bodies_to_the_upload_limit():
    text = (BASE_DIR / "deploy" / "Caddyfile").read_text()

    assert "{$SITE_ADDRESS}" in text  # a host name: automatic HTTPS and HTTP → HTTPS
    assert "auto_https off" not in text and "http://" not in text
    assert re.search(r'header \?Strict-Transport-Security "max-age=31536000;', text)
    assert "reverse_proxy web:8000" in text
    assert "trusted_proxies" not in text  # a client's X-Forwarded-For is never extended
    limit = re.search(r"max_size (\d+)MiB", text)
    mib = 1024 * 1024
    assert int(limit.group(1)) * mib > settings.DOCUMENT_MAX_UPLOAD_SIZE
    assert int(limit.group(1)) * mib <= settings.DOCUMENT_MAX_UPLOAD_SIZE + 2 * mib


def test_overlays_carry_no_secret():
    for name in ("compose.prod.yaml", "compose.test.yaml"):
        text = (BASE_DIR / name).read_text()
        assert not re.search(r"(PASSWORD|SECRET|TOKEN|KEY)\w*:\s*[^$\s]", text), name


# Read by the settings from the environment but not a deployment's choice: paths inside
# the image, tuning whose default is right, and what DEBUG off already turns on.
NOT_PASSED_BY_COMPOSE = {
    "AVATAQ_DATA_DIR",
    "STATIC_ROOT",
    "PG_BIN_DIR",
    "BACKUP_PART_SIZE",
    "DATABASE_CONN_MAX_AGE",
    "LOG_FORMAT",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
}


def settings_variables() -> set[str]:
    text = (BASE_DIR / "avataq" / "settings.py").read_text()
    return set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', text))


def test_every_setting_reaches_the_app_containers():
    services = load("compose.yaml")["services"]
    wanted = settings_variables() - NOT_PASSED_BY_COMPOSE

    assert {"SECRET_KEY", "PAYMENTS_DEBTOR_ACCOUNT", "DEFAULT_FROM_EMAIL"} <= wanted
    for name in ("migrate", "web", "worker", "beat"):
        assert sorted(wanted - set(services[name]["environment"])) == [], name
