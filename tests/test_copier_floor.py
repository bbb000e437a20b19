"""The copier version floor: copier.yml's `_min_copier_version` must render what the pinned copier renders.

Copier refuses a template whose floor is above its own version, but runs one whose floor is too low,
and then crashes or, worse, renders something else. copier.yml needs, found by bisecting releases:
`_envops: {undefined: jinja2.StrictUndefined}` read as a class name (9.15.0; before it, Jinja gets the
string: "TypeError: issubclass() arg 1 must be a class"), and `UNSET` in the slug's default (9.11.0;
before it, with a lenient Undefined, an empty slug is rendered instead of the slug being asked for).
So the floor is tested: the declared release is installed into a venv of its own (cached under
$DFT_HOME/copier-floor/<version>, so reruns are fast) and its CLI renders every language with the
default answers, and answers that take the slug's other paths; each outcome (the rendered files, or
the refusal and its message) must be the pinned copier's.
"""

from __future__ import annotations

import fcntl
import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import copier
import pytest

from dft import DFT_HOME
from dft.languages import languages
from dft.matrix import config
from dft.render import render, template_copy

pytestmark = pytest.mark.render

FLOOR = str(config()["_min_copier_version"])
LANGUAGES = languages()
# Answers beyond the defaults whose outcome the floor must reproduce too: a transliterated slug
# default, and a name whose slug cannot be derived (the slug default is UNSET, so --defaults stops).
OTHER_ANSWERS = {
    "transliterated-slug": {"project_name": "Café Größe"},
    "slug-unset": {"project_name": "東京 API"},
}


def copier_cli(version: str) -> Path:
    """The `copier` executable of that release, installed once into $DFT_HOME/copier-floor/<version>."""
    venv = DFT_HOME / "copier-floor" / version
    executable, complete = venv / "bin" / "copier", venv / ".complete"
    if complete.exists():
        return executable
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f".{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers share the cache: one installs, the other waits
        if not complete.exists():
            # Built where it lives (a venv's scripts name their interpreter by path), marked complete last.
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            install = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet",
                                      "--disable-pip-version-check", f"copier=={version}"],
                                     check=False, capture_output=True, text=True)
            assert install.returncode == 0, f"pip install copier=={version}:\n{install.stdout}{install.stderr}"
            complete.touch()
    return executable


def floor_render(dest: Path, data: dict) -> subprocess.CompletedProcess:
    """Renders with the floor's CLI, as a user would: `copier copy --defaults -d key=value ...`."""
    answers = [arg for key, value in data.items() for arg in ("--data", f"{key}={value}")]
    return subprocess.run([str(copier_cli(FLOOR)), "copy", "--defaults", "--quiet", *answers,
                           str(template_copy()), str(dest)], check=False, capture_output=True, text=True,
                          timeout=300)


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def differences(left: Path, right: Path) -> list[str]:
    """Files that differ between two rendered trees, or exist in one only."""
    compared = filecmp.dircmp(left, right)
    found = [f"{compared.left}/{name} (one side only)" for name in compared.left_only + compared.right_only]
    found += [f"{compared.left}/{name}" for name in compared.diff_files + compared.funny_files]
    for sub in compared.subdirs.values():
        found += differences(Path(sub.left), Path(sub.right))
    return found


CASES = [pytest.param({"language": language}, id=language) for language in LANGUAGES] + \
        [pytest.param(data, id=name) for name, data in OTHER_ANSWERS.items()]


@pytest.mark.parametrize("data", CASES)
def test_the_declared_copier_floor_renders_what_the_pinned_copier_renders(data, tmp_path):
    floor = floor_render(tmp_path / "floor", data)
    try:
        render(tmp_path / "pinned", data)
        pinned_error = None
    except ValueError as error:
        pinned_error = str(error)

    if pinned_error is not None:
        # The same refusal, in the same words, and nothing written.
        assert floor.returncode != 0, f"copier {FLOOR} accepted what copier {copier.__version__} refused"
        assert pinned_error in floor.stderr, f"copier {FLOOR}: {last_line(floor.stderr)}\n" \
                                             f"copier {copier.__version__}: {pinned_error}"
        assert not (tmp_path / "floor").exists() or not any((tmp_path / "floor").iterdir())
        return

    assert floor.returncode == 0, f"copier {FLOOR} failed where copier {copier.__version__} renders:\n" \
                                  f"{last_line(floor.stderr)}"
    assert (tmp_path / "floor" / "Dockerfile").read_text() == (tmp_path / "pinned" / "Dockerfile").read_text()
    assert not differences(tmp_path / "floor", tmp_path / "pinned")
