"""The greeter's HTTP server, on the standard library alone. It installs no SIGTERM handler: as PID 1
it would ignore `docker stop`, which is what the image's init is for."""

import importlib.metadata
import importlib.resources
import os
import sqlite3
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MIGRATIONS = Path("migrations")


def greetings(migrations: Path = MIGRATIONS) -> dict[str, str]:
    """Runs the migrations (found in the working directory) into an in-memory database."""
    db = sqlite3.connect(":memory:")
    for script in sorted(migrations.glob("*.sql")):
        db.executescript(script.read_text())
    return dict(db.execute("SELECT language, greeting FROM greetings"))


def greet(name: str, greeting: str) -> str:
    template = importlib.resources.files("greeter").joinpath("templates/greeting.txt").read_text()
    return template.format(greeting=greeting, name=name, version=importlib.metadata.version("greeter"))


class Handler(BaseHTTPRequestHandler):
    known = greetings

    def do_GET(self) -> None:
        if self.path == "/status/ready":
            self.send_response(204)
            self.end_headers()
            return
        body = greet(self.path.strip("/") or "world", type(self).known()["en"]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    server = ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8000"))), Handler)
    server.serve_forever()
