"""`python -m my_service` serves the app on $PORT."""

import argparse
import os
import sys

DEFAULT_PORT = 8080

# Everything to stdout, nothing to disk: the container runs read-only and its runtime collects stdout.
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"}},
    "root": {"handlers": ["stdout"], "level": "INFO"},
}


def listen_port() -> int:
    """$PORT, or the port the project was generated with."""
    return int(os.environ.get("PORT") or DEFAULT_PORT)


def serve(port: int) -> None:
    """Serves until SIGTERM or SIGINT, which uvicorn handles: it stops accepting, gives in-flight
    requests a second (well within the runtime's stop timeout), then exits."""
    import uvicorn

    from my_service.app import app

    uvicorn.run(app, host="0.0.0.0", port=port, log_config=LOG_CONFIG, timeout_graceful_shutdown=1)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m my_service", description="Serves the app on $PORT.")
    parser.parse_args()
    serve(listen_port())
    return 0


if __name__ == "__main__":
    sys.exit(main())
