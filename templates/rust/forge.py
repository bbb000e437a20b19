"""Rust's stand-ins, where no container registry answers: rust:<minor>-slim-trixie with Debian's own build of
the release forge.yml pins for each rust_version choice (rustup's toolchains come from static.rust-lang.org,
which is not in reach here). Rust's distroless runtime is the shared distroless cc stand-in."""

from __future__ import annotations

import re
from pathlib import Path

from dft.languages import Profile, resolve
from tests.forge.forge import StandIn, image, releases

RECIPES = Path(__file__).parent / "forge"


def upstream(debian_version: str) -> str:
    """The Rust release a Debian version of it packages: 1.97.1 of 1.97.1+dfsg1-1."""
    return re.match(r"\d+(?:\.\d+)*", debian_version).group()


def stand_ins(profile: Profile, pins: dict) -> list[StandIn]:
    ref = image(profile, "rust:")
    made = []
    for minor, given in releases(profile, pins).items():
        release = upstream(given["debian"])
        if not release.startswith(f"{minor}."):
            raise SystemExit(f"forge: templates/rust/forge.yml: {given['debian']} is not a build of Rust {minor}")
        made.append(StandIn(tags=(resolve(ref, RUST_VERSION=minor), resolve(ref, RUST_VERSION=release)),
                            recipe="rust-slim", root=RECIPES,
                            build_args={"RUST_VERSION": release, "RUST_SUITE": given["suite"],
                                        "RUST_DEBIAN_VERSION": given["debian"],
                                        "RUST_PACKAGES": " ".join(given["packages"])}))
    return made
