"""Render tier: the collection's own code. A language is its folder (templates/<language>/), so nothing
outside those folders names one; and the collection's Python passes ruff with ruff.toml."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dft.languages import languages
from dft.matrix import ROOT

pytestmark = pytest.mark.render

# Where a language's name, as a string, would mean knowledge of that language outside its folder.
SHARED = ["dft/**/*.py", "tests/**/*.py", "tests/forge/**/*", "includes/**/*", "scripts/**/*", ".ci/*"]


def named_languages(text: str) -> list[str]:
    """Each language's name written as a string literal, in single or double quotes, in text."""
    names = "|".join(map(re.escape, languages()))
    return re.findall(rf"""(["'])({names})\1""", text)


def test_the_name_check_finds_a_quoted_language():
    language = languages()[0]
    assert named_languages(f'if answers["language"] == "{language}":') == [('"', language)]
    assert named_languages(f"{{% if language == '{language}' %}}") == [("'", language)]
    assert not named_languages(f"{language}_version and {language}-distroless")


def test_no_language_is_named_outside_its_folder():
    found = [f"{path.relative_to(ROOT)}: {quote}{name}{quote}"
             for pattern in SHARED for path in sorted(ROOT.glob(pattern)) if path.is_file()
             for quote, name in named_languages(path.read_text(errors="replace"))]
    assert not found, f"outside templates/<language>/: {found}"


def test_the_collections_python_passes_ruff():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff, "ruff comes with tests/requirements.txt"
    result = subprocess.run([ruff, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
