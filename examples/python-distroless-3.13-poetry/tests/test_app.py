"""Unit tests of the sample service: the routes, and what the image relies on ($PORT, the health probe)."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient

from my_service.__main__ import DEFAULT_PORT, healthcheck, listen_port
from my_service.app import app

client = TestClient(app)

# A service whose health check fails, for the probe to tell apart from a healthy one.
unhealthy = FastAPI()


@unhealthy.get("/healthz")
async def failing_healthz() -> Response:
    return Response(status_code=503)


@contextmanager
def serving(asgi_app: FastAPI) -> Iterator[int]:
    """Runs asgi_app with a real uvicorn on a free port of 127.0.0.1 and yields the port."""
    server = uvicorn.Server(uvicorn.Config(asgi_app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start within 5 s"
        time.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def test_root_answers_hello_in_json() -> None:
    response = client.get("/")
    assert response.status_code == 200, response.text
    assert response.json() == {"service": "my-service", "message": "hello"}


def test_healthz_answers_ok() -> None:
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


def test_healthcheck_fails_on_unhealthy_server() -> None:
    with serving(unhealthy) as port:
        assert healthcheck(port) == 1


def test_healthcheck_succeeds_on_healthy_server() -> None:
    with serving(app) as port:
        assert healthcheck(port) == 0
