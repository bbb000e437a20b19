"""A rendered Dockerfile's structure, as the contract tests read it (parsing by dockerfile-parse)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dockerfile_parse import DockerfileParser


@dataclass
class Dockerfile:
    parser: DockerfileParser

    @classmethod
    def of(cls, project: Path) -> Dockerfile:
        return cls(DockerfileParser(str(project / "Dockerfile")))

    @property
    def syntax(self) -> str | None:
        first = self.parser.structure[0]
        match = re.fullmatch(r"syntax=(\S+)", first["value"]) if first["instruction"] == "COMMENT" else None
        return match.group(1) if match else None

    @property
    def stage_names(self) -> list[str]:
        return [m.group(1) for i in self.parser.structure if i["instruction"] == "FROM"
                for m in [re.search(r"\s+AS\s+(\S+)$", i["value"], re.IGNORECASE)] if m]

    @property
    def external_bases(self) -> list[str]:
        """Images the stages start from, ARGs resolved, other stages left out."""
        stages = set(self.stage_names)
        return [ref for ref in self.parser.parent_images if ref not in stages]

    @property
    def target_platform_bases(self) -> list[str]:
        """The external bases of the stages built for the target platform (not `--platform=$BUILDPLATFORM`):
        the images a multi-platform build needs for every platform, not only the build machine's."""
        stages = set(self.stage_names)
        froms = [i["value"] for i in self.parser.structure if i["instruction"] == "FROM"]
        return [ref for value, ref in zip(froms, self.parser.parent_images, strict=True)
                if "BUILDPLATFORM" not in value and ref not in stages and ref != "scratch"]

    @property
    def images(self) -> list[str]:
        """Every image a build of this Dockerfile needs from the engine: the syntax frontend and the bases."""
        return [ref for ref in [self.syntax, *self.external_bases] if ref and ref != "scratch"]

    @property
    def global_args(self) -> dict[str, str]:
        """ARGs declared before the first FROM, with their defaults."""
        args = {}
        for instruction in self.parser.structure:
            if instruction["instruction"] == "FROM":
                break
            if instruction["instruction"] == "ARG":
                name, _, default = instruction["value"].partition("=")
                args[name] = default
        return args

    def final_stage_instruction(self, name: str) -> str | None:
        """The value of the last `name` instruction in the runtime (last) stage."""
        value = None
        for instruction in self.parser.structure:
            if instruction["instruction"] == "FROM":
                value = None
            elif instruction["instruction"] == name:
                value = instruction["value"]
        return value
