"""Renders the templates with copier's own API, from the working tree as it is."""

from __future__ import annotations

import shutil
import tempfile
from functools import cache
from pathlib import Path

import copier

from tests.harness.matrix import ROOT, Combination

# What copier reads; a plain (non-git) copy renders the working tree, uncommitted edits included.
TEMPLATE_PARTS = ("copier.yml", "templates", "includes")


@cache
def template_copy() -> Path:
    dest = Path(tempfile.mkdtemp(prefix="dft-template-"))
    for part in TEMPLATE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, dest / part)
    return dest


def render(dest: Path, data: dict) -> Path:
    """Renders the answers in `data` (the rest at their defaults) into dest."""
    copier.run_copy(str(template_copy()), str(dest), data=data, defaults=True, quiet=True, unsafe=False)
    return dest


@cache
def rendered(combination: Combination) -> Path:
    """The project for a combination, rendered once per test process."""
    return render(Path(tempfile.mkdtemp(prefix=f"dft-{combination.id}-")), combination.data)
