"""Rewrites the samples' lockfiles with what their package managers write.

`python -m dft.lockfiles [--upgrade] [language ...]` (scripts/lockfiles): the languages named, or every one
with a templates/<language>/lockfiles.yml. The lockfiles are plain files of the copier subtree, which copier
copies as they are: the samples' manifests give the package a fixed name, so that a lockfile is the same for
every project. lockfiles.yml lists them, each with the answers the sample is rendered with and the command
that writes it. The command runs in the lockfile's folder of that render with the lockfile in place, so that
the package manager changes only what the manifests' changes need, as a developer's install would; with
`--upgrade` it finds none, and resolves afresh. What it leaves is copied back byte for byte.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from dft.languages import TEMPLATES, languages, profile
from dft.matrix import ROOT, render_value
from dft.render import render

# Given to each package manager (under the name the language's lockfiles.yml gives as `ca_env`) unless the
# environment names a bundle already: outbound TLS may be re-signed by a CA that only the host trusts.
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
FIELDS = {"file", "answers", "command", "env"}


def spec(language: str) -> dict:
    """The language's lockfiles.yml, or SystemExit naming what is wrong with it."""
    path = TEMPLATES / language / "lockfiles.yml"
    if not path.exists():
        sys.exit(f"error: {path.relative_to(ROOT)} is missing: {language} has no lockfiles to rewrite")
    data = yaml.safe_load(path.read_text())
    if missing := {"ca_env", "lockfiles"} - set(data):
        sys.exit(f"error: {path.relative_to(ROOT)} has no {', '.join(sorted(missing))}")
    for i, lock in enumerate(data["lockfiles"]):
        if missing := {"file", "command"} - set(lock):
            sys.exit(f"error: {path.relative_to(ROOT)}: lockfiles[{i}] has no {', '.join(sorted(missing))}")
        if unknown := set(lock) - FIELDS:
            sys.exit(f"error: {path.relative_to(ROOT)}: lockfiles[{i}]: unknown {sorted(unknown)}; "
                     f"the fields are {sorted(FIELDS)}")
    return data


def rewrite(language: str, upgrade: bool) -> None:
    data = spec(language)
    versions = profile(language).versions
    env = dict(os.environ)
    if CA_BUNDLE.exists():
        env.setdefault(data["ca_env"], str(CA_BUNDLE))
    for lock in data["lockfiles"]:
        command = [part.format(versions=versions) for part in lock["command"]]
        if not shutil.which(command[0]):
            sys.exit(f"error: {command[0]} is missing: {language}'s lockfiles need it ({' '.join(command)})")
        template = TEMPLATES / language / "project" / lock["file"]
        with tempfile.TemporaryDirectory(prefix=f"lockfiles-{language}-") as tmp:
            project = render(Path(tmp) / "project", {"language": language, **lock.get("answers", {})})
            answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
            name = render_value(lock["file"], answers)
            # As copier names it; a part left empty means answers that do not render this file.
            if not all(name.split("/")):
                sys.exit(f"error: {language}'s answers {lock.get('answers', {})} render no {lock['file']}")
            lockfile = project / name
            if upgrade:
                lockfile.unlink(missing_ok=True)
            run = subprocess.run(command, cwd=lockfile.parent, env={**env, **lock.get("env", {})}, stdout=sys.stderr)
            if run.returncode:
                sys.exit(f"error: `{' '.join(command)}` failed in {language}'s sample (its output is above)")
            if not lockfile.exists():
                sys.exit(f"error: `{' '.join(command)}` wrote no {name}")
            written = lockfile.read_bytes()
        changed = not template.exists() or written != template.read_bytes()
        if changed:
            template.write_bytes(written)
        print(f"{template.relative_to(ROOT)}: {'rewritten' if changed else 'unchanged'}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/lockfiles", description=__doc__.split("\n\n")[0])
    parser.add_argument("--upgrade", action="store_true",
                        help="resolve afresh: the newest versions the manifests allow")
    parser.add_argument("language", nargs="*", help="languages to rewrite (default: every one with lockfiles.yml)")
    args = parser.parse_args()
    for language in args.language or [name for name in languages() if (TEMPLATES / name / "lockfiles.yml").exists()]:
        rewrite(language, args.upgrade)


if __name__ == "__main__":
    main()
