"""Every stand-in the forge builds, bases first. A new language adds its images here."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import partial
from pathlib import Path

from tests.forge.forge import RootfsStandIn, StandIn
from tests.forge.frontend import FRONTEND_VERSION, build_frontend

# The patch release each golang:<minor>-trixie stand-in carries: the Go module proxy serves these.
GO_RELEASES = {"1.27": "1.27.3", "1.26": "1.26.8"}


def go_toolchain(version: str, context: Path) -> None:
    """Puts the Go toolchain at context/go, as the go command fetches it from the module proxy."""
    goroot = subprocess.run(
        ["go", "env", "GOROOT"], check=True, capture_output=True, text=True,
        env={**os.environ, "GOTOOLCHAIN": f"go{version}"},
    ).stdout.strip()
    shutil.copytree(goroot, context / "go", symlinks=True)


STAND_INS = [
    RootfsStandIn(tags=("debian:trixie-slim", "debian:trixie"), recipe="debootstrap"),
    StandIn(
        tags=("docker/dockerfile:1", f"docker/dockerfile:{FRONTEND_VERSION}"),
        recipe="dockerfile-frontend",
        inputs=build_frontend,
    ),
    StandIn(tags=("gcr.io/distroless/static-debian13:nonroot",), recipe="distroless-static"),
    *[
        StandIn(
            tags=(f"golang:{minor}-trixie", f"golang:{patch}-trixie"),
            recipe="golang",
            build_args={"GO_VERSION": patch},
            inputs=partial(go_toolchain, patch),
        )
        for minor, patch in GO_RELEASES.items()
    ],
]
