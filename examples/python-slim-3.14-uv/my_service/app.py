"""The sample service: replace the routes with yours and keep GET /healthz, which the image's
HEALTHCHECK asks for a 2xx. Importing this module only declares routes, so the server starts fast; logging is set up by
__main__, which sends every logger (this package's too) to stdout, where the container runtime collects it.
"""

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

SERVICE = "my-service"

app = FastAPI(title=SERVICE)


@app.get("/")
async def hello() -> dict[str, str]:
    return {"service": SERVICE, "message": "hello"}


@app.get("/healthz", response_class=PlainTextResponse)
async def healthz() -> str:
    """Answers 200 while the process serves requests; add checks of what the service cannot work without."""
    return "ok"
