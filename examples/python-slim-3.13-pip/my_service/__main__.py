"""`python -m my_service` serves the app on $PORT; `--healthcheck` probes it instead.

The image has no shell and no curl (distroless), so its HEALTHCHECK runs this interpreter with
--healthcheck, which uses only the standard library and never imports the app: it runs every few seconds.
"""

import argparse
import os
import sys
import urllib.request

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


def healthcheck(port: int) -> int:
    """Exit status 0 if /healthz on port answers 200 within 2 seconds, else 1 with the reason on stderr."""
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # raises on 4xx and 5xx
            if response.status != 200:
                raise OSError(f"answered {response.status}")
    except Exception as error:  # whatever went wrong, the service is not healthy
        print(f"{url}: {error}", file=sys.stderr)
        return 1
    return 0


def serve(port: int) -> None:
    """Serves until SIGTERM or SIGINT, which uvicorn handles: it stops accepting, gives in-flight
    requests a second (well within the runtime's stop timeout), then exits."""
    import uvicorn

    from my_service.app import app

    uvicorn.run(app, host="0.0.0.0", port=port, log_config=LOG_CONFIG, timeout_graceful_shutdown=1)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m my_service", description="Serves the app on $PORT.")
    parser.add_argument("--healthcheck", action="store_true", help="probe /healthz on $PORT: exit 0 if it answers 200")
    if parser.parse_args().healthcheck:
        return healthcheck(listen_port())
    serve(listen_port())
    return 0


if __name__ == "__main__":
    sys.exit(main())
