"""Go's stand-ins, where no container registry answers: golang:<minor>-trixie with the toolchain of the
patch release forge.yml pins for each go_version choice, and distroless static, which Go runs on."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import partial
from pathlib import Path

from dft.languages import Profile, resolve
from tests.forge.forge import StandIn, host_only, image, releases

RECIPES = Path(__file__).parent / "forge"


def go_toolchain(version: str, context: Path, architecture: str) -> None:
    """Puts the Go toolchain at context/go, as the go command fetches it from the module proxy. The builder
    runs on the build platform alone: Go cross-compiles."""
    host_only(architecture, f"golang {version}")
    goroot = subprocess.run(
        ["go", "env", "GOROOT"], check=True, capture_output=True, text=True,
        env={**os.environ, "GOTOOLCHAIN": f"go{version}"},
    ).stdout.strip()
    shutil.copytree(goroot, context / "go", symlinks=True)


def stand_ins(profile: Profile, pins: dict) -> list[StandIn]:
    ref = image(profile, "golang:")
    golang = [StandIn(tags=(resolve(ref, GO_VERSION=minor), resolve(ref, GO_VERSION=patch)), recipe="golang",
                      build_args={"GO_VERSION": patch}, inputs=partial(go_toolchain, patch), root=RECIPES)
              for minor, patch in releases(profile, pins).items()]
    return golang + [StandIn(tags=(image(profile, "gcr.io/distroless/static-"),), recipe="distroless-static",
                             root=RECIPES)]
