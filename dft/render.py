"""Renders the templates with copier's own API, from the working tree as it is."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from functools import cache
from pathlib import Path

import copier

from dft.matrix import ROOT, Combination

# What copier reads (copier.yml, the shared includes, and of each language its subtree, questions, profile
# and Jinja files); a plain (non-git) copy renders the working tree, uncommitted edits included.
TEMPLATE_PARTS = ("copier.yml", "includes", "templates/*/project", "templates/*/questions.yml",
                  "templates/*/profile.yml", "templates/*/*.jinja")
# Rendered projects, shared by every test process of a run (and by runs of the same template tree):
# each combination is rendered once, not once per xdist worker.
RENDERS = Path(tempfile.gettempdir()) / "dft-renders"


def template_files() -> list[Path]:
    files = []
    for part in TEMPLATE_PARTS:
        for source in sorted(ROOT.glob(part)):
            files += sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
    return files


@cache
def template_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in template_files():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@cache
def template_copy() -> Path:
    """The template's files, copied once per template tree for every process of the run (and reused by
    later runs): copier renders from this copy."""
    dest = RENDERS / template_fingerprint() / "template"
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".partial-"))
        for path in template_files():
            target = partial / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        try:
            partial.rename(dest)
        except OSError:  # another process got there first, with the same files
            shutil.rmtree(partial)
    return dest


def render(dest: Path, data: dict) -> Path:
    """Renders the answers in `data` (the rest at their defaults) into dest."""
    copier.run_copy(str(template_copy()), str(dest), data=data, defaults=True, quiet=True, unsafe=False)
    return dest


@cache
def rendered(combination: Combination) -> Path:
    """The project for a combination, rendered once for every process of the run; read-only by
    convention (tests that edit a project edit a copy)."""
    dest = RENDERS / template_fingerprint() / combination.id
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".partial-"))
        render(partial, combination.data)
        try:
            partial.rename(dest)
        except OSError:  # another worker got there first, with the same files
            shutil.rmtree(partial)
    return dest
