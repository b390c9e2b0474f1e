"""A missing or malformed setting in full mode is named by `manage.py check`."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from avataq.config import Config, database_from_url

BASE_DIR = Path(__file__).resolve().parents[2]


def full_mode_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EMAIL_", "CELERY_"))}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL="postgresql://avataq@db.internal:5432/avataq",
        ALLOWED_HOSTS="avataq.example.org",
        CELERY_BROKER_URL="redis://redis:6379/0",
        AWS_STORAGE_BUCKET_NAME="avataq-documents",
        AWS_S3_REGION_NAME="ca-central-1",
        EMAIL_URL="smtp+tls://mail.example.org:587",
        PORTAL_BASE_URL="https://avataq.example.org",
        BANK_DETAILS_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    )
    return env


def manage_check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_complete_production_configuration_passes_the_deploy_check():
    result = manage_check(full_mode_environment(), "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "name",
    [
        "SECRET_KEY",
        "DATABASE_URL",
        "ALLOWED_HOSTS",
        "CELERY_BROKER_URL",
        "AWS_STORAGE_BUCKET_NAME",
        "EMAIL_URL",
        "PORTAL_BASE_URL",
        "BANK_DETAILS_KEYS",
    ],
)
def test_check_fails_naming_a_missing_setting_in_full_mode(name):
    env = full_mode_environment()
    del env[name]

    result = manage_check(env)

    assert result.returncode != 0
    assert f"{name} is required when DEBUG is off" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", "mysql://u@h/db", "DATABASE_URL is not a valid PostgreSQL database URL"),
        ("CELERY_BROKER_URL", "amqp://guest@rabbit//", "CELERY_BROKER_URL must be a URL"),
        ("AWS_S3_ENDPOINT_URL", "minio:9000", "AWS_S3_ENDPOINT_URL must be a URL"),
        ("TIME_ZONE", "Mars/Olympus", "TIME_ZONE='Mars/Olympus' is not a known time zone"),
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("SECRET_KEY", "short", "SECRET_KEY must be at least 50 random characters"),
    ],
)
def test_check_fails_naming_a_malformed_setting(name, value, message):
    env = full_mode_environment()
    env[name] = value

    result = manage_check(env)

    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_check_names_the_missing_half_of_an_aws_key_pair():
    env = full_mode_environment()
    env["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLE"

    result = manage_check(env)

    assert "AWS_SECRET_ACCESS_KEY is required" in result.stderr


def test_debug_mode_falls_back_to_embedded_defaults_without_complaint():
    env = {k: v for k, v in full_mode_environment().items() if k not in {"SECRET_KEY", "EMAIL_URL"}}
    env.update(DEBUG="1")
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "AWS_STORAGE_BUCKET_NAME", "ALLOWED_HOSTS"):
        env.pop(name)

    result = manage_check(env)

    assert result.returncode == 0, result.stderr


def test_config_reads_booleans_strictly():
    config = Config(environ={"A": "yes", "B": "0", "C": "oui"})

    assert (config.bool("A", default=False), config.bool("B", default=True)) == (True, False)
    assert config.bool("C", default=False) is False
    assert config.errors == [
        ("C", "C='oui' is not a boolean (use 1/0, true/false, yes/no, on/off).")
    ]


def test_config_splits_lists_and_ignores_blanks():
    config = Config(environ={"HOSTS": " a.example.org, ,b.example.org "})

    assert config.list("HOSTS", default=[]) == ["a.example.org", "b.example.org"]


def test_config_names_a_number_below_its_minimum():
    config = Config(environ={"N": "-3"})

    assert config.int("N", default=5, minimum=0) == 5
    assert config.errors == [("N", "N=-3 must be at least 0.")]


def test_database_url_accepts_a_percent_encoded_socket_directory():
    settings = database_from_url("postgresql://postgres@%2Frun%2Fpg/avataq")

    assert (settings["HOST"], settings["NAME"]) == ("/run/pg", "avataq")


def test_production_logs_are_one_json_object_a_line():
    import json

    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "import logging; logging.getLogger('avataq.test').warning('backup done')",
        ],
        cwd=BASE_DIR,
        env=full_mode_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING",
        "avataq.test",
        "backup done",
    )


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy(client):
    response = client.get("/health/")

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_check_refuses_the_console_email_backend_when_debug_is_off():
    env = full_mode_environment()
    env["EMAIL_URL"] = "consolemail://"

    result = manage_check(env, "--deploy")

    assert result.returncode != 0
    assert "EMAIL_URL must be smtp://, smtp+tls:// or smtp+ssl:// when DEBUG is off" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_in_debug_mode_emails_go_to_files_and_the_console_shows_no_link(tmp_path):
    env = {k: v for k, v in full_mode_environment().items() if k != "EMAIL_URL"}
    env.update(DEBUG="1", AVATAQ_DATA_DIR=str(tmp_path))
    token = "eyJhIjoxfQ:1secret"
    send = (
        "from django.core.mail import send_mail; send_mail('Confirm your email', "
        f"'Open http://127.0.0.1:8000/account/confirm/{token}/', None, ['annie@example.org'])"
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", send],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert token not in result.stdout + result.stderr
    assert "email to annie@example.org: Confirm your email" in result.stderr
    (saved,) = (tmp_path / "mail").iterdir()
    assert token in saved.read_text()
