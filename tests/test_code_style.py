"""Render tier: the generated code passes its own language's standard formatter and linter, and its
YAML passes yamllint, each with the configuration the project ships. No engine.

A user's CI and editor run these tools on the project as it was generated; a sample that fails them
teaches a bad habit or gets reformatted in the user's first commit.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dft import DFT_HOME
from dft.languages import profile
from dft.matrix import combinations, layouts
from dft.render import rendered

pytestmark = pytest.mark.render

VENV_BIN = str(Path(sys.executable).parent)


@dataclass(frozen=True)
class Tool:
    """A formatter or linter, run in the root of a copy of the rendered project: a language's (its tests.yml's
    `formatters`), or yamllint, which every project runs."""

    name: str
    argv: tuple[str, ...]
    # A file that must trip the tool, whatever the project's configuration: proof it is no no-op.
    bad_file: tuple[str, str]
    env: dict[str, str] = field(default_factory=dict)
    # Tools like `gofmt -l` exit 0 and list what they would change: any output is a finding.
    output_is_finding: bool = False
    # Tools from the language's toolchain (go, node, cargo...) rather than from the venv.
    toolchain: bool = False
    # A shell command run in the copy first, with the tool's environment.
    prepare: str | None = None
    # A file the tool runs from, {"url": ..., "sha256": ...}: fetched once into $DFT_HOME/lib.
    download: dict | None = None

    @classmethod
    def of(cls, spec: dict) -> Tool:
        bad = spec["bad_file"]
        return cls(spec["name"], tuple(spec["argv"]), (bad["path"], bad["text"]), spec.get("env", {}),
                   spec.get("output_is_finding", False), spec.get("toolchain", False), spec.get("prepare"),
                   spec.get("download"))

    def __str__(self) -> str:
        return self.name


# Every project's YAML (CI, compose, answers, .yamllint itself), with no -c: yamllint reads the project's
# own .yamllint, as it does on a user's machine.
YAMLLINT = Tool("yamllint", ("yamllint", "--strict", "."), ("bad.yaml", "key: value \nkey: again\n"))


def tools(language: str) -> list[Tool]:
    return [*(Tool.of(spec) for spec in profile(language).formatters), YAMLLINT]


def downloaded(spec: dict) -> Path:
    """The file at spec["url"], fetched once into $DFT_HOME/lib (both workers share it) and checked
    against spec["sha256"]."""
    path = DFT_HOME / "lib" / spec["url"].rsplit("/", 1)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            try:
                with urllib.request.urlopen(spec["url"], timeout=120) as response:
                    data = response.read()
            except OSError as error:
                pytest.fail(f"could not download {spec['url']}: {error}")
            if hashlib.sha256(data).hexdigest() != spec["sha256"]:
                pytest.fail(f"{spec['url']} does not match its SHA-256 {spec['sha256']}")
            path.write_bytes(data)
    return path


def findings(tool: Tool, project: Path, work: Path) -> str:
    """What the tool finds in a copy of project (made in work), as it printed it; empty when clean."""
    path = os.pathsep.join([VENV_BIN, os.environ.get("PATH", "")])
    executable = shutil.which(tool.argv[0], path=path)
    if not executable:
        if tool.toolchain:
            pytest.skip(f"{tool.argv[0]} is not on PATH: install the language's toolchain to run {tool}")
        pytest.fail(f"{tool.argv[0]} is not installed: run the suite through scripts/test")
    copy = work / project.name
    shutil.copytree(project, copy)
    # No user-level configuration (~/.config/ruff, ~/.config/yamllint): the project's own, or the defaults.
    env = {**os.environ, "PATH": path, "XDG_CONFIG_HOME": str(work / "no-user-config"), **tool.env}
    if tool.prepare:
        subprocess.run(["sh", "-c", tool.prepare], cwd=copy, env=env, check=True)
    argv = [arg.replace("{download}", str(downloaded(tool.download))) if tool.download else arg
            for arg in tool.argv[1:]]
    result = subprocess.run([executable, *argv], capture_output=True, text=True, cwd=copy, env=env)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        return output or f"exit status {result.returncode}"
    return output if tool.output_is_finding else ""


CHECKS = [pytest.param(c, tool, id=f"{c.id}-{tool}")
          for c in combinations() + layouts() for tool in tools(c["language"])]


@pytest.mark.parametrize(("combination", "tool"), CHECKS)
def test_generated_project_passes_its_tool(combination, tool, tmp_path):
    found = findings(tool, rendered(combination), tmp_path)
    assert not found, f"{combination.id}: {' '.join(tool.argv)} found:\n{found}"


# One rendered project per language (its first combination), for the tools' self-test.
SAMPLES = {c["language"]: c for c in reversed(combinations())}
SELF_CHECKS = [pytest.param(c, tool, id=f"{language}-{tool}")
               for language, c in SAMPLES.items() for tool in tools(language)]


@pytest.mark.parametrize(("combination", "tool"), SELF_CHECKS)
def test_tool_finds_a_known_defect(combination, tool, tmp_path):
    """The same check on the project plus one known-bad file must fail: a tool that is a no-op, or a
    project configuration that silences it, cannot make the test above pass."""
    project = tmp_path / "with-defect" / combination.id
    shutil.copytree(rendered(combination), project)
    name, text = tool.bad_file
    (project / name).write_text(text)
    assert findings(tool, project, tmp_path), f"{combination.id}: {' '.join(tool.argv)} found nothing in {name}"
