"""Unit tests of the sample service: the routes, and what the image relies on ($PORT, the health path)."""

import pytest
from fastapi.testclient import TestClient

from my_service.__main__ import DEFAULT_PORT, listen_port
from my_service.app import app

client = TestClient(app)


def test_root_answers_hello_in_json() -> None:
    response = client.get("/")
    assert response.status_code == 200, response.text
    assert response.json() == {"service": "my-service", "message": "hello"}


def test_health_path_answers_ok() -> None:
    response = client.get("/healthz")
    assert response.status_code == 200, response.text


def test_unknown_path_is_not_found() -> None:
    assert client.get("/nope").status_code == 404


def test_port_comes_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9999")
    assert listen_port() == 9999


def test_port_defaults_to_the_generated_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORT", raising=False)
    assert listen_port() == DEFAULT_PORT
