"""Build the Dockerfile frontend (the image behind `# syntax=docker/dockerfile:1`).

No container registry is reachable here, so the frontend is compiled from the
`github.com/moby/buildkit` module, fetched through the Go module proxy, and
packed by recipes/dockerfile-frontend/Dockerfile the way upstream packs it.
"""

from __future__ import annotations

import json
import os
import pathlib
import shlex
import subprocess
import tempfile

# buildkit v0.34.2 carries Dockerfile frontend 1.28 (frontend/dockerfile/version)
# and needs go >= 1.26.8, the Go this machine has.
BUILDKIT_VERSION = "v0.34.2"
FRONTEND_VERSION = "1.28"  # tag docker/dockerfile:1.28 beside :1

MODULE = "github.com/moby/buildkit"
PACKAGE = f"{MODULE}/frontend/dockerfile/cmd/dockerfile-frontend"


def _go(command: str, cwd: str, env: dict[str, str]) -> str:
    """Runs a go command line, as typed (the host's Go toolchain builds the frontend)."""
    args = shlex.split(command)
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise RuntimeError(
            f"building the Dockerfile frontend ({MODULE} {BUILDKIT_VERSION}): "
            f"`{' '.join(args[:2])}` failed with exit code {proc.returncode}:\n{tail}"
        )
    return proc.stdout


def build_frontend(context: pathlib.Path, architecture: str) -> None:
    """Compile a static `dockerfile-frontend` binary for `architecture` into `context`."""
    binary = pathlib.Path(context).resolve() / "dockerfile-frontend"
    binary.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "CGO_ENABLED": "0",  # static: the image is FROM scratch
        "GOOS": "linux",
        "GOARCH": architecture,
        # Replace any ambient GOFLAGS; readonly: build exactly upstream's go.sum.
        "GOFLAGS": "-mod=readonly -trimpath -buildvcs=false",
        "GOWORK": "off",
        # The host's own Go unless the caller chose one (e.g. go1.27.3).
        "GOTOOLCHAIN": os.environ.get("GOTOOLCHAIN") or "local",
    }
    # buildkit's go.mod has `exclude` directives, which `go install pkg@version`
    # refuses and a wrapper module would ignore; building inside the module's
    # own (read-only, checksum-verified) source keeps upstream's build list.
    with tempfile.TemporaryDirectory(prefix="forge-frontend-") as outside:
        ref = f"{MODULE}@{BUILDKIT_VERSION}"
        src = json.loads(_go(f"go mod download -json {ref}", outside, env))["Dir"]
    # Upstream's ldflags (-d plus the main.* version strings), stripped as well,
    # and its build tags (release/mainline/tags is empty for this version).
    version = f"dockerfile/{FRONTEND_VERSION}+buildkit-{BUILDKIT_VERSION}"
    ldflags = (
        f"-s -w -d -X main.Version={version} -X main.Revision={BUILDKIT_VERSION}"
        f" -X main.Package={PACKAGE}"
    )
    tags = "netgo static_build osusergo"
    build = shlex.join(["-tags", tags, "-ldflags", ldflags, "-o", str(binary), PACKAGE])
    _go(f"go build {build}", src, env)
