"""The build targets: one per distinct Dockerfile that copier.yml's combinations render, each named by
the answers its combinations share. The build tier builds each once; its language's examples/ holds each one."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from dft.dockerfile import Dockerfile
from dft.languages import Profile, profile
from dft.matrix import Combination, combinations
from dft.render import rendered


@dataclass(frozen=True)
class Target:
    """One distinct Dockerfile, and the combination that renders it first."""

    combination: Combination
    id: str

    @property
    def project(self) -> Path:
        return rendered(self.combination)

    @property
    def tag(self) -> str:
        return f"dft-test/{self.id}:build"

    @property
    def images(self) -> list[str]:
        return Dockerfile.of(self.project).images

    @property
    def port(self) -> int:
        return int((self.project / "Dockerfile").read_text().split("EXPOSE ", 1)[1].split()[0])

    @property
    def profile(self) -> Profile:
        return profile(self["language"])

    @property
    def dependency_step(self) -> str:
        """Text of the RUN step that installs the dependencies, which a source change must not rerun."""
        return self.profile.dependency_step_for(self.combination.data.get("package_manager"))

    def unfilled(self, text: str) -> str:
        """text with each image the profile names with a version in it (golang:${GO_VERSION}-trixie) put
        back as the profile names it, whatever version the Dockerfile filled in (golang:1.27-trixie)."""
        refs = [ref for images in self.profile.images.values() for ref in images.values()]
        for ref in [*refs, *(self.profile.tool_images or {}).values()]:
            if "${" in ref:
                pattern = re.sub(r"\\\$\\\{\w+\\\}", r"[\\w.]+", re.escape(ref))
                text = re.sub(pattern, lambda _, ref=ref: ref, text)
        return text

    @property
    def structure(self) -> str:
        """The Dockerfile with its versions left out (the version ARGs' defaults, the versions in the base
        images' ARGs): targets that differ only in the versions they build on (go 1.26 and 1.27) share it."""
        text = re.sub(r"(?m)^(ARG \w+_VERSION)=\S+$", r"\1", (self.project / "Dockerfile").read_text())
        return self.unfilled(text)

    @property
    def builds_with(self) -> tuple[str, str | None, str]:
        """What the build stages depend on: the language, the package manager, and the builder image as
        the profile names it (its version unexpanded)."""
        builder = self.profile.images[self["runtime"]]["builder"]
        return self["language"], self.combination.data.get("package_manager"), builder

    @property
    def bases(self) -> tuple[str, ...]:
        """The images the stages start from, version ARGs unexpanded: what a base-image mirror rewrites."""
        return tuple(self.unfilled(ref) for ref in Dockerfile.of(self.project).external_bases)

    @property
    def version(self) -> str | None:
        """The answer to the language's version question (go_version, node_version ...), if it asks one."""
        version = self.combination.data.get(f"{self['language']}_version")
        return None if version is None else str(version)

    def __getitem__(self, name: str):
        return self.combination[name]


@cache
def distinct_dockerfiles() -> list[Target]:
    """The targets, in the order of copier.yml's combinations."""
    groups: dict[str, list[Combination]] = {}
    for combination in combinations():
        groups.setdefault((rendered(combination) / "Dockerfile").read_text(), []).append(combination)
    targets = []
    for members in groups.values():
        # Name a target by the answers its combinations share: the ones that shape the Dockerfile.
        shared = [str(v) for k, v in members[0].answers if all(m[k] == v for m in members)]
        targets.append(Target(members[0], "-".join(shared)))
    return targets


def as_params(targets: list[Target]) -> list:
    """Each target with its xdist group, so that one worker builds its image once and runs all its tests,
    and the images it builds on, so that scripts/test forges only those."""
    return [pytest.param(t, id=t.id, marks=[pytest.mark.xdist_group(t.id), pytest.mark.images(*t.images)])
            for t in targets]


def first_of_each(targets: list[Target], key: Callable[[Target], Hashable]) -> list[Target]:
    """The first target of each value of key, in order: one target per language, per runtime..."""
    firsts: dict[Hashable, Target] = {}
    for target in targets:
        firsts.setdefault(key(target), target)
    return list(firsts.values())
