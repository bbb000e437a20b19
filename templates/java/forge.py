"""Java's stand-ins, where no container registry answers: distroless java<major>, with a JRE made from
Debian 13's own OpenJDK build that forge.yml pins for each java_version choice (Adoptium's Temurin
packages, which distroless ships, are out of reach here)."""

from __future__ import annotations

from pathlib import Path

from dft.languages import Profile, resolve
from tests.forge.forge import StandIn, image, releases

RECIPES = Path(__file__).parent / "forge"


def upstream(debian_version: str) -> str:
    """The OpenJDK release a Debian version of it packages (java -version's): 25.0.5.1 of
    25.0.5.1+2-1~deb13u1, whose +2 is the build number."""
    return debian_version.split("+")[0]


def stand_ins(profile: Profile, pins: dict) -> list[StandIn]:
    ref = image(profile, "gcr.io/distroless/java")
    made = []
    for major, debian in releases(profile, pins).items():
        if not upstream(debian).startswith(f"{major}."):
            raise SystemExit(f"forge: templates/java/forge.yml: {debian} is not a build of OpenJDK {major}")
        made.append(StandIn(tags=(resolve(ref, JAVA_VERSION=major),), recipe="distroless-java", root=RECIPES,
                            build_args={"JAVA_MAJOR": major, "JAVA_RELEASE": upstream(debian),
                                        "OPENJDK_VERSION": debian}))
    return made
