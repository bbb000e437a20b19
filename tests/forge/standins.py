"""Every stand-in the forge builds, bases first. A new language adds its images here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from functools import partial
from pathlib import Path

from tests.forge.forge import RootfsStandIn, StandIn
from tests.forge.frontend import FRONTEND_VERSION, build_frontend

# The patch release each golang:<minor>-trixie stand-in carries: the Go module proxy serves these.
GO_RELEASES = {"1.27": "1.27.3", "1.26": "1.26.8"}

# The CPython each python:<minor>-slim-trixie stand-in compiles: the upstream release Debian 13 ships
# as python3.13's .orig tarball, with python.org's sha256 of Python-<version>.tar.xz.
PYTHON_RELEASES = {"3.13": ("3.13.5", "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640")}

# The ghcr.io/astral-sh/uv tag the Python template copies uv from; PyPI serves the same release.
UV_VERSION = "0.13.8"


def go_toolchain(version: str, context: Path) -> None:
    """Puts the Go toolchain at context/go, as the go command fetches it from the module proxy."""
    goroot = subprocess.run(
        ["go", "env", "GOROOT"], check=True, capture_output=True, text=True,
        env={**os.environ, "GOTOOLCHAIN": f"go{version}"},
    ).stdout.strip()
    shutil.copytree(goroot, context / "go", symlinks=True)


def uv_binaries(version: str, context: Path) -> None:
    """Puts `uv` and `uvx` at the context's root, from PyPI's musllinux wheel: its binaries are the
    static musl build that upstream's image carries."""
    with tempfile.TemporaryDirectory(prefix="forge-uv-") as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             "--platform=musllinux_1_1_x86_64", f"--dest={tmp}", f"uv=={version}"],
            check=True,
        )
        (wheel,) = Path(tmp).glob("uv-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            for name in ("uv", "uvx"):
                target = context / name
                target.write_bytes(archive.read(f"uv-{version}.data/scripts/{name}"))
                target.chmod(0o755)


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
    *[
        StandIn(
            tags=(f"python:{minor}-slim-trixie", f"python:{patch}-slim-trixie"),
            recipe="python-slim",
            build_args={"PYTHON_VERSION": patch, "PYTHON_SHA256": sha256},
        )
        for minor, (patch, sha256) in PYTHON_RELEASES.items()
    ],
    StandIn(tags=("gcr.io/distroless/python3-debian13:nonroot",), recipe="distroless-python"),
    StandIn(
        tags=(f"ghcr.io/astral-sh/uv:{UV_VERSION}", f"ghcr.io/astral-sh/uv:{UV_VERSION.rsplit('.', 1)[0]}"),
        recipe="uv",
        inputs=partial(uv_binaries, UV_VERSION),
    ),
]
