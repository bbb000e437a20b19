"""Every stand-in the forge can build: Debian and the Dockerfile frontend, which every language builds on,
the shared images a language's forge.yml names (distroless cc), and each language's own, which its folder
makes: templates/<language>/forge.py's `stand_ins(profile, pins)`, from its recipes in
templates/<language>/forge/ and its pins in templates/<language>/forge.yml."""

from __future__ import annotations

import importlib
from functools import cache

import yaml

from dft.languages import TEMPLATES, common, languages, profile
from tests.forge.forge import RootfsStandIn, StandIn
from tests.forge.frontend import FRONTEND_VERSION, build_frontend
from tests.forge.sbom import SCANNER, syft_binary

# The image distroless layers its interpreters' images on (static, then base, then cc): glibc, libgcc,
# libstdc++. Several languages run on it or build their distroless stand-ins FROM it, so it is made here,
# on common.yml's Debian release.
DISTROLESS_CC = f"gcr.io/distroless/cc-debian{common()['debian']['version']}:nonroot"


def base() -> list[StandIn]:
    """Debian and the Dockerfile frontend, which every language builds on, and the SBOM scanner every
    language's release attestation runs (forged only where a test names it)."""
    release = common()["debian"]["codename"]
    return [
        RootfsStandIn(tags=(f"debian:{release}-slim", f"debian:{release}"), recipe="debootstrap", suite=release),
        StandIn(tags=(common()["frontend"], f"docker/dockerfile:{FRONTEND_VERSION}"), recipe="dockerfile-frontend",
                inputs=build_frontend),
        StandIn(tags=(SCANNER,), recipe="sbom-scanner", inputs=syft_binary),
    ]


# The shared recipes a language's forge.yml may name, beside its own.
SHARED = {"distroless-cc": StandIn(tags=(DISTROLESS_CC,), recipe="distroless-cc")}


@cache
def pins(language: str) -> dict:
    """templates/<language>/forge.yml: the recipes the language's images come from, and its pins."""
    return yaml.safe_load((TEMPLATES / language / "forge.yml").read_text())


def own_stand_ins(language: str) -> list[StandIn]:
    """What the language's forge module makes, checked against its forge.yml and its recipes' folder: each
    recipe of templates/<language>/forge/ is named and used, and each shared image it builds on is named."""
    where, folder = f"templates/{language}/forge.yml", TEMPLATES / language / "forge"
    own = {path.name for path in folder.iterdir() if path.is_dir()} if folder.is_dir() else set()
    named = set(pins(language)["recipes"])
    if named - own - set(SHARED) or own - named:
        raise SystemExit(f"forge: {where} names the recipes {sorted(named)}: it should name each folder of "
                         f"templates/{language}/forge/ ({sorted(own)}), and any shared one ({sorted(SHARED)}) "
                         "its images are or build on")
    made = importlib.import_module(f"templates.{language}.forge").stand_ins(profile(language), pins(language))
    shared = {tag: name for name, stand_in in SHARED.items() for tag in stand_in.tags}
    for stand_in in made:
        if stand_in.root != folder or stand_in.recipe not in own:
            raise SystemExit(f"forge: templates/{language}/forge.py makes {stand_in.name} from "
                             f"{stand_in.root / stand_in.recipe}, not from a folder of templates/{language}/forge/")
        unnamed = {shared[ref] for ref in stand_in.bases() if ref in shared} - named
        if unnamed:
            raise SystemExit(f"forge: {stand_in.name} is built on {sorted(unnamed)}, which {where} does not name")
    if {stand_in.recipe for stand_in in made} != own:
        raise SystemExit(f"forge: templates/{language}/forge.py makes nothing from "
                         f"{sorted(own - {stand_in.recipe for stand_in in made})}")
    return made


@cache
def stand_ins() -> list[StandIn]:
    """Debian and the frontend, the shared images some language names, then each language's own. An image
    two languages need is a shared one: a tag made twice is refused."""
    made = base() + [stand_in for name, stand_in in SHARED.items()
                     if any(name in pins(language)["recipes"] for language in languages())]
    for language in languages():
        for stand_in in own_stand_ins(language):
            twice = sorted(set(stand_in.tags) & {tag for other in made for tag in other.tags})
            if twice:
                raise SystemExit(f"forge: templates/{language}/forge.py makes {twice}, which another stand-in "
                                 "makes too: an image two languages need belongs in tests/forge/recipes")
            made.append(stand_in)
    return made
