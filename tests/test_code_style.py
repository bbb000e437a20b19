"""Render tier: the generated code passes its own language's standard formatter and linter, and its
YAML passes yamllint, each with the configuration the project ships. No engine.

A user's CI and editor run these tools on the project as it was generated; a sample that fails them
teaches a bad habit or gets reformatted in the user's first commit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.harness.matrix import combinations, layouts
from tests.harness.render import rendered

pytestmark = pytest.mark.render

VENV_BIN = str(Path(sys.executable).parent)


def go_language_fits_toolchain(project: Path, env: dict[str, str]) -> None:
    """Lowers the copy's `go` directive to the Go at hand when that one is older (GOTOOLCHAIN=local
    refuses a newer module, and the check must stay offline): the code is vetted as the toolchain
    sees it, and a feature newer than that toolchain fails the vet, as it should."""
    version = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, env=env, check=True)
    local = re.match(r"go(\d+)\.(\d+)", version.stdout.strip())
    wanted = re.search(r"^go (\d+)\.(\d+)", (project / "go.mod").read_text(), re.MULTILINE)
    if local and wanted and tuple(map(int, wanted.groups())) > tuple(map(int, local.groups())):
        subprocess.run(["go", "mod", "edit", f"-go={local[1]}.{local[2]}"], cwd=project, env=env, check=True)


@dataclass(frozen=True)
class Tool:
    """A formatter or linter, run in the root of a copy of the rendered project."""

    name: str
    argv: tuple[str, ...]
    # A file that must trip the tool, whatever the project's configuration: proof it is no no-op.
    bad_file: tuple[str, str]
    env: dict[str, str] = field(default_factory=dict)
    # Tools like `gofmt -l` exit 0 and list what they would change: any output is a finding.
    output_is_finding: bool = False
    # Tools from the language's toolchain (go, node, cargo...) rather than from the venv.
    toolchain: bool = False
    # Run on the copy first, with the tool's environment.
    prepare: Callable[[Path, dict[str, str]], None] | None = None

    def __str__(self) -> str:
        return self.name


# Offline and with the Go at hand: the sample uses the standard library alone.
GO_ENV = {"GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}

# Prettier, pinned, run by the host's Node.js through npx (fetched from the npm registry once).
PRETTIER = "prettier@3.10.1"
NODE_ENV = {"NODE_EXTRA_CA_CERTS": os.environ.get("NODE_EXTRA_CA_CERTS", "/etc/ssl/certs/ca-certificates.crt"),
            "npm_config_update_notifier": "false"}

# google-java-format, run by the host's java from the jar scripts/lib/setup.sh downloads (the version it
# names), on every .java file of the project (an args file lists them), as the JDK's javac it parses with
# is opened to it.
SETUP = Path(__file__).parents[1] / "scripts" / "lib" / "setup.sh"
DFT_HOME = Path(os.environ.get("DFT_HOME") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                / "dockerfile-templates")
GOOGLE_JAVA_FORMAT = DFT_HOME / "lib" / "google-java-format-{}-all-deps.jar".format(
    re.search(r"^GOOGLE_JAVA_FORMAT_VERSION=(\S+)$", SETUP.read_text(), re.MULTILINE)[1])
JAVAC_PACKAGES = ("api", "code", "file", "parser", "tree", "util")


def list_java_files(project: Path, env: dict[str, str]) -> None:
    (project / ".java-files").write_text("".join(f"{path.relative_to(project)}\n" for path in project.rglob("*.java")))


# Each language's standard formatter and linter. A language enters by adding its line. (Node.js's type
# check is tsc's and Rust's the compiler's, in the test stage; clippy needs the crates compiled.)
TOOLS: dict[str, list[Tool]] = {
    "go": [
        Tool("gofmt", ("gofmt", "-l", "."), ("bad.go", "package main\n\nfunc  bad( ) {\n  return\n}\n"),
             output_is_finding=True, toolchain=True),
        Tool("go-vet", ("go", "vet", "./..."),
             ("bad.go", 'package main\n\nimport "fmt"\n\nfunc bad() {\n\tfmt.Printf("%d\\n", "not a number")\n}\n'),
             env=GO_ENV, toolchain=True, prepare=go_language_fits_toolchain),
    ],
    "python": [
        # --no-cache: ruff would otherwise write .ruff_cache into the project.
        Tool("ruff-format", ("ruff", "format", "--check", "--no-cache", "."), ("bad.py", "x = {  'a':1 }\n")),
        Tool("ruff-check", ("ruff", "check", "--no-cache", "."), ("bad.py", "import os\n")),
    ],
    "node": [
        # The service's own code and manifests; YAML and Markdown are yamllint's and the README's.
        Tool("prettier", ("npx", "--yes", PRETTIER, "--check", "src", "test", "package.json", "tsconfig.json"),
             ("src/bad.ts", "export const  bad = { a:1 }\n"), env=NODE_ENV, toolchain=True),
    ],
    "rust": [
        # The service's crate (cargo fmt reads no crates.io: offline); a file no module names is not its.
        Tool("rustfmt", ("cargo", "fmt", "--check"), ("src/main.rs", "fn  main( ) {}\n"), toolchain=True),
    ],
    "java": [
        Tool("google-java-format",
             ("java", *(f"--add-exports=jdk.compiler/com.sun.tools.javac.{p}=ALL-UNNAMED" for p in JAVAC_PACKAGES),
              "-jar", str(GOOGLE_JAVA_FORMAT), "--dry-run", "--set-exit-if-changed", "@.java-files"),
             ("src/main/java/Bad.java", "class  Bad { int x=1; }\n"), toolchain=True, prepare=list_java_files),
    ],
}
# Every project's YAML (CI, compose, answers, .yamllint itself), with no -c: yamllint reads the project's
# own .yamllint, as it does on a user's machine.
YAMLLINT = Tool("yamllint", ("yamllint", "--strict", "."), ("bad.yaml", "key: value \nkey: again\n"))


def tools(language: str) -> list[Tool]:
    assert language in TOOLS, f"no formatter or linter for {language}: give it its line in TOOLS"
    return [*TOOLS[language], YAMLLINT]


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
        tool.prepare(copy, env)
    result = subprocess.run([executable, *tool.argv[1:]], capture_output=True, text=True, cwd=copy, env=env)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        return output or f"exit status {result.returncode}"
    return output if tool.output_is_finding else ""


CHECKS = [pytest.param(c, tool, id=f"{c.id}-{tool}") for c in combinations() + layouts() for tool in tools(c["language"])]


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
