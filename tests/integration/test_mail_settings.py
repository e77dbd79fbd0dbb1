"""Mail settings from the environment: what they turn into, and clear errors when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from exam_engine import create_app
from exam_engine.services.mail import FILE_BACKEND, SMTP_BACKEND

SERVER = {
    "EXAM_ENGINE_MAIL_SERVER": "smtp.example.org",
    "EXAM_ENGINE_BASE_URL": "https://exam.example.org",
}


def app_with(monkeypatch, tmp_path, **env: str):
    """An app built from these EXAM_ENGINE_* variables (and an in-memory database)."""
    monkeypatch.setenv("EXAM_ENGINE_INSTANCE_PATH", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "k"})


def test_without_a_server_mail_goes_to_eml_files_in_the_instance(monkeypatch, tmp_path):
    config = app_with(monkeypatch, tmp_path).config
    assert config["MAIL_BACKEND"] == FILE_BACKEND
    assert Path(config["MAIL_FILE_PATH"]) == tmp_path / "mail"
    assert config["MAIL_DEFAULT_SENDER"] == "AAISM exam engine <no-reply@localhost>"


def test_a_server_and_its_settings_are_read_from_the_environment(monkeypatch, tmp_path):
    config = app_with(
        monkeypatch,
        tmp_path,
        **SERVER,
        EXAM_ENGINE_MAIL_PORT="587",
        EXAM_ENGINE_MAIL_USE_TLS="true",
        EXAM_ENGINE_MAIL_USERNAME="12345",
        EXAM_ENGINE_MAIL_PASSWORD="1e5",
        EXAM_ENGINE_MAIL_FROM="Exams <exams@example.org>",
    ).config
    assert config["MAIL_BACKEND"] == SMTP_BACKEND
    assert config["MAIL_SERVER"] == "smtp.example.org"
    assert config["MAIL_PORT"] == 587
    assert config["MAIL_USE_TLS"] is True
    # Text stays text, though it looks like JSON numbers.
    assert config["MAIL_USERNAME"] == "12345"
    assert config["MAIL_PASSWORD"] == "1e5"
    assert config["MAIL_DEFAULT_SENDER"] == "Exams <exams@example.org>"


@pytest.mark.parametrize("word", ["False", "off", "0", "no"])
def test_tls_off_words(monkeypatch, tmp_path, word) -> None:
    config = app_with(monkeypatch, tmp_path, **SERVER, EXAM_ENGINE_MAIL_USE_TLS=word).config
    assert config["MAIL_USE_TLS"] is False


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EXAM_ENGINE_MAIL_USE_TLS": "maybe"}, "EXAM_ENGINE_MAIL_USE_TLS: 'maybe' is not"),
        ({"EXAM_ENGINE_MAIL_PORT": "smtp"}, "EXAM_ENGINE_MAIL_PORT: 'smtp' is not a port"),
        ({"EXAM_ENGINE_MAIL_PORT": "70000"}, "EXAM_ENGINE_MAIL_PORT: 70000 is not a port"),
        ({"EXAM_ENGINE_MAIL_PORT": "0"}, "EXAM_ENGINE_MAIL_PORT: 0 is not a port"),
        ({"EXAM_ENGINE_BASE_URL": ""}, "EXAM_ENGINE_BASE_URL: required when"),
        ({"EXAM_ENGINE_BASE_URL": "exam.example.org"}, "is not a site address"),
        ({"EXAM_ENGINE_BASE_URL": "https://exam.example.org/app"}, "no path"),
        ({"EXAM_ENGINE_BASE_URL": "ftp://exam.example.org"}, "is not a site address"),
    ],
)
def test_wrong_mail_settings_stop_the_app_naming_the_setting(
    monkeypatch, tmp_path, env, message
) -> None:
    with pytest.raises(ValueError, match=message):
        app_with(monkeypatch, tmp_path, **{**SERVER, **env})
