"""In development, emails are files: the console never shows a one-time link."""

import logging

from django.core.mail import send_mail

TOKEN = "eyJhIjoxfQ:1secret"


def test_an_email_is_saved_as_a_file_and_the_console_says_where_without_its_link(
    settings, tmp_path, caplog
):
    settings.EMAIL_BACKEND = "avataq.devmail.FileEmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    body = f"Open https://avataq.example.org/account/confirm/{TOKEN}/ to confirm."

    with caplog.at_level(logging.INFO, logger="avataq.devmail"):
        send_mail("Confirm your email", body, None, ["annie@example.org"])

    (saved,) = (tmp_path / "mail").iterdir()
    assert TOKEN in saved.read_text()
    (line,) = [r.getMessage() for r in caplog.records if r.name == "avataq.devmail"]
    assert line.startswith("email to annie@example.org: Confirm your email (saved in ")
    assert saved.name in line and TOKEN not in line
